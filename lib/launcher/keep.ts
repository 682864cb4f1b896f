// The words to keep from a spawn's or an adopt's options.hwcaps: a FeatureSet of this machine,
// an array of feature names, a carrier of words, or words of bits to keep.
import { FeatureSet, hostArch, wordsOfNames } from '../core/features';
import { checkMask, type HwcapMask, type HwcapWords } from '../core/words';
import { invalidArgType, invalidArgValue } from '../errors';
import { hostWords } from '../host';

export function isWordsCarrier(v: unknown): v is { words: HwcapWords; arch?: unknown } {
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
