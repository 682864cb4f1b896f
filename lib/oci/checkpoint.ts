// hwcap-runtime checkpoint and restore. A masked container's helper holds ptrace, so CRIU
// cannot seize the tree: until the hand-over is done here, a masked container's checkpoint and
// restore are refused before the real runtime runs, rather than fail inside CRIU. An unmasked
// container's pass through.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { maskOf, type OciConfig } from './bundle';
import { OciError } from './policy';
import { containerState, delegate, type RuncArgv } from './runtime';

export async function checkpoint(runtime: string, p: RuncArgv): Promise<number> {
  const id = p.positionals[0];
  if (id === undefined) return delegate(runtime, p.argv);
  if (maskOf(containerState(runtime, p, id).annotations)) {
    throw new OciError('checkpoint', {
      message: 'the container is masked: its hwcap helper holds ptrace, so CRIU cannot seize it',
      hint: 'this hwcap-runtime cannot checkpoint a masked container yet (docs/containers.md)',
      errno: 'EOPNOTSUPP',
    });
  }
  return delegate(runtime, p.argv);
}

export async function restore(runtime: string, p: RuncArgv): Promise<number> {
  const bundle = path.resolve(p.options.get('bundle')?.at(-1) ?? p.options.get('b')?.at(-1) ?? '.');
  let config: OciConfig | undefined;
  try {
    config = JSON.parse(fs.readFileSync(path.join(bundle, 'config.json'), 'utf8')) as OciConfig;
  } catch {
    config = undefined;
  }
  if (maskOf(config?.annotations)) {
    throw new OciError('restore', {
      message: 'the checkpoint is of a masked container',
      hint: 'this hwcap-runtime cannot restore a masked container yet (docs/containers.md)',
      errno: 'EOPNOTSUPP',
    });
  }
  return delegate(runtime, p.argv);
}
