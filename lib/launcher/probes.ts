// The probes that run the launcher: can a child be masked in ptrace mode, and does this kernel
// pass a masked auxv on across execve (what mode 'auto' decides on). Each runs hwcap-exec on
// hwcap-probe once and is cached for the life of the process.
import * as cp from 'node:child_process';
import { hwcapWords, type CpuidFaultProbe, type InheritanceProbe, type PtraceProbe } from '../host';
import type { HwcapWords } from '../core/words';
import type { HwcapError } from '../errors';
import { launcherPath, probePath } from './paths';
import { launcherArgv } from './argv';
import { execError, outcomeOf, parseStatus, setupError } from './status';

let inheritanceCache: InheritanceProbe | undefined;

interface ProbeView {
  process: Record<keyof HwcapWords, string>;
}

/**
 * Masks one set bit in kernel mode (PR_SET_MM_MAP on the launcher, no check),
 * execs hwcap-probe and reads the bit back from the probe's startup stack. Cached.
 */
export function probeInheritance(): InheritanceProbe {
  if (inheritanceCache) return inheritanceCache;
  inheritanceCache = runInheritanceProbe();
  return inheritanceCache;
}

function hex(v: bigint): string {
  return `0x${v.toString(16)}`;
}

function runInheritanceProbe(): InheritanceProbe {
  let words: HwcapWords;
  let launcher: string;
  let probe: string;
  try {
    words = hwcapWords('kernel');
    launcher = launcherPath();
    probe = probePath();
  } catch (err) {
    return { inherits: 'unknown', reason: (err as Error).message };
  }
  const key = (['hwcap2', 'hwcap', 'hwcap3', 'hwcap4'] as const).find((k) => words[k] !== 0n);
  if (!key) return { inherits: 'unknown', reason: 'no AT_HWCAP* bit is set here to mask' };
  const bit = words[key] & -words[key];
  const argv = launcherArgv({ mode: 'kernel', follow: true, noVerify: true, keep: { [key]: words[key] & ~bit }, noNewPrivs: false, allowSecurityMasking: false }, probe, []);
  const res = cp.spawnSync(launcher, argv, { encoding: 'utf8', timeout: 10_000, stdio: ['ignore', 'pipe', 'pipe'] });
  if (res.error) return { inherits: 'unknown', reason: `running ${launcher}: ${res.error.message}` };
  if (res.status !== 0) return { inherits: 'unknown', reason: `the kernel-mode launcher failed: ${res.stderr.trim() || `exit ${res.status ?? res.signal}`}` };
  let view: ProbeView;
  try {
    view = JSON.parse(res.stdout) as ProbeView;
  } catch {
    return { inherits: 'unknown', reason: `hwcap-probe printed no JSON: ${res.stdout.slice(0, 80)}` };
  }
  const seen = BigInt(view.process[key]);
  const name = `AT_${key.toUpperCase()}`;
  if ((seen & bit) === 0n) return { inherits: true, reason: `bit ${hex(bit)} of ${name}, masked before execve, was gone in the child` };
  return { inherits: false, reason: `bit ${hex(bit)} of ${name}, masked before execve, was set again in the child: this kernel does not inherit the auxv` };
}

let ptraceCache: PtraceProbe | undefined;

/** Can this process mask a child with ptrace mode? Runs hwcap-probe through the launcher once. Cached. */
export function probePtrace(): PtraceProbe {
  if (ptraceCache) return ptraceCache;
  ptraceCache = runPtraceProbe();
  return ptraceCache;
}

