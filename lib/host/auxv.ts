// Reading and writing the ELF auxiliary vector in its three views:
//   process — the startup stack copy that ld.so, libc, Go, V8 … read;
//   kernel  — mm->saved_auxv (PR_GET_AUXV, /proc/self/auxv); what PR_SET_MM changes;
//   libc    — getauxval(3); the process view except glibc's synthetic x86-64 AT_HWCAP.
import * as fs from 'node:fs';
import { native } from './native';
import { HwcapError, fromSystemError, invalidArgType, invalidArgValue, outOfRange } from '../errors';
import {
  AT,
  U32_MAX,
  U64_MAX,
  applyMask,
  parseAuxvBytes,
  checkMask,
  toEntries,
  wordsOf,
  type AuxvEntry,
  type HwcapMask,
  type HwcapWords,
} from '../core/words';
import { FeatureSet, hostArch } from '../core/features';



export type AuxvView = 'process' | 'kernel';
export type WordsView = AuxvView | 'libc';

// ---------------------------------------------------------------------------------------------
// Reading

let getAuxvWorks: boolean | undefined;
/** sizeof(mm->saved_auxv) in bytes, as PR_GET_AUXV reports it; fixed for the running kernel. */
let savedAuxvCapacity: number | undefined;

/** The kernel's saved copy as words (through AT_NULL), and its capacity in bytes when known. */
function kernelWords(): { words: ArrayLike<bigint>; capacity?: number } {
  if (getAuxvWorks !== false) {
    try {
      const r = native.getAuxvKernel();
      getAuxvWorks = true;
      savedAuxvCapacity = r.capacity;
      return r;
    } catch (err) {
      // Below Linux 6.4 PR_GET_AUXV is EINVAL: /proc/self/auxv holds the same copy.
      if (!(err instanceof HwcapError) || err.code !== 'EINVAL') throw err;
      getAuxvWorks = false;
    }
  }
  let buf: Buffer;
  try {
    buf = fs.readFileSync('/proc/self/auxv');
  } catch (err) {
    throw fromSystemError(err, 'open(/proc/self/auxv)');
  }
  const entries = parseAuxvBytes(buf);
  return { words: entries.flatMap((e) => [BigInt(e.type), e.value]) };
}

function checkView(view: unknown, allowLibc: boolean): asserts view is WordsView {
  const ok = view === 'process' || view === 'kernel' || (allowLibc && view === 'libc');
  if (!ok) {
    if (typeof view !== 'string') throw invalidArgType('view', allowLibc ? "one of 'process', 'kernel', 'libc'" : "one of 'process', 'kernel'", view);
    throw invalidArgValue('view', `must be ${allowLibc ? "'process', 'kernel' or 'libc'" : "'process' or 'kernel'"}`, view);
  }
}

/**
 * The auxv in one view, in order, ending with its AT_NULL entry (so that the
 * result can be handed back to writeAuxv unchanged).
 */
export function readAuxv(view: AuxvView = 'process'): AuxvEntry[] {
  checkView(view, false);
  if (view === 'process') return toEntries(native.readStartupAuxv());
  return toEntries(kernelWords().words);
}

/** 'AT_HWCAP2' and 'HWCAP2' → 26: the exact spellings, looked up before any case folding. */
const BY_NAME: ReadonlyMap<string, number> = new Map(
  (Object.entries(AT) as [string, number][]).flatMap(([name, type]) => [
    [name, type],
    [name.slice(3), type],
  ]),
);

function toType(typeOrName: unknown, argName = 'typeOrName'): number {
  if (typeof typeOrName === 'string') {
    const t = BY_NAME.get(typeOrName) ?? BY_NAME.get(typeOrName.toUpperCase());
    if (t === undefined) throw invalidArgValue(argName, 'must be an AT_* name the kernel defines (such as AT_HWCAP2) or a number', typeOrName);
    return t;
  }
  if (typeof typeOrName !== 'number') throw invalidArgType(argName, 'of type number or string', typeOrName);
  if (!Number.isInteger(typeOrName) || typeOrName < 0 || typeOrName > U32_MAX) {
    throw outOfRange(argName, `an integer >= 0 and <= ${U32_MAX}`, typeOrName);
  }
  return typeOrName;
}

/** getauxval(3) through libc: a bigint, or undefined when libc has no such entry. */
export function getauxval(typeOrName: number | string): bigint | undefined {
  return native.getauxval(toType(typeOrName));
}

