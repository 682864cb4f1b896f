// runtimeEnv(set) as data: the knobs each runtime honours for the features a set lacks.
// The knobs against real runtimes are in x86-node.test.ts.
import { describe, expect, it } from 'vitest';
import { expectCode } from '../support/helpers';
import { FeatureSet, catalog, runtimeEnv } from '../../lib';
import { RUNTIME_KNOBS } from '../../lib/core/tables/runtime-knobs';

const v4 = FeatureSet.fromNames('x86_64', ['x86-64-v4', 'aes', 'pclmulqdq', 'sha_ni', 'vaes', 'vpclmulqdq', 'avx512_vnni', 'erms', 'fsrm', 'adx', 'rdtscp', 'ibt', 'user_shstk']);

describe('runtimeEnv', () => {
  it('every knob names a catalogue row', () => {
    const names = new Set(catalog('x86_64').map((r) => r.name));
    for (const k of RUNTIME_KNOBS) for (const n of Object.keys(k.names)) expect(names.has(n), `${k.runtime}: ${n}`).toBe(true);
  });

  it('a set at x86-64-v2, relative to a v4 node: each runtime is told to leave the v3 and v4 features alone', () => {
    const v2 = v4.without(['x86-64-v3']);
    const env = runtimeEnv(v2, { relativeTo: v4 });
    expect(env.GLIBC_TUNABLES).toBe('glibc.cpu.hwcaps=-AVX,-FMA,-AVX2,-BMI1,-BMI2,-LZCNT,-MOVBE,-AVX512F,-OSXSAVE,-AVX512BW,-AVX512CD,-AVX512DQ,-AVX512VL');
    expect(env.GODEBUG).toBe('cpu.vpclmulqdq=off,cpu.avx=off,cpu.avx2=off,cpu.bmi1=off,cpu.bmi2=off,cpu.fma=off,cpu.avx512f=off,cpu.avx512cd=off,cpu.avx512bw=off,cpu.avx512dq=off,cpu.avx512vl=off');
    // first vector: fma (44), movbe (54), osxsave (59), avx (60); second: bmi1, avx2, bmi2, avx512f/dq/bw/vl (0-31), vaes (41), vpclmulqdq (42)
    expect(env.OPENSSL_ia32cap).toBe(`~0x${((1n << 44n) | (1n << 54n) | (1n << 59n) | (1n << 60n)).toString(16)}:~0x${((1n << 3n) | (1n << 5n) | (1n << 8n) | (1n << 16n) | (1n << 17n) | (1n << 30n) | (1n << 31n) | (1n << 41n) | (1n << 42n)).toString(16)}`);
    expect(env.DOTNET_EnableAVX2).toBe('0');
    expect(env.DOTNET_EnableAVX512F).toBe('0');
    expect(env.DOTNET_EnableSSE42).toBeUndefined();
    expect(env.NPY_DISABLE_CPU_FEATURES!.split(' ')).toEqual(expect.arrayContaining(['X86_V3', 'X86_V4', 'AVX2', 'AVX512_ICL']));
    expect(env.NPY_DISABLE_CPU_FEATURES!.split(' ')).not.toContain('SSE42');
    // v2 features stay: nothing about them anywhere
    expect(Object.values(env).join(' ')).not.toMatch(/SSE4_2|sse42|POPCNT/);
  });

  it('without relativeTo, every known feature the set lacks is named; with it, only what the other has', () => {
    const all = runtimeEnv(v4);
    expect(all.GLIBC_TUNABLES).toContain('-FMA4');
    expect(all.GLIBC_TUNABLES).toContain('-AVX512ER');
    expect(runtimeEnv(v4, { relativeTo: v4 })).toEqual({});
    expect(runtimeEnv(v4.without(['avx512f']), { relativeTo: v4 }).GLIBC_TUNABLES).toBe('glibc.cpu.hwcaps=-AVX512F,-AVX512BW,-AVX512CD,-AVX512DQ,-AVX512VL');
  });

  it('protections stay on unless allowSecurityMasking', () => {
    const noCet = v4.without(['ibt', 'user_shstk']);
    expect(runtimeEnv(noCet, { relativeTo: v4 })).toEqual({});
    expect(runtimeEnv(noCet, { relativeTo: v4, allowSecurityMasking: true })).toEqual({ GLIBC_TUNABLES: 'glibc.cpu.hwcaps=-IBT,-SHSTK' });
  });

  it('is empty off x86-64, and checks its arguments', () => {
    expect(runtimeEnv(FeatureSet.fromNames('arm64', ['fp']))).toEqual({});
    expectCode(() => runtimeEnv({} as never), TypeError, 'ERR_INVALID_ARG_TYPE');
    expectCode(() => runtimeEnv(v4, null as never), TypeError, 'ERR_INVALID_ARG_TYPE');
    expectCode(() => runtimeEnv(v4, { relativeTo: {} as never }), TypeError, 'ERR_INVALID_ARG_TYPE');
    expectCode(() => runtimeEnv(v4, { relativeTo: FeatureSet.fromNames('arm64', []) }), TypeError, 'ERR_INVALID_ARG_TYPE');
    expectCode(() => runtimeEnv(v4, { allowSecurityMasking: 'yes' as never }), TypeError, 'ERR_INVALID_ARG_TYPE');
  });
});
