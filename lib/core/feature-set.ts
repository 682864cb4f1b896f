// FeatureSet: an immutable (arch, words) value with set operations. On x86-64 it carries the
// CPUID words beside the auxv words; AT_HWCAP and CPUID.1:EDX are one word under two names.
import * as util from 'node:util';
import { inspectValue, invalidArgType, invalidArgValue } from '../errors';
import { checkMask, type HwcapWords } from './words';
import { ARCHES, host, hostArch, normalizeArch, type Arch } from './arch';
import { CPUID_WORD_NAMES, checkCpuidWords, type CpuidWordName, type CpuidWords } from './cpuid';
import {
  LEVEL_NAMES,
  WORD_KEYS,
  closeMatches,
  decodeSlots,
  gateCpuid,
  levelFeatures,
  locate,
  normalizeSlot,
  slotOf,
  slotsFromNames,
  slotsToDrop,
  table,
  unknownBitName,
  type Table,
  type WordName,
} from './decode';
import { HwcapSchemaError, checkSchema, cpuidFromJSON, cpuidToJSON, parseDocument, wordsFromJSON, wordsToJSON } from './schema';

export const FEATURESET_SCHEMA = 'hwcap.featureset/2';

export interface FeatureSetJSON {
  schema: typeof FEATURESET_SCHEMA;
  arch: Arch;
  words: Record<WordName, string>;
  /** x86-64 only: every CPUID word, CPUID.1:EDX included (equal to AT_HWCAP). */
  cpuid?: Record<string, string>;
  names: string[];
}

const cachedCurrent = new Map<string, FeatureSet>();
const EMPTY: CpuidWords = Object.freeze({}) as CpuidWords;

function slotsOf(t: Table, words: Partial<HwcapWords>, cpuid: Partial<Record<CpuidWordName, number>>): bigint[] {
  const v = t.slots.map(() => 0n);
  WORD_KEYS.forEach((k, i) => (v[i] = words[k] ?? 0n));
  for (const [name, value] of Object.entries(cpuid) as [CpuidWordName, number][]) {
    const s = slotOf(t, name);
    if (s === 0) {
      if (words.hwcap !== undefined && (words.hwcap & 0xffff_ffffn) !== BigInt(value)) {
        throw invalidArgValue("cpuid['CPUID.1:EDX']", `must equal the low 32 bits of words.hwcap (on x86-64 AT_HWCAP is CPUID.1:EDX): 0x${value.toString(16)} != 0x${words.hwcap.toString(16)}`);
      }
      if (words.hwcap === undefined) v[0] = BigInt(value);
    } else v[s] = normalizeSlot(t, s, BigInt(value));
  }
  return v;
}

/**
 * FeatureSet.fromNames with errors naming the caller's argument (`options.hwcaps[0]` rather than
 * `names[0]`): the mask plan (lib/launcher/plan.ts) reads a name list once, through this.
 */
export let fromNamesAs: (arch: Arch | string, names: Iterable<unknown>, argName: string) => FeatureSet;

export class FeatureSet {
  readonly arch: Arch;
  /** The auxv words (AT_HWCAP … AT_HWCAP4). */
  readonly words: Readonly<HwcapWords>;
  /** x86-64: every CPUID word hwcap carries (cpuid.ts CPUID_WORDS), CPUID.1:EDX = AT_HWCAP; elsewhere empty. */
  readonly cpuid: CpuidWords;
  readonly #v: readonly bigint[];
  #names: readonly string[] | undefined;

