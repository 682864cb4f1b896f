// `--drop osxsave`: CPUID.1:ECX OSXSAVE says what the OS enabled in XCR0, which `xgetbv` reads and
// nothing can trap, so the launcher never clears it (docs/cpuid.md). The command is told that it
// still sees osxsave, and -v and --json never list it as dropped; what osxsave gates (avx and the
// XSAVE group) is dropped and masked. What the program sees is read with the CPUID probe: under
// real faulting through `hwcap exec`, and in simulation through the test launcher with the same rule.
import * as cp from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { FeatureSet } from '../../lib';
import { hwcap } from '../support/cli-harness';
import { canPtrace } from '../support/mask-fixture';
import { cpuidFaulting, cpuidProbe, faultingSkip, isX64, reg, testLauncher, type ProbeView } from '../support/cpuid-fixture';

const here = FeatureSet.current('process');
const hasOsxsave = isX64 && here.has('osxsave');
const x64Skip = hasOsxsave ? '' : ' (skipped: x86-64 with OSXSAVE only)';
const OSXSAVE = 1 << 27;
const AVX = 1 << 28;

describe.skipIf(!hasOsxsave)(`hwcap exec --drop osxsave${x64Skip}`, () => {
  it('-v: osxsave is not among the dropped; a note says the command still sees it and why; avx is dropped', () => {
    const r = hwcap(['exec', '--drop', 'osxsave', '-v', '--', '/bin/true']);
    expect(r.status === 0 || r.status === 125).toBe(true); // 125: no CPUID faulting here (fail closed)
    const dropping = /dropping (.*)$/m.exec(r.stderr)?.[1]?.split(' ') ?? [];
    expect(dropping).not.toContain('osxsave');
    if (here.has('avx')) expect(dropping).toContain('avx');
    expect(r.stderr).toMatch(/note: the command still sees osxsave in CPUID\.1:ECX, .*xgetbv/);
  });

  it('--json: osxsave is in unmasked (what the command still sees), not in dropped', () => {
    const r = hwcap(['exec', '--drop', 'osxsave', '--json', '--', '/bin/true']);
    const j = JSON.parse(r.stderr.trim().split('\n')[0]!) as { dropped: string[]; unmasked: string[]; cpuid: string[] };
    expect(j.dropped).not.toContain('osxsave');
    expect(j.unmasked).toContain('osxsave');
    if (here.has('avx')) expect(j.dropped).toContain('avx');
  });

  it.skipIf(!cpuidFaulting)(`the program sees OSXSAVE set and AVX clear, as the CLI said (real faulting)${faultingSkip}`, () => {
    const r = hwcap(['exec', '--drop', 'osxsave', '--', cpuidProbe]);
    expect(r.status).toBe(0);
    const v = JSON.parse(r.stdout) as ProbeView;
    expect(reg(v.main['1'], 2) & OSXSAVE).toBe(OSXSAVE);
    expect(reg(v.main['1'], 2) & AVX).toBe(0);
  });

  it.skipIf(!canPtrace)('in simulation: a rule that clears OSXSAVE leaves it set (the launcher keeps it), and clears AVX', () => {
    const keep = (~(OSXSAVE | AVX) >>> 0).toString(16);
    const r = cp.spawnSync(testLauncher, ['--cpuid', `1:ecx=${keep}`, '--', cpuidProbe, '--simulate'], {
      encoding: 'utf8',
      env: { ...process.env, HWCAP_EXEC_FAULT: 'cpuid-simulate' },
      timeout: 30_000,
    });
    expect(r.status).toBe(0);
    const v = JSON.parse(r.stdout) as ProbeView;
    expect(reg(v.main['1'], 2) & OSXSAVE).toBe(OSXSAVE);
    expect(reg(v.main['1'], 2) & AVX).toBe(0);
  });
});
