// What adopt refuses before it touches anything, and says as what it is: a kernel thread (no user
// memory), a zombie (exited), and a tree that holds a pid namespace's init (pid 1 here, or the init
// of a namespace made with `unshare --pid --fork`), which would end with the helper (EXITKILL)
// and take its whole namespace with it, unless allowInit / --allow-init.
import { describe, expect, it } from 'vitest';
import * as cp from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as h from '../../lib';
import { AUXV_ONLY, canPtrace, keep } from '../support/mask-fixture';
import { repoRoot, which } from '../support/helpers';

const launcher = h.launcherPath();
const cli = path.join(repoRoot, 'dist', 'cli.js');
const ptraceSkip = canPtrace ? '' : ' (skipped: ptrace mode unavailable here)';

const field = (pid: number, name: string): string | undefined =>
  fs.readFileSync(`/proc/${pid}/status`, 'latin1').split('\n').find((l) => l.startsWith(`${name}:`))?.split(':')[1]?.trim();
const stateOf = (pid: number): string => {
  const s = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
  return s.slice(s.lastIndexOf(')') + 2)[0]!;
};
const sleepMs = (ms: number): void => void Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
const until = (f: () => boolean, what: string): void => {
  for (let i = 0; i < 500; i++) {
    if (f()) return;
    sleepMs(10);
  }
  throw new Error(`timed out waiting for ${what}`);
};
const childrenOf = (pid: number): number[] =>
  fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'latin1').trim().split(/\s+/).filter(Boolean).map(Number);
const launcherAdopt = (pid: number, ...more: string[]): Record<string, unknown> =>
  JSON.parse(cp.spawnSync(launcher, ['--adopt', String(pid), '--hwcap', 'ffffffffffffffff', ...more], { encoding: 'utf8' }).stdout) as Record<string, unknown>;

describe.skipIf(!canPtrace)(`adopt refuses what it cannot take, by name${ptraceSkip}`, () => {
  it('pid 2, a kernel thread: "not-adoptable", naming it a kernel thread (its auxv reads ESRCH), in the library, the CLI and the launcher', async () => {
    expect(stateOf(2)).toBeTruthy();
    const err = (await h.adopt(2, AUXV_ONLY).catch((e: unknown) => e)) as h.HandoverError;
    expect(err).toBeInstanceOf(h.HandoverError);
    expect(err).toMatchObject({ reason: 'not-adoptable', pid: 2 });
    expect(err.message).toMatch(/pid 2 is a kernel thread \(kthreadd\)/);
    // The keep-set path reads the saved auxv first: the same answer, not a permission hint.
    const viaWords = (await h.adopt(2, { hwcaps: keep, ...AUXV_ONLY }).catch((e: unknown) => e)) as h.HandoverError;
    expect(viaWords).toMatchObject({ reason: 'not-adoptable' });
    const c = cp.spawnSync(process.execPath, [cli, 'adopt', '2', '--drop', 'sse3', '--auxv-only'], { encoding: 'utf8' });
    expect(c.status).toBe(2);
    expect(c.stderr).toMatch(/kernel thread/);
    expect(c.stderr).not.toMatch(/ptrace/);
    expect(launcherAdopt(2)).toMatchObject({ error: 'not-adoptable', code: 'EINVAL' });
  });

  it('a zombie: "not-adoptable", naming it one', async () => {
    // sleep 0 exits at once; its parent, sh exec'd into sleep 30, never reaps it.
    const parent = cp.spawn('sh', ['-c', 'sleep 0 & exec sleep 30'], { stdio: 'ignore' });
    try {
      let zombie = 0;
      until(() => {
        zombie = childrenOf(parent.pid!)[0] ?? 0;
        return zombie > 0 && stateOf(zombie) === 'Z';
      }, 'a zombie');
      const err = (await h.adopt(zombie, AUXV_ONLY).catch((e: unknown) => e)) as h.HandoverError;
      expect(err).toMatchObject({ reason: 'not-adoptable', pid: zombie });
      expect(err.message).toMatch(/has exited: a zombie/);
      expect(launcherAdopt(zombie)).toMatchObject({ error: 'not-adoptable', code: 'ESRCH' });
    } finally {
      parent.kill('SIGKILL');
    }
  });

  it('pid 1: refused ("init") before anything is seized', async () => {
    const err = (await h.adopt(1, AUXV_ONLY).catch((e: unknown) => e)) as h.HandoverError;
    expect(err).toMatchObject({ reason: 'init', pid: 1, code: 'EPERM' });
    expect(err.message).toMatch(/init of a pid namespace/);
    expect(field(1, 'TracerPid')).toBe('0');
  });

  const unshare = which('unshare');
  const canUnshare = !!unshare && cp.spawnSync(unshare, ['--pid', '--fork', 'true']).status === 0;
  it.skipIf(!canUnshare)(`a pid namespace's init (unshare --pid --fork) is refused, as the root or under it, and adopted with allowInit${canUnshare ? '' : ' (skipped: unshare --pid needs CAP_SYS_ADMIN)'}`, async () => {
    const ns = cp.spawn(unshare!, ['--pid', '--fork', 'sleep', '30'], { stdio: 'ignore' });
    let init = 0;
    try {
      until(() => {
        init = childrenOf(ns.pid!)[0] ?? 0;
        return init > 0 && field(init, 'NSpid')?.split(/\s+/).pop() === '1' && field(init, 'Name') === 'sleep';
      }, "the namespace's init");
      const err = (await h.adopt(init, AUXV_ONLY).catch((e: unknown) => e)) as h.HandoverError;
      expect(err).toMatchObject({ reason: 'init', pid: init });
      expect(err.message).toMatch(/would die with the helper/);
      expect(field(init, 'TracerPid')).toBe('0');
      const above = (await h.adopt(ns.pid!, AUXV_ONLY).catch((e: unknown) => e)) as h.HandoverError;
      expect(above).toMatchObject({ reason: 'init' });
      expect(above.message).toMatch(/in the tree under the pid/);
      expect(launcherAdopt(init)).toMatchObject({ error: 'init', code: 'EPERM' });
      const r = await h.adopt(init, { ...AUXV_ONLY, allowInit: true });
      expect(r).toMatchObject({ pid: init, tasks: 1 });
      expect(Number(field(init, 'TracerPid'))).toBe(r.helper);
    } finally {
      if (init) process.kill(init, 'SIGKILL'); /* its helper then ends */
      ns.kill('SIGKILL');
    }
  });
});
