// NFD on x86-64: every klauspost/cpuid flag NFD publishes maps to its catalogue name (or is listed
// as having no CPUID bit), NodeFeature objects and labels, the label blacklist warning.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FeatureSet, baseline, catalog, check, fromNodeFeatureDiscovery } from '../../lib';
import { NFD_LABEL_BLACKLIST, NFD_X86, NFD_X86_NO_BIT } from '../../lib/core/tables/nfd-x86';

const fixture = (f: string) => fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'nfd', f), 'utf8');

describe('the NFD x86 flag table', () => {
  it('every mapped flag names a catalogue row, a psABI level or a bit<N>@CPUID word, and parses', () => {
    const names = new Set(catalog('x86_64').map((r) => r.name));
    for (const [flag, name] of Object.entries(NFD_X86)) {
      const ok = names.has(name) || /^x86-64(-v[234])?$/.test(name) || /^bit\d+@CPUID\./.test(name);
      expect(ok, flag).toBe(true);
      expect(() => FeatureSet.fromNames('x86_64', [name]), flag).not.toThrow();
    }
    for (const flag of Object.keys(NFD_X86_NO_BIT)) expect(Object.hasOwn(NFD_X86, flag), flag).toBe(false);
  });

  it('the flags of the issue: AVX2, AVX512F, SHA, FMA3, AESNI, CLMUL, SSE42, X86_64_V3', () => {
    expect([NFD_X86.AVX2, NFD_X86.AVX512F, NFD_X86.SHA, NFD_X86.FMA3, NFD_X86.AESNI, NFD_X86.CLMUL, NFD_X86.SSE42, NFD_X86.X86_64_V3]).toEqual([
      'avx2', 'avx512f', 'sha_ni', 'fma', 'aes', 'pclmulqdq', 'sse4_2', 'x86-64-v3',
    ]);
    // A flag klauspost sets from a bit the kernel does not name still keeps its bit.
    expect(FeatureSet.fromNames('x86_64', [NFD_X86.AVXVNNIINT8 as string]).cpuid['CPUID.7.1:EDX']).toBe(1 << 4);
  });
});

describe('fromNodeFeatureDiscovery on x86-64', () => {
  it('NodeFeature objects: every flag maps, except those without one CPUID bit', () => {
    const [icx, milan] = fromNodeFeatureDiscovery(fixture('x86-nodefeatures.json'));
    expect([icx!.node, icx!.arch, icx!.archSource]).toEqual(['icx-1', 'x86_64', 'flags']);
    expect(icx!.unmapped).toEqual(['AVXSLOW', 'IBPB', 'SPEC_CTRL_SSBD', 'STIBP']);
    expect(milan!.unmapped).toEqual(['IBPB', 'PSFD', 'SPEC_CTRL_SSBD']);
    for (const u of [...icx!.unmapped, ...milan!.unmapped]) expect(Object.hasOwn(NFD_X86_NO_BIT, u), u).toBe(true);
    expect(icx!.features!.level()).toBe('x86-64-v4');
    expect(milan!.features!.level()).toBe('x86-64-v3');
    for (const n of ['avx512_vnni', 'sha_ni', 'vaes', 'popcnt', 'bmi2', 'pclmulqdq', 'osxsave']) expect(icx!.features!.has(n), n).toBe(true);
    expect(milan!.features!.has('clzero')).toBe(true);
    expect(icx!.warnings).toEqual([]);
    const b = baseline([icx!.features!, milan!.features!]);
    expect(b.level()).toBe('x86-64-v3');
    expect(b.has('avx512f')).toBe(false);
    expect(b.has('sha_ni')).toBe(true);
    expect(check(FeatureSet.fromNames('x86_64', ['x86-64-v3', 'avx512f']), milan!.features!)).toEqual({ ok: false, missing: ['avx512f'] });
  });

  it('labels only: the default blacklist hides features; X86_64_V<n> labels restore the levels, and a warning says what may lack', () => {
    const [icx, old] = fromNodeFeatureDiscovery(fixture('x86-nodes.json'));
    expect([icx!.arch, icx!.archSource]).toEqual(['x86_64', 'label']);
    // The X86_64_V4 label brings back popcnt, bmi1, bmi2, sse4_2 … that the blacklist hid.
    expect(icx!.features!.level()).toBe('x86-64-v4');
    for (const n of ['popcnt', 'bmi1', 'sse4_2', 'cmov', 'cx16']) expect(icx!.features!.has(n), n).toBe(true);
    expect(icx!.features!.has('pclmulqdq')).toBe(false); // CLMUL: blacklisted and in no level
    expect(icx!.warnings).toHaveLength(1);
    expect(icx!.warnings[0]).toMatch(/hides AVX10, CLMUL, ERMS, HTT, MMXEXT, NX, RDRAND, RDSEED, RDTSCP, SGX, SGXLC;/);
    expect(icx!.warnings[0]).not.toMatch(/POPCNT|BMI1/);
    // Without level labels (older NFD), the blacklisted x86-64-v2 features are gone.
    expect(old!.features!.level()).toBeUndefined();
    expect(old!.features!.has('popcnt')).toBe(false);
    expect(old!.warnings[0]).toMatch(/BMI1, BMI2, CLMUL, CMOV, CX16, .*POPCNT, .*SSE42, SSSE3;/);
    const [crIcx] = fromNodeFeatureDiscovery(fixture('x86-nodefeatures.json'));
    expect(icx!.features!.isSubsetOf(crIcx!.features!)).toBe(true);
  });

  it('a node described by both a NodeFeature object and labels gets no warning', () => {
    const cr = JSON.parse(fixture('x86-nodefeatures.json')).items[0];
    const node = JSON.parse(fixture('x86-nodes.json')).items[0];
    const [n] = fromNodeFeatureDiscovery([cr, node]);
    expect(n!.warnings).toEqual([]);
    expect(n!.features!.has('pclmulqdq')).toBe(true);
  });

  it('the label blacklist is NFD default config, and every blacklisted flag but TDX_GUEST has a mapping', () => {
    expect(NFD_LABEL_BLACKLIST).toContain('POPCNT');
    expect(NFD_LABEL_BLACKLIST.filter((f) => !Object.hasOwn(NFD_X86, f))).toEqual(['TDX_GUEST']);
  });
});
