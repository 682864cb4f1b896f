// The mask that the launcher and spawn tests apply: drop the lowest set bit of
// AT_HWCAP and of AT_HWCAP2 (on x86-64 here: fpu and fsgsbase), so that every
// test removes a bit that this machine really has.
import { hwcapWords, probePath, probePtrace } from '../../lib';
import type { HwcapWords } from '../../lib';

export const probe = probePath();
export const canPtrace = probePtrace().ok;
/** Appended to titles of tests that need ptrace mode. */
export const ptraceSkip = canPtrace ? '' : ` (skipped: ptrace mode unavailable: ${JSON.stringify(probePtrace())})`;
export const present = hwcapWords('kernel');
export const low = (v: bigint): bigint => v & -v;
export const keep: Partial<HwcapWords> = { hwcap: present.hwcap & ~low(present.hwcap), hwcap2: present.hwcap2 & ~low(present.hwcap2) };
export const removed = { hwcap: low(present.hwcap), hwcap2: low(present.hwcap2) };
export const hasBits = removed.hwcap !== 0n || removed.hwcap2 !== 0n;
export const hex = (v: bigint): string => `0x${v.toString(16)}`;
/**
 * Spread into the options of tests of the auxv machinery. On x86-64 every bit of the fixture's
 * mask is also a CPUID bit (AT_HWCAP is CPUID.1:EDX, fsgsbase CPUID.7.0:EBX bit 0), and a
 * CPUID mask needs CPUID faulting; these tests are about the auxv and the events, so they mask
 * the auxv alone on every machine. test/launcher/cpuid-*.test.ts test CPUID masking.
 */
export const AUXV_ONLY = { auxvOnly: true } as const;
