// s390x HWCAP feature table.
//
// Source: arch/s390/include/asm/elf.h, enum HWCAP_NR_* (torvalds/linux mainline; HWCAP_NR_SIE,
// bit 22, is the newest in the header read, Linux 6.x) and the hwcap_str[] table of
// arch/s390/kernel/processor.c, which gives the names /proc/cpuinfo prints on its "features"
// line. Several differ from the macro names: HWCAP_HPAGE → "edat", HIGH_GPRS → "highgprs",
// VXRS → "vx", VXRS_BCD → "vxd", VXRS_EXT → "vxe", VXRS_EXT2 → "vxe2", VXRS_PDE → "vxp",
// VXRS_PDE2 → "vxp2", PCI_MIO → "pcimio". glibc's HWCAP_S390_* use the same bit numbers.
// Bits 32–63 of AT_HWCAP are reserved for libc.
//
// Checked against glibc (npm run test:arches; test/core/arch-oracles.test.ts on every npm test):
// the 23 names are, bit for bit, _dl_s390_cap_flags as compiled into Debian 12's s390x ld.so
// (glibc 2.36, sysdeps/s390/dl-procinfo-s390.c), which uses the kernel's hwcap_str names; under
// qemu-s390x 7.2's z900, qemu and max models, and max with vx, vxeh, msa or stfle turned off,
// hwcap's names for AT_HWCAP are exactly the ones LD_SHOW_AUXV=1 prints. No difference was found.
// qemu sets only esan3 zarch stfle msa ldisp eimm etf3eh highgprs vx vxe; the other bits are
// checked by name against glibc's table alone. Of qemu 7.2's named models only z900 and z800 run
// under TCG (every later one asks for facilities TCG lacks), and qemu-user 7.2 passes the host's
// /proc/cpuinfo through, so the kernel's "features" line is not compared.
//
// No row is marked `security`.
import type { Feature } from '../row';

const NAMES = [
  'esan3', 'zarch', 'stfle', 'msa', 'ldisp', 'eimm', 'dfp', 'edat', 'etf3eh', 'highgprs', 'te',
  'vx', 'vxd', 'vxe', 'gs', 'vxe2', 'vxp', 'sort', 'dflt', 'vxp2', 'nnpa', 'pcimio', 'sie',
];

export const FEATURES: readonly Feature[] = NAMES.map((name, bit) => ({ name, word: 'AT_HWCAP', bit }));
