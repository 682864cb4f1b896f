// The hwcap-exec launcher run directly, as a CLI would: real children, real
// ptrace, every view of the auxv read back by hwcap-probe and LD_SHOW_AUXV.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import * as cp from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { catalog, launcherPath, probeInheritance } from '../../lib';
import { canPtrace, hasBits, hex, keep, present, probe, ptraceSkip, removed } from '../support/mask-fixture';
import { ldShowAuxv } from '../support/helpers';

const launcher = launcherPath();
const maskArgs = ['--hwcap', hex(keep.hwcap!), '--hwcap2', hex(keep.hwcap2!)];

interface Run {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  records: Record<string, unknown>[];
}

/** Runs the launcher with a status pipe on fd 3. */
function run(args: string[], env: NodeJS.ProcessEnv = process.env): Run {
  const r = cp.spawnSync(launcher, ['--status-fd', '3', ...args], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
    timeout: 15_000,
    env,
  });
  if (r.error) throw r.error;
  const text = String(r.output[3] ?? '');
  return {
    status: r.status,
    signal: r.signal,
    stdout: r.stdout,
    stderr: r.stderr,
    records: text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

interface View {
  pid: number;
  process: Record<string, string>;
  libc: Record<string, string>;
  prGetAuxv: Record<string, string> | null;
  procAuxv: Record<string, string> | null;
  tracerPid: number;
}

function expectMasked(v: View) {
  for (const view of [v.process, v.prGetAuxv ?? v.procAuxv, v.procAuxv]) {
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
    const r = run(['--mode', 'ptrace', ...maskArgs, '--', probe], { ...process.env, HWCAP_EXEC_FAULT: 'no-vdso-site' });
    expect(r.status, r.stderr).toBe(0);
    expectMasked(JSON.parse(r.stdout) as View);
    // The program ran its own, restored code: a second program through the same path works too.
    const sh = run(['--mode', 'ptrace', ...maskArgs, '--', 'sh', '-c', 'LD_SHOW_AUXV=1 /bin/true'], { ...process.env, HWCAP_EXEC_FAULT: 'no-vdso-site' });
    expect(sh.status, sh.stderr).toBe(0);
    expect(ldShowAuxv(sh.stdout).hwcap).toBe(present.hwcap & keep.hwcap!);
  });

  it('masks what ld.so sees (LD_SHOW_AUXV=1 /bin/true)', () => {
    const r = run(['--mode', 'ptrace', ...maskArgs, '--', '/bin/true'], { ...process.env, LD_SHOW_AUXV: '1' });
    expect(r.status).toBe(0);
    const w = ldShowAuxv(r.stdout);
    expect(w.hwcap).toBe(present.hwcap & keep.hwcap!);
    if (present.hwcap2) expect(w.hwcap2).toBe(present.hwcap2 & keep.hwcap2!);
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
      const r = run(['--mode', 'ptrace', ...maskArgs, '--', probe], { ...process.env, HWCAP_EXEC_FAULT: 'helper-before-seize' });
      expect(r.stdout).toBe('');
      expect(r.status).toBe(125);
      expect(r.stderr).toBe('');
      expect(r.records).toEqual([{ stage: 'seize', syscall: 'ptrace(PTRACE_SEIZE)', errno: 10, code: 'ECHILD', message: 'ptrace(PTRACE_SEIZE): ECHILD' }]);
    });

    it.each(['helper-after-seize', 'helper-at-exec-stop', 'helper-during-patch', 'helper-during-inject'])('%s: the program is killed before it runs', (fault) => {
      const r = run(['--mode', 'ptrace', ...maskArgs, '--', probe], { ...process.env, HWCAP_EXEC_FAULT: fault });
      expect(r.stdout).toBe('');
      // PTRACE_O_EXITKILL kills the launcher; after the seize and before the go-ahead it may instead
      // see the helper's pipe close first and stop on its own (125).
      if (fault === 'helper-after-seize') expect(r.signal === 'SIGKILL' || r.status === 125).toBe(true);
      else expect(r.signal).toBe('SIGKILL');
      expect(r.records.some((x) => x.stage === 'masked')).toBe(false);
    });
  });

  it('passes stop and continue through: a stopped program resumes, then dies by SIGTERM', async () => {
    const child = cp.spawn(launcher, ['--mode', 'ptrace', ...maskArgs, '--', 'sleep', '20'], { stdio: 'ignore' });
    const state = () => fs.readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1][0];
    const until = async (want: (s: string) => boolean) => {
      for (let i = 0; i < 200; i++) {
        if (want(state())) return true;
        await new Promise((r) => setTimeout(r, 25));
      }
      return false;
    };
    const exited = new Promise<[number | null, string | null]>((resolve) => child.on('exit', (c, s) => resolve([c, s])));
    try {
      expect(await until((s) => s === 'S')).toBe(true);
      child.kill('SIGSTOP');
      expect(await until((s) => s === 'T' || s === 't')).toBe(true);
      child.kill('SIGCONT');
      expect(await until((s) => s === 'S')).toBe(true);
      child.kill('SIGTERM');
      expect(await exited).toEqual([null, 'SIGTERM']);
    } finally {
      child.kill('SIGKILL');
    }
  });
});

