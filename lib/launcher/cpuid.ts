// CPUID masks on the launcher's command line: `--cpuid LEAF[.SUBLEAF]:REG=KEEP`, all hex
// (native/launcher/cpuid/mask.c parses it; docs/cpuid.md). A CPUID word is named as the
// x86 catalogue names it: 'CPUID.1:ECX', 'CPUID.7.0:EBX', 'CPUID.80000001:ECX'.
import { AMD_MIRROR_MASK } from '../core/features';

export type CpuidReg = 'eax' | 'ebx' | 'ecx' | 'edx';

/** One register of one CPUID leaf (and subleaf) and the bits of it to keep. */
export interface CpuidKeep {
  readonly leaf: number;
  readonly subleaf?: number;
  readonly reg: CpuidReg;
  /** 32 bits; ANDed into what the CPU answers. */
  readonly keep: number;
}

const WORD = /^CPUID\.([0-9A-F]{1,8})(?:\.([0-9A-F]{1,8}))?:(EAX|EBX|ECX|EDX)$/i;

/** 'CPUID.7.0:EBX' → { leaf: 7, subleaf: 0, reg: 'ebx' }, or undefined for a name that is not a CPUID word. */
export function parseCpuidWord(name: string): { leaf: number; subleaf?: number; reg: CpuidReg } | undefined {
  const m = WORD.exec(name);
  if (!m) return undefined;
  const leaf = parseInt(m[1]!, 16);
  const reg = m[3]!.toLowerCase() as CpuidReg;
  return m[2] === undefined ? { leaf, reg } : { leaf, subleaf: parseInt(m[2], 16), reg };
}

/** The launcher's argument for one rule: '7.0:ebx=ffffffdf'. */
export function cpuidRuleArg(r: CpuidKeep): string {
  if (!Number.isInteger(r.keep) || r.keep < 0 || r.keep > 0xffffffff) throw new RangeError(`a CPUID keep word must be a 32-bit unsigned integer, not ${r.keep}`);
  const where = r.subleaf === undefined ? r.leaf.toString(16) : `${r.leaf.toString(16)}.${r.subleaf.toString(16)}`;
  return `${where}:${r.reg}=${r.keep.toString(16).padStart(8, '0')}`;
}

/**
 * The rules for a set of CPUID words: name → bits to keep (a word of all ones,
 * which masks nothing, is left out). Names that are not CPUID words are ignored here.
 */
export function cpuidRules(words: Iterable<readonly [string, number | bigint]>): CpuidKeep[] {
  const out: CpuidKeep[] = [];
  for (const [name, value] of words) {
    const w = parseCpuidWord(name);
    if (!w) continue;
    const keep = Number(BigInt(value) & 0xffffffffn);
    if (keep === 0xffffffff) continue;
    out.push({ ...w, keep });
  }
  return out;
}

/** Words the launcher never masks: leaf 0xD (the XSAVE sizes must match XCR0; see docs/cpuid.md). */
export const CPUID_UNMASKABLE: readonly string[] = Object.freeze(['CPUID.D.1:EAX']);

// AMD's copies of CPUID.1:EDX bits in CPUID.80000001:EDX (AMD_MIRROR_MASK, core/cpuid.ts): a
// feature set carries them once, in CPUID.1:EDX, so they are kept as that word keeps them.
const AMD_MIRROR = AMD_MIRROR_MASK;

/**
 * The launcher rules for a feature set's CPUID words (name → bits present, uint32): each word
 * keeps what the set has. CPUID.1:EDX is left to the AT_HWCAP word (the launcher gives both one
 * mask); CPUID.80000001:EDX keeps the AMD mirror bits as CPUID.1:EDX does; the words the launcher
 * never masks are returned apart, so that a caller can say so.
 */
export function cpuidKeepOf(words: Readonly<Record<string, number>>): { rules: CpuidKeep[]; unmasked: string[] } {
  const edx1 = words['CPUID.1:EDX'];
  const entries: [string, number][] = [];
  const unmasked: string[] = [];
  for (const [name, value] of Object.entries(words)) {
    if (name === 'CPUID.1:EDX') continue;
    if (CPUID_UNMASKABLE.includes(name)) {
      unmasked.push(name);
      continue;
    }
    let keep = value >>> 0;
    if (name === 'CPUID.80000001:EDX') keep = (keep | ((edx1 ?? 0xffffffff) & AMD_MIRROR)) >>> 0;
    entries.push([name, keep]);
  }
  return { rules: cpuidRules(entries), unmasked };
}
