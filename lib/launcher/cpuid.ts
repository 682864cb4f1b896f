// CPUID masks on the launcher's command line: `--cpuid LEAF[.SUBLEAF]:REG=KEEP`, all hex
// (native/launcher/cpuid_mask.c parses it; docs/cpuid.md). A CPUID word is named as the
// x86 catalogue names it: 'CPUID.1:ECX', 'CPUID.7.0:EBX', 'CPUID.80000001:ECX'.

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
