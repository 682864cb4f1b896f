// The hwcap-exec launcher run directly, as a CLI would: real children, real
// ptrace, every view of the auxv read back by hwcap-probe and LD_SHOW_AUXV.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import * as cp from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { catalog, probeAuxvAccess, probeInheritance } from '../../lib';
import { canPtrace, hasBits, hex, keep, present, probe, ptraceSkip, removed } from '../support/mask-fixture';
import { ldShowAuxv } from '../support/helpers';
import { launcher, runLauncher, testLauncher, type Run } from '../support/launcher-run';

const prGetAuxvWorks = probeAuxvAccess().prGetAuxv.ok;
const maskArgs = ['--hwcap', hex(keep.hwcap!), '--hwcap2', hex(keep.hwcap2!)];

/** The launcher with a status pipe on fd 3: `bin` the shipped one unless a test names the test build. */
const run = (args: string[], env: NodeJS.ProcessEnv = process.env, bin = launcher): Run => runLauncher(args, { env, bin, timeout: 15_000 });

interface View {
  pid: number;
  process: Record<string, string>;
  libc: Record<string, string>;
  prGetAuxv: Record<string, string> | null;
  procAuxv: Record<string, string> | null;
  tracerPid: number;
}

function expectMasked(v: View) {
  // PR_GET_AUXV (Linux 6.4) is probed: where it works the probe must have read it.
  if (!prGetAuxvWorks) expect(v.prGetAuxv).toBeNull();
  for (const view of prGetAuxvWorks ? [v.process, v.prGetAuxv, v.procAuxv] : [v.process, v.procAuxv]) {
    expect(view).not.toBeNull();
    expect(BigInt(view!.hwcap) & removed.hwcap).toBe(0n);
    expect(BigInt(view!.hwcap2) & removed.hwcap2).toBe(0n);
    // AND only: nothing else changed.
    expect(BigInt(view!.hwcap)).toBe(present.hwcap & keep.hwcap!);
    expect(BigInt(view!.hwcap2)).toBe(present.hwcap2 & keep.hwcap2!);
  }
  // glibc on x86-64 answers AT_HWCAP itself; AT_HWCAP2 comes from the stack.
  expect(BigInt(v.libc.hwcap2) & removed.hwcap2).toBe(0n);
  if (os.arch() !== 'x64') expect(BigInt(v.libc.hwcap) & removed.hwcap).toBe(0n);
}

