// The auxv as data: AT_* types, the HWCAP words, parsing /proc/<pid>/auxv bytes and ANDing a
// mask into a vector. Pure: nothing here reads this machine.
import { invalidArgType, invalidArgValue, outOfRange } from '../errors';

/**
 * Every AT_* type the kernel defines: include/uapi/linux/auxvec.h (Linux 6.18)
 * plus the arch headers arch/{x86,powerpc,alpha,sh,riscv,loongarch}/include/uapi/asm/auxvec.h.
 */
export const AT = Object.freeze({
  AT_NULL: 0,
  AT_IGNORE: 1,
  AT_EXECFD: 2,
  AT_PHDR: 3,
  AT_PHENT: 4,
  AT_PHNUM: 5,
  AT_PAGESZ: 6,
  AT_BASE: 7,
  AT_FLAGS: 8,
  AT_ENTRY: 9,
  AT_NOTELF: 10,
  AT_UID: 11,
  AT_EUID: 12,
  AT_GID: 13,
  AT_EGID: 14,
  AT_PLATFORM: 15,
  AT_HWCAP: 16,
  AT_CLKTCK: 17,
  AT_FPUCW: 18, // sh
  AT_DCACHEBSIZE: 19, // powerpc
  AT_ICACHEBSIZE: 20, // powerpc
  AT_UCACHEBSIZE: 21, // powerpc
  AT_IGNOREPPC: 22, // powerpc
  AT_SECURE: 23,
  AT_BASE_PLATFORM: 24,
  AT_RANDOM: 25,
  AT_HWCAP2: 26,
  AT_RSEQ_FEATURE_SIZE: 27,
  AT_RSEQ_ALIGN: 28,
  AT_HWCAP3: 29,
  AT_HWCAP4: 30,
  AT_EXECFN: 31,
  AT_SYSINFO: 32, // i386
  AT_SYSINFO_EHDR: 33,
  AT_L1I_CACHESHAPE: 34, // alpha, sh
  AT_L1D_CACHESHAPE: 35,
  AT_L2_CACHESHAPE: 36,
  AT_L3_CACHESHAPE: 37,
  AT_L1I_CACHESIZE: 40, // powerpc, riscv, loongarch
  AT_L1I_CACHEGEOMETRY: 41,
  AT_L1D_CACHESIZE: 42,
  AT_L1D_CACHEGEOMETRY: 43,
  AT_L2_CACHESIZE: 44,
  AT_L2_CACHEGEOMETRY: 45,
  AT_L3_CACHESIZE: 46,
  AT_L3_CACHEGEOMETRY: 47,
  AT_MINSIGSTKSZ: 51,
} as const);

export type AtName = keyof typeof AT;

const NAMES: ReadonlyMap<number, AtName> = new Map(
  (Object.entries(AT) as [AtName, number][]).map(([name, type]) => [type, name]),
);

/** The AT_* name of a type, or `AT_<n>` for one the kernel headers do not name. */
export function atName(type: number): string {
  if (typeof type !== 'number') throw invalidArgType('type', 'of type number', type);
  return NAMES.get(type) ?? `AT_${type}`;
}

export interface AuxvEntry {
  readonly type: number;
  readonly name: string;
  readonly value: bigint;
}

export interface HwcapWords {
  hwcap: bigint;
  hwcap2: bigint;
  hwcap3: bigint;
  hwcap4: bigint;
}

/** The four HWCAP words and their AT_* types, in order. */
export const HWCAP_TYPES = Object.freeze({
  hwcap: AT.AT_HWCAP,
  hwcap2: AT.AT_HWCAP2,
  hwcap3: AT.AT_HWCAP3,
  hwcap4: AT.AT_HWCAP4,
} as const);

export const WORD_KEYS = Object.keys(HWCAP_TYPES) as (keyof HwcapWords)[];
export const U64_MAX = (1n << 64n) - 1n;
export const U32_MAX = 0xffff_ffff;
const isLittleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

