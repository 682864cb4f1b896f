// The helper holds none of the program's stdio: 'close' and the exec callbacks come when the
// program's own stdio closes, not when the last process of the tree exits. The helper's
// message about a descendant it had to kill goes where that descendant's stderr goes (it opens
// /proc/<pid>/fd/2 at that moment, report_stderr_of in native/launcher/report.c).
import * as cp from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import * as h from '../../lib';
import { addonDir } from '../../lib/host/native';
import { AUXV_ONLY, canPtrace, keep, ptraceSkip } from '../support/mask-fixture';

const masked = { hwcaps: keep, ...AUXV_ONLY, mode: 'ptrace' as const };
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hwcap-stdio-'));
const sleepers: number[] = [];
afterAll(() => {
  for (const pid of sleepers) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  fs.rmSync(tmp, { recursive: true, force: true });
});

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe.skipIf(!canPtrace)(`the helper holds none of the program's stdio${ptraceSkip}`, () => {
  for (const follow of [true, false]) {
    it(`exec('sleep 30 >/dev/null 2>&1 </dev/null & echo $!') calls back while the sleeper still runs (follow ${follow})`, async () => {
      const { pid, stdout } = await new Promise<{ pid: number; stdout: string }>((resolve, reject) => {
        h.exec('sleep 30 >/dev/null 2>&1 </dev/null & echo $!', { ...masked, follow }, (err, out) => {
          if (err) return reject(err);
          const p = Number(String(out).trim());
          sleepers.push(p);
          // Checked in the callback itself: the sleeper is alive, so the callback did not wait for it.
          resolve({ pid: p, stdout: `${String(out).trim()} alive=${alive(p)}` });
        });
      });
      expect(stdout).toBe(`${pid} alive=true`);
      process.kill(pid, 'SIGKILL');
    });
  }

  it("a daemon (setsid, stdio to /dev/null) does not hold 'close'", async () => {
    const child = h.spawn('sh', ['-c', 'setsid sh -c "sleep 30" >/dev/null 2>&1 </dev/null & echo $!'], masked);
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    const seen = await new Promise<string>((resolve) =>
      child.on('close', (code) => {
        const p = Number(out.trim());
        sleepers.push(p);
        resolve(`${code} alive=${alive(p)}`);
      }),
    );
    expect(seen).toBe('0 alive=true');
  });

  const testLauncher = fs.existsSync(path.join(addonDir, 'hwcap-exec-test'));
  it.skipIf(!testLauncher)("a descendant that cannot be masked: killed, and the message goes to that descendant's stderr, not the program's", async () => {
    const file = path.join(tmp, 'descendant.err');
    const old = process.env.HWCAP_TEST_LAUNCHER;
    process.env.HWCAP_TEST_LAUNCHER = '1';
    let child: cp.ChildProcess;
    try {
      child = h.spawn('sh', ['-c', `(exec 2>"${file}"; exec /bin/true); echo "status $?"; /bin/true; echo "again $?"`], {
        ...masked,
        env: { ...process.env, HWCAP_EXEC_FAULT: 'descendant-mask-fails' },
      });
    } finally {
      if (old === undefined) delete process.env.HWCAP_TEST_LAUNCHER;
      else process.env.HWCAP_TEST_LAUNCHER = old;
    }
    let out = '';
    let err = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    expect(code).toBe(0);
    // Both descendants were killed before they ran (128 + SIGKILL).
    expect(out).toBe('status 137\nagain 137\n');
    // The first one's stderr was the file: its message is there, and only there.
    expect(fs.readFileSync(file, 'utf8')).toMatch(/^hwcap-exec: pid \d+: patch-stack: process_vm_writev: EIO; killed it\n$/);
    // The second one's stderr was the program's: its message is there, once.
    expect(err.match(/hwcap-exec: pid \d+: patch-stack: process_vm_writev: EIO; killed it\n/g)).toHaveLength(1);
  });
});
