// Hands the pure core what it cannot read itself: this machine's architecture, its auxv words
// and, on x86-64, its CPUID words and XCR0. Imported once by lib/index.ts.
import * as os from 'node:os';
import { normalizeArch, readCpuidWords, setHostProvider, type Arch, type CpuidSnapshot } from '../core/features';
import { hwcapWords } from './auxv';
import { native } from './native';

let arch: Arch | undefined;

function machineArch(): Arch {
  if (arch === undefined) {
    // ppc64 big-endian machines report 'ppc64'; the tables are for the little-endian ABI.
    const m = typeof os.machine === 'function' ? os.machine() : process.arch;
    try {
      arch = normalizeArch(m, 'os.machine()');
    } catch {
      arch = normalizeArch(process.arch, 'process.arch');
    }
  }
  return arch;
}

let snapshot: CpuidSnapshot | undefined;

/** The CPUID words of this CPU and XCR0, read once (they do not change while a process runs). */
export function cpuidSnapshot(): CpuidSnapshot {
  if (snapshot === undefined) {
    const { words, cpu } = readCpuidWords((leaf, subleaf) => native.cpuid(leaf, subleaf));
    snapshot = Object.freeze({ words, cpu: Object.freeze(cpu), xcr0: native.xgetbv(0) });
  }
  return snapshot;
}

setHostProvider({ arch: machineArch, words: hwcapWords, cpuid: cpuidSnapshot });
