// The helper's injected system call at a trapped CPUID (rt_sigaction, to put back an ignored or
// blocked SIGSEGV's disposition) where the vDSO's syscall instruction is gone: unmapped, replaced
// by other bytes, made non-executable, or out of reach of a CPUID run in compat mode. The call runs
// at another `syscall` of the program's executable mappings (libc's), or, where none is left, at
// the trap's own instruction in a process of one thread; with other threads and no instruction
// anywhere, the helper kills the process and says why. It never resumes a faulting site: before,
// each of these spun for ever, and SIGTERM to `hwcap exec` could not end the tree.
//
// The program is native/probe/trap-probe.c. Real CPUID faulting where the launcher's probe says it
// works; simulated traps (rdmsr, HWCAP_EXEC_FAULT=cpuid-simulate) everywhere else.
import { describe, expect, it } from 'vitest';
import * as cp from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { canPtrace } from '../support/mask-fixture';
import { cpuidArgs, cpuidFaulting, expectMaskedLeaves, faultingSkip, isX64, launcherFor, stats, testLauncher, type Leaves, type Run } from '../support/cpuid-fixture';
import { cliPath } from '../support/cli-harness';
import { repoRoot } from '../support/helpers';

const trapProbe = path.join(repoRoot, 'build', 'Release', 'hwcap-trap-probe');
const x64 = isX64 && fs.existsSync(trapProbe);
const x64Skip = x64 ? '' : ' (skipped: x86-64 only)';

interface View {
  main: Leaves;
  ignored: boolean | null;
  blocked: boolean | null;
}

const ways = [
  { name: 'simulated traps (rdmsr, HWCAP_EXEC_FAULT=cpuid-simulate)', fault: 'cpuid-simulate', probeArgs: ['--simulate'], skip: !x64 || !canPtrace, why: !x64 ? x64Skip : canPtrace ? '' : ' (skipped: no ptrace)' },
  { name: 'real CPUID faulting', fault: '', probeArgs: [] as string[], skip: !x64 || !cpuidFaulting, why: x64 ? faultingSkip : x64Skip },
];

const variants: [string, string[]][] = [
  ['the vDSO unmapped, SIGSEGV ignored', ['--unmap-vdso', '--ignore-segv']],
  ['the vDSO replaced (int3 bytes, and jmp-to-self where its syscall was), SIGSEGV ignored', ['--replace-vdso', '--ignore-segv']],
  ['the vDSO made non-executable (its bytes kept), SIGSEGV ignored', ['--noexec-vdso', '--ignore-segv']],
  ['the vDSO unmapped, SIGSEGV blocked with a handler', ['--unmap-vdso', '--block-segv']],
  ['CPUID in compat mode, SIGSEGV ignored', ['--compat', '--ignore-segv']],
  ['CPUID in compat mode, the vDSO unmapped, a second thread, SIGSEGV ignored', ['--compat', '--unmap-vdso', '--thread', '--ignore-segv']],
  ['the vDSO non-executable, a second thread, SIGSEGV blocked with a handler', ['--noexec-vdso', '--thread', '--block-segv']],
];

/**
 * The fixture's run, asynchronous: a run that outlasts its time has the program and its helper
 * killed with SIGKILL and fails. (A spawnSync timeout sends SIGTERM, which a program the helper
 * spins in never takes, and then waits for the helper, which holds the status pipes: the test
 * would hang, not fail.)
 */
async function run(args: string[], env: NodeJS.ProcessEnv, timeout: number): Promise<Run & { timedOut: boolean }> {
  const c = cp.spawn(launcherFor(env), ['--status-fd', '3', '--stats-fd', '4', ...args], { stdio: ['ignore', 'pipe', 'pipe', 'pipe', 'pipe'], env });
  const text = ['', '', '', '', ''];
  for (const fd of [1, 2, 3, 4]) c.stdio[fd]!.on('data', (d: Buffer) => (text[fd] += d.toString()));
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    const helper = tracerOf(c.pid!);
    if (helper > 0) process.kill(helper, 'SIGKILL'); // never 0: that would be this process group
    c.kill('SIGKILL');
  }, timeout);
  const [status, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((r) => c.on('close', (code, sig) => r([code, sig])));
  clearTimeout(timer);
  const records = (text[3]! + text[4]!).split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
  return { status, signal, stdout: text[1]!, stderr: text[2]!, records, timedOut };
}

