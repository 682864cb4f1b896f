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
// No row is marked `security`.
import type { Feature } from '../row';

const NAMES = [
  'esan3', 'zarch', 'stfle', 'msa', 'ldisp', 'eimm', 'dfp', 'edat', 'etf3eh', 'highgprs', 'te',
  'vx', 'vxd', 'vxe', 'gs', 'vxe2', 'vxp', 'sort', 'dflt', 'vxp2', 'nnpa', 'pcimio', 'sie',
];

export const FEATURES: readonly Feature[] = NAMES.map((name, bit) => ({ name, word: 'AT_HWCAP', bit }));
