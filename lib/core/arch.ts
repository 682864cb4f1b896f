// Architecture names and the one door to this machine: the host provider that lib/host/current.ts
// installs. The core itself reads nothing.
import { invalidArgType, invalidArgValue } from '../errors';
import type { HwcapWords } from './words';
import type { CpuidSnapshot } from './cpuid';

export type Arch = 'x86_64' | 'aarch64' | 'riscv64' | 'ppc64le' | 's390x' | 'loongarch64';

export const ARCHES: readonly Arch[] = Object.freeze(['x86_64', 'aarch64', 'riscv64', 'ppc64le', 's390x', 'loongarch64']);

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
  /** x86-64 only: the raw CPUID words of this CPU and XCR0 (undefined where XSAVE is off). */
  cpuid?(): CpuidSnapshot;
}
let provider: HostProvider | undefined;

/** Installs the host layer (done once by lib/host/current.ts); the core itself reads nothing. */
export function setHostProvider(p: HostProvider): void {
  provider = p;
}

export function host(): HostProvider {
  if (provider === undefined) throw new Error("hwcap: this machine's features need the host layer (import 'hwcap', not hwcap/dist/core)");
  return provider;
}

/** This machine's architecture, as uname -m names it. */
export function hostArch(): Arch {
  return host().arch();
}