let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hwcap-launcher-'));
});
afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('hwcap-exec: arguments and exit status', () => {
  it('rejects an unknown option clearly, with a status line, before running anything', () => {
    const r = run(['--bogus', '--', probe]);
    expect(r.status).toBe(125);
    // With a status fd the failure is reported there only: stderr is the program's.
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('');
    expect(r.records).toEqual([{ stage: 'args', syscall: 'argv', errno: 22, code: 'EINVAL', message: "unknown option '--bogus'" }]);
    // Without one, on stderr with the usage.
    const plain = cp.spawnSync(launcher, ['--bogus', '--', probe], { encoding: 'utf8' });
    expect(plain.status).toBe(125);
    expect(plain.stderr).toContain("hwcap-exec: unknown option '--bogus'");
    expect(plain.stderr).toContain('usage: hwcap-exec');
  });

  it.each([
    [['--hwcap', 'lots', '--', probe], 'a word must be an unsigned 64-bit number'],
    [['--hwcap', '-1', '--', probe], 'a word must be an unsigned 64-bit number'],
    [['--mode', 'magic', '--', probe], '--mode must be kernel, ptrace or auto'],
    [['--pdeathsig', 'SIGNOPE', '--', probe], '--pdeathsig must be a signal name or number'],
    [['--hwcap'], "option '--hwcap' needs a value"],
    [['--hwcap', '1'], 'no PROGRAM given'],
  ])('rejects bad input %j', (args, text) => {
    const r = run(args);
    expect(r.status).toBe(125);
    expect(r.records).toEqual([expect.objectContaining({ stage: 'args', code: 'EINVAL', message: expect.stringContaining(text) })]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('');
    expect(cp.spawnSync(launcher, args, { encoding: 'utf8' }).stderr).toContain(text);
  });

  it('exits 127 for a program not found, 126 for one not executable, and the program\'s own status otherwise', () => {
    const nf = run([...maskArgs, '--', 'hwcap-no-such-program']);
    expect(nf.status).toBe(127);
    expect(nf.stderr).toBe('');
    expect(nf.records).toEqual([{ stage: 'exec', syscall: 'execve', errno: 2, code: 'ENOENT', message: 'hwcap-no-such-program: ENOENT' }]);
    expect(cp.spawnSync(launcher, [...maskArgs, '--', 'hwcap-no-such-program'], { encoding: 'utf8' }).stderr).toBe('hwcap-exec: hwcap-no-such-program: ENOENT\n');
    // The message is JSON-escaped: quotes, backslashes and control characters in a name survive.
    const odd = 'no "such"\\ \tprogram\nhere';
    const esc = run([...maskArgs, '--', odd]);
    expect(esc.status).toBe(127);
    expect(esc.records).toEqual([{ stage: 'exec', syscall: 'execve', errno: 2, code: 'ENOENT', message: `${odd}: ENOENT` }]);
    // A long name is cut, never overflowing the line.
    const long = run([...maskArgs, '--', 'x'.repeat(4000)]);
    expect(long.status).toBe(127);
    expect(long.records).toEqual([expect.objectContaining({ stage: 'exec', code: expect.stringMatching(/^E/) })]);
    const file = path.join(tmp, 'not-executable');
    fs.writeFileSync(file, '#!/bin/sh\necho ran\n', { mode: 0o644 });
    const ne = run([...maskArgs, '--', file]);
    expect(ne.status).toBe(126);
    expect(ne.stdout).toBe('');
    expect(ne.records[0]).toMatchObject({ stage: 'exec', code: 'EACCES' });
    const own = run([...maskArgs, '--', 'sh', '-c', 'exit 7']);
    expect(own.status).toBe(7);
  });

  it('passes death by signal through as the program\'s own', () => {
    const r = run([...maskArgs, '--', 'sh', '-c', 'kill -TERM $$']);
    expect(r.signal).toBe('SIGTERM');
  });
});

describe.skipIf(!canPtrace || !hasBits)(`hwcap-exec --mode ptrace${ptraceSkip}`, () => {
  it('masks the process, libc and kernel views of the program, which keeps the launcher\'s pid', () => {
    const r = run(['--mode', 'ptrace', ...maskArgs, '--', probe]);
    expect(r.status).toBe(0);
    const v = JSON.parse(r.stdout) as View;
    expectMasked(v);
    const exec = r.records.find((x) => x.stage === 'exec');
    const masked = r.records.find((x) => x.stage === 'masked');
    expect(exec).toMatchObject({ mode: 'ptrace', pid: v.pid });
    expect(masked).toMatchObject({ pid: v.pid });
    expect(v.tracerPid).toBeGreaterThan(0); // followed by default
  });

  it('masks every view through the entry-point injection too, used where there is no vDSO', () => {
    const r = run(['--mode', 'ptrace', ...maskArgs, '--', probe], { ...process.env, HWCAP_EXEC_FAULT: 'no-vdso-site' }, testLauncher);
    expect(r.status, r.stderr).toBe(0);
    expectMasked(JSON.parse(r.stdout) as View);
    // The program ran its own, restored code: a second program through the same path works too.
    const sh = run(['--mode', 'ptrace', ...maskArgs, '--', 'sh', '-c', 'LD_SHOW_AUXV=1 /bin/true'], { ...process.env, HWCAP_EXEC_FAULT: 'no-vdso-site' }, testLauncher);
    expect(sh.status, sh.stderr).toBe(0);
    expect(ldShowAuxv(sh.stdout).hwcap).toBe(present.hwcap & keep.hwcap!);
  });

  it('masks what ld.so sees (LD_SHOW_AUXV=1 /bin/true)', () => {
    const r = run(['--mode', 'ptrace', ...maskArgs, '--', '/bin/true'], { ...process.env, LD_SHOW_AUXV: '1' });
    expect(r.status).toBe(0);
    const w = ldShowAuxv(r.stdout);
    expect(w.hwcap).toBe(present.hwcap & keep.hwcap!);
    // ld.so prints AT_HWCAP2 when the vector has it; the kernel view reads 0 when it has not.
    expect(w.hwcap2 ?? 0n).toBe(present.hwcap2 & keep.hwcap2!);
  });

  it('follows the tree by default, and only the first exec with --no-follow', () => {
    const cmd = `LD_SHOW_AUXV=1 /bin/true; ${probe}`;
    const followed = run(['--mode', 'ptrace', ...maskArgs, '--', 'sh', '-c', cmd]);
    expect(followed.status).toBe(0);
    expect(ldShowAuxv(followed.stdout).hwcap).toBe(present.hwcap & keep.hwcap!);
    expectMasked(JSON.parse(followed.stdout.split('\n').find((l) => l.startsWith('{'))!) as View);

    const first = run(['--mode', 'ptrace', '--no-follow', ...maskArgs, '--', 'sh', '-c', cmd]);
    expect(first.status).toBe(0);
    expect(ldShowAuxv(first.stdout).hwcap).toBe(present.hwcap);
    const v = JSON.parse(first.stdout.split('\n').find((l) => l.startsWith('{'))!) as View;
    expect(BigInt(v.process.hwcap)).toBe(present.hwcap);
    expect(v.tracerPid).toBe(0); // detached after the first exec
  });

  it('refuses a set-user-ID program', () => {
    const file = path.join(tmp, 'suid-probe');
    fs.copyFileSync(probe, file);
    fs.chmodSync(file, 0o4755);
    const r = run(['--mode', 'ptrace', ...maskArgs, '--', file]);
    expect(r.status).toBe(125);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('');
    expect(r.records).toEqual([{ stage: 'check-target', syscall: 'execve', errno: 1, code: 'EPERM', message: `${file} is set-user-ID or set-group-ID; ptrace mode would run it without those privileges; refused` }]);
  });

  it('refuses a set-group-ID program', () => {
    const file = path.join(tmp, 'sgid-probe');
    fs.copyFileSync(probe, file);
    fs.chmodSync(file, 0o2755);
    const r = run(['--mode', 'ptrace', ...maskArgs, '--', file]);
    expect(r.status).toBe(125);
    expect(r.stdout).toBe('');
  });

  describe('fails closed when the helper dies (HWCAP_EXEC_FAULT)', () => {
    it('before the seize: the launcher never execs and says why', () => {
      const r = run(['--mode', 'ptrace', ...maskArgs, '--', probe], { ...process.env, HWCAP_EXEC_FAULT: 'helper-before-seize' }, testLauncher);
      expect(r.stdout).toBe('');
      expect(r.status).toBe(125);
      expect(r.stderr).toBe('');
      expect(r.records).toEqual([{ stage: 'seize', syscall: 'ptrace(PTRACE_SEIZE)', errno: 10, code: 'ECHILD', message: 'ptrace(PTRACE_SEIZE): ECHILD' }]);
    });

    it.each(['helper-after-seize', 'helper-at-exec-stop', 'helper-during-patch', 'helper-during-inject'])('%s: the program is killed before it runs', (fault) => {
      const r = run(['--mode', 'ptrace', ...maskArgs, '--', probe], { ...process.env, HWCAP_EXEC_FAULT: fault }, testLauncher);
      expect(r.stdout).toBe('');
      // PTRACE_O_EXITKILL kills the launcher; after the seize and before the go-ahead it may instead
      // see the helper's pipe close first and stop on its own (125).
      if (fault === 'helper-after-seize') expect(r.signal === 'SIGKILL' || r.status === 125).toBe(true);
      else expect(r.signal).toBe('SIGKILL');
      expect(r.records.some((x) => x.stage === 'masked')).toBe(false);
    });
  });

  /** The state letter of /proc/PID/stat. */
  const stateOf = (pid: number) => fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1][0];
  /** Polls stateOf(pid) (up to 10 s) until want holds; whether it came to. */
  const untilState = async (pid: number, want: (s: string) => boolean) => {
    for (let i = 0; i < 400; i++) {
      if (want(stateOf(pid))) return true;
      await new Promise((r) => setTimeout(r, 25));
    }
    return false;
  };
  const stopped = (s: string) => s === 'T' || s === 't'; // 't': a seized tracee in group-stop

  /** What a wait that timed out saw: the program's name, state and signal lines (/proc/PID/status). */
  const seen = (pid: number) => {
    try {
      const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
      return `${fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim()}: ${status.match(/^(State|TracerPid|SigPnd|ShdPnd|SigBlk):.*$/gm)?.join('; ')}`;
    } catch (e) {
      return String(e);
    }
  };

  it('passes stop and continue through: a stopped program resumes, then dies by SIGTERM', async () => {
    const child = cp.spawn(launcher, ['--mode', 'ptrace', ...maskArgs, '--', 'sleep', '20'], { stdio: 'ignore' });
    const pid = child.pid!;
    // The program itself, asleep: not the launcher, which also sleeps (in its hand-over with the
    // helper) before its exec; a stop sent then is the held-signal tests' case (below).
    const running = (s: string) => s === 'S' && fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'sleep';
    const exited = new Promise<[number | null, string | null]>((resolve) => child.on('exit', (c, s) => resolve([c, s])));
    try {
      expect(await untilState(pid, running), seen(pid)).toBe(true);
      child.kill('SIGSTOP');
      expect(await untilState(pid, stopped), seen(pid)).toBe(true);
      // A stop that lasts, not one of the helper's passing ptrace stops ('t' too).
      await new Promise((r) => setTimeout(r, 300));
      expect(stopped(stateOf(pid)), seen(pid)).toBe(true);
      child.kill('SIGCONT');
      expect(await untilState(pid, running), seen(pid)).toBe(true);
      child.kill('SIGTERM');
      expect(await exited).toEqual([null, 'SIGTERM']);
    } finally {
      child.kill('SIGKILL');
    }
  });
  // A stop signal that arrives while the helper works on an exec stop is held back and sent again
  // after it (HWCAP_EXEC_FAULT sends it then); a SIGCONT sent after it must still win, as the kernel
  // has a SIGCONT discard the stop signals pending when it is sent, and a stop signal after a held
  // SIGCONT wins the same way.
  describe('signals held back at an exec stop keep their order', () => {
    it.each(['stop-cont-held', 'stop-held-cont-pending'])('%s: SIGSTOP then SIGCONT, and the program runs to its end', (fault) => {
      const r = run(['--mode', 'ptrace', ...maskArgs, '--', '/bin/echo', 'ran'], { ...process.env, HWCAP_EXEC_FAULT: fault }, testLauncher);
      expect([r.status, r.signal, r.stdout]).toEqual([0, null, 'ran\n']);
      expect(r.records.filter((x) => x.stage === 'masked')).toHaveLength(1);
    });

    it.each(['stop-held', 'stop-cont-stop-held', 'cont-held-stop-pending'])('%s: the last signal a stop, the program stops until continued', async (fault) => {
      const child = cp.spawn(testLauncher, ['--mode', 'ptrace', ...maskArgs, '--', '/bin/echo', 'ran'], {
        stdio: ['ignore', 'pipe', 'ignore'],
        env: { ...process.env, HWCAP_EXEC_FAULT: fault },
      });
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      const exited = new Promise<[number | null, string | null]>((resolve) => child.on('exit', (c, s) => resolve([c, s])));
      try {
        expect(await untilState(child.pid!, stopped)).toBe(true);
        // A stop that lasts, not one of the helper's passing ptrace stops ('t' too): the program,
        // a /bin/echo that ends in a few ms once running, has not ended half a second later.
        const after = await Promise.race([exited.then(() => 'ended'), new Promise((r) => setTimeout(() => r('still stopped'), 500))]);
        expect(after).toBe('still stopped');
        expect(stopped(stateOf(child.pid!))).toBe(true);
        expect(out).toBe('');
        child.kill('SIGCONT');
        expect(await exited).toEqual([0, null]);
        expect(out).toBe('ran\n');
      } finally {
        child.kill('SIGKILL');
      }
    });
  });
});

