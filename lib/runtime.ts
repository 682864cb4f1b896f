#!/usr/bin/env node
// hwcap-runtime's commands that mask (lib/oci/runtime.ts); bin/hwcap-runtime starts it for
// create, run, exec, checkpoint and restore, and runs the real runtime itself for the others.
import type * as Checkpoint from './oci/checkpoint';
import { main } from './oci/runtime';

// checkpoint.ts (and the hand-over it loads) only for the two commands that need it.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const cr = (): typeof Checkpoint => require('./oci/checkpoint') as typeof Checkpoint;

void main(process.argv.slice(2), { checkpoint: (runtime, p) => cr().checkpoint(runtime, p), restore: (runtime, p) => cr().restore(runtime, p) }).then((status) => {
  process.exitCode = status;
});
