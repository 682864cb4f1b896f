// The room's entry for feature names: architectures, tables, the decoder, FeatureSet and its JSON.
// Other rooms import from here ('../core/features'); the files behind it may be cut differently.
export { ARCHES, normalizeArch, setHostProvider, hostArch, type Arch, type HostProvider } from './arch';
export {
  WORD_NAMES,
  LEVEL_NAMES,
  catalog,
  closeMatches,
  unknownBitName,
  gateCpuid,
  type Feature,
  type Place,
  type WordName,
} from './decode';
export {
  AMD_MIRROR_MASK,
  CPUID_WORDS,
  CPUID_WORD_NAMES,
  XCR0,
  readCpuidWords,
  decodeCpuInfo,
  cpuidWordName,
  type CpuidWordName,
  type CpuidWords,
  type CpuidFn,
  type CpuidRegs,
  type CpuidSnapshot,
  type CpuInfo,
} from './cpuid';
export { HwcapSchemaError, parseDocument, checkSchema, wordsToJSON, wordsFromJSON, cpuidToJSON, cpuidFromJSON, type SchemaErrorCode, type WordsJSON } from './schema';
export { FeatureSet, FEATURESET_SCHEMA, featureSetFromDoc, firstUnknownName, fromNamesAs, type FeatureSetJSON } from './feature-set';
export { BASELINE_FLOOR } from './tables/x86_64';

import type { HwcapWords } from './words';
import { normalizeArch, type Arch } from './arch';
import { decodeSlots, slotsFromNames, table } from './decode';

/** Decodes four auxv words into names (table names, then `bit<N>@AT_HWCAPn` for unnamed set bits), in word and bit order. */
export function decodeWords(arch: Arch | string, words: Partial<HwcapWords>): string[] {
  const t = table(normalizeArch(arch));
  const v = t.slots.map(() => 0n);
  (['hwcap', 'hwcap2', 'hwcap3', 'hwcap4'] as const).forEach((k, i) => (v[i] = words[k] ?? 0n));
  return decodeSlots(t, v);
}

/**
 * The words of FeatureSet.fromNames, with errors naming the caller's argument
 * (`options.hwcaps[0]` rather than `names[0]`); for the spawn family.
 */
export function wordsOfNames(arch: Arch | string, names: unknown, argName: string): HwcapWords {
  const v = slotsFromNames(table(normalizeArch(arch)), names, argName);
  return { hwcap: v[0] ?? 0n, hwcap2: v[1] ?? 0n, hwcap3: v[2] ?? 0n, hwcap4: v[3] ?? 0n };
}

export { mergeRuntimeEnv, runtimeEnv, v8Flags, type RuntimeEnvOptions } from './runtime-env';
