// Feature names for the HWCAP words: one table per architecture (lib/arch/<uname -m>.ts), one
// pure decoder, and FeatureSet, an immutable (arch, words) pair with set operations.
import * as util from 'node:util';
import { checkMask, type HwcapWords } from './words';
import { inspectValue, invalidArgType, invalidArgValue } from '../errors';
import { editDistance } from './suggest';
import { FEATURES as X86_64 } from './tables/x86_64';
import { FEATURES as AARCH64 } from './tables/aarch64';
import { FEATURES as RISCV64 } from './tables/riscv64';
import { FEATURES as PPC64LE } from './tables/ppc64le';
import { FEATURES as S390X } from './tables/s390x';
import { FEATURES as LOONGARCH64 } from './tables/loongarch64';

export type Arch = 'x86_64' | 'aarch64' | 'riscv64' | 'ppc64le' | 's390x' | 'loongarch64';
export type WordName = 'AT_HWCAP' | 'AT_HWCAP2' | 'AT_HWCAP3' | 'AT_HWCAP4';

export interface Feature {
  readonly name: string;
  readonly word: WordName;
  readonly bit: number;
  /** Masking this feature turns a protection off (pointer auth, BTI, MTE, shadow stack …). */
  readonly security?: true;
}

export const ARCHES: readonly Arch[] = Object.freeze(['x86_64', 'aarch64', 'riscv64', 'ppc64le', 's390x', 'loongarch64']);
export const WORD_NAMES: readonly WordName[] = Object.freeze(['AT_HWCAP', 'AT_HWCAP2', 'AT_HWCAP3', 'AT_HWCAP4']);
const WORD_KEYS = ['hwcap', 'hwcap2', 'hwcap3', 'hwcap4'] as const;

/** uname -m names, and the process.arch / distribution names that mean the same. */
const ALIASES: Record<string, Arch> = {
  x86_64: 'x86_64', x64: 'x86_64', amd64: 'x86_64',
  aarch64: 'aarch64', arm64: 'aarch64',
  riscv64: 'riscv64',
  ppc64le: 'ppc64le', ppc64: 'ppc64le', ppc64el: 'ppc64le',
  s390x: 's390x',
  loongarch64: 'loongarch64', loong64: 'loongarch64',
};

/** The uname -m name for an architecture name; process.arch names are accepted too. */
export function normalizeArch(arch: string, argName = 'arch'): Arch {
  if (typeof arch !== 'string') throw invalidArgType(argName, `one of ${ARCHES.join(', ')}`, arch);
  const key = arch.toLowerCase();
  const a = Object.hasOwn(ALIASES, key) ? ALIASES[key] : undefined;
  if (a === undefined) {
    throw invalidArgValue(argName, `is not an architecture with HWCAP feature names; expected one of ${ARCHES.join(', ')} (or x64, arm64, ppc64, loong64)`, arch);
  }
  return a;
}

/** What FeatureSet.current() and hostArch() read; lib/host/current.ts provides it. */
export interface HostProvider {
  arch(): Arch;
  words(view: 'process' | 'kernel' | 'libc'): HwcapWords;
}
let provider: HostProvider | undefined;

/** Installs the host layer (done once by lib/host/current.ts); the core itself reads nothing. */
export function setHostProvider(p: HostProvider): void {
  provider = p;
}

function host(): HostProvider {
  if (provider === undefined) throw new Error("hwcap: this machine's features need the host layer (import 'hwcap', not hwcap/dist/core)");
  return provider;
}

/** This machine's architecture, as uname -m names it. */
export function hostArch(): Arch {
  return host().arch();
}

// ---------------------------------------------------------------------------------------------
// Tables, precomputed once per architecture

interface Table {
  readonly arch: Arch;
  readonly rows: readonly Feature[];
  /** name → row */
  readonly byName: ReadonlyMap<string, Feature>;
  /** [word index][bit] → row */
  readonly byBit: readonly (readonly (Feature | undefined)[])[];
  /** per word: the bits that have a name */
  readonly known: readonly bigint[];
}

const SOURCES: Record<Arch, readonly Feature[]> = {
  x86_64: X86_64, aarch64: AARCH64, riscv64: RISCV64, ppc64le: PPC64LE, s390x: S390X, loongarch64: LOONGARCH64,
};

const tables = new Map<Arch, Table>();

