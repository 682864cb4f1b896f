// powerpc (ppc64le) HWCAP feature table.
//
// Source: arch/powerpc/include/uapi/asm/cputable.h, PPC_FEATURE_* (AT_HWCAP) and
// PPC_FEATURE2_* (AT_HWCAP2) (torvalds/linux mainline; PPC_FEATURE2_ARCH_3_1 and
// PPC_FEATURE2_MMA, Linux 5.8, are the newest). The powerpc kernel does not print HWCAP names
// in /proc/cpuinfo; the names here are the ones glibc prints for LD_SHOW_AUXV=1
// (_dl_powerpc_cap_flags in sysdeps/powerpc/dl-procinfo.c) and that GCC's
// __builtin_cpu_supports() accepts. Bits 2–5 of AT_HWCAP are unused or reserved
// ("Reserved - do not use 0x00000004").
//
// Checked against glibc (npm run test:arches; test/core/arch-oracles.test.ts on every npm test):
// every bit of both words has exactly the name of _dl_powerpc_cap_flags as compiled into Debian
// 12's ppc64el ld.so (glibc 2.36), unnamed bits included, and under qemu-ppc64le 7.2's power8,
// power9 and power10 hwcap's names for the words are exactly the ones LD_SHOW_AUXV=1 prints.
// No difference was found. Those models set only part of the table (vsx arch_2_06 dfp fpu
// altivec ppc64; vcrypto tar isel arch_2_07, plus darn ieee128 arch_3_00 on power9 and mma
// arch_3_1 on power10); the other bits are checked by name against glibc's table alone.
//
// No row is marked `security`.
import type { Feature } from '../row';

const hwcap = (name: string, mask: number): Feature => ({ name, word: 'AT_HWCAP', bit: Math.log2(mask) });
const hwcap2 = (name: string, mask: number): Feature => ({ name, word: 'AT_HWCAP2', bit: Math.log2(mask) });

export const FEATURES: readonly Feature[] = [
  hwcap('ppcle', 0x00000001), // PPC_FEATURE_PPC_LE
  hwcap('true_le', 0x00000002), // PPC_FEATURE_TRUE_LE
  hwcap('archpmu', 0x00000040), // PPC_FEATURE_PSERIES_PERFMON_COMPAT
  hwcap('vsx', 0x00000080), // PPC_FEATURE_HAS_VSX
  hwcap('arch_2_06', 0x00000100), // PPC_FEATURE_ARCH_2_06
  hwcap('power6x', 0x00000200), // PPC_FEATURE_POWER6_EXT
  hwcap('dfp', 0x00000400), // PPC_FEATURE_HAS_DFP
  hwcap('pa6t', 0x00000800), // PPC_FEATURE_PA6T
  hwcap('arch_2_05', 0x00001000), // PPC_FEATURE_ARCH_2_05
  hwcap('ic_snoop', 0x00002000), // PPC_FEATURE_ICACHE_SNOOP
  hwcap('smt', 0x00004000), // PPC_FEATURE_SMT
  hwcap('booke', 0x00008000), // PPC_FEATURE_BOOKE
  hwcap('cellbe', 0x00010000), // PPC_FEATURE_CELL
  hwcap('power5+', 0x00020000), // PPC_FEATURE_POWER5_PLUS
  hwcap('power5', 0x00040000), // PPC_FEATURE_POWER5
  hwcap('power4', 0x00080000), // PPC_FEATURE_POWER4
  hwcap('notb', 0x00100000), // PPC_FEATURE_NO_TB
  hwcap('efpdouble', 0x00200000), // PPC_FEATURE_HAS_EFP_DOUBLE
  hwcap('efpsingle', 0x00400000), // PPC_FEATURE_HAS_EFP_SINGLE
  hwcap('spe', 0x00800000), // PPC_FEATURE_HAS_SPE
  hwcap('ucache', 0x01000000), // PPC_FEATURE_UNIFIED_CACHE
  hwcap('4xxmac', 0x02000000), // PPC_FEATURE_HAS_4xxMAC
  hwcap('mmu', 0x04000000), // PPC_FEATURE_HAS_MMU
  hwcap('fpu', 0x08000000), // PPC_FEATURE_HAS_FPU
  hwcap('altivec', 0x10000000), // PPC_FEATURE_HAS_ALTIVEC
  hwcap('ppc601', 0x20000000), // PPC_FEATURE_601_INSTR
  hwcap('ppc64', 0x40000000), // PPC_FEATURE_64
  hwcap('ppc32', 0x80000000), // PPC_FEATURE_32
  hwcap2('mma', 0x00020000), // PPC_FEATURE2_MMA
  hwcap2('arch_3_1', 0x00040000), // PPC_FEATURE2_ARCH_3_1
  hwcap2('htm-no-suspend', 0x00080000), // PPC_FEATURE2_HTM_NO_SUSPEND
  hwcap2('scv', 0x00100000), // PPC_FEATURE2_SCV
  hwcap2('darn', 0x00200000), // PPC_FEATURE2_DARN
  hwcap2('ieee128', 0x00400000), // PPC_FEATURE2_HAS_IEEE128
  hwcap2('arch_3_00', 0x00800000), // PPC_FEATURE2_ARCH_3_00
  hwcap2('htm-nosc', 0x01000000), // PPC_FEATURE2_HTM_NOSC
  hwcap2('vcrypto', 0x02000000), // PPC_FEATURE2_VEC_CRYPTO
  hwcap2('tar', 0x04000000), // PPC_FEATURE2_TAR
  hwcap2('isel', 0x08000000), // PPC_FEATURE2_ISEL
  hwcap2('ebb', 0x10000000), // PPC_FEATURE2_EBB
  hwcap2('dscr', 0x20000000), // PPC_FEATURE2_DSCR
  hwcap2('htm', 0x40000000), // PPC_FEATURE2_HTM
  hwcap2('arch_2_07', 0x80000000), // PPC_FEATURE2_ARCH_2_07
];
