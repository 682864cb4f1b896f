// Synthetic x86 CPUs for the CPUID tests: a cpuid(leaf, subleaf) function over a table of leaves.
import { CPUID_WORDS, type CpuidRegs } from '../../lib/core/features';

export type LeafTable = Record<string, Partial<CpuidRegs>>;

function vendorRegs(vendor: string): Pick<CpuidRegs, 'ebx' | 'edx' | 'ecx'> {
  const b = Buffer.from(vendor.padEnd(12).slice(0, 12), 'latin1');
  return { ebx: b.readUInt32LE(0), edx: b.readUInt32LE(4), ecx: b.readUInt32LE(8) };
}

/**
 * A CPU answering from `leaves` ('<leaf>.<subleaf>' in hex, e.g. '7.0', '80000001.0'). Leaf 0 and
 * 0x80000000 get the vendor and maximum leaves unless given. An absent leaf answers like Intel
 * does above the maximum: with the highest basic leaf's data (`garbage`), so reading it is a bug.
 */
export function fakeCpu(vendor: string, leaves: LeafTable, opts: { maxBasic?: number; maxExt?: number; maxCentaur?: number; maxTransmeta?: number; garbage?: CpuidRegs } = {}) {
  const garbage = opts.garbage ?? { eax: 0xdeadbeef, ebx: 0xdeadbeef, ecx: 0xdeadbeef, edx: 0xdeadbeef };
  const calls: string[] = [];
  const fn = (leaf: number, subleaf: number): CpuidRegs => {
    calls.push(`${leaf.toString(16)}.${subleaf.toString(16)}`);
    const v = vendorRegs(vendor);
    if (leaf === 0) return { eax: opts.maxBasic ?? 0x24, ...v };
    if (leaf === 0x80000000) return { eax: opts.maxExt ?? 0x80000022, ...v };
    if (leaf === 0xc0000000) return { eax: opts.maxCentaur ?? 0, ebx: 0, ecx: 0, edx: 0 };
    if (leaf === 0x80860000) return { eax: opts.maxTransmeta ?? 0, ebx: 0, ecx: 0, edx: 0 };
    const r = leaves[`${leaf.toString(16)}.${subleaf.toString(16)}`];
    if (!r) return garbage;
    return { eax: r.eax ?? 0, ebx: r.ebx ?? 0, ecx: r.ecx ?? 0, edx: r.edx ?? 0 };
  };
  return { fn, calls };
}

/** The leaf table of a CPU that has exactly one bit of one CPUID word set (and 7.0 EAX = 1 for 7.1). */
export function oneBit(word: string, bit: number): LeafTable {
  const w = CPUID_WORDS.find((d) => d.name === word);
  if (!w) throw new Error(`no CPUID word ${word}`);
  const key = `${w.leaf.toString(16)}.${w.subleaf.toString(16)}`;
  const t: LeafTable = { '1.0': {}, '7.0': { eax: 1 }, '7.1': {}, 'd.1': {}, '6.0': {} };
  for (const d of CPUID_WORDS) t[`${d.leaf.toString(16)}.${d.subleaf.toString(16)}`] ??= {};
  t[key] = { ...t[key], [w.reg]: (((t[key]?.[w.reg] ?? 0) | (1 << bit)) >>> 0) };
  return t;
}
