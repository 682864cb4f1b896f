// LoongArch HWCAP feature table.
//
// Source: arch/loongarch/include/uapi/asm/hwcap.h (torvalds/linux mainline; HWCAP_LOONGARCH_LSPW,
// bit 14, is the newest, Linux 6.12). Names are the ones arch/loongarch/kernel/proc.c prints on
// the /proc/cpuinfo "Features" line: the lower-cased HWCAP_LOONGARCH_* suffix.
// (The kernel also prints "lam_bh" and "scq" there from its cpu_has_* checks, but those have
// no HWCAP bit in the uapi header, so they cannot appear in the auxv.)
//
// No row is marked `security`.
import type { Feature } from '../row';

export const FEATURES: readonly Feature[] = [
  { name: 'cpucfg', word: 'AT_HWCAP', bit: 0 },
  { name: 'lam', word: 'AT_HWCAP', bit: 1 },
  { name: 'ual', word: 'AT_HWCAP', bit: 2 },
  { name: 'fpu', word: 'AT_HWCAP', bit: 3 },
  { name: 'lsx', word: 'AT_HWCAP', bit: 4 },
  { name: 'lasx', word: 'AT_HWCAP', bit: 5 },
  { name: 'crc32', word: 'AT_HWCAP', bit: 6 },
  { name: 'complex', word: 'AT_HWCAP', bit: 7 },
  { name: 'crypto', word: 'AT_HWCAP', bit: 8 },
  { name: 'lvz', word: 'AT_HWCAP', bit: 9 },
  { name: 'lbt_x86', word: 'AT_HWCAP', bit: 10 },
  { name: 'lbt_arm', word: 'AT_HWCAP', bit: 11 },
  { name: 'lbt_mips', word: 'AT_HWCAP', bit: 12 },
  { name: 'ptw', word: 'AT_HWCAP', bit: 13 },
  { name: 'lspw', word: 'AT_HWCAP', bit: 14 },
];
