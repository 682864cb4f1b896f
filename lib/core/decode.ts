// The tables, precomputed once per architecture, and the one pure decoder: words → names,
// names → words. A "slot" is one word a FeatureSet carries: the four auxv words, then (x86-64
// only) the CPUID words of cpuid.ts except CPUID.1:EDX, which is slot 0, AT_HWCAP.
import { invalidArgType, invalidArgValue } from '../errors';
import { editDistance } from './suggest';
import { normalizeArch, type Arch } from './arch';
import { AMD_MIRROR_MASK, CPUID_WORD_NAMES, XSAVE_GROUP_STATE, type CpuidWordName, type CpuidWords, type XsaveGroup } from './cpuid';
import { FEATURES as X86_64, LEVELS, XSAVE_GROUPS } from './tables/x86_64';
import { FEATURES as AARCH64 } from './tables/aarch64';
import { FEATURES as RISCV64 } from './tables/riscv64';
import { FEATURES as PPC64LE } from './tables/ppc64le';
import { FEATURES as S390X } from './tables/s390x';
import { FEATURES as LOONGARCH64 } from './tables/loongarch64';

import type { Feature, WordName } from './row';

export type { CpuidWordName } from './cpuid';
export type { Feature, Place, WordName } from './row';

export const WORD_NAMES: readonly WordName[] = Object.freeze(['AT_HWCAP', 'AT_HWCAP2', 'AT_HWCAP3', 'AT_HWCAP4']);
export const WORD_KEYS = ['hwcap', 'hwcap2', 'hwcap3', 'hwcap4'] as const;

/** The x86-64 psABI level names, lowest first. */
export const LEVEL_NAMES: readonly string[] = Object.freeze(LEVELS.map((l) => l.name));

export interface Table {
  readonly arch: Arch;
  readonly rows: readonly Feature[];
  /** The words a set of this arch carries, in order. */
  readonly slots: readonly string[];
  readonly byName: ReadonlyMap<string, Feature>;
  /** name → [slot, bit] of every place */
  readonly places: ReadonlyMap<string, readonly (readonly [number, number])[]>;
  /** [slot][bit] → row */
  readonly byBit: readonly (readonly (Feature | undefined)[])[];
  /** per slot: the bits that have a name */
  readonly known: readonly bigint[];
  /** per slot: the widest value (64-bit auxv words, 32-bit CPUID words) */
  readonly width: readonly number[];
}

const SOURCES: Record<Arch, readonly Feature[]> = {
  x86_64: X86_64, aarch64: AARCH64, riscv64: RISCV64, ppc64le: PPC64LE, s390x: S390X, loongarch64: LOONGARCH64,
};

const tables = new Map<Arch, Table>();

/** The slot of a word name on an arch (-1 when the arch has no such word). */
export function slotOf(t: Table, word: string): number {
  if (t.arch === 'x86_64' && word === 'CPUID.1:EDX') return 0;
  return t.slots.indexOf(word);
}

export function table(arch: Arch): Table {
  let t = tables.get(arch);
  if (t === undefined) {
    const slots = arch === 'x86_64' ? [...WORD_NAMES, ...CPUID_WORD_NAMES.slice(1)] : [...WORD_NAMES];
    const width = slots.map((s) => (s.startsWith('CPUID.') ? 32 : 64));
    const rows = Object.freeze(SOURCES[arch].map((r) => Object.freeze({ ...r })));
    const byName = new Map<string, Feature>();
    const places = new Map<string, (readonly [number, number])[]>();
    const byBit: (Feature | undefined)[][] = slots.map(() => new Array<Feature | undefined>(64).fill(undefined));
    const known = slots.map(() => 0n);
    const partial = { arch, slots } as unknown as Table;
    for (const r of rows) {
      if (byName.has(r.name)) throw new Error(`hwcap: duplicate name in the ${arch} table: ${r.name}`);
      const list: (readonly [number, number])[] = [];
      for (const p of r.also ? [r, r.also] : [r]) {
        const s = slotOf(partial, p.word);
        if (s < 0 || !Number.isInteger(p.bit) || p.bit < 0 || p.bit >= (width[s] ?? 0)) throw new Error(`hwcap: bad row in the ${arch} table: ${JSON.stringify(r)}`);
        const bits = byBit[s]!; // s >= 0: a slot of this table
        if (bits[p.bit]) throw new Error(`hwcap: two rows for ${p.word} bit ${p.bit} in the ${arch} table`);
        bits[p.bit] = r;
        known[s] = (known[s] ?? 0n) | (1n << BigInt(p.bit));
        list.push([s, p.bit]);
      }
      byName.set(r.name, r);
      places.set(r.name, list);
    }
    t = { arch, rows, slots, byName, places, byBit, known, width };
    tables.set(arch, t);
  }
  return t;
}

