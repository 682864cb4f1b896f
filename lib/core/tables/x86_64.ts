// x86-64 HWCAP feature table.
//
// AT_HWCAP on x86 is CPUID.1:EDX as the kernel keeps it (boot_cpu_data word 0, after the
// kernel's own quirks cleared bits); AT_HWCAP2 carries two kernel-defined bits.
// Sources:
// - bits and cpuinfo names of word 0: arch/x86/include/asm/cpufeatures.h (torvalds/linux
//   mainline as of the 6.x series; word 0 has not changed since the 2.6 era). Where the
//   header's comment gives a quoted name ("dts", "sse", "sse2", "ss", "tm") that is the name
//   /proc/cpuinfo prints; otherwise it prints the lower-cased X86_FEATURE_* suffix.
// - AT_HWCAP2: arch/x86/include/uapi/asm/hwcap2.h (HWCAP2_RING3MWAIT bit 0, Linux 4.14;
//   HWCAP2_FSGSBASE bit 1, Linux 5.9).
// Bits 10 and 20 of CPUID.1:EDX are reserved and have no name; a set one decodes as
// `bit10@AT_HWCAP`.
//
// No row is marked `security`: no CPUID.1:EDX bit or HWCAP2 bit is a protection that user
// space turns on from the auxv (x86 code reads CPUID directly; see DESIGN.md).
import type { Feature } from '../features';

export const FEATURES: readonly Feature[] = [
  { name: 'fpu', word: 'AT_HWCAP', bit: 0 },
  { name: 'vme', word: 'AT_HWCAP', bit: 1 },
  { name: 'de', word: 'AT_HWCAP', bit: 2 },
  { name: 'pse', word: 'AT_HWCAP', bit: 3 },
  { name: 'tsc', word: 'AT_HWCAP', bit: 4 },
  { name: 'msr', word: 'AT_HWCAP', bit: 5 },
  { name: 'pae', word: 'AT_HWCAP', bit: 6 },
  { name: 'mce', word: 'AT_HWCAP', bit: 7 },
  { name: 'cx8', word: 'AT_HWCAP', bit: 8 },
  { name: 'apic', word: 'AT_HWCAP', bit: 9 },
  { name: 'sep', word: 'AT_HWCAP', bit: 11 },
  { name: 'mtrr', word: 'AT_HWCAP', bit: 12 },
  { name: 'pge', word: 'AT_HWCAP', bit: 13 },
  { name: 'mca', word: 'AT_HWCAP', bit: 14 },
  { name: 'cmov', word: 'AT_HWCAP', bit: 15 },
  { name: 'pat', word: 'AT_HWCAP', bit: 16 },
  { name: 'pse36', word: 'AT_HWCAP', bit: 17 },
  { name: 'pn', word: 'AT_HWCAP', bit: 18 },
  { name: 'clflush', word: 'AT_HWCAP', bit: 19 },
  { name: 'dts', word: 'AT_HWCAP', bit: 21 }, // X86_FEATURE_DS
  { name: 'acpi', word: 'AT_HWCAP', bit: 22 },
  { name: 'mmx', word: 'AT_HWCAP', bit: 23 },
  { name: 'fxsr', word: 'AT_HWCAP', bit: 24 },
  { name: 'sse', word: 'AT_HWCAP', bit: 25 }, // X86_FEATURE_XMM
  { name: 'sse2', word: 'AT_HWCAP', bit: 26 }, // X86_FEATURE_XMM2
  { name: 'ss', word: 'AT_HWCAP', bit: 27 }, // X86_FEATURE_SELFSNOOP
  { name: 'ht', word: 'AT_HWCAP', bit: 28 },
  { name: 'tm', word: 'AT_HWCAP', bit: 29 }, // X86_FEATURE_ACC
  { name: 'ia64', word: 'AT_HWCAP', bit: 30 },
  { name: 'pbe', word: 'AT_HWCAP', bit: 31 },
  { name: 'ring3mwait', word: 'AT_HWCAP2', bit: 0 },
  { name: 'fsgsbase', word: 'AT_HWCAP2', bit: 1 },
];
