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

  // Synthetic AMD words (an EPYC's CPUID.1:EDX 0x178bfbff and CPUID.80000001:EDX 0x2fd3fbff, whose
  // bits 0-9, 12-17, 23, 24 copy CPUID.1:EDX; AMD APM vol. 3, E.4.2). A feature set carries the
  // copies once, in CPUID.1:EDX (its 80000001:EDX word has the AMD-only bits), so a set without
  // fpu (bit 0) and mmx (bit 23) must clear them in 80000001:EDX too.
  it('the AMD mirror bits of CPUID.80000001:EDX follow what CPUID.1:EDX drops, and only those', () => {
    const MIRROR = 0x0183f3ff;
    const edx1 = 0x178bfbff & ~((1 << 0) | (1 << 23));
    const own = 0x2fd3fbff & ~MIRROR; // syscall, nx, mmxext, fxsr_opt, pdpe1gb, rdtscp, lm, 3dnow bits
    const { rules } = cpuidKeepOf({ 'CPUID.1:EDX': edx1 >>> 0, 'CPUID.80000001:EDX': own >>> 0 });
    const keep = rules.find((r) => r.leaf === 0x80000001 && r.reg === 'edx')!.keep;
    expect(keep & (1 << 0)).toBe(0);
    expect(keep & (1 << 23)).toBe(0);
    expect((keep & MIRROR) >>> 0).toBe((edx1 & MIRROR) >>> 0);
    expect((keep & ~MIRROR) >>> 0).toBe(own >>> 0);
    // Every CPUID.1:EDX: the mirror part of the keep word is CPUID.1:EDX's, bit for bit.
    for (let bit = 0; bit < 32; bit++) {
      const e = (0xffffffff & ~(1 << bit)) >>> 0;
      const k = cpuidKeepOf({ 'CPUID.1:EDX': e, 'CPUID.80000001:EDX': own >>> 0 }).rules.find((r) => r.leaf === 0x80000001)!.keep;
      expect([bit, (k & MIRROR) >>> 0]).toEqual([bit, (e & MIRROR) >>> 0]);
    }
    // A carrier without CPUID.1:EDX keeps the mirror bits (nothing says they are dropped).
    const alone = cpuidKeepOf({ 'CPUID.80000001:EDX': own >>> 0 }).rules.find((r) => r.leaf === 0x80000001)!.keep;
    expect((alone & MIRROR) >>> 0).toBe(MIRROR);
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
