// Where the launcher executables are: built next to the loaded addon (node-pty keeps its
// helper the same way), so that a package, a checkout and a rebuilt addon each find their own.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { addonDir } from '../host';
import { HwcapError } from '../errors';

/** The places an executable of the build is looked for, in order. */
export function candidates(name: string): string[] {
  return [path.join(addonDir, name)];
}

function builtExecutable(name: string): string {
  const tried = candidates(name);
  let last: NodeJS.ErrnoException | undefined;
  for (const file of tried) {
    try {
      fs.accessSync(file, fs.constants.X_OK);
      return file;
    } catch (err) {
      last = err as NodeJS.ErrnoException;
    }
  }
  throw new HwcapError({
    errno: Math.abs(last?.errno ?? 2),
    syscall: 'access',
    path: tried[0],
    hint: `${name} is built next to hwcap.node by the package's install script; run 'npm rebuild hwcap' (or 'npm install' in a checkout). Tried: ${tried.join(', ')}`,
  });
}

/**
 * The hwcap-exec launcher, next to the loaded addon. HWCAP_TEST_LAUNCHER=1 in this process's
 * environment picks the test build next to it (hwcap-exec-test, with fault points), which only a
 * checkout builds: an installed package has none, so the variable there is an error, never a
 * silent fallback to a launcher without the faults a test asked for. Only under the test runner
 * (its own marker, VITEST, in the environment): elsewhere the variable is refused (EPERM), since
 * the test build's HWCAP_EXEC_FAULT=cpuid-simulate answers `rdmsr` and masks no real CPUID, and
 * a simulation must never pass for masking.
 */
export function launcherPath(): string {
  if (process.env.HWCAP_TEST_LAUNCHER === '1' && !process.env.VITEST) {
    throw new HwcapError({
      errno: 1,
      syscall: 'HWCAP_TEST_LAUNCHER',
      message: 'HWCAP_TEST_LAUNCHER=1 is refused outside the test runner: the test build of the launcher simulates CPUID traps (HWCAP_EXEC_FAULT) and masks nothing real',
      hint: "unset HWCAP_TEST_LAUNCHER (and HWCAP_EXEC_FAULT); the test build is for the package's own tests (vitest sets VITEST)",
    });
  }
  return builtExecutable(process.env.HWCAP_TEST_LAUNCHER === '1' ? 'hwcap-exec-test' : 'hwcap-exec');
}

/** The hwcap-probe executable, next to the loaded addon. */
export function probePath(): string {
  return builtExecutable('hwcap-probe');
}