  /** Use FeatureSet.fromWords / fromNames / fromJSON / current. */
  private constructor(arch: Arch, v: readonly bigint[]) {
    this.arch = arch;
    const t = table(arch);
    this.#v = Object.freeze(v.map((w, s) => normalizeSlot(t, s, w)));
    v = this.#v;
    this.words = Object.freeze({ hwcap: v[0] ?? 0n, hwcap2: v[1] ?? 0n, hwcap3: v[2] ?? 0n, hwcap4: v[3] ?? 0n });
    if (arch === 'x86_64') {
      const c = {} as Record<CpuidWordName, number>;
      for (const n of CPUID_WORD_NAMES) c[n] = Number(this.#w(slotOf(t, n)) & 0xffff_ffffn);
      this.cpuid = Object.freeze(c);
    } else this.cpuid = EMPTY;
    Object.freeze(this);
  }

  /**
   * From words: the auxv words and (x86-64) CPUID words by name, uint32 each; a word left out is 0.
   * CPUID.1:EDX, when given, must equal AT_HWCAP's low 32 bits (it is the same word).
   */
  static fromWords(arch: Arch | string, words: Partial<HwcapWords>, cpuid: Partial<Record<CpuidWordName, number>> = {}): FeatureSet {
    const a = normalizeArch(arch);
    const w = checkMask(words, 'words');
    const c = checkCpuidWords(cpuid, 'cpuid');
    if (a !== 'x86_64' && Object.keys(c).length) throw invalidArgValue('cpuid', `holds CPUID words, which only x86_64 has (arch is ${a})`);
    return new FeatureSet(a, slotsOf(table(a), w, c));
  }

  /**
   * Names as /proc/cpuinfo prints them, or `bit<N>@<WORD>`; on x86-64 also the psABI levels
   * 'x86-64', 'x86-64-v2', 'x86-64-v3', 'x86-64-v4' (each stands for its features and those of
   * the levels below). An unknown name throws a RangeError with close matches.
   */
  static fromNames(arch: Arch | string, names: Iterable<string>): FeatureSet {
    return fromNamesAs(arch, names, 'names');
  }

  static {
    fromNamesAs = (arch, names, argName) => {
      const a = normalizeArch(arch);
      return new FeatureSet(a, slotsFromNames(table(a), names, argName));
    };
  }

  /** Reads what toJSON wrote (a JSON string or the parsed object); schema /1 documents too. */
  static fromJSON(json: string | object): FeatureSet {
    const doc = parseDocument(json, 'the FeatureSet document');
    checkSchema(doc, FEATURESET_SCHEMA, 'schema', [1]);
    return featureSetFromDoc(doc, '');
  }

  /**
   * This process's features: the auxv words of one view (default: the startup stack copy) and, on
   * x86-64, the CPUID words gated by what the OS enabled in XCR0 (the same in every view).
   */
  static current(view: 'process' | 'kernel' | 'libc' = 'process'): FeatureSet {
    // The process view never changes during a process's life; the kernel view can (writeAuxv).
    const hit = view === 'process' ? cachedCurrent.get(view) : undefined;
    if (hit) return hit;
    const h = host();
    const arch = hostArch();
    const words = h.words(view);
    let cpuid: Partial<Record<CpuidWordName, number>> = {};
    if (arch === 'x86_64' && h.cpuid) {
      const snap = h.cpuid();
      const gated: Partial<Record<CpuidWordName, number>> = { ...gateCpuid(snap.words, snap.xcr0) };
      delete gated['CPUID.1:EDX']; // AT_HWCAP is the kernel's CPUID.1:EDX
      cpuid = gated;
    }
    const fs = FeatureSet.fromWords(arch, words, cpuid);
    if (view === 'process') cachedCurrent.set(view, fs);
    return fs;
  }

  /** Whether the set has a feature (or, on x86-64, meets a psABI level); an impossible name throws. */
  has(name: string): boolean {
    const t = table(this.arch);
    const level = typeof name === 'string' ? levelFeatures(this.arch, name) : undefined;
    const all = level ?? [name];
    return all.every((n) => locate(t, n, 'name').every(([s, bit]) => ((this.#w(s) >> BigInt(bit)) & 1n) === 1n));
  }

  /** Feature names in word and bit order (auxv words, then CPUID words); unnamed set bits as `bit<N>@<WORD>`. */
  names(): string[] {
    if (this.#names === undefined) this.#names = Object.freeze(decodeSlots(table(this.arch), this.#v));
    return [...this.#names];
  }

  /** The highest x86-64 psABI level the set meets ('x86-64' … 'x86-64-v4'), undefined below it or off x86-64. */
  level(): string | undefined {
    if (this.arch !== 'x86_64') return undefined;
    let best: string | undefined;
    for (const l of LEVEL_NAMES) {
      if (!this.has(l)) break;
      best = l;
    }
    return best;
  }

  /** Set bits that the table has no name for. */
  unknownBits(): { word: WordName | CpuidWordName; bit: number; name: string }[] {
    const t = table(this.arch);
    const out: { word: WordName | CpuidWordName; bit: number; name: string }[] = [];
    t.slots.forEach((word, s) => {
      const extra = this.#w(s) & ~(t.known[s] ?? 0n);
      for (let bit = 0; bit < (t.width[s] ?? 0); bit++) {
        if ((extra >> BigInt(bit)) & 1n) out.push({ word: word as WordName, bit, name: unknownBitName(word as WordName, bit) });
      }
    });
    return out;
  }

  /** Names of set features whose masking turns a protection off. */
  securityNames(): string[] {
    const t = table(this.arch);
    return this.names().filter((n) => t.byName.get(n)?.security === true);
  }

  intersect(other: FeatureSet): FeatureSet {
    this.#same(other);
    return this.#map((s) => this.#w(s) & other.#w(s));
  }

  union(other: FeatureSet): FeatureSet {
    this.#same(other);
    return this.#map((s) => this.#w(s) | other.#w(s));
  }

  /**
   * The set without the named features (names as for fromNames). A level name removes what that
   * level and the ones above it add; dropping avx, avx512f, amx_tile, apx, xsave or osxsave also
   * drops the features that need them (see decode.ts slotsToDrop).
   */
  without(names: Iterable<string>): FeatureSet {
    const drop = slotsToDrop(table(this.arch), names, 'names');
    return this.#map((s) => this.#w(s) & ~(drop[s] ?? 0n));
  }

  /** `missing`: what `other` has and this set lacks; `extra`: what this set has beyond `other`. */
  diff(other: FeatureSet): { missing: string[]; extra: string[] } {
    this.#same(other);
    const missing = this.#map((s) => other.#w(s) & ~this.#w(s)).names();
    const extra = this.#map((s) => this.#w(s) & ~other.#w(s)).names();
    return { missing, extra };
  }

  isSubsetOf(other: FeatureSet): boolean {
    this.#same(other);
    return this.#v.every((w, s) => (w & ~other.#w(s)) === 0n);
  }

  equals(other: FeatureSet): boolean {
    if (!(other instanceof FeatureSet) || other.arch !== this.arch) return false;
    return this.#v.every((w, s) => w === other.#w(s));
  }

  get size(): number {
    return (this.#names ?? this.names()).length;
  }

  toJSON(): FeatureSetJSON {
    const out: FeatureSetJSON = { schema: FEATURESET_SCHEMA, arch: this.arch, words: wordsToJSON(this.words), names: this.names() };
    if (this.arch === 'x86_64') out.cpuid = cpuidToJSON(this.cpuid);
    return { schema: out.schema, arch: out.arch, words: out.words, ...(out.cpuid ? { cpuid: out.cpuid } : {}), names: out.names };
  }

  toString(): string {
    return `FeatureSet(${this.arch}) [${this.names().join(' ')}]`;
  }

  [util.inspect.custom](): string {
    return this.toString();
  }

  #w(slot: number): bigint {
    return this.#v[slot] ?? 0n;
  }

  #map(f: (slot: number) => bigint): FeatureSet {
    return new FeatureSet(this.arch, this.#v.map((_, s) => f(s)));
  }

  #same(other: unknown): asserts other is FeatureSet {
    if (!(other instanceof FeatureSet)) throw invalidArgType('other', 'an instance of FeatureSet', other);
    if (other.arch !== this.arch) throw invalidArgValue('other', `is a ${other.arch} set; cannot combine it with a ${this.arch} set`);
  }
}

function version(doc: Record<string, unknown>): number | undefined {
  const m = typeof doc.schema === 'string' ? /\/(\d+)$/.exec(doc.schema) : null;
  return m ? Number(m[1]) : undefined;
}

/** Builds a FeatureSet from `{arch, words, cpuid?, names?}` found at `path` of a document. */
export function featureSetFromDoc(doc: Record<string, unknown>, path: string): FeatureSet {
  const p = (k: string) => (path ? `${path}.${k}` : k);
  let arch: Arch;
  try {
    arch = normalizeArch(doc.arch as string);
  } catch {
    throw new HwcapSchemaError('ERR_HWCAP_SCHEMA', p('arch'), `must be one of ${ARCHES.join(', ')}, got ${inspectValue(doc.arch)}`);
  }
  if (doc.words === undefined) throw new HwcapSchemaError('ERR_HWCAP_SCHEMA', p('words'), 'is missing');
  const words = wordsFromJSON(doc.words, p('words'));
  let cpuid: Partial<Record<CpuidWordName, number>> = {};
  if (doc.cpuid !== undefined) {
    if (arch !== 'x86_64') throw new HwcapSchemaError('ERR_HWCAP_SCHEMA', p('cpuid'), `CPUID words belong to x86_64 documents only (arch is ${arch})`);
    cpuid = cpuidFromJSON(doc.cpuid, p('cpuid'));
    const edx = cpuid['CPUID.1:EDX'];
    if (edx !== undefined && BigInt(edx) !== (words.hwcap & 0xffff_ffffn)) {
      throw new HwcapSchemaError('ERR_HWCAP_SCHEMA', p("cpuid['CPUID.1:EDX']"), `disagrees with words.AT_HWCAP (on x86-64 they are one word): 0x${edx.toString(16)} vs 0x${words.hwcap.toString(16)}`);
    }
  } else if (arch === 'x86_64' && version(doc) === 1 && (words.hwcap2 >> 1n) & 1n) {
    // A document without CPUID words (schema /1): the kernel sets HWCAP2_FSGSBASE only for a CPU
    // with CPUID.7.0:EBX FSGSBASE, so the one name keeps both of its places.
    cpuid = { 'CPUID.7.0:EBX': 1 };
  }
  const fs = FeatureSet.fromWords(arch, words, cpuid);
  // The words are the truth; the names are for people. A hand edit of one without the other is
  // a mistake worth stopping on.
  if (doc.names !== undefined) {
    if (!Array.isArray(doc.names) || doc.names.some((n) => typeof n !== 'string')) {
      throw new HwcapSchemaError('ERR_HWCAP_SCHEMA', p('names'), 'must be an array of strings');
    }
    const have = new Set(fs.names());
    const listed = new Set(doc.names as string[]);
    const onlyListed = [...listed].filter((n) => !have.has(n));
    const onlyWords = [...have].filter((n) => !listed.has(n));
    if (onlyListed.length || onlyWords.length) {
      throw new HwcapSchemaError(
        'ERR_HWCAP_SCHEMA',
        p('names'),
        `disagree with the words (names not in the words: ${onlyListed.join(' ') || 'none'}; set bits not in the names: ${onlyWords.join(' ') || 'none'}); the words are authoritative, fix or drop the names`,
      );
    }
  }
  return fs;
}

/**
 * The first of `names` that is neither a feature nor (x86-64) a level name of arch, with up to three
 * close table names (what fromNames' RangeError suggests); undefined when every name is known.
 * The policy file and the command line name the unknown one in their own errors.
 */
export function firstUnknownName(arch: string, names: readonly string[]): { name: string; near: string[] } | undefined {
  for (const name of names) {
    try {
      FeatureSet.fromNames(arch, [name]);
    } catch (e) {
      if (!(e instanceof RangeError)) throw e;
      return { name, near: (e as RangeError & { suggestions?: string[] }).suggestions ?? closeMatches(arch, name) };
    }
  }
  return undefined;
}
