// The program's signal state through the launcher: a masked spawn starts the program with the
// mask and dispositions it would have had without the launcher. In particular the helper's
// injected calls (PR_SET_MM_MAP at every exec, ARCH_SET_CPUID, the CPUID restores) run between
// syscall stops: a single step would raise a forced SIGTRAP, which unblocks a blocked SIGTRAP
// and resets an ignored one.
import { describe, it, expect } from 'vitest';
import * as cp from 'node:child_process';
import { canPtrace, hex, keep } from '../support/mask-fixture';
import { which } from '../support/helpers';
import { cpuidArgs, isX64, launcherFor } from '../support/cpuid-fixture';

const python = which('python3');

/** Runs `grep Sig /proc/self/status` (behind `prefix`) from a python3 that ignores and blocks SIGTRAP and SIGUSR2 first. */
function sigState(prefix: string[], env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const setup =
    'import os, signal, sys\n' +
    'signal.signal(signal.SIGTRAP, signal.SIG_IGN)\n' +
    'signal.signal(signal.SIGUSR2, signal.SIG_IGN)\n' +
    'signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTRAP, signal.SIGUSR1})\n' +
    'os.execvp(sys.argv[1], sys.argv[1:])\n';
  const out = cp.execFileSync(python!, ['-c', setup, ...prefix, 'grep', '^Sig', '/proc/self/status'], { encoding: 'utf8', env });
  return Object.fromEntries(out.trim().split('\n').map((l) => l.split(/:\s+/) as [string, string]));
}

describe.skipIf(!python || !canPtrace)(`the program's signal mask and dispositions through a masked spawn${python ? '' : ' (skipped: python3 is not installed)'}`, () => {
  const plain = python && canPtrace ? sigState([]) : {};
  it('plain: SIGTRAP and SIGUSR2 ignored, SIGTRAP and SIGUSR1 blocked (the fixture works)', () => {
    expect(BigInt(`0x${plain.SigIgn}`) & 0x810n).toBe(0x810n);
    expect(BigInt(`0x${plain.SigBlk}`) & 0x210n).toBe(0x210n);
  });

  it('an auxv mask in ptrace mode, following the tree: the same SigBlk and SigIgn', () => {
    const masked = sigState([launcherFor(process.env), '--mode', 'ptrace', '--hwcap', hex(keep.hwcap!), '--hwcap2', hex(keep.hwcap2!), '--']);
    expect({ SigBlk: masked.SigBlk, SigIgn: masked.SigIgn }).toEqual({ SigBlk: plain.SigBlk, SigIgn: plain.SigIgn });
  });

  it.skipIf(!isX64)('a CPUID mask (simulated traps, test build): the same SigBlk and SigIgn', () => {
    const env = { ...process.env, HWCAP_EXEC_FAULT: 'cpuid-simulate' };
    const masked = sigState([launcherFor(env), ...cpuidArgs, '--'], env);
    expect({ SigBlk: masked.SigBlk, SigIgn: masked.SigIgn }).toEqual({ SigBlk: plain.SigBlk, SigIgn: plain.SigIgn });
  });
});
