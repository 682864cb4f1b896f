// What this machine lets hwcap do: read and write the kernel's copy of the
// auxv, mask a child by ptrace, have the kernel pass a masked auxv on across
// exec, and whether runtimes are told that user HWCAPs are the source of
// truth. Each answer comes from a real system call or a real child, never
// from a version number.
//
// The two answers that need a child (ptrace, inheritance) come from the
// launcher layer (lib/launcher/probes.ts), which runs hwcap-exec: the host layer
// never imports it, so they are handed in (`probeFrom`), and lib/launcher/machine.ts
// gives the public `probe()`.
import * as os from 'node:os';
import { probeAuxvAccess, userHwcapEnabled } from './auxv';
import type { AuxvAccess, UserHwcapOptions, UserHwcapState } from './auxv';
import { native } from './native';
import { invalidArgType, invalidArgValue } from '../errors';

/** How a masked spawn masks: 'kernel' masks the launcher's own auxv and execs; 'ptrace' patches the image at exec. */
export type SpawnMode = 'auto' | 'kernel' | 'ptrace';

export interface InheritanceProbe {
  /** Does a masked auxv survive execve here? 'unknown' when the probe could not say. */
  inherits: boolean | 'unknown';
  reason: string;
}

export type PtraceProbe = { ok: true; reason: string } | { ok: false; code: string; syscall?: string; reason: string; hint?: string };

/** Can CPUID be masked here (x86-64): does CPUID fault and trap? Tried by hwcap-exec --probe-cpuid-fault. */
export type CpuidFaultProbe = { ok: true; reason: string } | { ok: false; code: string; syscall?: string; reason: string; hint?: string };

/** What resolveMode needs to decide 'auto'; each is asked only for 'auto', and may be a function called then. */
export interface ModeFacts {
  inheritance: InheritanceProbe | (() => InheritanceProbe);
  /** Leave it out when ptrace mode is to be tried anyway (a spawn fails closed with the launcher's own error). */
  ptrace?: PtraceProbe | (() => PtraceProbe);
}

function fact<T>(v: T | (() => T)): T {
  return typeof v === 'function' ? (v as () => T)() : v;
}

/** A mode as given (undefined is 'auto'), or a typed error naming `argName`. */
export function checkMode(mode: unknown, argName = 'mode'): SpawnMode {
  const m = mode ?? 'auto';
  if (m !== 'auto' && m !== 'kernel' && m !== 'ptrace') {
    if (typeof m !== 'string') throw invalidArgType(argName, "one of 'auto', 'kernel', 'ptrace'", m);
    throw invalidArgValue(argName, "must be 'auto', 'kernel' or 'ptrace'", m);
  }
  return m;
}

/**
 * The one rule for the mode: 'kernel' and 'ptrace' are themselves; 'auto'
 * (the default) is 'kernel' where the kernel is known to pass a masked auxv
 * across execve, else 'ptrace' — or null when `facts.ptrace` says ptrace mode
 * does not work either (neither mode masks here: fail closed).
 * `argName` names the caller's argument in the typed error for a bad mode.
 */
export function resolveMode(mode: SpawnMode | undefined, facts: ModeFacts, argName = 'mode'): 'kernel' | 'ptrace' | null {
  const m = checkMode(mode, argName);
  if (m !== 'auto') return m;
  if (typeof facts !== 'object' || facts === null) throw invalidArgType('facts', 'an object { inheritance, ptrace? }', facts);
  if (fact(facts.inheritance).inherits === true) return 'kernel';
  if (facts.ptrace === undefined || fact(facts.ptrace).ok) return 'ptrace';
  return null;
}

export interface ProbeResult {
  /** The architecture the addon was built for, as `uname -m` names it. */
  arch: string;
  /** The running kernel's release (`uname -r`). */
  kernel: string;
  /** PR_GET_AUXV, PR_SET_MM_AUXV and PR_SET_MM_MAP, tried on this process. */
  auxv: AuxvAccess;
  /** Whether a child can be masked in ptrace mode (tried on hwcap-probe). */
  ptrace: PtraceProbe;
  /** Whether this kernel passes a masked auxv on across execve (tried on hwcap-probe). */
  inheritance: InheritanceProbe;
  /** Whether CPUID can be masked (x86-64 CPUID faulting, armed and trapped for real by the launcher). */
  cpuidFault: CpuidFaultProbe;
  /** The mode spawn's 'auto' picks here (resolveMode), or null when neither works. */
  autoMode: 'kernel' | 'ptrace' | null;
  /** The proposed PR_USER_HWCAP_ENABLED state. */
  userHwcap: UserHwcapState;
}

export type ProbeOptions = UserHwcapOptions;

/** The probes that run a child, handed in by the launcher layer. */
export interface ChildProbes {
  ptrace: () => PtraceProbe;
  inheritance: () => InheritanceProbe;
  cpuidFault: () => CpuidFaultProbe;
}

/**
 * Probes what this process may do with the auxv. The writes put back the
 * vector the kernel already holds, so the saved copy does not change.
 */
export function probeFrom(options: ProbeOptions, children: ChildProbes): ProbeResult {
  const auxv = probeAuxvAccess();
  const ptrace = children.ptrace();
  const inheritance = children.inheritance();
  return {
    arch: native.arch,
    kernel: os.release(),
    auxv,
    ptrace,
    inheritance,
    cpuidFault: children.cpuidFault(),
    autoMode: resolveMode('auto', { inheritance, ptrace }),
    userHwcap: userHwcapEnabled(options),
  };
}
