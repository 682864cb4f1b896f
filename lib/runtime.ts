#!/usr/bin/env node
// hwcap-runtime's commands that mask (lib/oci/runtime.ts); bin/hwcap-runtime starts it for
// create, run, exec, checkpoint and restore, and runs the real runtime itself for the others.
import { main } from './oci/runtime';

void main(process.argv.slice(2)).then((status) => {
  process.exitCode = status;
});