function table(arch: Arch): Table {
  let t = tables.get(arch);
  if (t === undefined) {
    const rows = Object.freeze(SOURCES[arch].map((r) => Object.freeze({ ...r })));
    const byName = new Map<string, Feature>();
    const byBit: (Feature | undefined)[][] = WORD_NAMES.map(() => new Array<Feature | undefined>(64).fill(undefined));
    const known = [0n, 0n, 0n, 0n];
    for (const r of rows) {
      const wi = WORD_NAMES.indexOf(r.word);
      if (wi < 0 || !Number.isInteger(r.bit) || r.bit < 0 || r.bit > 63) throw new Error(`hwcap: bad row in the ${arch} table: ${JSON.stringify(r)}`);
      if (byName.has(r.name) || byBit[wi][r.bit]) throw new Error(`hwcap: duplicate row in the ${arch} table: ${r.name}`);
      byName.set(r.name, r);
      byBit[wi][r.bit] = r;
      known[wi] |= 1n << BigInt(r.bit);
    }
    t = { arch, rows, byName, byBit, known };
    tables.set(arch, t);
  }
  return t;
}

/** Every row of an architecture's table, in word then bit order. */
export function catalog(arch: Arch | string): readonly Feature[] {
  return table(normalizeArch(arch)).rows;
}

const UNKNOWN_RE = /^bit(\d{1,2})@(AT_HWCAP[234]?)$/i;

/** The name of a set bit that no table row names, e.g. `bit40@AT_HWCAP2`. */
export function unknownBitName(word: WordName, bit: number): string {
  return `bit${bit}@${word}`;
}

function parseUnknown(name: string): { wi: number; bit: number } | undefined {
  const m = UNKNOWN_RE.exec(name);
  if (!m) return undefined;
  const bit = Number(m[1]);
  if (bit > 63) return undefined;
  return { wi: WORD_NAMES.indexOf(m[2].toUpperCase() as WordName), bit };
}

