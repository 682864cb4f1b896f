// The TypeScript side of --cpuid: CPUID word names, the rules built from them, the
// launcher argv, and probe().cpuidFault against the launcher's own probe.
import { describe, it, expect } from 'vitest';
import * as cp from 'node:child_process';
import { probe } from '../../lib';
import { cpuidKeepOf, cpuidRuleArg, cpuidRules, launcherArgv, parseCpuidWord } from '../../lib/launcher';
import { faultProbe, isX64, launcher } from '../support/cpuid-fixture';

describe('CPUID words and rules', () => {
  it('parses the catalogue names, hex everywhere', () => {
    expect(parseCpuidWord('CPUID.1:ECX')).toEqual({ leaf: 1, reg: 'ecx' });
    expect(parseCpuidWord('CPUID.7.0:EBX')).toEqual({ leaf: 7, subleaf: 0, reg: 'ebx' });
    expect(parseCpuidWord('CPUID.80000001:ECX')).toEqual({ leaf: 0x80000001, reg: 'ecx' });
    expect(parseCpuidWord('CPUID.10:EAX')).toEqual({ leaf: 0x10, reg: 'eax' });
    for (const bad of ['AT_HWCAP', 'CPUID.7.0:ESP', 'CPUID.-1:EAX', 'CPUID.123456789:EAX', 'CPUID.7.0.1:EBX', 'cpuid 7:ebx']) expect(parseCpuidWord(bad)).toBeUndefined();
  });

  it('formats rules as the launcher reads them, and refuses what is not 32 bits', () => {
    expect(cpuidRuleArg({ leaf: 7, subleaf: 0, reg: 'ebx', keep: 0xffffffdf })).toBe('7.0:ebx=ffffffdf');
    expect(cpuidRuleArg({ leaf: 0x80000001, reg: 'ecx', keep: 0x20 })).toBe('80000001:ecx=00000020');
    for (const keep of [-1, 2 ** 32, 1.5, NaN]) expect(() => cpuidRuleArg({ leaf: 1, reg: 'ecx', keep })).toThrow(RangeError);
  });

  it('leaves out words that keep every bit and names that are not CPUID words', () => {
    const rules = cpuidRules([
      ['CPUID.7.0:EBX', 0xffffffdfn],
      ['CPUID.1:ECX', 0xffffffff],
      ['AT_HWCAP2', 0n],
    ]);
    expect(rules).toEqual([{ leaf: 7, subleaf: 0, reg: 'ebx', keep: 0xffffffdf }]);
    const argv = launcherArgv({ mode: 'ptrace', follow: true, keep: {}, cpuid: rules, noNewPrivs: false, allowSecurityMasking: false }, '/bin/true', []);
    expect(argv).toEqual(['--mode', 'ptrace', '--cpuid', '7.0:ebx=ffffffdf', '--', '/bin/true']);
  });

  it.skipIf(!isX64)('the launcher takes the argv it is given (a rule that keeps everything runs the program directly)', () => {
    const argv = launcherArgv({ mode: 'ptrace', follow: true, keep: {}, cpuid: [{ leaf: 7, subleaf: 0, reg: 'ebx', keep: 0xffffffff }], noNewPrivs: false, allowSecurityMasking: false }, 'sh', ['-c', 'echo ok']);
    expect(cp.execFileSync(launcher, argv, { encoding: 'utf8' })).toBe('ok\n');
  });
});

describe('cpuidKeepOf: the rules for a feature set', () => {
  it('keeps each word as the set has it, leaves CPUID.1:EDX to AT_HWCAP, keeps the AMD mirrors and sets leaf 0xD apart', () => {
    const { rules, unmasked } = cpuidKeepOf({
      'CPUID.1:EDX': 0x178bfbff,
      'CPUID.1:ECX': 0x00000201,
      'CPUID.7.0:EBX': 0xffffffff,
      'CPUID.80000001:EDX': 0x20000000,
      'CPUID.D.1:EAX': 0,
    });
    expect(unmasked).toEqual(['CPUID.D.1:EAX']);
    expect(rules).toEqual([
      { leaf: 1, reg: 'ecx', keep: 0x201 },
      { leaf: 0x80000001, reg: 'edx', keep: (0x20000000 | (0x178bfbff & 0x0183f3ff)) >>> 0 },
    ]);
  });
});

describe('probe().cpuidFault', () => {
  it("is the launcher's own probe, with a hint when it fails", () => {
    const p = probe().cpuidFault;
    if (!isX64) {
      expect(p).toMatchObject({ ok: false, code: 'ENOTSUP' });
      return;
    }
    expect(p.ok).toBe(faultProbe.ok);
    if (!p.ok) {
      expect(p.code).toBe(faultProbe.code);
      expect(p.reason).toContain(String(faultProbe.code));
      if (p.code === 'ENODEV') expect(p.hint).toMatch(/no CPUID faulting/);
    }
  });
});
