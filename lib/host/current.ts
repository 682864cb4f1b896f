// Hands the pure core the two things it cannot read itself: this machine's architecture and its
// auxv words. Imported once by lib/index.ts.
import * as os from 'node:os';
import { normalizeArch, setHostProvider, type Arch } from '../core/features';
import { hwcapWords } from './auxv';

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

setHostProvider({ arch: machineArch, words: hwcapWords });