function runPtraceProbe(): PtraceProbe {
  let probe: string;
  let launcher: string;
  try {
    probe = probePath();
    launcher = launcherPath();
  } catch (err) {
    const e = err as HwcapError;
    return { ok: false, code: e.code ?? 'ENOENT', reason: e.message, hint: e.hint };
  }
  // The status lines come on fd 3, a pipe the launcher sees as its fourth stdio entry.
  const argv = launcherArgv({ mode: 'ptrace', follow: false, keep: hwcapWords('kernel'), statusFd: 3, noNewPrivs: false, allowSecurityMasking: false }, probe, []);
  const res = cp.spawnSync(launcher, argv, { encoding: 'utf8', timeout: 10_000, stdio: ['ignore', 'pipe', 'pipe', 'pipe'] });
  if (res.error) {
    const e = res.error as NodeJS.ErrnoException;
    return { ok: false, code: e.code ?? 'EUNKNOWN', syscall: e.syscall, reason: e.message };
  }
  const outcome = outcomeOf(parseStatus(String(res.output?.[3] ?? '')));
  if (!outcome.ok) {
    const e = outcome.execFailed ? execError(outcome.errno, 'spawnSync', probe, []) : setupError(outcome, probe);
    const hint = (e as HwcapError).hint;
    return hint === undefined ? { ok: false, code: e.code ?? 'EUNKNOWN', syscall: e.syscall, reason: e.message } : { ok: false, code: e.code ?? 'EUNKNOWN', syscall: e.syscall, reason: e.message, hint };
  }
  if (res.status !== 0) {
    return { ok: false, code: 'EUNKNOWN', reason: `hwcap-probe under ptrace mode ended with ${res.status ?? res.signal}: ${String(res.stderr).trim()}` };
  }
  return { ok: true, reason: 'hwcap-probe ran masked under ptrace mode' };
}

let cpuidFaultCache: CpuidFaultProbe | undefined;

export const CPUID_FAULT_REASONS: Record<string, string> = {
  ENODEV: 'the CPU or hypervisor has no CPUID faulting (Intel from Ivy Bridge, AMD with CpuidUserDis from Linux 6.17, KVM guests of those): CPUID cannot be masked here, only the AT_HWCAP words',
  // The launcher names errno 95 as Linux's errno table does: EOPNOTSUPP (ENOTSUP is the same number).
  EOPNOTSUPP: 'CPUID faulting is advertised but CPUID did not trap (a hypervisor that does not honour it): CPUID cannot be masked here',
};

/**
 * Can CPUID be masked here? hwcap-exec --probe-cpuid-fault arms CPUID faulting on
 * itself, executes CPUID under a handler and disarms. Cached. x86-64 only.
 */
export function probeCpuidFault(): CpuidFaultProbe {
  if (cpuidFaultCache) return cpuidFaultCache;
  cpuidFaultCache = runCpuidFaultProbe();
  return cpuidFaultCache;
}

function runCpuidFaultProbe(): CpuidFaultProbe {
  if (process.arch !== 'x64') return { ok: false, code: 'ENOTSUP', reason: 'CPUID is an x86-64 instruction; this is ' + process.arch };
  let launcher: string;
  try {
    launcher = launcherPath();
  } catch (err) {
    const e = err as HwcapError;
    return { ok: false, code: e.code ?? 'ENOENT', reason: e.message };
  }
  const res = cp.spawnSync(launcher, ['--probe-cpuid-fault'], { encoding: 'utf8', timeout: 10_000, stdio: ['ignore', 'pipe', 'pipe'] });
  if (res.error) return { ok: false, code: (res.error as NodeJS.ErrnoException).code ?? 'EUNKNOWN', reason: res.error.message };
  let r: { ok?: unknown; syscall?: unknown; code?: unknown };
  try {
    r = JSON.parse(res.stdout) as typeof r;
  } catch {
    return { ok: false, code: 'EPROTO', reason: `hwcap-exec --probe-cpuid-fault printed no JSON: ${res.stdout.slice(0, 80)}` };
  }
  if (r.ok === true) return { ok: true, reason: 'CPUID faulted and trapped (arch_prctl(ARCH_SET_CPUID))' };
  const code = typeof r.code === 'string' ? r.code : 'EUNKNOWN';
  const syscall = typeof r.syscall === 'string' ? r.syscall : undefined;
  const reason = `${syscall ?? 'arch_prctl(ARCH_SET_CPUID)'}: ${code}`;
  const hint = CPUID_FAULT_REASONS[code];
  return hint === undefined ? { ok: false, code, syscall, reason } : { ok: false, code, syscall, reason, hint };
}
