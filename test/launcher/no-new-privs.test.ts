// docs/cpuid.md, "The seccomp filter": without CAP_SYS_ADMIN the filter needs PR_SET_NO_NEW_PRIVS, so a
// set-user-ID program anywhere in a followed tree runs without its privileges, also once the
// process is no longer traced (after a release), where the tracer no longer stands in the way. With
// CAP_SYS_ADMIN the launcher installs the filter without it. A followed auxv-only tree: the filter
// is the same for every followed tree.
import { afterAll, describe, expect, it } from 'vitest';
import * as cp from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { canPtrace, ptraceSkip } from '../support/mask-fixture';
import { launcher } from '../support/cpuid-fixture';
import { which } from '../support/helpers';
import { isRoot, NOBODY, nobodySkip as noNobody, setpriv } from '../support/nobody';

const TREE = ['--mode', 'ptrace', '--hwcap', 'fffffffffffffffe'];

/** `grep`'s lines of /proc/<pid>/status, as { field: value }. */
const status = (text: string): Record<string, string> => Object.fromEntries([...text.matchAll(/^(\w+):\s*(.*)$/gm)].map((m) => [m[1]!, m[2]!.trim()]));

// A set-user-ID root copy of id, in a directory nobody may read, and a directory nobody may write.
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hwcap-nnp-'));
fs.chmodSync(dir, 0o755);
const out = path.join(dir, 'out');
fs.mkdirSync(out, { mode: 0o777 });
fs.chmodSync(out, 0o777);
const suid = path.join(dir, 'id');
const idPath = which('id');
/** Whether the copy takes effect here: as nobody, outside any tree, it runs with euid 0. */
const suidWorks = (() => {
  if (!isRoot || !setpriv || !idPath) return false;
  fs.copyFileSync(idPath, suid);
  fs.chownSync(suid, 0, 0);
  fs.chmodSync(suid, 0o4755);
  return cp.spawnSync(NOBODY[0]!, [...NOBODY.slice(1), suid, '-u'], { encoding: 'utf8' }).stdout.trim() === '0';
})();
const nobodySkip = noNobody ? noNobody : !suidWorks ? ` (skipped: a set-user-ID root copy of id does not run as root here: ${os.tmpdir()} mounted nosuid?)` : '';
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Waits up to `ms` for `file` to have content, or for `child` to exit first. */
async function waitFor(file: string, child: cp.ChildProcess, ms: number): Promise<string> {
  for (const end = Date.now() + ms; Date.now() < end && child.exitCode === null && child.signalCode === null; ) {
    const text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
    if (text.includes('\n')) return text;
    await new Promise((r) => setTimeout(r, 20));
  }
  return fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
}

describe.skipIf(!canPtrace)(`no-new-privs: where the launcher lacks CAP_SYS_ADMIN, and only there${ptraceSkip}`, () => {
  it.skipIf(nobodySkip !== '')(`a followed tree as nobody runs under no-new-privs; released, its set-user-ID root program still runs as nobody${nobodySkip}`, async () => {
    const [before, after, go] = ['before', 'after', 'go'].map((f) => path.join(out, f));
    const script = `grep -E '^(NoNewPrivs|Seccomp|TracerPid):' /proc/self/status > ${before}
      while [ ! -e ${go} ]; do sleep 0.05; done
      { "${suid}" -u; grep -E '^(NoNewPrivs|TracerPid):' /proc/self/status; } > ${after}`;
    const tree = cp.spawn(NOBODY[0]!, [...NOBODY.slice(1), launcher, ...TREE, '--', 'sh', '-c', script], { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
    let stderr = '';
    tree.stderr.on('data', (d: Buffer) => (stderr += String(d)));
    const exited = new Promise<number | null>((resolve) => tree.on('exit', (code) => resolve(code)));
    try {
      const seen = status(await waitFor(before, tree, 10_000));
      expect(seen, stderr).toMatchObject({ NoNewPrivs: '1', Seccomp: '2' });
      expect(Number(seen.TracerPid)).toBeGreaterThan(0);
      const rel = cp.spawnSync(NOBODY[0]!, [...NOBODY.slice(1), launcher, '--release', String(tree.pid)], { encoding: 'utf8' });
      expect(JSON.parse(rel.stdout), rel.stderr).toMatchObject({ released: tree.pid, stopped: true });
      // The release leaves the tree stopped: its process group (sh, and a sleep of its loop) goes on.
      fs.writeFileSync(go, '');
      process.kill(-tree.pid!, 'SIGCONT');
      expect(await exited, stderr).toBe(0);
      const [uid, ...rest] = fs.readFileSync(after, 'utf8').split('\n');
      expect(uid).toBe('65534');
      expect(status(rest.join('\n'))).toEqual({ NoNewPrivs: '1', TracerPid: '0' });
    } finally {
      try {
        process.kill(-tree.pid!, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
  });

  it("the launcher's own user here: no-new-privs exactly where it lacks CAP_SYS_ADMIN (as root: none; the filter is installed all the same)", () => {
    const capEff = BigInt(`0x${/^CapEff:\s*([0-9a-f]+)/m.exec(fs.readFileSync('/proc/self/status', 'latin1'))![1]}`);
    const sysAdmin = (capEff >> 21n) & 1n ? '0' : '1';
    const r = cp.spawnSync(launcher, [...TREE, '--', 'grep', '-E', '^(NoNewPrivs|Seccomp):', '/proc/self/status'], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(status(r.stdout)).toEqual({ NoNewPrivs: sysAdmin, Seccomp: '2' });
  });
});