describe('hwcap-exec --mode kernel', () => {
  const inheritance = probeInheritance();
  it.skipIf(inheritance.inherits !== false || !hasBits)(`refuses to exec where the kernel does not inherit${inheritance.inherits !== false ? ` (skipped: inheritance is ${inheritance.inherits})` : !hasBits ? ' (skipped: no AT_HWCAP bit to remove here)' : ''}`, () => {
    const r = run(['--mode', 'kernel', ...maskArgs, '--', probe]);
    expect(r.status).toBe(125);
    expect(r.stdout).toBe('');
    expect(r.records).toEqual([{ stage: 'kernel-verify', syscall: 'execve', errno: 95, code: 'EOPNOTSUPP', message: expect.stringMatching(/does not pass a masked auxv across execve/) }]);
  });

  it.skipIf(inheritance.inherits !== true)(`masks every view where the kernel inherits${inheritance.inherits !== true ? ` (skipped: ${inheritance.reason})` : ''}`, () => {
    const r = run(['--mode', 'kernel', ...maskArgs, '--', probe]);
    expect(r.status).toBe(0);
    expectMasked(JSON.parse(r.stdout) as View);
  });

  it.skipIf(!canPtrace || !hasBits || inheritance.inherits === true)('auto picks ptrace where the kernel does not inherit', () => {
    const r = run([...maskArgs, '--', probe]);
    expect(r.status).toBe(0);
    expect(r.records.find((x) => x.stage === 'exec')).toMatchObject({ mode: 'ptrace' });
    expectMasked(JSON.parse(r.stdout) as View);
  });
});