/** Every row of an architecture's table, auxv words first, then the CPUID words, in bit order. */
export function catalog(arch: Arch | string): readonly Feature[] {
  return table(normalizeArch(arch)).rows;
}

/** The name of a set bit that no table row names, e.g. `bit40@AT_HWCAP2`, `bit3@CPUID.7.0:EBX`. */
export function unknownBitName(word: WordName | CpuidWordName, bit: number): string {
  return `bit${bit}@${word}`;
}

const UNKNOWN_RE = /^bit(\d{1,2})@(.+)$/i;

function parseUnknown(t: Table, name: string): { slot: number; bit: number } | undefined {
  const m = UNKNOWN_RE.exec(name);
  if (!m) return undefined;
  const bit = Number(m[1]);
  const slot = slotOf(t, (m[2] ?? '').toUpperCase());
  if (slot < 0 || bit >= (t.width[slot] ?? 0)) return undefined;
  return { slot, bit };
}

/** Slot values → names (table names, then `bit<N>@<WORD>` for unnamed set bits), in slot and bit order. */
export function decodeSlots(t: Table, v: readonly bigint[]): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  for (let s = 0; s < t.slots.length; s++) {
    const w = v[s] ?? 0n;
    if (w === 0n) continue;
    for (let bit = 0; bit < (t.width[s] ?? 0); bit++) {
      if (!((w >> BigInt(bit)) & 1n)) continue;
      const r = t.byBit[s]?.[bit];
      // A feature with two places (fsgsbase) is present only where both are set; one place alone
      // (a CPU bit the kernel did not enable, say) shows as that bit.
      const whole = r !== undefined && (t.places.get(r.name) ?? []).every(([ps, pb]) => (((v[ps] ?? 0n) >> BigInt(pb)) & 1n) === 1n);
      const n = r && whole ? r.name : unknownBitName(t.slots[s] as WordName, bit);
      if (!seen.has(n)) {
        seen.add(n);
        out.push(n);
      }
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Names → slots

/** The features a psABI level name stands for (it and every level below), or undefined. */
export function levelFeatures(arch: Arch, name: string): string[] | undefined {
  if (arch !== 'x86_64') return undefined;
  const i = LEVEL_NAMES.indexOf(name.trim().toLowerCase());
  if (i < 0) return undefined;
  return LEVELS.slice(0, i + 1).flatMap((l) => [...l.adds]);
}

/** What a psABI level name keeps in a name list: its features and its `keeps` (tables/x86_64.ts), and every level's below. */
function levelKeeps(arch: Arch, name: string): string[] | undefined {
  if (arch !== 'x86_64') return undefined;
  const i = LEVEL_NAMES.indexOf(name.trim().toLowerCase());
  if (i < 0) return undefined;
  return LEVELS.slice(0, i + 1).flatMap((l) => [...l.adds, ...l.keeps]);
}

/** What dropping a level removes: what it adds and what every level above it adds. */
function levelDrop(name: string): string[] {
  const i = LEVEL_NAMES.indexOf(name.trim().toLowerCase());
  return LEVELS.slice(i).flatMap((l) => [...l.adds]);
}

/** Up to three table names close to `name` (edit distance, or one containing the other). */
export function closeMatches(arch: Arch | string, name: string): string[] {
  const t = table(normalizeArch(arch));
  if (typeof name !== 'string') throw invalidArgType('name', 'of type string', name);
  const q = name.toLowerCase().replace(/[-_\s]/g, '');
  const limit = Math.max(1, Math.min(3, Math.floor(q.length / 3)));
  const candidates = [...t.byName.keys(), ...(t.arch === 'x86_64' ? LEVEL_NAMES : [])];
  return candidates
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

function unknownNameError(t: Table, argName: string, name: unknown): Error {
  if (typeof name !== 'string') return invalidArgType(argName, 'a feature name string', name);
  const close = closeMatches(t.arch, name);
  const hint = close.length ? ` (did you mean ${close.map((c) => `'${c}'`).join(', ')}?)` : ` (catalog('${t.arch}') lists the names)`;
  const e = invalidArgValue(argName, `is not a feature name on ${t.arch}${hint}`, name) as RangeError & { suggestions?: string[] };
  e.suggestions = close;
  return e;
}

/** The places of one feature name (a table name or `bit<N>@<WORD>`), or throws naming the argument. */
export function locate(t: Table, name: unknown, argName: string): readonly (readonly [number, number])[] {
  if (typeof name === 'string') {
    const p = t.places.get(name) ?? t.places.get(name.trim().toLowerCase());
    if (p) return p;
    const u = parseUnknown(t, name.trim());
    if (u) return [[u.slot, u.bit]];
  }
  throw unknownNameError(t, argName, name);
}

function iterate(names: unknown, argName: string): unknown[] {
  if (typeof names === 'string' || names === null || typeof names !== 'object' || typeof (names as Iterable<unknown>)[Symbol.iterator] !== 'function') {
    throw invalidArgType(argName, 'an array (or iterable) of feature name strings', names);
  }
  return [...(names as Iterable<unknown>)];
}

/** Slot values with every named feature set; psABI level names expand to their features. */
export function slotsFromNames(t: Table, names: unknown, argName: string): bigint[] {
  const v = t.slots.map(() => 0n);
  iterate(names, argName).forEach((n, i) => {
    const arg = `${argName}[${i}]`;
    const level = typeof n === 'string' ? levelKeeps(t.arch, n) : undefined;
    for (const name of level ?? [n]) for (const [s, bit] of locate(t, name, arg)) v[s] = (v[s] ?? 0n) | (1n << BigInt(bit));
  });
  return v;
}

/**
 * The bits to clear for without(names): each name's places; a level name drops what it and
 * every level above it add (the set then meets at most the level below); dropping the head of an
 * XSAVE group (avx, avx512f, amx_tile, apx; or xsave/osxsave for all of them) drops the whole
 * group, as the kernel's cpuid-deps.c does, since runtimes such as Go test avx2 without avx.
 */
export function slotsToDrop(t: Table, names: unknown, argName: string): bigint[] {
  const v = t.slots.map(() => 0n);
  const add = (name: unknown, arg: string) => {
    for (const [s, bit] of locate(t, name, arg)) v[s] = (v[s] ?? 0n) | (1n << BigInt(bit));
  };
  const dropWithDependents = (n: unknown, arg: string) => {
    add(n, arg);
    if (t.arch !== 'x86_64' || typeof n !== 'string') return;
    const key = t.byName.has(n) ? n : n.trim().toLowerCase();
    for (const [group, members] of Object.entries(XSAVE_GROUPS) as [XsaveGroup, readonly string[]][]) {
      const all = key === 'xsave' || key === 'osxsave';
      if (all || key === members[0] || (group === 'avx512' && key === 'avx')) for (const m of members) add(m, arg);
    }
  };
  iterate(names, argName).forEach((n, i) => {
    const arg = `${argName}[${i}]`;
    if (typeof n === 'string' && levelFeatures(t.arch, n)) {
      for (const name of levelDrop(n)) dropWithDependents(name, arg);
      return;
    }
    dropWithDependents(n, arg);
  });
  return v;
}

// ---------------------------------------------------------------------------------------------
// Gating the raw CPUID words by what the OS enabled

/**
 * The CPUID words as a program may use them: each XSAVE group's bits cleared unless OSXSAVE is set
 * and XCR0 enables the group's states (AVX: SSE|YMM; AVX-512: also opmask, ZMM_Hi256, Hi16_ZMM;
 * AMX: XTILECFG|XTILEDATA; APX: its state, bit 19). Pure: the host passes XCR0.
 */
export function gateCpuid(words: CpuidWords, xcr0: bigint | undefined): CpuidWords {
  const t = table('x86_64');
  if (xcr0 !== undefined && typeof xcr0 !== 'bigint') throw invalidArgType('xcr0', 'of type bigint or undefined', xcr0);
  const out = { ...words } as Record<CpuidWordName, number>;
  const osxsave = ((words['CPUID.1:ECX'] ?? 0) >>> 27) & 1;
  for (const [group, members] of Object.entries(XSAVE_GROUPS) as [XsaveGroup, readonly string[]][]) {
    const need = XSAVE_GROUP_STATE[group];
    if (osxsave && xcr0 !== undefined && (xcr0 & need) === need) continue;
    for (const m of members) {
      for (const [s, bit] of t.places.get(m) ?? []) {
        const w = t.slots[s] as CpuidWordName;
        if (w in out) out[w] = ((out[w] ?? 0) & ~(1 << bit)) >>> 0;
      }
    }
  }
  return Object.freeze(out);
}

/** Clears AMD's mirror bits in CPUID.80000001:EDX (see cpuid.ts). */
export function normalizeSlot(t: Table, slot: number, v: bigint): bigint {
  return t.arch === 'x86_64' && t.slots[slot] === 'CPUID.80000001:EDX' ? v & ~BigInt(AMD_MIRROR_MASK) : v;
}
