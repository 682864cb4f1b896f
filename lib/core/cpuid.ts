// The CPUID side of the x86-64 model, as data and pure functions: which words hwcap keeps, how to
// read them through an injected cpuid(leaf, subleaf) (the host passes the addon's), how the OS's
// XCR0 gates them, the CPU's vendor/family/model, and the psABI micro-architecture levels.
//
// Word names: `CPUID.<LEAF>[.<SUB>]:<REG>`, leaf in upper-case hex without 0x, the subleaf only
// for the subleaf-indexed leaves 7, 0xD, 0x14 and 0x24: 'CPUID.1:ECX', 'CPUID.7.0:EBX',
// 'CPUID.D.1:EAX', 'CPUID.80000001:ECX'.
import { invalidArgType, invalidArgValue, outOfRange } from '../errors';

export type CpuidWordName = `CPUID.${string}:${'EAX' | 'EBX' | 'ECX' | 'EDX'}`;
type Reg = 'eax' | 'ebx' | 'ecx' | 'edx';

export interface CpuidWordDef {
  readonly name: CpuidWordName;
  readonly leaf: number;
  readonly subleaf: number;
  readonly reg: Reg;
}

export interface CpuidRegs {
  eax: number;
  ebx: number;
  ecx: number;
  edx: number;
}
export type CpuidFn = (leaf: number, subleaf: number) => CpuidRegs;

const SUBLEAF_LEAVES = new Set([0x7, 0xd, 0x14, 0x24]);

/** The canonical name of a CPUID word. */
export function cpuidWordName(leaf: number, subleaf: number, reg: Reg): CpuidWordName {
  const l = leaf.toString(16).toUpperCase();
  return `CPUID.${SUBLEAF_LEAVES.has(leaf) ? `${l}.${subleaf.toString(16).toUpperCase()}` : l}:${reg.toUpperCase() as 'EAX'}`;
}

function def(leaf: number, subleaf: number, reg: Reg): CpuidWordDef {
  return Object.freeze({ name: cpuidWordName(leaf, subleaf, reg), leaf, subleaf, reg });
}

/**
 * The CPUID words hwcap carries, in this order everywhere (FeatureSet.cpuid, JSON, decode).
 * CPUID.1:EDX comes first: on x86-64 it is the AT_HWCAP word, one word under two names.
 */
export const CPUID_WORDS: readonly CpuidWordDef[] = Object.freeze([
  def(0x1, 0, 'edx'),
  def(0x1, 0, 'ecx'),
  def(0x6, 0, 'eax'),
  def(0x6, 0, 'ecx'),
  def(0x7, 0, 'ebx'),
  def(0x7, 0, 'ecx'),
  def(0x7, 0, 'edx'),
  def(0x7, 1, 'eax'),
  def(0x7, 1, 'ebx'),
  def(0x7, 1, 'edx'),
  def(0xd, 1, 'eax'),
  def(0x80000001, 0, 'edx'),
  def(0x80000001, 0, 'ecx'),
  def(0x80000007, 0, 'ebx'),
  def(0x80000007, 0, 'edx'),
  def(0x80000008, 0, 'ebx'),
  def(0x8000000a, 0, 'edx'),
  def(0x8000001f, 0, 'eax'),
  def(0x80000021, 0, 'eax'),
  def(0x80000022, 0, 'eax'),
  def(0xc0000001, 0, 'edx'),
  def(0x80860001, 0, 'edx'),
]);
export const CPUID_WORD_NAMES: readonly CpuidWordName[] = Object.freeze(CPUID_WORDS.map((w) => w.name));
const WORD_INDEX: ReadonlyMap<string, number> = new Map(CPUID_WORD_NAMES.map((n, i) => [n, i]));

/** The index of a CPUID word name in CPUID_WORDS, or -1. */
export function cpuidWordIndex(name: string): number {
  return WORD_INDEX.get(name) ?? -1;
}

