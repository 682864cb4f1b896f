// What this machine lets hwcap do: read and write the kernel's copy of the
// auxv, mask a child by ptrace, have the kernel pass a masked auxv on across
// exec, and whether runtimes are told that user HWCAPs are the source of
// truth. Each answer comes from a real system call or a real child, never
// from a version number.
import * as os from 'node:os';
import { probeAuxvAccess, userHwcapEnabled } from './auxv';
import type { AuxvAccess, UserHwcapOptions, UserHwcapState } from './auxv';
import { native } from './native';
import { probeInheritance, probePtrace } from '../spawn';
import type { InheritanceProbe, PtraceProbe } from '../spawn';

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
  /** The mode spawn's 'auto' picks here, or null when neither works. */
  autoMode: 'kernel' | 'ptrace' | null;
  /** The proposed PR_USER_HWCAP_ENABLED state. */
  userHwcap: UserHwcapState;
}

export interface ProbeOptions extends UserHwcapOptions {}

/**
 * Probes what this process may do with the auxv. The writes put back the
 * vector the kernel already holds, so the saved copy does not change; the
 * ptrace and inheritance probes run the hwcap-probe child (cached).
 */
export function probe(options: ProbeOptions = {}): ProbeResult {
  const auxv = probeAuxvAccess();
  const ptrace = probePtrace();
  const inheritance = probeInheritance();
  return {
    arch: native.arch,
    kernel: os.release(),
    auxv,
    ptrace,
    inheritance,
    autoMode: inheritance.inherits === true ? 'kernel' : ptrace.ok ? 'ptrace' : null,
    userHwcap: userHwcapEnabled(options),
  };
}
