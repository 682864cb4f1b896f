// The CPUID mask against programs that once broke it on a machine with real CPUID faulting
// (issue 21): each case runs under real faulting (skipped where CPUID does not fault here) and,
// where the simulation can show it, under the test build's simulated traps
// (HWCAP_EXEC_FAULT=cpuid-simulate: `rdmsr` answered as a trapped CPUID). The programs are
// native/probe/cpuid-audit-probe.c.
import { afterAll, describe, it, expect } from 'vitest';
import * as cp from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync, type HwcapError } from '../../lib';
import { AUXV_ONLY, canPtrace, keep } from '../support/mask-fixture';
import { cpuidFaulting, cpuidProbe, drop7, faultingSkip, host, isX64, launcher, launcherFor, reg, type Run } from '../support/cpuid-fixture';
import { repoRoot, which } from '../support/helpers';
import { groupsSkip, NOBODY, nobodySkip, setpriv } from '../support/nobody';
import { runLauncher } from '../support/launcher-run';

const auditProbe = path.join(repoRoot, 'build', 'Release', 'hwcap-cpuid-audit-probe');
const hex8 = (v: number): string => (v >>> 0).toString(16).padStart(8, '0');
/** CPUID.(7,0):EBX under the mask: the host's without the dropped bit. */
const maskedEbx7 = host ? hex8(reg(host.main['7.0'], 1) & ~drop7) : '';
const mask = ['--cpuid', `7.0:ebx=${hex8(~drop7)}`];
const simSkip = !isX64 || !canPtrace || !fs.existsSync(auditProbe);
const ways = [
  { name: 'simulated traps (rdmsr, HWCAP_EXEC_FAULT=cpuid-simulate)', env: { HWCAP_EXEC_FAULT: 'cpuid-simulate' }, sim: ['--simulate'], skip: simSkip, why: simSkip ? ' (skipped: x86-64 with ptrace only)' : '' },
  { name: 'real CPUID faulting', env: {} as Record<string, string>, sim: [] as string[], skip: !cpuidFaulting || !fs.existsSync(auditProbe), why: faultingSkip },
];

/** The launcher with the mask and a status pipe on fd 3, optionally under a wrapper (setpriv ...). */
function launch(args: string[], extra: Record<string, string>, wrapper: string[] = [], timeout = 60_000): Run {
  return runLauncher([...mask, '--', ...args], { env: { ...process.env, ...extra }, wrapper, timeout });
}
const lastJson = <T>(s: string): T => JSON.parse(s.trim().split('\n').pop()!) as T;

const EACCES = 13;
// The starvation case needs the helper on a CPU of its own, beside the program's.
const oneCpu = os.availableParallelism() < 2;
const oneCpuSkip = oneCpu ? ' (skipped: this process may run on one CPU only)' : '';
const EPERM = 1;

// A static i386 program (CPUID, then exit through int 0x80), assembled with binutils' 32-bit
// support: no 32-bit libc needed.
const i386 = path.join(os.tmpdir(), `hwcap-audit-i386-${process.pid}`);
const built32 = (() => {
  const as = which('as');
  const ld = which('ld');
  if (!as || !ld || !isX64) return false;
  const src = `${i386}.s`;
  fs.writeFileSync(src, '.globl _start\n_start: mov $7, %eax\nxor %ecx, %ecx\ncpuid\nmov $1, %eax\nxor %ebx, %ebx\nint $0x80\n');
  const ok = cp.spawnSync(as, ['--32', '-o', `${i386}.o`, src]).status === 0 && cp.spawnSync(ld, ['-m', 'elf_i386', '-o', i386, `${i386}.o`]).status === 0;
  fs.rmSync(src, { force: true });
  fs.rmSync(`${i386}.o`, { force: true });
  return ok && cp.spawnSync(i386).status === 0;
})();
const i386Skip = built32 ? '' : ' (skipped: no 32-bit program can be built or run here: binutils `as --32` / `ld -m elf_i386`, or a kernel without IA32 emulation)';
afterAll(() => fs.rmSync(i386, { force: true }));