/** The four HWCAP words of a view; a word the vector lacks is 0n. */
export function hwcapWords(view: WordsView = 'process'): HwcapWords {
  checkView(view, true);
  if (view === 'libc') {
    return {
      hwcap: native.getauxval(AT.AT_HWCAP) ?? 0n,
      hwcap2: native.getauxval(AT.AT_HWCAP2) ?? 0n,
      hwcap3: native.getauxval(AT.AT_HWCAP3) ?? 0n,
      hwcap4: native.getauxval(AT.AT_HWCAP4) ?? 0n,
    };
  }
  return wordsOf(readAuxv(view));
}

// ---------------------------------------------------------------------------------------------
// Writing

export type WriteMethod = 'auto' | 'map' | 'auxv';

export interface WriteOptions {
  /** 'auxv': PR_SET_MM_AUXV (needs CAP_SYS_RESOURCE); 'map': PR_SET_MM_MAP (no capability); 'auto' (default) picks. */
  method?: WriteMethod;
}

export interface WriteResult {
  /** The method used. */
  method: 'map' | 'auxv';
  /** Number of 8-byte words written, padding included. */
  words: number;
}

/** Effective capabilities of this process, from /proc/self/status CapEff. */
export function effectiveCapabilities(): bigint {
  const status = fs.readFileSync('/proc/self/status', 'latin1');
  const m = /^CapEff:\s*([0-9a-f]+)$/m.exec(status);
  return m ? BigInt(`0x${m[1]}`) : 0n;
}

export const CAP_SYS_RESOURCE = 24;

/** Does this process hold CAP_SYS_RESOURCE, as PR_SET_MM_AUXV needs? */
export function hasCapSysResource(): boolean {
  return ((effectiveCapabilities() >> BigInt(CAP_SYS_RESOURCE)) & 1n) === 1n;
}

type WordsInput = readonly { type: number; value: bigint }[] | readonly bigint[] | BigUint64Array;

/** Validates and flattens entries or raw words into words ending at the first AT_NULL. */
function normalizeVector(input: unknown): bigint[] {
  const arg = 'entriesOrWords';
  if (input instanceof BigUint64Array) return checkWords(Array.from(input));
  if (!Array.isArray(input)) throw invalidArgType(arg, 'an array of { type, value } entries, an array of bigint words or a BigUint64Array', input);
  if (input.length === 0) throw invalidArgValue(arg, 'must not be empty; it needs at least the AT_NULL entry');
  if (typeof input[0] === 'bigint') {
    // Index loops, not forEach: a hole in a sparse array must be seen as undefined.
    for (let i = 0; i < input.length; i++) {
      if (typeof input[i] !== 'bigint') throw invalidArgType(`${arg}[${i}]`, 'of type bigint', input[i]);
    }
    return checkWords(input as bigint[]);
  }
  const words: bigint[] = [];
  for (let i = 0; i < input.length; i++) {
    const e: unknown = input[i];
    if (typeof e !== 'object' || e === null) throw invalidArgType(`${arg}[${i}]`, 'an object { type, value }', e);
    const { type, value } = e as { type: unknown; value: unknown };
    const t = toType(type, `${arg}[${i}].type`);
    if (typeof value !== 'bigint') throw invalidArgType(`${arg}[${i}].value`, 'of type bigint', value);
    words.push(BigInt(t), value);
  }
  return checkWords(words);
}

function checkWords(words: bigint[]): bigint[] {
  const arg = 'entriesOrWords';
  if (words.length % 2 !== 0) throw invalidArgValue(arg, `must hold whole type/value pairs; ${words.length} words is an odd number`);
  words.forEach((w, i) => {
    if (w < 0n || w > U64_MAX) throw outOfRange(`${arg}[${i}]`, '>= 0n and < 2n ** 64n', w);
  });
  let end = -1;
  for (let i = 0; i < words.length; i += 2) {
    if (words[i] === 0n) {
      end = i + 2;
      break;
    }
  }
  if (end < 0) throw invalidArgValue(arg, 'has no AT_NULL entry to end the vector');
  if (end !== words.length) throw invalidArgValue(arg, `has ${(words.length - end) / 2} entries after AT_NULL; the kernel would ignore them`);
  return words;
}