export function toEntries(words: ArrayLike<bigint>): AuxvEntry[] {
  const out: AuxvEntry[] = [];
  for (let i = 0; i + 1 < words.length; i += 2) {
    const type = Number(words[i]);
    out.push({ type, name: atName(type), value: words[i + 1] ?? 0n });
    if (type === AT.AT_NULL) break;
  }
  return out;
}

/** Parses the bytes of /proc/<pid>/auxv: pairs of native 64-bit words. */
export function parseAuxvBytes(buf: Uint8Array): AuxvEntry[] {
  if (!(buf instanceof Uint8Array)) throw invalidArgType('buf', 'an instance of Buffer or Uint8Array', buf);
  if (buf.byteLength % 16 !== 0) {
    throw invalidArgValue('buf', `must hold whole pairs of 8-byte words (${buf.byteLength} bytes is not a multiple of 16)`);
  }
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const words: bigint[] = [];
  for (let off = 0; off < buf.byteLength; off += 8) words.push(view.getBigUint64(off, isLittleEndian));
  return toEntries(words);
}

/** The four HWCAP words found in a list of entries. */
export function wordsOf(entries: readonly { type: number; value: bigint }[]): HwcapWords {
  checkEntries(entries, 'entries');
  const w: HwcapWords = { hwcap: 0n, hwcap2: 0n, hwcap3: 0n, hwcap4: 0n };
  for (const e of entries) {
    if (e.type === AT.AT_NULL) break;
    for (const k of WORD_KEYS) if (e.type === HWCAP_TYPES[k]) w[k] = e.value;
  }
  return w;
}

/** Checks an array of { type: number, value: bigint } entries. */
export function checkEntries(entries: unknown, arg: string): void {
  if (!Array.isArray(entries)) throw invalidArgType(arg, 'an array of { type, value } entries', entries);
  for (let i = 0; i < entries.length; i++) {
    const e: unknown = entries[i]; // a hole in a sparse array reads as undefined here
    if (typeof e !== 'object' || e === null) throw invalidArgType(`${arg}[${i}]`, 'an object { type, value }', e);
    const { type, value } = e as { type: unknown; value: unknown };
    if (typeof type !== 'number') throw invalidArgType(`${arg}[${i}].type`, 'of type number', type);
    if (typeof value !== 'bigint') throw invalidArgType(`${arg}[${i}].value`, 'of type bigint', value);
  }
}

export type HwcapMask = Partial<HwcapWords>;

/** Validates a { hwcap?, hwcap2?, hwcap3?, hwcap4? } object of words to keep. */
export function checkMask(mask: unknown, arg = 'mask'): HwcapMask {
  if (typeof mask !== 'object' || mask === null || Array.isArray(mask)) {
    throw invalidArgType(arg, 'an object { hwcap?, hwcap2?, hwcap3?, hwcap4? } of bigint words', mask);
  }
  const out: HwcapMask = {};
  for (const [k, v] of Object.entries(mask)) {
    if (!(WORD_KEYS as string[]).includes(k)) {
      throw invalidArgValue(`${arg}.${k}`, `is not a HWCAP word; expected one of ${WORD_KEYS.join(', ')}`);
    }
    if (v === undefined) continue;
    if (typeof v !== 'bigint') throw invalidArgType(`${arg}.${k}`, 'of type bigint', v);
    if (v < 0n || v > U64_MAX) throw outOfRange(`${arg}.${k}`, '>= 0n and < 2n ** 64n', v);
    out[k as keyof HwcapWords] = v;
  }
  return out;
}

/** The vector with each HWCAP word ANDed with the mask's word; nothing else changes. */
export function applyMask<E extends { type: number; value: bigint }>(entries: readonly E[], mask: HwcapMask): { type: number; value: bigint }[] {
  checkEntries(entries, 'entries');
  const m = checkMask(mask);
  return entries.map((e) => {
    for (const k of WORD_KEYS) {
      const keep = m[k];
      if (keep !== undefined && e.type === HWCAP_TYPES[k]) return { type: e.type, value: e.value & keep };
    }
    return { type: e.type, value: e.value };
  });
}