/** The sanitized build (test:asan): libasan in the launcher installs its own SIGSEGV handler at start, over an inherited SIG_IGN, before the exec. */
const sanitized = fs.existsSync(launcherFor(process.env)) && /libasan/.test(cp.spawnSync('ldd', [launcherFor(process.env)], { encoding: 'utf8' }).stdout ?? '');
const sanitizedSkip = sanitized ? ' (skipped: the sanitized launcher, whose libasan sets its own SIGSEGV handler)' : '';

describe.each(ways)('$name', ({ env, sim, skip, why }) => {
  it.skipIf(skip || !!groupsSkip || sanitized)(`with 2,000 supplementary groups (a /proc status file past 4 KiB), an inherited SIG_IGN of SIGSEGV survives a trapped CPUID${why}${groupsSkip}${sanitizedSkip}`, () => {
    const groups = Array.from({ length: 2000 }, (_, i) => i + 1).join(',');
    const r = launch(['sh', '-c', `trap '' SEGV; exec "$0" "$@"`, auditProbe, ...sim, 'segv-disposition'], env, [setpriv!, '--groups', groups, '--']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(lastJson(r.stdout)).toEqual({ ebx7: maskedEbx7, before: 'ign', segv: 'ign' });
  });

  it.skipIf(skip)(`answers CPUID behind legal prefixes (66, 48, f3, f2, the segment overrides, 67, REX, 66 48, 13 of them: 15 bytes) and steps over the whole instruction${why}`, () => {
    const r = launch([auditProbe, ...sim, 'prefixes'], env);
    expect(r.stderr).toBe('');
    expect(r.signal).toBe(null);
    expect(r.status).toBe(0);
    const seen = lastJson<Record<string, string>>(r.stdout);
    expect(Object.keys(seen)).toHaveLength(17);
    for (const [form, ebx] of Object.entries(seen)) expect(`${form}: ${ebx}`).toBe(`${form}: ${maskedEbx7}`);
  });

  it.skipIf(skip || sanitized)(`leaves a 16-byte CPUID (14 prefixes) to the program: the CPU refuses it with #GP, and the SIGSEGV is delivered as without the mask${why}${sanitizedSkip}`, () => {
    const plain = cp.spawnSync(auditProbe, [...sim, 'overlong'], { encoding: 'utf8' });
    expect(plain.signal).toBe('SIGSEGV');
    const r = launch([auditProbe, ...sim, 'overlong'], env);
    expect(r.signal).toBe('SIGSEGV');
    expect(r.stdout).toBe('');
  });

  it.skipIf(skip)(`a daemon's grandchild (an orphan, PPid 1, by its first stop) is armed as its creator was: 20 double forks, every one masked${why}`, () => {
    const r = launch([auditProbe, ...sim, 'daemon', '20'], env);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(lastJson<{ ebx7: string[] }>(r.stdout).ebx7).toEqual(Array(20).fill(maskedEbx7));
  });

  it.skipIf(skip)(`a CLONE_PARENT child (its PPid the program's untraced parent) is armed as its creator was: 20 rounds, every one masked${why}`, () => {
    // Under sh, which outlives the siblings' exits and leaves them to init: the program's parent is sh.
    const r = launch([auditProbe, ...sim, 'clone-parent', '20'], env, ['sh', '-c', '"$@"; exit $?', 'sh']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(lastJson<{ ebx7: string[] }>(r.stdout).ebx7).toEqual(Array(20).fill(maskedEbx7));
  });

  it.skipIf(skip)(`a held new task, swept before its creator's event (test build: fork-event-after-child), is kept when its creator lives: a CLONE_PARENT sibling and a forked child, 5 rounds each, every one masked${why}`, () => {
    // The order a race gives now and then, made every time: the new task is held, and the sweep
    // that kills a held task whose every possible creator is gone runs while its creator is in fork.
    const faults = { ...env, HWCAP_EXEC_FAULT: [env.HWCAP_EXEC_FAULT, 'fork-event-after-child'].filter(Boolean).join(',') };
    const sibling = launch([auditProbe, ...sim, 'clone-parent', '5'], faults, ['sh', '-c', '"$@"; exit $?', 'sh']);
    expect(sibling.stderr).toBe('');
    expect(lastJson<{ ebx7: string[] }>(sibling.stdout).ebx7).toEqual(Array(5).fill(maskedEbx7));
    const child = launch([auditProbe, ...sim, 'daemon', '5'], faults);
    expect(child.stderr).toBe('');
    expect(lastJson<{ ebx7: string[] }>(child.stdout).ebx7).toEqual(Array(5).fill(maskedEbx7));
  });

  it.skipIf(skip)(`a thread execs while 8 others trap CPUID: the threads that vanish drop their traps, and the new image runs masked (20 runs, none killed)${why}`, () => {
    for (let i = 0; i < 20; i++) {
      // A run takes tens of milliseconds; one that has not ended in 10 s is a hang, named here.
      const r = launch([auditProbe, ...sim, 'threads-exec', cpuidProbe, ...sim], env, [], 10_000);
      expect(`run ${i}: ${r.signal ?? r.status} ${r.stderr}`).toBe(`run ${i}: 0 `);
      const v = lastJson<{ main: Record<string, [string, string, string, string]> }>(r.stdout);
      expect(v.main['7.0']![1]).toBe(maskedEbx7);
    }
  });

  it.skipIf(skip || oneCpu)(`every stopped thread is served in turn: the leader's clone events are not starved by 8 threads that trap CPUID in a loop (10 clones, under 2,000 of their traps, the test build's helper slowed to 1 ms a stop)${why}${oneCpuSkip}`, () => {
    // The helper waits 1 ms at each stop (test build: slow-stop-short), so a looping thread it
    // resumes always traps again before its next wait, whatever else the machine runs; the
    // program keeps its threads on one CPU and its helper on another. A helper that serves the
    // newest tracee first then never gets to the leader's clone event (the run times out); one
    // that serves every stopped thread once per turn lets each loop trap a few times per clone
    // (about 450 traps in all here, idle or with 3 other programs spinning).
    const faults = { ...env, HWCAP_EXEC_FAULT: [env.HWCAP_EXEC_FAULT, 'slow-stop-short'].filter(Boolean).join(',') };
    const r = launch([auditProbe, ...sim, 'clones-under-traps', '10'], faults, [], 10_000);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const v = lastJson<{ clones: number; traps: number; most: number; cpus: number }>(r.stdout);
    expect(v.cpus).toBe(2);
    expect(v.clones).toBe(10);
    expect(v.traps).toBeGreaterThan(0);
    expect(v.traps, `traps during 10 clones (most in one: ${v.most})`).toBeLessThan(2_000);
  });

  it.skipIf(skip || sanitized)(`the CPUID that proves the arming leaves SIGSEGV as execve left it: ignored, or blocked, before the program's first instruction${why}${sanitizedSkip}`, () => {
    const ign = launch(['sh', '-c', `trap '' SEGV; exec "$0" "$@"`, auditProbe, ...sim, 'segv-disposition'], env);
    expect(ign.stderr).toBe('');
    expect(lastJson(ign.stdout)).toEqual({ ebx7: maskedEbx7, before: 'ign', segv: 'ign' });
    const blocked = launch([auditProbe, 'block-segv', auditProbe, ...sim, 'segv-disposition'], env);
    expect(blocked.stderr).toBe('');
    expect(lastJson(blocked.stdout)).toEqual({ ebx7: maskedEbx7, before: 'dfl+blocked', segv: 'dfl+blocked' });
  });

  it.skipIf(skip || !built32)(`a 32-bit program fails closed with a message that says so, as the first image and as a later one${why}${i386Skip}`, () => {
    const first = launch([i386], env);
    expect(first.signal).toBe('SIGKILL');
    const rec = first.records.find((x) => x.stage === 'exec-stop');
    expect(rec).toMatchObject({ syscall: 'ptrace(PTRACE_GETREGSET)', code: 'ENOEXEC' });
    expect(String(rec?.message)).toMatch(/32-bit program.*64-bit programs only/);
    const later = launch(['sh', '-c', `"$0"; echo "sh: $?"`, i386], env);
    expect(later.stderr).toMatch(/32-bit program.*64-bit programs only/);
    expect(later.stdout).toBe('sh: 137\n');
  });

  it.skipIf(skip || !!nobodySkip)(`a program of the tree, its helper's user (nobody), cannot reach the helper: /proc/<TracerPid>/mem, PTRACE_SEIZE and process_vm_readv are refused${why}${nobodySkip}`, () => {
    const r = launch([auditProbe, 'reach-helper'], env, NOBODY);
    expect(r.stderr).toBe('');
    const v = lastJson<{ tracer: number; mem: number; seize: number; vm: number }>(r.stdout);
    expect(v.tracer).toBeGreaterThan(0);
    expect(v).toMatchObject({ mem: EACCES, seize: EPERM, vm: EPERM });
  });
});

it.skipIf(!cpuidFaulting || !fs.existsSync(auditProbe))(`a program whose own seccomp filter answers arch_prctl(ARCH_SET_CPUID) with 0 is not taken for armed: the CPUID that must trap after the arming does not, and the image is killed before it runs (stage cpuid-arm)${faultingSkip}`, () => {
  // The probe is the first image (armed as always); the filter fakes the arming of the image it execs.
  const r = launch([auditProbe, 'seccomp-fake-arm', cpuidProbe], {});
  expect(r.stdout).toBe('');
  expect(r.signal).toBe('SIGKILL');
  expect(r.stderr).toMatch(/cpuid-arm: cpuid: EOPNOTSUPP; killed it/);
});

it.skipIf(simSkip)(`simulated: where the CPUID after the arming does not trap (test build: cpuid-simulate,arm-not-trapping runs a real CPUID, which nothing armed traps), the image is killed before it runs${simSkip ? ' (skipped: x86-64 with ptrace only)' : ''}`, () => {
  const r = launch([cpuidProbe, '--simulate'], { HWCAP_EXEC_FAULT: 'cpuid-simulate,arm-not-trapping' });
  expect(r.stdout).toBe('');
  expect(r.signal).toBe('SIGKILL');
  expect(r.records.find((x) => x.stage === 'cpuid-arm')).toMatchObject({ syscall: 'cpuid', code: 'EOPNOTSUPP' });
  expect(r.records.some((x) => x.stage === 'masked')).toBe(false);
});

it.skipIf(!canPtrace || !built32)(`spawn of a 32-bit program in ptrace mode: a HwcapError (stage exec-stop, ENOEXEC) whose hint names the cause${i386Skip}`, () => {
  const r = spawnSync(i386, [], { hwcaps: keep, mode: 'ptrace', ...AUXV_ONLY });
  const err = r.error as HwcapError;
  expect(err).toMatchObject({ stage: 'exec-stop', code: 'ENOEXEC' });
  expect(err.hint).toMatch(/32-bit \(i386\) program.*64-bit programs only/);
  expect(String(err.detail)).toMatch(/a 32-bit program/);
});

describe('HWCAP_TEST_LAUNCHER outside the test runner', () => {
  // The environment a user's shell would give: the test build asked for, no VITEST marker.
  const outside = (): NodeJS.ProcessEnv => {
    const env: NodeJS.ProcessEnv = { ...process.env, HWCAP_TEST_LAUNCHER: '1', HWCAP_EXEC_FAULT: 'cpuid-simulate' };
    delete env.VITEST;
    return env;
  };
  const cli = path.join(repoRoot, 'dist', 'cli.js');
  const distLib = path.join(repoRoot, 'dist', 'index.js');

  it.skipIf(!isX64)('hwcap exec refuses it (EPERM, naming the variable) and runs nothing, rather than simulate CPUID traps and mask nothing', () => {
    const marker = path.join(os.tmpdir(), `hwcap-test-launcher-ran-${process.pid}`);
    fs.rmSync(marker, { force: true });
    const r = cp.spawnSync(process.execPath, [cli, 'exec', '--drop', 'avx2', '--', 'sh', '-c', `touch ${marker}`], { encoding: 'utf8', env: outside() });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/HWCAP_TEST_LAUNCHER=1 is refused outside the test runner/);
    expect(fs.existsSync(marker)).toBe(false);
  });

  it.skipIf(!isX64)('spawnSync throws a HwcapError (EPERM, syscall HWCAP_TEST_LAUNCHER) before anything runs', () => {
    const code = `const h = require(${JSON.stringify(distLib)});
      let out;
      try {
        const r = h.spawnSync('true', [], { hwcaps: { hwcap: 0n }, auxvOnly: true, mode: 'ptrace' });
        out = { ran: r.status };
      } catch (e) {
        out = { name: e.name, code: e.code, syscall: e.syscall };
      }
      console.log(JSON.stringify(out));`;
    const r = cp.spawnSync(process.execPath, ['-e', code], { encoding: 'utf8', env: outside() });
    expect(JSON.parse(r.stdout.trim())).toEqual({ name: 'HwcapError', code: 'EPERM', syscall: 'HWCAP_TEST_LAUNCHER' });
  });
});

describe.skipIf(!canPtrace || !!nobodySkip)(`the helper, not dumpable, out of its tree's reach${nobodySkip}`, () => {
  it('an auxv-only helper too: a program of the tree (nobody) cannot open its mem, seize it or read its memory', () => {
    const r = cp.spawnSync(NOBODY[0]!, [...NOBODY.slice(1), launcher, '--mode', 'ptrace', '--hwcap', 'fffffffffffffffe', '--', auditProbe, 'reach-helper'], { encoding: 'utf8' });
    expect(lastJson(r.stdout)).toMatchObject({ mem: EACCES, seize: EPERM, vm: EPERM });
  });

  it("its user (nobody, outside the tree) still releases the tree and adopts it back: through the helper's socket, whose owner must be the helper", () => {
    const tree = cp.spawn(NOBODY[0]!, [...NOBODY.slice(1), launcher, '--mode', 'ptrace', '--hwcap', 'fffffffffffffffe', '--', 'sleep', '30'], { stdio: 'ignore' });
    try {
      const tracer = (): number => Number(/TracerPid:\s*(\d+)/.exec(fs.readFileSync(`/proc/${tree.pid}/status`, 'latin1'))?.[1]);
      for (let i = 0; i < 500 && !(tracer() > 0 && fs.readFileSync(`/proc/${tree.pid}/comm`, 'latin1').startsWith('sleep')); i++) cp.spawnSync('sleep', ['0.01']);
      const helper = tracer();
      expect(helper).toBeGreaterThan(0);
      const rel = cp.spawnSync(NOBODY[0]!, [...NOBODY.slice(1), launcher, '--release', String(tree.pid)], { encoding: 'utf8' });
      expect(JSON.parse(rel.stdout)).toMatchObject({ released: tree.pid, helper, stopped: true });
      const back = cp.spawnSync(NOBODY[0]!, [...NOBODY.slice(1), launcher, '--adopt', String(tree.pid)], { encoding: 'utf8' });
      expect(JSON.parse(back.stdout)).toMatchObject({ adopted: tree.pid, tasks: 1 });
    } finally {
      tree.kill('SIGKILL');
    }
  });
});

