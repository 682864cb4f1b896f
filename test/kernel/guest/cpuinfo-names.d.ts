// Types of cpuinfo-names.js (plain CommonJS, shared by the host test and the kernel guest).
export interface NameDifference {
  name: string;
  /** Why the kernel and the set differ here; undefined when no rule explains it. */
  reason: string | undefined;
}
export interface NameComparison {
  compared: string[];
  missing: NameDifference[];
  extra: NameDifference[];
  synthetic: string[];
  hiddenButPrinted: string[];
}
export function compareNames(input: {
  catalog: ReadonlyArray<{ name: string; procfs?: boolean }>;
  set: { has(name: string): boolean; names(): string[] };
  flags: Set<string>;
  vendor: string | undefined;
  family: number;
  cmdline?: string;
  config?: Map<string, string>;
}): NameComparison;
export function parseConfig(text: string): Map<string, string>;
export function parseCpuinfo(text: string): { flags: Set<string>; vendor: string | undefined; family: number; model: string | undefined };
