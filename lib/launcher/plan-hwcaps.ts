// options.hwcaps read once for the mask plan (lib/launcher/plan.ts): each of its forms checked,
// with errors naming the option, and the set that words of bits to keep stand for.
import { FeatureSet, fromNamesAs, type Arch } from '../core/features';
import { checkCpuidWords } from '../core/cpuid';
import { checkMask, type HwcapMask, type HwcapWords } from '../core/words';
import { invalidArgType, invalidArgValue } from '../errors';
import { hostWords } from '../host';

/** The error's option (`error.option`): the one the CLI maps to its flag. */
export function about<E extends Error>(e: E, option: string): E {
  (e as E & { option?: string }).option = option;
  return e;
}

function isWordsCarrier(v: unknown): v is { words: HwcapWords; arch?: unknown; cpuid?: unknown } {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && typeof (v as { words?: unknown }).words === 'object' && (v as { words?: unknown }).words !== null;
}

/** The low 32 bits of a word: a CPUID register. */
const low32 = (v: bigint): number => Number(v & 0xffffffffn) >>> 0;
/** FSGSBASE: AT_HWCAP2 bit 1 on x86-64, CPUID.7.0:EBX bit 0 (the kernel's HWCAP2_FSGSBASE). */
const HWCAP2_FSGSBASE = 2n;

/** options.hwcaps read once: the auxv keep words, the CPUID words it keeps (x86-64), and the set it names (a FeatureSet or a name list). */
export interface Read {
  keep: HwcapMask;
  cpuidWords: Record<string, number>;
  set?: FeatureSet;
}

/**
 * Validates options.hwcaps and reads it once. A FeatureSet and a name list carry CPUID words;
 * a carrier of words without them keeps what FeatureSet.fromWords keeps (a word it lacks keeps
 * nothing); words of bits to keep name two CPUID places, CPUID.1:EDX (it is AT_HWCAP) and
 * FSGSBASE (AT_HWCAP2 bit 1), and keep every other CPUID bit.
 */
export function readHwcaps(hwcaps: unknown, arch: Arch): Read {
  const name = 'options.hwcaps';
  const x86 = arch === 'x86_64';
  if (Array.isArray(hwcaps)) {
    hwcaps.forEach((n, i) => {
      if (typeof n !== 'string') throw about(invalidArgType(`${name}[${i}]`, 'of type string', n), 'hwcaps');
    });
    let set: FeatureSet;
    try {
      set = fromNamesAs(arch, hwcaps, name);
    } catch (e) {
      throw about(e as Error, 'hwcaps');
    }
    return { keep: { ...set.words }, cpuidWords: x86 ? { ...set.cpuid } : {}, set };
  }
  if (hwcaps instanceof FeatureSet) {
    let keep: HwcapWords;
    try {
      keep = hostWords(hwcaps, name);
    } catch (e) {
      throw about(e as Error, 'hwcaps');
    }
    return { keep, cpuidWords: x86 ? { ...hwcaps.cpuid } : {}, set: hwcaps };
  }
  if (isWordsCarrier(hwcaps)) {
    // Any other carrier of an arch: refused as a FeatureSet of another arch would be.
    const a = hwcaps.arch;
    if (a !== undefined && a !== arch) {
      throw about(invalidArgValue(name, `carries words for ${String(a)}, but this machine is ${arch}; its bits name other features here`, a), 'hwcaps');
    }
    let w: HwcapMask;
    try {
      w = checkMask(hwcaps.words, `${name}.words`);
    } catch (e) {
      throw about(e as Error, 'hwcaps');
    }
    // A FeatureSet names every feature to keep: a word it lacks keeps nothing.
    const keep = { hwcap: w.hwcap ?? 0n, hwcap2: w.hwcap2 ?? 0n, hwcap3: w.hwcap3 ?? 0n, hwcap4: w.hwcap4 ?? 0n };
    if (!x86) return { keep, cpuidWords: {} };
    const c = hwcaps.cpuid;
    if (typeof c === 'object' && c !== null && Object.keys(c).length > 0) {
      // Checked as FeatureSet.fromWords checks them: a word name hwcap does not carry would mask nothing.
      try {
        return { keep, cpuidWords: checkCpuidWords(c, `${name}.cpuid`) as Record<string, number> };
      } catch (e) {
        throw about(e as Error, 'hwcaps');
      }
    }
    return { keep, cpuidWords: { ...FeatureSet.fromWords('x86_64', w).cpuid } };
  }
  if (typeof hwcaps !== 'object' || hwcaps === null) {
    throw about(invalidArgType(name, 'a FeatureSet, an array of feature names or an object { hwcap?, hwcap2?, hwcap3?, hwcap4? } of bigint words', hwcaps), 'hwcaps');
  }
  let keep: HwcapMask;
  try {
    keep = checkMask(hwcaps, name);
  } catch (e) {
    throw about(e as Error, 'hwcaps');
  }
  const cpuidWords: Record<string, number> = {};
  if (x86) {
    if (keep.hwcap !== undefined) cpuidWords['CPUID.1:EDX'] = low32(keep.hwcap);
    if (keep.hwcap2 !== undefined && (keep.hwcap2 & HWCAP2_FSGSBASE) === 0n) cpuidWords['CPUID.7.0:EBX'] = 0xfffffffe;
  }
  return { keep, cpuidWords };
}

/**
 * The set the words stand for: this machine's features less what the auxv and CPUID words
 * remove (words of bits to keep every CPUID bit but CPUID.1:EDX and FSGSBASE).
 */
export function setOfWords(r: Read, here: FeatureSet): FeatureSet {
  const k = r.keep;
  const words = {
    hwcap: here.words.hwcap & (k.hwcap ?? ~0n),
    hwcap2: here.words.hwcap2 & (k.hwcap2 ?? ~0n),
    hwcap3: here.words.hwcap3 & (k.hwcap3 ?? ~0n),
    hwcap4: here.words.hwcap4 & (k.hwcap4 ?? ~0n),
  };
  const cpuid: Record<string, number> = { ...here.cpuid };
  for (const [name, bits] of Object.entries(r.cpuidWords)) {
    if (name === 'CPUID.1:EDX') words.hwcap &= BigInt(bits >>> 0);
    else if (cpuid[name] !== undefined) cpuid[name] = (cpuid[name]! & bits) >>> 0;
  }
  delete cpuid['CPUID.1:EDX'];
  return FeatureSet.fromWords(here.arch, words, cpuid as Parameters<typeof FeatureSet.fromWords>[2]);
}