function resolveMethod(options: unknown): 'map' | 'auxv' {
  if (options === undefined) return hasCapSysResource() ? 'auxv' : 'map';
  if (typeof options !== 'object' || options === null) throw invalidArgType('options', 'of type object', options);
  const method = (options as WriteOptions).method ?? 'auto';
  if (method !== 'auto' && method !== 'map' && method !== 'auxv') throw invalidArgValue('options.method', "must be 'auto', 'map' or 'auxv'", method);
  if (method === 'auto') return hasCapSysResource() ? 'auxv' : 'map';
  return method;
}

/**
 * Writes the kernel's saved copy of the auxv. The whole vector is written,
 * padded with zeros to the kernel's capacity, so that no stale tail of the
 * old vector survives (PR_SET_MM_AUXV copies only the bytes it is given).
 * The calling process's own stack copy, and so its getauxval(), do not change.
 */
export function writeAuxv(entriesOrWords: WordsInput, options?: WriteOptions): WriteResult {
  const words = normalizeVector(entriesOrWords);
  const method = resolveMethod(options);
  // The capacity is read once; without PR_GET_AUXV the vector is padded to the current one's length.
  let capacity = savedAuxvCapacity;
  let currentLength = 0;
  if (capacity === undefined) {
    const k = kernelWords();
    capacity = k.capacity;
    currentLength = k.words.length;
  }
  const capWords = capacity !== undefined ? capacity / 8 : Math.max(words.length, currentLength);
  if (capacity !== undefined && words.length > capWords) {
    throw outOfRange('entriesOrWords', `at most ${capWords / 2} entries (the kernel's saved_auxv holds ${capacity} bytes)`, `${words.length / 2} entries`);
  }
  const buf = new BigUint64Array(capWords);
  buf.set(words);
  if (method === 'auxv') native.setMmAuxv(buf);
  else native.setMmMap(buf);
  return { method, words: buf.length };
}

/**
 * The words of a FeatureSet to keep on this machine: a set of another
 * architecture names other bits at the same positions, so it is refused
 * (ERR_INVALID_ARG_VALUE naming `argName`) rather than applied by bit position.
 * A word the set lacks keeps nothing.
 */
export function hostWords(set: FeatureSet, argName: string): HwcapWords {
  const here = hostArch();
  if (set.arch !== here) {
    throw invalidArgValue(argName, `is a FeatureSet for ${set.arch}, but this machine is ${here}; its bits name other features here`, set.arch);
  }
  const w = set.words;
  return { hwcap: w.hwcap ?? 0n, hwcap2: w.hwcap2 ?? 0n, hwcap3: w.hwcap3 ?? 0n, hwcap4: w.hwcap4 ?? 0n };
}

/**
 * ANDs the words to keep (a mask, or a FeatureSet of this machine's architecture)
 * into the kernel view and writes it back. A bit that
 * was not set stays unset; a word left out is left as it is.
 * Returns the HWCAP words now in the kernel view.
 */
export function maskHwcaps(mask: HwcapMask | FeatureSet, options?: WriteOptions): HwcapWords {
  const m = mask instanceof FeatureSet ? hostWords(mask, 'mask') : checkMask(mask);
  const entries = readAuxv('kernel');
  const masked = applyMask(entries, m);
  writeAuxv(masked, options);
  return wordsOf(masked);
}

// ---------------------------------------------------------------------------------------------
// PR_USER_HWCAP_ENABLED

/**
 * Is this a prctl number include/uapi/linux/prctl.h already assigns (Linux 6.18)?
 * Calling one of those with zero arguments may change state (24 is
 * PR_CAPBSET_DROP), so a configured PR_USER_HWCAP_ENABLED must be none of them.
 */
function isAssignedPrctl(n: number): boolean {
  return (n >= 1 && n <= 78) || n === 0x59616d61 || n === 0x53564d41 || n === 0x41555856;
}

export interface UserHwcapState {
  state: 'enforced' | 'not-enforced' | 'unknown';
  /** Where the prctl number came from: 'headers', 'option', 'environment', or 'none' when no call was made. */
  source: 'headers' | 'option' | 'environment' | 'none';
  /** The prctl number asked, when one was. */
  prctl?: number;
  /** Why the state is what it is. */
  reason: string;
}

export interface UserHwcapOptions {
  /** The PR_USER_HWCAP_ENABLED number to ask, for kernels that assign one. */
  prctlNumber?: number;
}

