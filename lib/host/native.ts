// The one declared surface of the native addon (native/addon/addon.cc). Every
// export is typed here; nothing else in lib/ loads the addon.
import * as path from 'node:path';
import * as fs from 'node:fs';
import { AddonLoadError, HwcapError } from '../errors';

export interface NativeAddon {
  /** getauxval(3); undefined when libc reports ENOENT. */
  getauxval(type: number): bigint | undefined;
  /**
   * prctl(PR_GET_AUXV): the saved copy up to and including AT_NULL, the kernel's capacity in
   * bytes, and `raw`, the whole saved copy to that capacity (past AT_NULL).
   */
  getAuxvKernel(): { words: BigUint64Array; capacity: number; raw: BigUint64Array };
  /** The auxv on the startup stack, up to and including AT_NULL. */
  readStartupAuxv(): BigUint64Array;
  /** prctl(PR_SET_MM, PR_SET_MM_AUXV, words, words.byteLength). */
  setMmAuxv(words: BigUint64Array): void;
  /** prctl(PR_SET_MM, PR_SET_MM_MAP) with the current mm fields and these auxv words. */
  setMmMap(words: BigUint64Array): void;
  /** prctl(PR_SET_MM, PR_SET_MM_MAP_SIZE). */
  mmMapSize(): number;
  /** prctl(option, 0, 0, 0, 0) for a PR_USER_HWCAP_ENABLED number. */
  prctlQuery(option: number): number;
  /** CPUID(leaf, subleaf) on the calling thread (native/addon/cpuid.cc); throws ERR_HWCAP_UNSUPPORTED_ARCH off x86-64. */
  cpuid(leaf: number, subleaf?: number): { eax: number; ebx: number; ecx: number; edx: number };
  /** XGETBV(index), index 0 (XCR0) or 1 (XINUSE); undefined when the OS has not enabled XSAVE (or XINUSE is absent). */
  xgetbv(index?: number): bigint | undefined;
  setErrorFactory(factory: (errno: number, syscall: string, option?: string) => Error): void;
  /** Defined only when the build's headers define it. */
  readonly PR_USER_HWCAP_ENABLED?: number;
  /** The architecture the addon was compiled for, as `uname -m` names it. */
  readonly arch: string;
}

/** The directory holding the loaded addon (build/Release or build/Debug). */
export let addonDir = '';

function load(): NativeAddon {
  try {
    // `bindings` searches the usual build locations and, on failure, lists every
    // path it tried in its error. The launcher executables sit beside the addon.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const bindings = require('bindings') as (opts: { bindings: string; path?: boolean }) => unknown;
    const file = bindings({ bindings: 'hwcap', path: true }) as unknown as string;
    addonDir = path.dirname(fs.realpathSync(file));
    // The search is done: load the file it found rather than search again.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require(file) as NativeAddon;
  } catch (err) {
    throw new AddonLoadError(err);
  }
}

export const native: NativeAddon = load();
native.setErrorFactory((errno, syscall, option) => new HwcapError({ errno, syscall, option }));
