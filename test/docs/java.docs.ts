// Java under each psABI level (docs/cpuid.md): `hwcap exec --features LEVEL -- java` starts (a level
// keeps clflush, which HotSpot requires, beside the psABI's list), and HotSpot's own choice of code
// (UseSSE, UseAVX in -XX:+PrintFlagsFinal) follows the masked CPUID, for every level this CPU has.
// Needs x86-64 with CPUID faulting and a java (scripts/install-java.sh); skipped, saying which,
// elsewhere.
import * as cp from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { FeatureSet, LEVEL_NAMES } from '../../lib';
import { cliPath, missing } from '../support/docs-harness';

const why = ['x86-64', 'cpuid-fault', 'java'].map(missing).filter((w) => w !== undefined);
const skip = why.length ? ` (skipped: ${why.join('; ')})` : '';
const here = FeatureSet.current('process');
const levels = why.length ? [] : LEVEL_NAMES.filter((l) => FeatureSet.fromNames('x86_64', [l]).isSubsetOf(here));
/** What HotSpot picks under each level, UseSSE and UseAVX (as OpenJDK 17 prints them under each mask on a CPU with AVX-512). */
const EXPECTED: Record<string, { UseSSE: number; UseAVX: number }> = {
  'x86-64': { UseSSE: 2, UseAVX: 0 },
  'x86-64-v2': { UseSSE: 4, UseAVX: 0 },
  'x86-64-v3': { UseSSE: 4, UseAVX: 2 },
  'x86-64-v4': { UseSSE: 4, UseAVX: 3 },
};

function java(features: string, args: string[]): cp.SpawnSyncReturns<string> {
  return cp.spawnSync(process.execPath, [cliPath, 'exec', '--features', features, '--', 'java', ...args], { encoding: 'utf8', timeout: 120_000 });
}

const flag = (out: string, name: string): number | undefined => {
  const m = new RegExp(`\\b${name}\\s+=\\s+(\\d+)`).exec(out);
  return m ? Number(m[1]) : undefined;
};

describe.skipIf(why.length > 0)(`java under each psABI level this CPU has${skip}`, () => {
  it('the levels are the four psABI levels', () => {
    expect(Object.keys(EXPECTED)).toEqual([...LEVEL_NAMES]);
    expect(levels.length).toBeGreaterThan(0);
  });

  for (const level of why.length ? [] : levels) {
    it(`--features ${level}: java starts, UseSSE ${EXPECTED[level]!.UseSSE} and UseAVX ${EXPECTED[level]!.UseAVX}`, () => {
      const r = java(level, ['-XX:+PrintFlagsFinal', '-version']);
      expect(r.status, r.stderr).toBe(0);
      expect({ UseSSE: flag(r.stdout, 'UseSSE'), UseAVX: flag(r.stdout, 'UseAVX') }).toEqual(EXPECTED[level]);
    });
  }
});
