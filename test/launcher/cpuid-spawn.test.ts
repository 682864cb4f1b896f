// CPUID masks through the spawn family: a feature set that carries CPUID words gives the
// launcher --cpuid rules, in ptrace mode; where CPUID does not fault the spawn fails closed
// with a HwcapError (stage cpuid-fault). The trap path runs here through the test build's
// simulated traps (HWCAP_TEST_LAUNCHER=1, HWCAP_EXEC_FAULT=cpuid-simulate).
import { describe, it, expect, afterEach } from 'vitest';
import { FeatureSet, HwcapError, spawnSync } from '../../lib';
import { canPtrace } from '../support/mask-fixture';
import { cpuidFaulting, cpuidProbe, drop7, faultProbe, faultingSkip, host, isX64, reg, type ProbeView } from '../support/cpuid-fixture';

const skip = !isX64 || !canPtrace;
const why = !isX64 ? ' (skipped: x86-64 only)' : !canPtrace ? ' (skipped: no ptrace)' : '';

/** This machine's feature set, carrying CPUID words without `drop7` (as the x86 catalogue's FeatureSet will). */
function carrier(): { arch: string; words: FeatureSet['words']; cpuid: Record<string, number> } {
  const fs = FeatureSet.current();
  const ebx = reg(host!.main['7.0'], 1);
  return { arch: fs.arch, words: fs.words, cpuid: { 'CPUID.7.0:EBX': (ebx & ~drop7) >>> 0 } };
}

afterEach(() => {
  delete process.env.HWCAP_TEST_LAUNCHER;
});

describe.skipIf(skip)(`spawn with CPUID words${why}`, () => {
  it("refuses mode 'kernel': only the ptrace helper answers CPUID", () => {
    expect(() => spawnSync(cpuidProbe, [], { hwcaps: carrier(), mode: 'kernel' })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
  });

  it.skipIf(cpuidFaulting)('fails closed where CPUID does not fault: a HwcapError, stage cpuid-fault, nothing run', () => {
    const r = spawnSync(cpuidProbe, [], { hwcaps: carrier(), encoding: 'utf8' });
    expect(r.error).toBeInstanceOf(HwcapError);
    expect(r.error).toMatchObject({ stage: 'cpuid-fault', code: faultProbe.code });
    expect((r.error as HwcapError).hint).toMatch(/CPUID faulting/);
    expect(r.stdout ?? '').toBe('');
  });

  it('simulated traps (test build): every thread and fork of the child sees the masked leaf', () => {
    process.env.HWCAP_TEST_LAUNCHER = '1';
    const r = spawnSync(cpuidProbe, ['--simulate'], { hwcaps: carrier(), encoding: 'utf8', env: { ...process.env, HWCAP_EXEC_FAULT: 'cpuid-simulate' } });
    expect(r.error).toBeUndefined();
    expect(r.status).toBe(0);
    const v = JSON.parse(String(r.stdout)) as ProbeView;
    for (const where of ['main', 'thread', 'child'] as const) {
      expect(reg(v[where]['7.0'], 1)).toBe((reg(host!.main['7.0'], 1) & ~drop7) >>> 0);
      expect(v[where]['80000001']).toEqual(host!.main['80000001']);
    }
  });

  it.skipIf(!cpuidFaulting)(`real faulting: every thread and fork of the child sees the masked leaf${faultingSkip}`, () => {
    const r = spawnSync(cpuidProbe, [], { hwcaps: carrier(), encoding: 'utf8' });
    expect(r.status).toBe(0);
    const v = JSON.parse(String(r.stdout)) as ProbeView;
    for (const where of ['main', 'thread', 'child'] as const) expect(reg(v[where]['7.0'], 1) & drop7).toBe(0);
  });
});
