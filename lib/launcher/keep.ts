// The words to keep from a spawn's or an adopt's options.hwcaps: a FeatureSet of this machine,
// an array of feature names, a carrier of words, or words of bits to keep.
import { FeatureSet, hostArch, wordsOfNames } from '../core/features';
import { checkMask, type HwcapMask, type HwcapWords } from '../core/words';
import { invalidArgType, invalidArgValue } from '../errors';
import { hostWords } from '../host';
import { cpuidKeepOf, type CpuidKeep } from './cpuid';

function isWordsCarrier(v: unknown): v is { words: HwcapWords; arch?: unknown } {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && typeof (v as { words?: unknown }).words === 'object' && (v as { words?: unknown }).words !== null;
}

/** Validates options.hwcaps and gives the words to keep; a bad value is a typed error naming it. */
export function keepWords(hwcaps: unknown): HwcapMask {
  const name = 'options.hwcaps';
  if (Array.isArray(hwcaps)) {
    hwcaps.forEach((n, i) => {
      if (typeof n !== 'string') throw invalidArgType(`${name}[${i}]`, 'of type string', n);
    });
    return { ...wordsOfNames(hostArch(), hwcaps, name) };
  }
  if (hwcaps instanceof FeatureSet) return hostWords(hwcaps, name);
  if (isWordsCarrier(hwcaps)) {
    // Any other carrier of an arch: refused as a FeatureSet of another arch would be.
    const arch = (hwcaps as { arch?: unknown }).arch;
    if (arch !== undefined && arch !== hostArch()) {
      throw invalidArgValue(name, `carries words for ${String(arch)}, but this machine is ${hostArch()}; its bits name other features here`, arch);
    }
    const w = checkMask(hwcaps.words, `${name}.words`);
    // A FeatureSet names every feature to keep: a word it lacks keeps nothing.
    return { hwcap: w.hwcap ?? 0n, hwcap2: w.hwcap2 ?? 0n, hwcap3: w.hwcap3 ?? 0n, hwcap4: w.hwcap4 ?? 0n };
  }
  if (typeof hwcaps !== 'object' || hwcaps === null) {
    throw invalidArgType(name, 'a FeatureSet, an array of feature names or an object { hwcap?, hwcap2?, hwcap3?, hwcap4? } of bigint words', hwcaps);
  }
  return checkMask(hwcaps, name);
}

/** The low 32 bits of a word: a CPUID register. */
const low32 = (v: bigint): number => Number(v & 0xffffffffn) >>> 0;
/** FSGSBASE: AT_HWCAP2 bit 1 on x86-64, CPUID.7.0:EBX bit 0 (the kernel's HWCAP2_FSGSBASE). */
const HWCAP2_FSGSBASE = 2n;

/**
 * x86-64: the CPUID words a hwcaps option keeps (name → bits present). A FeatureSet and a name
 * list carry them; a carrier of words without CPUID words keeps what FeatureSet.fromWords keeps
 * (a word it lacks keeps nothing); words of bits to keep name two CPUID places, CPUID.1:EDX (it
 * is AT_HWCAP) and FSGSBASE (AT_HWCAP2 bit 1), and keep every other CPUID bit.
 */
function cpuidWordsOf(hwcaps: unknown): Record<string, number> {
  if (hostArch() !== 'x86_64') return {};
  if (Array.isArray(hwcaps)) return { ...FeatureSet.fromNames('x86_64', hwcaps as string[]).cpuid };
  if (isWordsCarrier(hwcaps)) {
    const c = (hwcaps as { cpuid?: unknown }).cpuid;
    if (typeof c === 'object' && c !== null && Object.keys(c).length > 0) return { ...(c as Record<string, number>) };
    return { ...FeatureSet.fromWords('x86_64', checkMask(hwcaps.words, 'options.hwcaps.words')).cpuid };
  }
  const w = hwcaps as HwcapMask;
  const out: Record<string, number> = {};
  if (w.hwcap !== undefined) out['CPUID.1:EDX'] = low32(w.hwcap);
  if (w.hwcap2 !== undefined && (w.hwcap2 & HWCAP2_FSGSBASE) === 0n) out['CPUID.7.0:EBX'] = 0xfffffffe;
  return out;
}

/**
 * x86-64: the launcher's CPUID rules for a hwcaps option (already checked by keepWords), one for
 * each CPUID word that removes a bit this machine's CPUID has; none elsewhere, and none for a
 * set that keeps all of them (no CPUID faulting is needed then). CPUID.1:EDX counts as any
 * word: it is AT_HWCAP, and the launcher masks both with one keep word (docs/cpuid.md).
 */
export function keepCpuid(hwcaps: unknown): CpuidKeep[] {
  const words = cpuidWordsOf(hwcaps);
  if (Object.keys(words).length === 0) return [];
  const here = FeatureSet.current().cpuid as Readonly<Record<string, number>>;
  const needed: Record<string, number> = {};
  for (const [name, keep] of Object.entries(words)) {
    const has = here[name];
    if (has === undefined || ((has & ~keep) >>> 0) !== 0) needed[name] = keep >>> 0;
  }
  if (Object.keys(needed).length === 0) return [];
  const edx1 = needed['CPUID.1:EDX'];
  // The AMD mirror of CPUID.1:EDX in CPUID.80000001:EDX follows CPUID.1:EDX as the set keeps it.
  if (edx1 === undefined && words['CPUID.1:EDX'] !== undefined && needed['CPUID.80000001:EDX'] !== undefined) needed['CPUID.1:EDX'] = words['CPUID.1:EDX'];
  const rules = cpuidKeepOf(needed).rules;
  if (edx1 !== undefined) rules.unshift({ leaf: 1, reg: 'edx', keep: edx1 });
  return rules;
}

/**
 * The FeatureSet a hwcaps option (already checked by keepWords) stands for: a FeatureSet itself,
 * a name list's set; for words (a carrier or words of bits to keep) this CPU's features less
 * what the auxv and CPUID words remove (cpuidWordsOf: words of bits to keep every CPUID bit but
 * CPUID.1:EDX and FSGSBASE). What runtimeEnv turns off for the spawn's runtimeEnv option.
 */
export function keepFeatureSet(hwcaps: unknown): FeatureSet {
  if (hwcaps instanceof FeatureSet) return hwcaps;
  const arch = hostArch();
  if (Array.isArray(hwcaps)) return FeatureSet.fromNames(arch, hwcaps as string[]);
  const here = FeatureSet.current();
  const keep = keepWords(hwcaps);
  const words = {
    hwcap: here.words.hwcap & (keep.hwcap ?? ~0n),
    hwcap2: here.words.hwcap2 & (keep.hwcap2 ?? ~0n),
    hwcap3: here.words.hwcap3 & (keep.hwcap3 ?? ~0n),
    hwcap4: here.words.hwcap4 & (keep.hwcap4 ?? ~0n),
  };
  const cpuid: Record<string, number> = { ...here.cpuid };
  for (const [name, bits] of Object.entries(cpuidWordsOf(hwcaps))) {
    if (name === 'CPUID.1:EDX') words.hwcap &= BigInt(bits >>> 0);
    else if (cpuid[name] !== undefined) cpuid[name] = (cpuid[name]! & bits) >>> 0;
  }
  delete cpuid['CPUID.1:EDX'];
  return FeatureSet.fromWords(arch, words, cpuid as Parameters<typeof FeatureSet.fromWords>[2]);
}
