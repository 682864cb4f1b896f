// What the CPUID tests need: the launcher, the CPUID probe, whether CPUID faulting
// works here (probed by the launcher itself), and a mask that removes bits this
// CPU really has (avx2 where present, and the lowest set bit of CPUID.80000001:ECX).
import * as cp from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { launcher, runLauncher, type Run } from './launcher-run';
import { canPtrace } from './mask-fixture';
import { repoRoot } from './helpers';

export { launcher, testLauncher, launcherFor, type Run } from './launcher-run';
export const cpuidProbe = path.join(repoRoot, 'build', 'Release', 'hwcap-cpuid-probe');
export const isX64 = os.arch() === 'x64' && fs.existsSync(cpuidProbe);

export interface FaultProbe {
  ok: boolean;
  syscall?: string;
  errno?: number;
  code?: string;
}
export const faultProbe: FaultProbe = isX64
  ? (JSON.parse(cp.execFileSync(launcher, ['--probe-cpuid-fault'], { encoding: 'utf8' })) as FaultProbe)
  : { ok: false, code: 'not x86-64' };
export const cpuidFaulting = canPtrace && faultProbe.ok;
/** Appended to the titles of tests that need real CPUID faulting. */
export const faultingSkip = cpuidFaulting ? '' : ` (skipped: CPUID faulting unavailable here: ${faultProbe.syscall ?? ''} ${faultProbe.code ?? ''})`;

export type Regs = [string, string, string, string];
export interface Leaves {
  [leaf: string]: Regs;
}
export interface ProbeView {
  main: Leaves;
  thread: Leaves;
  child: Leaves;
}

export const reg = (r: Regs, i: number): number => parseInt(r[i], 16) >>> 0;

/** The unmasked view, read once. */
export const host: ProbeView | null = isX64 ? (JSON.parse(cp.execFileSync(cpuidProbe, [], { encoding: 'utf8' })) as ProbeView) : null;

const lowest = (v: number): number => (v & -v) >>> 0;
const leaf7ebx = host ? reg(host.main['7.0'], 1) : 0;
const ext1ecx = host ? reg(host.main['80000001'], 2) : 0;
export const AVX2 = 1 << 5;
// 80000001:ECX bit 0 is lahf_lm, which x86-64-v2 needs, and bit 5 is abm (lzcnt), which x86-64-v3
// needs: dropping either would change what ld.so calls supported beyond the avx2 the tests drop.
const LAHF_ABM = (1 << 0) | (1 << 5);
/** The bits the tests remove: avx2 (or the lowest set bit of 7.0:EBX) and the lowest set bit of
 * 80000001:ECX other than lahf_lm and abm (the lowest set bit where it has no other). */
export const drop7 = leaf7ebx & AVX2 ? AVX2 : lowest(leaf7ebx);
export const drop81 = lowest((ext1ecx & ~LAHF_ABM) >>> 0) || lowest(ext1ecx);
const hex8 = (v: number): string => (v >>> 0).toString(16).padStart(8, '0');
export const cpuidArgs = ['--cpuid', `7.0:ebx=${hex8(~drop7)}`, '--cpuid', `80000001:ecx=${hex8(~drop81)}`];
export const hasAvx2 = (leaf7ebx & AVX2) !== 0;

/** Runs the launcher with a status pipe on fd 3 and the helper's stats on fd 4. */
export function run(args: string[], env: NodeJS.ProcessEnv = process.env, timeout = 30_000): Run {
  return runLauncher(args, { env, timeout, stats: true });
}

/** The helper's counters from its last status line. */
export function stats(r: Run): Record<string, number> {
  const s = r.records.find((x) => x.stage === 'stats');
  return (s?.cpuid ?? {}) as Record<string, number>;
}

/** Every leaf the probe printed is the host's, ANDed with the mask and nothing else. */
export function expectMaskedLeaves(seen: Leaves, expect: (a: unknown) => { toBe(b: unknown): void }): void {
  if (!host) throw new Error('no host view');
  for (const [leaf, regs] of Object.entries(seen)) {
    const want = host.main[leaf];
    for (let i = 0; i < 4; i++) {
      let w = reg(want, i);
      if (leaf === '7.0' && i === 1) w = (w & ~drop7) >>> 0;
      if (leaf === '80000001' && i === 2) w = (w & ~drop81) >>> 0;
      // leaf 1 EBX bits 31..24 are the calling CPU's APIC id: the thread may run elsewhere.
      const m = leaf === '1' && i === 1 ? 0x00ffffff : 0xffffffff;
      expect(`${leaf}[${i}]=${hex8(reg(regs, i) & m)}`).toBe(`${leaf}[${i}]=${hex8(w & m)}`);
    }
  }
}
