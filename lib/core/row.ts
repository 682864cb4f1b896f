// The one row shape of every feature table (tables/<arch>.ts): a feature, its word and its bit.
// A leaf module: the tables import their types from here, and nothing from the files that import
// the tables (decode.ts re-exports these types for the rest of the package).
import type { CpuidWordName } from './cpuid';

export type WordName = 'AT_HWCAP' | 'AT_HWCAP2' | 'AT_HWCAP3' | 'AT_HWCAP4';

/** A place a feature has: a word and a bit. */
export interface Place {
  readonly word: WordName | CpuidWordName;
  readonly bit: number;
}

export interface Feature extends Place {
  readonly name: string;
  /** A second place of the same feature (x86-64 fsgsbase: CPUID.7.0:EBX bit 0 and AT_HWCAP2 bit 1). */
  readonly also?: Place;
  /** Masking this feature turns a protection off (pointer auth, BTI, MTE, shadow stack …). */
  readonly security?: true;
  /** false: /proc/cpuinfo never prints this name (the kernel header gives the bit no name). */
  readonly procfs?: false;
}