/**
 * Asks the proposed PR_USER_HWCAP_ENABLED whether HWCAPs set by the user are
 * the source of truth. No number was ever assigned upstream, so a prctl is
 * issued only with a number from the build's headers, from
 * `options.prctlNumber`, or from HWCAP_PR_USER_HWCAP_ENABLED in the
 * environment; otherwise the answer is 'unknown' and no prctl is made.
 */
export function userHwcapEnabled(options: UserHwcapOptions = {}): UserHwcapState {
  if (typeof options !== 'object' || options === null) throw invalidArgType('options', 'of type object', options);
  let number: number | undefined;
  let source: UserHwcapState['source'] = 'none';
  if (options.prctlNumber !== undefined) {
    if (typeof options.prctlNumber !== 'number') throw invalidArgType('options.prctlNumber', 'of type number', options.prctlNumber);
    if (!Number.isInteger(options.prctlNumber) || options.prctlNumber < 1 || options.prctlNumber > 0x7fff_ffff) {
      throw outOfRange('options.prctlNumber', 'an integer >= 1 and <= 2147483647', options.prctlNumber);
    }
    number = options.prctlNumber;
    source = 'option';
  } else if (process.env.HWCAP_PR_USER_HWCAP_ENABLED) {
    const raw = process.env.HWCAP_PR_USER_HWCAP_ENABLED;
    const n = /^(0x[0-9a-f]+|[0-9]+)$/i.test(raw) ? Number(raw) : NaN;
    if (!Number.isInteger(n) || n < 1 || n > 0x7fff_ffff) {
      throw outOfRange('HWCAP_PR_USER_HWCAP_ENABLED', 'an integer >= 1 and <= 2147483647 (decimal or 0x hex)', raw);
    }
    number = n;
    source = 'environment';
  } else if (native.PR_USER_HWCAP_ENABLED !== undefined) {
    number = native.PR_USER_HWCAP_ENABLED;
    source = 'headers';
  }
  if (number !== undefined && source !== 'headers' && isAssignedPrctl(number)) {
    throw outOfRange(
      source === 'option' ? 'options.prctlNumber' : 'HWCAP_PR_USER_HWCAP_ENABLED',
      'a prctl number that the kernel does not already assign to another operation (1 to 78, PR_SET_PTRACER, PR_SET_VMA and PR_GET_AUXV are taken)',
      number,
    );
  }
  if (number === undefined) {
    return {
      state: 'unknown',
      source: 'none',
      reason: 'no PR_USER_HWCAP_ENABLED number: the build headers do not define it and none was configured (options.prctlNumber or HWCAP_PR_USER_HWCAP_ENABLED)',
    };
  }
  try {
    const r = native.prctlQuery(number);
    return r > 0
      ? { state: 'enforced', source, prctl: number, reason: `prctl(${number}) returned ${r}` }
      : { state: 'not-enforced', source, prctl: number, reason: `prctl(${number}) returned 0` };
  } catch (err) {
    if (err instanceof HwcapError && err.code === 'EINVAL') {
      return { state: 'unknown', source, prctl: number, reason: `prctl(${number}) is EINVAL: this kernel does not implement it` };
    }
    throw err;
  }
}

// ---------------------------------------------------------------------------------------------
// What this process may do

export type AccessAnswer = { ok: true } | { ok: false; code: string; hint?: string };

export interface AuxvAccess {
  prGetAuxv: AccessAnswer;
  prSetMmAuxv: AccessAnswer;
  prSetMmMap: AccessAnswer;
}

function answer(fn: () => void): AccessAnswer {
  try {
    fn();
    return { ok: true };
  } catch (err) {
    if (err instanceof HwcapError) return err.hint ? { ok: false, code: err.code, hint: err.hint } : { ok: false, code: err.code };
    throw err;
  }
}

/**
 * Probes PR_GET_AUXV, PR_SET_MM_AUXV and PR_SET_MM_MAP by reading the kernel
 * view and writing the same vector back: the saved copy does not change.
 */
export function probeAuxvAccess(): AuxvAccess {
  const prGetAuxv = answer(() => native.getAuxvKernel());
  const same = readAuxv('kernel');
  return {
    prGetAuxv,
    prSetMmAuxv: answer(() => writeAuxv(same, { method: 'auxv' })),
    prSetMmMap: answer(() => writeAuxv(same, { method: 'map' })),
  };
}
