// LoongArch HWCAP feature table.
//
// Source: arch/loongarch/include/uapi/asm/hwcap.h (torvalds/linux mainline; HWCAP_LOONGARCH_LSPW,
// bit 14, is the newest, Linux 6.12). Names are the ones arch/loongarch/kernel/proc.c prints on
// the /proc/cpuinfo "Features" line: the lower-cased HWCAP_LOONGARCH_* suffix.
// (The kernel also prints "lam_bh" and "scq" there from its cpu_has_* checks, but those have
// no HWCAP bit in the uapi header, so they cannot appear in the auxv.)
//
// Unchecked: no oracle that names these bits runs here. glibc is none: its loongarch ld.so has no
// name table and prints AT_HWCAP in hex for LD_SHOW_AUXV=1 (and sid's glibc 2.43 dies with SIGILL
// under Debian 12's qemu-loongarch64 7.2), and that qemu-user passes the host's /proc/cpuinfo
// through. The oracle would be a kernel's /proc/cpuinfo "Features" line in a
// qemu-system-loongarch64 guest, and Debian has the parts in unstable (sid, not 12 or 13):
// linux-image-loong64 7.2.13, busybox-static and the firmware qemu-efi-loongarch64 2026.08. The
// blocker, tried, is Debian 12's qemu-system-loongarch64 7.2: its virt machine boots an ELF kernel
// directly or a -bios ROM of at most 4 MB (VIRT_BIOS_SIZE, qemu's include/hw/loongarch/virt.h).
// Debian's kernel is an EFI zboot image ("The image is not ELF"), and its QEMU_EFI.fd is a 16 MB
// flash image ("Could not load ROM image"; cut to 4 MB, edk2 stops at an ASSERT in DxeMain.c).
// The names rest on the uapi header and arch/loongarch/kernel/proc.c alone.
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
