// glibc's own view of CPUID, as ld.so --list-diagnostics prints it (glibc 2.33+):
//   x86.cpu_features.features[I].cpuid[R]=0x..   the raw register
//   x86.cpu_features.features[I].active[R]=0x..  the bits glibc uses (what every ifunc reads)
// I is glibc's cpuid_index (sysdeps/x86/include/cpu-features.h), R 0..3 is EAX..EDX.
import { CPUID_WORD_NAMES, type CpuidWordName } from '../../lib';

/** glibc's cpuid_index → leaf.subleaf. */
const GLIBC_INDEX = ['1.0', '7.0', '80000001.0', 'd.1', '80000007.0', '80000008.0', '7.1', '19.0', '14.0', '24.0'];
const REGS = ['eax', 'ebx', 'ecx', 'edx'] as const;

/** hwcap's name of a CPUID word: CPUID.LEAF[.SUB]:REG, the subleaf only for the leaves that take one. */
export function wordName(leaf: number, sub: number, reg: string): string {
  const l = leaf.toString(16).toUpperCase();
  return `CPUID.${[7, 0xd, 0x14, 0x24].includes(leaf) ? `${l}.${sub.toString(16).toUpperCase()}` : l}:${reg.toUpperCase()}`;
}

/** `x86.cpu_features.features[I].<kind>[R]=V` → word name → value (the words hwcap carries only). */
export function glibcWords(out: string, kind: 'cpuid' | 'active'): Partial<Record<CpuidWordName, number>> {
  const words: Partial<Record<CpuidWordName, number>> = {};
  for (const m of out.matchAll(new RegExp(`^x86\\.cpu_features\\.features\\[0x([0-9a-f]+)\\]\\.${kind}\\[0x([0-3])\\]=0x([0-9a-f]+)$`, 'gm'))) {
    const leafSub = GLIBC_INDEX[parseInt(m[1]!, 16)];
    if (!leafSub) continue;
    const [leaf, sub] = leafSub.split('.').map((x) => parseInt(x, 16)) as [number, number];
    const w = CPUID_WORD_NAMES.find((n) => n === wordName(leaf, sub, REGS[Number(m[2])]!));
    if (w) words[w] = parseInt(m[3]!, 16);
  }
  return words;
}

/** The glibc-hwcaps levels `ld.so --help` calls supported, highest last ('x86-64' when none). */
export function ldsoLevel(help: string): string {
  return [...help.matchAll(/^\s+(x86-64-v[234]) \(supported/gm)].map((m) => m[1]!).sort().at(-1) ?? 'x86-64';
}
