// LoongArch HWCAP feature table.
//
// Source: arch/loongarch/include/uapi/asm/hwcap.h (torvalds/linux mainline; HWCAP_LOONGARCH_LSPW,
// bit 14, is the newest, Linux 6.12). Names are the ones arch/loongarch/kernel/proc.c prints on
// the /proc/cpuinfo "Features" line: the lower-cased HWCAP_LOONGARCH_* suffix.
// (The kernel also prints "lam_bh" and "scq" there from its cpu_has_* checks, but those have
// no HWCAP bit in the uapi header, so they cannot appear in the auxv.)
//
// Unchecked: no oracle that names these bits runs here. Debian 12's qemu-user has
// qemu-loongarch64 (la464), but Debian 12 has no loong64 port: no loongarch64 glibc (not even as
// a -cross package, so no LD_SHOW_AUXV=1, which prints the word in hex there anyway), no GNU cross
// toolchain and no kernel to boot for /proc/cpuinfo's "Features" line; qemu-user 7.2 passes the
// host's /proc/cpuinfo through. (Debian 12's clang-16 could build a freestanding probe, but it
// would only read back the word qemu chose; nothing would name its bits.) The names rest on the
// uapi header and arch/loongarch/kernel/proc.c alone.
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