export type CpuidWords = Readonly<Record<CpuidWordName, number>>;

/**
 * AMD's copies of CPUID.1:EDX in CPUID.80000001:EDX (bits 0-9, 12-17, 23, 24; AMD APM vol. 3,
 * Fn8000_0001_EDX): hwcap does not carry them, so Intel and AMD nodes agree on that word.
 */
export const AMD_MIRROR_MASK = 0x0183f3ff;

export function checkU32(v: unknown, name: string): number {
  if (typeof v !== 'number') throw invalidArgType(name, 'of type number (a uint32)', v);
  if (!Number.isInteger(v) || v < 0 || v > 0xffff_ffff) throw outOfRange(name, 'an integer >= 0 and <= 4294967295', v);
  return v;
}

/** Validates a { 'CPUID.x:REG': uint32 } record; unknown word names are refused. */
export function checkCpuidWords(words: unknown, arg: string): Partial<Record<CpuidWordName, number>> {
  if (typeof words !== 'object' || words === null || Array.isArray(words)) {
    throw invalidArgType(arg, "an object { 'CPUID.7.0:EBX': number, … } of uint32 words", words);
  }
  const out: Partial<Record<CpuidWordName, number>> = {};
  for (const [k, v] of Object.entries(words)) {
    if (cpuidWordIndex(k) < 0) throw invalidArgValue(`${arg}['${k}']`, `is not a CPUID word hwcap carries; expected one of ${CPUID_WORD_NAMES.join(', ')}`);
    if (v === undefined) continue;
    out[k as CpuidWordName] = checkU32(v, `${arg}['${k}']`);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Reading

export interface CpuInfo {
  /** The 12-character vendor string of leaf 0: 'GenuineIntel', 'AuthenticAMD', 'HygonGenuine' … */
  vendor: string;
  /** Display family and model (leaf 1 EAX, with the extended fields as Intel and AMD define them). */
  family: number;
  model: number;
  stepping: number;
}

export interface CpuidSnapshot {
  words: CpuidWords;
  /** XCR0, or undefined where the OS has not enabled XSAVE (CPUID.1:ECX OSXSAVE clear). */
  xcr0: bigint | undefined;
  cpu: CpuInfo;
}

function regsOf(fn: CpuidFn, leaf: number, subleaf: number): CpuidRegs {
  const r = fn(leaf, subleaf);
  if (typeof r !== 'object' || r === null) throw invalidArgType('cpuid(leaf, subleaf)', 'a function returning { eax, ebx, ecx, edx }', r);
  for (const k of ['eax', 'ebx', 'ecx', 'edx'] as const) checkU32(r[k], `cpuid(${leaf}, ${subleaf}).${k}`);
  return r;
}

function vendorString(r: CpuidRegs): string {
  const b = Buffer.alloc(12);
  b.writeUInt32LE(r.ebx, 0);
  b.writeUInt32LE(r.edx, 4);
  b.writeUInt32LE(r.ecx, 8);
  return b.toString('latin1');
}

/** Vendor, family, model and stepping from leaves 0 and 1. */
export function decodeCpuInfo(leaf0: CpuidRegs, leaf1: CpuidRegs): CpuInfo {
  const eax = leaf1.eax;
  const base = (eax >>> 8) & 0xf;
  const family = base === 0xf ? base + ((eax >>> 20) & 0xff) : base;
  const model = base === 0x6 || base === 0xf ? (((eax >>> 16) & 0xf) << 4) | ((eax >>> 4) & 0xf) : (eax >>> 4) & 0xf;
  return { vendor: vendorString(leaf0), family, model, stepping: eax & 0xf };
}

/**
 * Reads every word of CPUID_WORDS through `fn`, as the kernel does: a leaf above its range's
 * maximum (leaf 0, 0x80000000, 0xC0000000 EAX) reads as 0, because Intel CPUs answer such a leaf
 * with the highest basic leaf's data; 7.1 only when 7.0 EAX >= 1; the Centaur leaves only on
 * Centaur/Zhaoxin and the Transmeta leaf only on Transmeta. AMD's mirror bits are cleared.
 */
export function readCpuidWords(fn: CpuidFn): { words: CpuidWords; cpu: CpuInfo } {
  if (typeof fn !== 'function') throw invalidArgType('fn', 'a function (leaf, subleaf) => { eax, ebx, ecx, edx }', fn);
  const leaf0 = regsOf(fn, 0, 0);
  const maxBasic = leaf0.eax;
  const leaf1 = maxBasic >= 1 ? regsOf(fn, 1, 0) : { eax: 0, ebx: 0, ecx: 0, edx: 0 };
  const cpu = decodeCpuInfo(leaf0, leaf1);
  const maxExt = regsOf(fn, 0x80000000, 0).eax;
  const centaur = cpu.vendor === 'CentaurHauls' || cpu.vendor === '  Shanghai  ';
  const transmeta = cpu.vendor === 'GenuineTMx86' || cpu.vendor === 'TransmetaCPU';
  const maxCentaur = centaur ? regsOf(fn, 0xc0000000, 0).eax : 0;
  const maxTransmeta = transmeta ? regsOf(fn, 0x80860000, 0).eax : 0;
  const max7sub = maxBasic >= 7 ? regsOf(fn, 7, 0).eax : 0;
  const cache = new Map<string, CpuidRegs>();
  const words = {} as Record<CpuidWordName, number>;
  for (const w of CPUID_WORDS) {
    let present: boolean;
    if (w.leaf >= 0xc0000000) present = w.leaf <= maxCentaur && maxCentaur >= 0xc0000000 && maxCentaur <= 0xc000ffff;
    else if (w.leaf >= 0x80860000) present = w.leaf <= maxTransmeta && maxTransmeta <= 0x8086ffff;
    else if (w.leaf >= 0x80000000) present = w.leaf <= maxExt && maxExt <= 0x8000ffff;
    else present = w.leaf <= maxBasic && (w.leaf !== 7 || w.subleaf <= max7sub);
    let v = 0;
    if (present) {
      const key = `${w.leaf}.${w.subleaf}`;
      let r = cache.get(key);
      if (!r) cache.set(key, (r = regsOf(fn, w.leaf, w.subleaf)));
      v = r[w.reg] >>> 0;
    }
    if (w.name === 'CPUID.80000001:EDX') v = (v & ~AMD_MIRROR_MASK) >>> 0;
    words[w.name] = v;
  }
  return { words: Object.freeze(words), cpu };
}

// ---------------------------------------------------------------------------------------------
// Gating by what the OS enabled (XCR0), as glibc's cpu_features.c and the kernel's xstate code do

/** XCR0 state components. */
export const XCR0 = Object.freeze({
  X87: 1n << 0n,
  SSE: 1n << 1n,
  YMM: 1n << 2n,
  OPMASK: 1n << 5n,
  ZMM_HI256: 1n << 6n,
  HI16_ZMM: 1n << 7n,
  XTILECFG: 1n << 17n,
  XTILEDATA: 1n << 18n,
  APX: 1n << 19n,
});

export type XsaveGroup = 'avx' | 'avx512' | 'amx' | 'apx';

/** The XCR0 bits each group needs (besides CPUID.1:ECX OSXSAVE). */
export const XSAVE_GROUP_STATE: Readonly<Record<XsaveGroup, bigint>> = Object.freeze({
  avx: XCR0.SSE | XCR0.YMM,
  avx512: XCR0.SSE | XCR0.YMM | XCR0.OPMASK | XCR0.ZMM_HI256 | XCR0.HI16_ZMM,
  amx: XCR0.XTILECFG | XCR0.XTILEDATA,
  apx: XCR0.APX,
});