/** Decodes four words into names (table names, then `bit<N>@AT_HWCAPn` for unnamed set bits), in word and bit order. */
export function decodeWords(arch: Arch | string, words: Partial<HwcapWords>): string[] {
  const t = table(normalizeArch(arch));
  const out: string[] = [];
  for (let wi = 0; wi < 4; wi++) {
    const w = words[WORD_KEYS[wi]] ?? 0n;
    if (w === 0n) continue;
    for (let bit = 0; bit < 64; bit++) {
      if ((w >> BigInt(bit)) & 1n) out.push(t.byBit[wi][bit]?.name ?? unknownBitName(WORD_NAMES[wi], bit));
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Close matches for error messages

/** Up to three table names close to `name` (edit distance, or one containing the other). */
export function closeMatches(arch: Arch | string, name: string): string[] {
  const t = table(normalizeArch(arch));
  if (typeof name !== 'string') throw invalidArgType('name', 'of type string', name);
  const q = name.toLowerCase().replace(/[-_\s]/g, '');
  const limit = Math.max(1, Math.min(3, Math.floor(q.length / 3)));
  return [...t.byName.keys()]
    .map((n) => {
      const flat = n.replace(/[-_]/g, '');
      const prefix = q.length >= 3 && (flat.startsWith(q) || q.startsWith(flat));
      return { n, d: editDistance(q, flat), prefix };
    })
    .filter((x) => x.d <= limit || x.prefix)
    .sort((x, y) => x.d - y.d || Number(y.prefix) - Number(x.prefix) || x.n.localeCompare(y.n))
    .slice(0, 3)
    .map((x) => x.n);
}

function unknownNameError(t: Table, argName: string, name: unknown): RangeError {
  if (typeof name !== 'string') return invalidArgType(argName, 'a feature name string', name) as unknown as RangeError;
  const close = closeMatches(t.arch, name);
  const hint = close.length ? ` (did you mean ${close.map((c) => `'${c}'`).join(', ')}?)` : ` (catalog('${t.arch}') lists the names)`;
  const e = invalidArgValue(argName, `is not a HWCAP feature name on ${t.arch}${hint}`, name) as RangeError & { suggestions?: string[] };
  e.suggestions = close;
  return e;
}

/** (word index, bit) of a name, or throws naming the argument. */
function locate(t: Table, name: unknown, argName: string): { wi: number; bit: number } {
  if (typeof name === 'string') {
    const r = t.byName.get(name) ?? t.byName.get(name.trim().toLowerCase());
    if (r) return { wi: WORD_NAMES.indexOf(r.word), bit: r.bit };
    const u = parseUnknown(name.trim());
    if (u) return u;
  }
  throw unknownNameError(t, argName, name);
}

function wordsFromNames(t: Table, names: unknown, argName: string): HwcapWords {
  if (typeof names === 'string' || names === null || typeof names !== 'object' || typeof (names as Iterable<unknown>)[Symbol.iterator] !== 'function') {
    throw invalidArgType(argName, 'an array (or iterable) of feature name strings', names);
  }
  const w = [0n, 0n, 0n, 0n];
  let i = 0;
  for (const n of names as Iterable<unknown>) {
    const { wi, bit } = locate(t, n, `${argName}[${i}]`);
    w[wi] |= 1n << BigInt(bit);
    i++;
  }
  return { hwcap: w[0], hwcap2: w[1], hwcap3: w[2], hwcap4: w[3] };
}

// ---------------------------------------------------------------------------------------------
// JSON

export const FEATURESET_SCHEMA = 'hwcap.featureset/1';

export type SchemaErrorCode = 'ERR_HWCAP_BAD_JSON' | 'ERR_HWCAP_SCHEMA' | 'ERR_HWCAP_SCHEMA_VERSION';

/** A document that is not JSON, not of our schema, or of a schema version this build cannot read. */
export class HwcapSchemaError extends Error {
  readonly code: SchemaErrorCode;
  /** Where in the document, e.g. `words.AT_HWCAP2` ('' for the whole document). */
  readonly path: string;
  constructor(code: SchemaErrorCode, path: string, message: string, options?: { cause?: unknown }) {
    super(path ? `${path}: ${message}` : message, options);
    this.name = 'HwcapSchemaError';
    this.code = code;
    this.path = path;
  }
}

/** Parses a JSON text (or takes an already parsed value) into a plain object. */
export function parseDocument(json: unknown, what: string): Record<string, unknown> {
  let v = json;
  if (typeof json === 'string' || Buffer.isBuffer(json)) {
    try {
      v = JSON.parse(json.toString());
    } catch (err) {
      throw new HwcapSchemaError('ERR_HWCAP_BAD_JSON', '', `${what} is not valid JSON (${(err as Error).message})`, { cause: err });
    }
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    throw new HwcapSchemaError('ERR_HWCAP_SCHEMA', '', `${what} must be a JSON object, got ${Array.isArray(v) ? 'an array' : v === null ? 'null' : typeof v}`);
  }
  return v as Record<string, unknown>;
}

/** Checks `schema: '<family>/<n>'` against the one version this build reads. */
export function checkSchema(doc: Record<string, unknown>, expected: string, path = 'schema'): void {
  const s = doc.schema;
  const [family, version] = expected.split('/');
  if (typeof s !== 'string') {
    throw new HwcapSchemaError('ERR_HWCAP_SCHEMA', path, `missing or not a string; expected '${expected}'`);
  }
  const m = /^(.+)\/(\d+)$/.exec(s);
  if (!m || m[1] !== family) {
    throw new HwcapSchemaError('ERR_HWCAP_SCHEMA', path, `'${s}' is not a ${family} document; expected '${expected}'`);
  }
  if (m[2] !== version) {
    throw new HwcapSchemaError('ERR_HWCAP_SCHEMA_VERSION', path, `unsupported schema version ${m[2]} ('${s}'); this hwcap reads version ${version} ('${expected}')`);
  }
}

export type WordsJSON = Partial<Record<WordName, string>>;

export function wordsToJSON(w: HwcapWords): Record<WordName, string> {
  return {
    AT_HWCAP: `0x${w.hwcap.toString(16)}`,
    AT_HWCAP2: `0x${w.hwcap2.toString(16)}`,
    AT_HWCAP3: `0x${w.hwcap3.toString(16)}`,
    AT_HWCAP4: `0x${w.hwcap4.toString(16)}`,
  };
}

/** Reads `{AT_HWCAP: '0x…', …}`; a word left out is 0. */
export function wordsFromJSON(v: unknown, path: string): HwcapWords {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    throw new HwcapSchemaError('ERR_HWCAP_SCHEMA', path, `must be an object {AT_HWCAP: '0x…', AT_HWCAP2: '0x…', …}`);
  }
  const out: HwcapWords = { hwcap: 0n, hwcap2: 0n, hwcap3: 0n, hwcap4: 0n };
  for (const [k, s] of Object.entries(v)) {
    const wi = WORD_NAMES.indexOf(k as WordName);
    if (wi < 0) throw new HwcapSchemaError('ERR_HWCAP_SCHEMA', `${path}.${k}`, `is not a HWCAP word; expected one of ${WORD_NAMES.join(', ')}`);
    if (typeof s !== 'string' || !/^0x[0-9a-f]{1,16}$/i.test(s)) {
      throw new HwcapSchemaError('ERR_HWCAP_SCHEMA', `${path}.${k}`, `must be a hex string of at most 64 bits like '0x178bfbff', got ${inspectValue(s)}`);
    }
    out[WORD_KEYS[wi]] = BigInt(s);
  }
  return out;
}

export interface FeatureSetJSON {
  schema: typeof FEATURESET_SCHEMA;
  arch: Arch;
  words: Record<WordName, string>;
  names: string[];
}

// ---------------------------------------------------------------------------------------------
// FeatureSet

const cachedCurrent = new Map<string, FeatureSet>();

export class FeatureSet {
  readonly arch: Arch;
  readonly words: Readonly<HwcapWords>;
  #names: readonly string[] | undefined;
  #set: ReadonlySet<string> | undefined;

  /** Use FeatureSet.fromWords / fromNames / fromJSON / current. */
  private constructor(arch: Arch, words: HwcapWords) {
    this.arch = arch;
    this.words = Object.freeze({ ...words });
    Object.freeze(this);
  }

  static fromWords(arch: Arch | string, words: Partial<HwcapWords>): FeatureSet {
    const a = normalizeArch(arch);
    const w = checkMask(words, 'words');
    return new FeatureSet(a, { hwcap: w.hwcap ?? 0n, hwcap2: w.hwcap2 ?? 0n, hwcap3: w.hwcap3 ?? 0n, hwcap4: w.hwcap4 ?? 0n });
  }

  /** Names as /proc/cpuinfo prints them, or `bit<N>@AT_HWCAPn`; an unknown name throws a RangeError with close matches. */
  static fromNames(arch: Arch | string, names: Iterable<string>): FeatureSet {
    const a = normalizeArch(arch);
    return new FeatureSet(a, wordsFromNames(table(a), names, 'names'));
  }

  /** Reads what toJSON wrote (a JSON string or the parsed object). */
  static fromJSON(json: string | object): FeatureSet {
    const doc = parseDocument(json, 'the FeatureSet document');
    checkSchema(doc, FEATURESET_SCHEMA);
    return featureSetFromDoc(doc, '');
  }

  /** This process's features in one of the auxv views (default: the startup stack copy). */
  static current(view: 'process' | 'kernel' | 'libc' = 'process'): FeatureSet {
    // The process view never changes during a process's life; the kernel view can (writeAuxv).
    const hit = view === 'process' ? cachedCurrent.get(view) : undefined;
    if (hit) return hit;
    const fs = new FeatureSet(hostArch(), host().words(view));
    if (view === 'process') cachedCurrent.set(view, fs);
    return fs;
  }

  /** Whether the set has a feature; a name that no table row has (and is not `bit<N>@…`) throws. */
  has(name: string): boolean {
    const set = this.#set ?? this.#buildSet();
    if (set.has(name)) return true;
    const t = table(this.arch);
    if (t.byName.has(name)) return false;
    locate(t, name, 'name'); // throws on a name that cannot be in any set
    const lower = typeof name === 'string' ? name.trim().toLowerCase() : name;
    if (lower !== name && set.has(lower)) return true;
    const u = parseUnknown(name.trim());
    return u !== undefined && ((this.words[WORD_KEYS[u.wi]] >> BigInt(u.bit)) & 1n) === 1n;
  }

  #buildSet(): ReadonlySet<string> {
    // Private fields stay writable on the frozen object: this is a cache, not state.
    const s = new Set(this.names());
    this.#set = s;
    return s;
  }

  /** Feature names in word and bit order; unnamed set bits as `bit<N>@AT_HWCAPn`. */
  names(): string[] {
    if (this.#names === undefined) this.#names = Object.freeze(decodeWords(this.arch, this.words));
    return [...this.#names];
  }

  /** Set bits that the table has no name for. */
  unknownBits(): { word: WordName; bit: number; name: string }[] {
    const t = table(this.arch);
    const out: { word: WordName; bit: number; name: string }[] = [];
    for (let wi = 0; wi < 4; wi++) {
      const extra = this.words[WORD_KEYS[wi]] & ~t.known[wi];
      for (let bit = 0; bit < 64; bit++) {
        if ((extra >> BigInt(bit)) & 1n) out.push({ word: WORD_NAMES[wi], bit, name: unknownBitName(WORD_NAMES[wi], bit) });
      }
    }
    return out;
  }

  /** Names of set features whose masking turns a protection off. */
  securityNames(): string[] {
    const t = table(this.arch);
    return this.names().filter((n) => t.byName.get(n)?.security === true);
  }

  intersect(other: FeatureSet): FeatureSet {
    this.#same(other);
    return this.#map((wi) => this.#w(wi) & other.#w(wi));
  }

  union(other: FeatureSet): FeatureSet {
    this.#same(other);
    return this.#map((wi) => this.#w(wi) | other.#w(wi));
  }

  /** The set without the named features (names as for fromNames). */
  without(names: Iterable<string>): FeatureSet {
    const drop = wordsFromNames(table(this.arch), names, 'names');
    return this.#map((wi) => this.#w(wi) & ~drop[WORD_KEYS[wi]]);
  }

  /** `missing`: what `other` has and this set lacks; `extra`: what this set has beyond `other`. */
  diff(other: FeatureSet): { missing: string[]; extra: string[] } {
    this.#same(other);
    const missing = this.#map((wi) => other.#w(wi) & ~this.#w(wi)).names();
    const extra = this.#map((wi) => this.#w(wi) & ~other.#w(wi)).names();
    return { missing, extra };
  }

  isSubsetOf(other: FeatureSet): boolean {
    this.#same(other);
    for (let wi = 0; wi < 4; wi++) if ((this.#w(wi) & ~other.#w(wi)) !== 0n) return false;
    return true;
  }

  equals(other: FeatureSet): boolean {
    if (!(other instanceof FeatureSet) || other.arch !== this.arch) return false;
    for (let wi = 0; wi < 4; wi++) if (this.#w(wi) !== other.#w(wi)) return false;
    return true;
  }

  get size(): number {
    return (this.#names ?? this.names()).length;
  }

  toJSON(): FeatureSetJSON {
    return { schema: FEATURESET_SCHEMA, arch: this.arch, words: wordsToJSON(this.words), names: this.names() };
  }

  toString(): string {
    return `FeatureSet(${this.arch}) [${this.names().join(' ')}]`;
  }

  [util.inspect.custom](): string {
    return this.toString();
  }

  #w(wi: number): bigint {
    return this.words[WORD_KEYS[wi]];
  }

  #map(f: (wi: number) => bigint): FeatureSet {
    return new FeatureSet(this.arch, { hwcap: f(0), hwcap2: f(1), hwcap3: f(2), hwcap4: f(3) });
  }

  #same(other: unknown): asserts other is FeatureSet {
    if (!(other instanceof FeatureSet)) throw invalidArgType('other', 'an instance of FeatureSet', other);
    if (other.arch !== this.arch) throw invalidArgValue('other', `is a ${other.arch} set; cannot combine it with a ${this.arch} set`);
  }
}

/** Builds a FeatureSet from `{arch, words, names?}` found at `path` of a document. */
export function featureSetFromDoc(doc: Record<string, unknown>, path: string): FeatureSet {
  const p = (k: string) => (path ? `${path}.${k}` : k);
  let arch: Arch;
  try {
    arch = normalizeArch(doc.arch as string);
  } catch {
    throw new HwcapSchemaError('ERR_HWCAP_SCHEMA', p('arch'), `must be one of ${ARCHES.join(', ')}, got ${inspectValue(doc.arch)}`);
  }
  if (doc.words === undefined) throw new HwcapSchemaError('ERR_HWCAP_SCHEMA', p('words'), 'is missing');
  const fs = FeatureSet.fromWords(arch, wordsFromJSON(doc.words, p('words')));
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
 * The words of FeatureSet.fromNames, with errors naming the caller's argument
 * (`options.hwcaps[0]` rather than `names[0]`); for the spawn family.
 */
export function wordsOfNames(arch: Arch | string, names: unknown, argName: string): HwcapWords {
  return wordsFromNames(table(normalizeArch(arch)), names, argName);
}
