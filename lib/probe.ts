// What this machine lets hwcap do: read and write the kernel's copy of the
// auxv, and whether runtimes are told that user HWCAPs are the source of truth.
// Each answer comes from a real system call, never from a version number.
import * as os from 'node:os';
import { probeAuxvAccess, userHwcapEnabled } from './auxv';
import type { AuxvAccess, UserHwcapOptions, UserHwcapState } from './auxv';
import { native } from './native';

export interface ProbeResult {
  /** The architecture the addon was built for, as `uname -m` names it. */
  arch: string;
  /** The running kernel's release (`uname -r`). */
  kernel: string;
  /** PR_GET_AUXV, PR_SET_MM_AUXV and PR_SET_MM_MAP, tried on this process. */
  auxv: AuxvAccess;
  /** The proposed PR_USER_HWCAP_ENABLED state. */
  userHwcap: UserHwcapState;
}

export interface ProbeOptions extends UserHwcapOptions {}

/**
 * Probes what this process may do with the auxv. The writes put back the
 * vector the kernel already holds, so the saved copy does not change.
 */
export function probe(options: ProbeOptions = {}): ProbeResult {
  return {
    arch: native.arch,
    kernel: os.release(),
    auxv: probeAuxvAccess(),
    userHwcap: userHwcapEnabled(options),
  };
}