describe('hwcap-exec --list-stages', () => {
  // The stages the status lines and lib/spawn rely on today; the TypeScript list is compared in lib's own test.
  const used = ['args', 'pdeathsig', 'exec', 'read-auxv', 'security', 'kernel-mask', 'kernel-verify', 'check-target', 'helper', 'seize', 'no-new-privs', 'exec-stop', 'patch-stack', 'inject', 'verify', 'masked',
    // CPUID masking and the seccomp filter (docs/cpuid.md)
    'cpuid-fault', 'seccomp', 'signal-state', 'cpuid-arm', 'stats'];

  it('prints every stage once, one per line', () => {
    const r = cp.spawnSync(launcher, ['--list-stages'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    const stages = r.stdout.split('\n').filter(Boolean);
    expect(r.stdout.endsWith('\n')).toBe(true);
    expect(new Set(stages).size).toBe(stages.length);
    for (const s of stages) expect(s).toMatch(/^[a-z][a-z0-9-]*$/);
    expect([...stages].sort()).toEqual([...used].sort());
  });

  it('names every stage the launcher reports in a status line', () => {
    const stages = cp.spawnSync(launcher, ['--list-stages'], { encoding: 'utf8' }).stdout.split('\n');
    const r = run([...maskArgs, '--', 'hwcap-no-such-program']);
    const bad = run(['--bogus', '--', probe]);
    for (const rec of [...r.records, ...bad.records]) expect(stages).toContain(rec.stage);
  });
});

describe('hwcap-exec --status-fd', () => {
  it.each(['0', '1', '2'])('--status-fd %s keeps that fd open for the program and reports on a copy of it', (fd) => {
    const r = cp.spawnSync(launcher, ['--status-fd', fd, '--', 'sh', '-c', 'echo out; echo err >&2; read x; echo "in:$x"'], { encoding: 'utf8', input: 'line\n', stdio: 'pipe' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('out\n');
    expect(r.stdout).toContain('in:line\n');
    expect(r.stderr).toContain('err\n');
    if (fd === '1') expect(r.stdout).toMatch(/^\{"stage":"exec","mode":"kernel","pid":\d+\}\n/);
    if (fd === '2') expect(r.stderr).toMatch(/^\{"stage":"exec","mode":"kernel","pid":\d+\}\n/);
  });

  it.skipIf(!canPtrace || !hasBits)(`--status-fd 1 in ptrace mode: the status lines and the program's stdout, both whole${ptraceSkip}`, () => {
    const r = cp.spawnSync(launcher, ['--status-fd', '1', '--mode', 'ptrace', ...maskArgs, '--', probe], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.map((l) => l.stage ?? 'probe')).toEqual(['exec', 'masked', 'probe']);
    expectMasked(lines[2] as unknown as View);
  });

  it('the status fd itself is not inherited by the program', () => {
    const r = run(['--', 'sh', '-c', 'if [ -e /proc/$$/fd/3 ]; then echo open; else echo closed; fi']);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('closed\n');
    expect(r.records.map((x) => x.stage)).toEqual(['exec']);
  });
});

describe('hwcap-exec: words are hexadecimal, strictly', () => {
  it.each(['', ' 1', '1 ', '+5', '-1', '-0', '0x', '0x-1', '1g', '0o7', 'x1', '0x10000000000000000', '11111111111111111', '1_0', '0x 1', '1\n'])('rejects %j', (w) => {
    const r = run(['--hwcap', w, '--', '/bin/true']);
    expect(r.status).toBe(125);
    expect(r.records).toEqual([expect.objectContaining({ stage: 'args', code: 'EINVAL', message: expect.stringContaining('a word must be an unsigned 64-bit number') })]);
  });

  it.each(['0', '0x0', '0X1f', 'ffffffffffffffff', '0xFFFFFFFFFFFFFFFF', '0777', '0000000000000001'])('accepts %j', (w) => {
    const r = run(['--hwcap', w, '--mode', 'ptrace', '--', '/bin/true']);
    expect(r.records.find((x) => x.stage === 'args')).toBeUndefined();
  });

  it.skipIf(!canPtrace || present.hwcap2 === 0n)(`0777 is 0x777, not octal: the program sees AT_HWCAP2 & 0x777${ptraceSkip}`, () => {
    const r = run(['--mode', 'ptrace', '--allow-security-masking', '--hwcap2', '0777', '--', probe]);
    expect(r.status, r.stderr).toBe(0);
    const v = JSON.parse(r.stdout) as View;
    expect(BigInt(v.process.hwcap2)).toBe(present.hwcap2 & 0x777n);
    expect(BigInt(v.procAuxv!.hwcap2)).toBe(present.hwcap2 & 0x777n);
  });
});

describe('HWCAP_EXEC_FAULT is a test-build hook only', () => {
  it.skipIf(!canPtrace || !hasBits)(`the shipped launcher ignores it and passes it to the program unchanged${ptraceSkip}`, () => {
    for (const fault of ['helper-before-seize', 'helper-at-exec-stop', 'no-vdso-site']) {
      const r = run(['--mode', 'ptrace', ...maskArgs, '--', 'sh', '-c', 'printf %s "$HWCAP_EXEC_FAULT"'], { ...process.env, HWCAP_EXEC_FAULT: fault });
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toBe(fault);
      expect(r.records.map((x) => x.stage)).toEqual(['exec', 'masked']);
    }
  });

  it.skipIf(!canPtrace || !hasBits)(`the test build acts on it${ptraceSkip}`, () => {
    const r = run(['--mode', 'ptrace', ...maskArgs, '--', '/bin/true'], { ...process.env, HWCAP_EXEC_FAULT: 'helper-before-seize' }, testLauncher);
    expect(r.status).toBe(125);
    expect(r.records).toEqual([expect.objectContaining({ stage: 'seize', code: 'ECHILD' })]);
  });
});

describe('security features', () => {
  const repo = path.join(__dirname, '..', '..');
  const table = JSON.parse(fs.readFileSync(path.join(repo, 'lib', 'core', 'tables', 'security.json'), 'utf8')) as Record<string, { name: string; word: string; bit: number }[]>;
  const arch = os.arch() === 'arm64' ? 'aarch64' : 'x86_64';
  const gen = path.join(repo, 'scripts', 'gen-security-header.js');
  const byName = (a: { name: string }, b: { name: string }) => a.name.localeCompare(b.name);

  it(`hwcap-exec --list-security is exactly security.json's ${arch} rows (the header is generated from it)`, () => {
    const r = cp.spawnSync(launcher, ['--list-security'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    const rows = r.stdout.split('\n').filter(Boolean).map((l) => {
      const [name, word, bit] = l.split(' ');
      return { name: name!, word: word!, bit: Number(bit) };
    });
    expect(rows.sort(byName)).toEqual([...(table[arch] ?? [])].map(({ name, word, bit }) => ({ name, word, bit })).sort(byName));
  });

  it('the security.json rows agree with the catalogue rows marked security: true', () => {
    for (const a of ['aarch64', 'x86_64']) {
      const fromCatalogue = catalog(a).filter((f) => f.security).map((f) => ({ name: f.name, word: f.word, bit: f.bit })).sort(byName);
      expect([...(table[a] ?? [])].map(({ name, word, bit }) => ({ name, word, bit })).sort(byName)).toEqual(fromCatalogue);
    }
  });

  function generate(doc: unknown): { status: number | null; stderr: string; header: string } {
    const input = path.join(tmp, 'security.json');
    const out = path.join(tmp, 'gen', 'security_features.h');
    fs.rmSync(out, { force: true });
    fs.writeFileSync(input, JSON.stringify(doc));
    const r = cp.spawnSync(process.execPath, [gen, input, out], { encoding: 'utf8' });
    return { status: r.status, stderr: r.stderr, header: fs.existsSync(out) ? fs.readFileSync(out, 'utf8') : '' };
  }

  it('the generator puts AT_HWCAP* rows in the auxv table and CPUID rows in the CPUID table, per arch', () => {
    const g = generate({ _comment: ['x'], aarch64: [{ name: 'bti', word: 'AT_HWCAP2', bit: 17 }], x86_64: [{ name: 'user_shstk', word: 'CPUID.7.0:ECX', bit: 7 }, { name: 'ibt', word: 'CPUID.0x7.0x0:EDX', bit: 20 }] });
    expect(g.status, g.stderr).toBe(0);
    expect(g.header).toContain('#if defined(__aarch64__)\n    {"bti", 1, 17},\n#endif');
    expect(g.header).toContain('#if defined(__x86_64__)\n    {"user_shstk", 0x7, 0x0, 2, 7},\n    {"ibt", 0x7, 0x0, 3, 20},\n#endif');
  });

  it.each([
    [{ aarch64: [{ name: 'x', word: 'AT_HWCAP5', bit: 1 }] }, "word 'AT_HWCAP5' is neither"],
    [{ x86_64: [{ name: 'x', word: 'CPUID.7.0:ESI', bit: 1 }] }, "word 'CPUID.7.0:ESI' is neither"],
    [{ x86_64: [{ name: 'x', word: 'CPUID.7.0:ECX', bit: 32 }] }, 'is not 0..31'],
    [{ aarch64: [{ name: 'x', word: 'AT_HWCAP', bit: 64 }] }, 'is not 0..63'],
    [{ aarch64: [{ name: 'Bad"name', word: 'AT_HWCAP', bit: 1 }] }, 'is not [a-z0-9_]+'],
    [{ riscv64: [] }, "unknown architecture 'riscv64'"],
  ])('the generator refuses %j, naming the row', (doc, text) => {
    const g = generate(doc);
    expect(g.status).toBe(1);
    expect(g.stderr).toContain(text);
    expect(g.header).toBe('');
  });
});

describe('the /proc/<pid>/stat parser shared by the addon and the launcher (native/common, through the test build)', () => {
  const mmFields = [26, 27, 28, 45, 46, 47, 48, 49, 50, 51];
  /** A stat line with fields 4..count holding field * 1000 + 7. */
  const line = (comm: string, count: number) => `4242 (${comm}) S ${Array.from({ length: count - 3 }, (_, i) => (i + 4) * 1000 + 7).join(' ')}\n`;
  function parse(text: string, need: number): string {
    const file = path.join(tmp, 'stat');
    fs.writeFileSync(file, text);
    const r = cp.spawnSync(testLauncher, ['--parse-stat', file, String(need)], { encoding: 'utf8' });
    return r.stdout.trim();
  }

  it('reads the fields the mm map takes from a real stat, as /proc says', () => {
    const text = fs.readFileSync('/proc/self/stat', 'utf8');
    const fields = ['', '', '', ...text.slice(text.lastIndexOf(')') + 2).trim().split(' ')]; // fields[n] is field n (1-based)
    expect(parse(text, 51)).toBe(`ok ${mmFields.map((n) => fields[n]).join(' ')}`);
  });

  it.each(['a b', 'x) S 1 2 (y', '((', ')'])('takes fields after the last ")" of a comm like %j', (comm) => {
    expect(parse(line(comm, 52), 51)).toBe(`ok ${mmFields.map((n) => n * 1000 + 7).join(' ')}`);
  });

  it("accepts qemu-user's 44-field stat where only field 28 is needed, refuses it for the mm map", () => {
    const out = parse(line('qemu', 44), 28).split(' ');
    expect(out.slice(0, 4)).toEqual(['ok', '26007', '27007', '28007']);
    expect(out.slice(4)).toEqual(['0', '0', '0', '0', '0', '0', '0']);
    expect(parse(line('qemu', 44), 51)).toBe('error EPROTO');
    expect(parse(line('new', 60), 51)).toBe(`ok ${mmFields.map((n) => n * 1000 + 7).join(' ')}`);
  });

  it.each([
    ['no comm', '4242 S 1 2 3\n'],
    ['a field that is not a number', line('x', 52).replace(' 30007 ', ' 30x07 ')],
    ['nothing', ''],
  ])('refuses %s with EPROTO', (_, text) => {
    expect(parse(text, 51)).toBe('error EPROTO');
  });

  it('refuses a file larger than its buffer (E2BIG), never a silent truncation', () => {
    expect(parse(line('x'.repeat(5000), 52), 51)).toBe('error E2BIG');
  });
});