describe('hwcap-exec --mode kernel', () => {
  const inheritance = probeInheritance();
  it.skipIf(inheritance.inherits !== false || !hasBits)(`refuses to exec where the kernel does not inherit${inheritance.inherits !== false ? ` (skipped: inheritance is ${inheritance.inherits})` : ''}`, () => {
    const r = run(['--mode', 'kernel', ...maskArgs, '--', probe]);
    expect(r.status).toBe(125);
    expect(r.stdout).toBe('');
    expect(r.records).toEqual([{ stage: 'kernel-verify', syscall: 'execve', errno: 95, code: 'EOPNOTSUPP', message: expect.stringMatching(/does not pass a masked auxv across execve/) }]);
  });

  it.skipIf(inheritance.inherits !== true)(`masks every view where the kernel inherits (skipped unless it does: ${inheritance.reason})`, () => {
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

describe('security features', () => {
  // The launcher's per-arch table, read from its source, against the catalogue's rows marked security.
  const source = fs.readFileSync(path.join(__dirname, '..', '..', 'native', 'hwcap-exec.c'), 'utf8');
  const table = source.slice(source.indexOf('security_features[] = {'), source.indexOf('{NULL, 0, 0}'));
  const rows = (arch: string) => {
    const m = new RegExp(`#if defined\\(${arch}\\)([\\s\\S]*?)#endif`).exec(table);
    return [...(m?.[1] ?? '').matchAll(/\{"(\w+)", (\d), (\d+)\}/g)].map(([, name, word, bit]) => ({ name, word: `AT_HWCAP${word === '0' ? '' : Number(word) + 1}`, bit: Number(bit) }));
  };
  // Documented arm64 list (arch/arm64/include/uapi/asm/hwcap.h, Linux 6.18): the issue's paca, pacg, bti, mte,
  // mte3, gcs, and the catalogue's further protections dit, ssbs, poe, mtefar, mtestoreonly.
  const documented = [
    { name: 'dit', word: 'AT_HWCAP', bit: 24 },
    { name: 'ssbs', word: 'AT_HWCAP', bit: 28 },
    { name: 'paca', word: 'AT_HWCAP', bit: 30 },
    { name: 'pacg', word: 'AT_HWCAP', bit: 31 },
    { name: 'gcs', word: 'AT_HWCAP', bit: 32 },
    { name: 'bti', word: 'AT_HWCAP2', bit: 17 },
    { name: 'mte', word: 'AT_HWCAP2', bit: 18 },
    { name: 'mte3', word: 'AT_HWCAP2', bit: 22 },
    { name: 'poe', word: 'AT_HWCAP2', bit: 63 },
    { name: 'mtefar', word: 'AT_HWCAP3', bit: 0 },
    { name: 'mtestoreonly', word: 'AT_HWCAP3', bit: 1 },
  ];
  const byName = (a: { name: string }, b: { name: string }) => a.name.localeCompare(b.name);

  it('the C table for arm64 matches the documented list', () => {
    expect(rows('__aarch64__').sort(byName)).toEqual([...documented].sort(byName));
  });

  it('the C table matches the catalogue rows marked security: true (lib/features)', () => {
    const fromCatalogue = (arch: string) =>
      catalog(arch)
        .filter((f) => f.security)
        .map((f) => ({ name: f.name, word: f.word, bit: f.bit }))
        .sort(byName);
    expect(rows('__aarch64__').sort(byName)).toEqual(fromCatalogue('aarch64'));
    // The launcher has no table for x86-64: the x86-64 security features (pku, ospke, user_shstk,
    // ibt) are CPUID bits, and its AT_HWCAP words carry none.
    expect(fromCatalogue('x86_64').length).toBeGreaterThan(0);
    for (const f of catalog('x86_64').filter((x) => x.security)) {
      expect(f.word.startsWith('CPUID.'), f.name).toBe(true);
      expect(f.also, f.name).toBeUndefined();
    }
  });
});