/** Whether the process still runs (a zombie runs nothing). */
function alive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}
function tracerOf(pid: number): number {
  try {
    return Number(/\nTracerPid:\s*(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  } catch {
    return 0;
  }
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(f: () => boolean, ms = 10_000): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; await sleep(20)) if (f()) return true;
  return f();
}

describe.each(ways)('$name', ({ fault, probeArgs, skip, why }) => {
  const env = { ...process.env, ...(fault ? { HWCAP_EXEC_FAULT: fault } : {}) };
  const withFault = (more: string) => ({ ...process.env, HWCAP_EXEC_FAULT: [fault, more].filter(Boolean).join(',') });

  it.skipIf(skip).each(variants)(`%s: answered (masked), the disposition kept, within seconds${why}`, async (_name, args) => {
    const r = await run([...cpuidArgs, '--', trapProbe, ...probeArgs, ...args], env, 20_000);
    expect(r.timedOut).toBe(false);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const v = JSON.parse(r.stdout) as View;
    expectMaskedLeaves(v.main, expect);
    if (args.includes('--ignore-segv')) expect(v.ignored).toBe(true);
    if (args.includes('--block-segv')) expect(v.blocked).toBe(true);
    expect(stats(r).restores).toBeGreaterThanOrEqual(3);
  });

  // The test build's no-vdso-site: the helper finds no syscall instruction at all.
  it.skipIf(skip || !fs.existsSync(testLauncher))(`no syscall instruction anywhere, one thread: the call runs at the trap's own instruction, patched and put back${why}`, async () => {
    const r = await run([...cpuidArgs, '--', trapProbe, ...probeArgs, '--unmap-vdso', '--ignore-segv'], withFault('no-vdso-site'), 20_000);
    expect(r.status).toBe(0);
    const v = JSON.parse(r.stdout) as View;
    expectMaskedLeaves(v.main, expect);
    expect(v.ignored).toBe(true);
  });

  it.skipIf(skip || !fs.existsSync(testLauncher))(`no syscall instruction anywhere, two threads: killed at once, saying which step failed and why${why}`, async () => {
    const r = await run([...cpuidArgs, '--', trapProbe, ...probeArgs, '--unmap-vdso', '--thread', '--ignore-segv'], withFault('no-vdso-site'), 20_000);
    expect(r.signal).toBe('SIGKILL');
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^hwcap-exec: pid \d+: answering CPUID: rt_sigaction\(SIGSEGV\) to put back its disposition: no syscall instruction .* other threads run the code at the trap: EFAULT; killed it\n$/);
  });

  it.skipIf(skip || !fs.existsSync(testLauncher))(`SIGTERM to the launcher after such traps ends the program and its helper${why}`, async () => {
    const c = cp.spawn(fault ? testLauncher : testLauncher.replace(/-test$/, ''), [...cpuidArgs, '--', trapProbe, ...probeArgs, '--unmap-vdso', '--ignore-segv', '--thread', '--pause'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    c.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<[number | null, string | null]>((r) => c.on('exit', (code, sig) => r([code, sig])));
    try {
      expect(await until(() => out.includes('\n'))).toBe(true);
      const helper = tracerOf(c.pid!);
      expect(helper).toBeGreaterThan(0);
      c.kill('SIGTERM');
      expect(await exited).toEqual([null, 'SIGTERM']);
      expect(await until(() => !alive(helper))).toBe(true);
    } finally {
      c.kill('SIGKILL');
    }
  });
});

describe(`hwcap exec, SIGTERM: the whole tree ends (real CPUID faulting)${x64 ? faultingSkip : x64Skip}`, () => {
  it.skipIf(!x64 || !cpuidFaulting)('after traps that need the fallback syscall site, SIGTERM to hwcap exec leaves no process of the tree', async () => {
    const c = cp.spawn(process.execPath, [cliPath, 'exec', '--drop', 'avx2', '--', trapProbe, '--unmap-vdso', '--ignore-segv', '--compat', '--thread', '--pause'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    c.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<[number | null, string | null]>((r) => c.on('exit', (code, sig) => r([code, sig])));
    try {
      expect(await until(() => out.includes('\n'), 20_000)).toBe(true);
      const kids = fs.readFileSync(`/proc/${c.pid}/task/${c.pid}/children`, 'utf8').trim().split(/\s+/).map(Number);
      const program = kids.find((k) => fs.readFileSync(`/proc/${k}/cmdline`, 'utf8').includes('hwcap-trap-probe'))!;
      const helper = tracerOf(program);
      expect(helper).toBeGreaterThan(0);
      c.kill('SIGTERM');
      expect(await exited).toEqual([128 + 15, null]);
      expect(await until(() => !alive(program) && !alive(helper))).toBe(true);
    } finally {
      c.kill('SIGKILL');
    }
  });
});
