// runtimeEnv(set) as data: the knobs each runtime honours for the features a set lacks.
// The knobs against real runtimes are in x86-node.test.ts.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { expectCode } from '../support/helpers';
import { FeatureSet, catalog, mergeRuntimeEnv, runtimeEnv } from '../../lib';
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

const U64 = (1n << 64n) - 1n;
/** OPENSSL_ia32cap → the two vectors OpenSSL 3 computes from CPUID's `detected` (crypto/cpuid.c OPENSSL_cpuid_setup). */
function opensslVectors(value: string | undefined, detected: [bigint, bigint]): [bigint, bigint] {
  if (value === undefined) return [detected[0] | 0x400n, detected[1]];
  const num = (s: string) => (/^0[0-7]+$/.test(s) ? BigInt(`0o${s.slice(1)}`) : BigInt(s));
  const [a, b] = value.split(':') as [string, string | undefined];
  let v1: bigint;
  if (a === '') v1 = detected[0];
  else if (a.startsWith('~')) {
    const mask = num(a.slice(1));
    v1 = detected[0] & ~mask & U64;
    if (mask & (1n << 24n)) v1 &= ~(((1n << 1n) | (1n << 11n) | (1n << 25n) | (1n << 28n)) << 32n);
  } else v1 = num(a);
  const v2 = b === undefined ? 0n : b.startsWith('~') ? detected[1] & ~num(b.slice(1)) & U64 : num(b);
  return [v1 | 0x400n, v2];
}

describe('mergeRuntimeEnv', () => {
  const knobs = runtimeEnv(v4.without(['avx2', 'aes']), { relativeTo: v4 });

  it('without settings of the user\'s, the result is base plus the knobs; base is not changed', () => {
    const base = { PATH: '/bin', HOME: '/root' };
    const env = mergeRuntimeEnv(base, knobs);
    expect(env).toEqual({ ...base, ...knobs });
    expect(base).toEqual({ PATH: '/bin', HOME: '/root' });
    expect(mergeRuntimeEnv(base, {})).toEqual(base);
  });

  it('GLIBC_TUNABLES: ours join the user\'s (last) glibc.cpu.hwcaps entry; other tunables stay', () => {
    const ours = { GLIBC_TUNABLES: 'glibc.cpu.hwcaps=-AVX2,-FMA' };
    expect(mergeRuntimeEnv({ GLIBC_TUNABLES: 'glibc.malloc.check=3' }, ours).GLIBC_TUNABLES).toBe('glibc.malloc.check=3:glibc.cpu.hwcaps=-AVX2,-FMA');
    expect(mergeRuntimeEnv({ GLIBC_TUNABLES: 'glibc.cpu.hwcaps=-AVX512F:glibc.malloc.check=3' }, ours).GLIBC_TUNABLES).toBe('glibc.cpu.hwcaps=-AVX512F,-AVX2,-FMA:glibc.malloc.check=3');
    expect(mergeRuntimeEnv({ GLIBC_TUNABLES: 'glibc.cpu.hwcaps=-ERMS:glibc.malloc.check=3:glibc.cpu.hwcaps=-AVX512F' }, ours).GLIBC_TUNABLES).toBe(
      'glibc.cpu.hwcaps=-ERMS:glibc.malloc.check=3:glibc.cpu.hwcaps=-AVX512F,-AVX2,-FMA',
    );
    expect(mergeRuntimeEnv({ GLIBC_TUNABLES: 'glibc.cpu.hwcaps=' }, ours).GLIBC_TUNABLES).toBe('glibc.cpu.hwcaps=-AVX2,-FMA');
    expect(mergeRuntimeEnv({ GLIBC_TUNABLES: '' }, ours).GLIBC_TUNABLES).toBe('glibc.cpu.hwcaps=-AVX2,-FMA');
    expect(mergeRuntimeEnv({}, ours).GLIBC_TUNABLES).toBe('glibc.cpu.hwcaps=-AVX2,-FMA');
  });

  it('GODEBUG: ours after the user\'s settings', () => {
    expect(mergeRuntimeEnv({ GODEBUG: 'http2client=0,cpu.avx2=on' }, { GODEBUG: 'cpu.avx2=off' }).GODEBUG).toBe('http2client=0,cpu.avx2=on,cpu.avx2=off');
    expect(mergeRuntimeEnv({ GODEBUG: '' }, { GODEBUG: 'cpu.avx2=off' }).GODEBUG).toBe('cpu.avx2=off');
  });

  it('OPENSSL_ia32cap: ~X becomes ~(X|Y), a bare X becomes X & ~Y, an absent part ~Y, a missing second part stays 0', () => {
    const ours = { OPENSSL_ia32cap: '~0x200000000000000:~0x20' };
    const m = (u: string) => mergeRuntimeEnv({ OPENSSL_ia32cap: u }, ours).OPENSSL_ia32cap;
    expect(m('~0x1000000:~0x10000')).toBe('~0x200000001000000:~0x10020');
    expect(m('0x2ff0000000000000:0xff')).toBe('0x2df0000000000000:0xdf');
    expect(m(':~0x10000')).toBe('~0x200000000000000:~0x10020');
    expect(m('~0x10')).toBe('~0x200000000000010:0x0');
    expect(m('0x2ff0000000000000')).toBe('0x2df0000000000000:0x0');
    // decimal and octal, as OpenSSL reads them
    expect(m('~16:~0100')).toBe('~0x200000000000010:~0x60');
    expect(mergeRuntimeEnv({}, ours).OPENSSL_ia32cap).toBe(ours.OPENSSL_ia32cap);
  });

  it('OPENSSL_ia32cap the user set that OpenSSL would misread is a RangeError naming it and the value', () => {
    for (const bad of ['', 'avx', '~0x1:~0x2:~0x3', '0xZZ', '~~0x1', ':', '0x1:', `0x1${'0'.repeat(16)}`, '~0x1 ']) {
      const e = expectCode(() => mergeRuntimeEnv({ OPENSSL_ia32cap: bad }, { OPENSSL_ia32cap: '~0x1:~0x2' }), RangeError, 'ERR_INVALID_ARG_VALUE');
      expect(e.message).toContain('OPENSSL_ia32cap');
      expect(e.message).toContain(`'${bad}'`);
    }
  });

  it('DOTNET_*: ours (0) replaces the user\'s; NPY_DISABLE_CPU_FEATURES: the union', () => {
    expect(mergeRuntimeEnv({ DOTNET_EnableAVX2: '1', DOTNET_EnableAES: '1' }, { DOTNET_EnableAVX2: '0' })).toEqual({ DOTNET_EnableAVX2: '0', DOTNET_EnableAES: '1' });
    expect(mergeRuntimeEnv({ NPY_DISABLE_CPU_FEATURES: 'AVX512F,AVX2  FMA3' }, { NPY_DISABLE_CPU_FEATURES: 'X86_V3 AVX2' }).NPY_DISABLE_CPU_FEATURES).toBe('AVX512F AVX2 FMA3 X86_V3');
  });

  it('checks its arguments', () => {
    expectCode(() => mergeRuntimeEnv(null as never, {}), TypeError, 'ERR_INVALID_ARG_TYPE');
    expectCode(() => mergeRuntimeEnv([] as never, {}), TypeError, 'ERR_INVALID_ARG_TYPE');
    expectCode(() => mergeRuntimeEnv({}, 'x' as never), TypeError, 'ERR_INVALID_ARG_TYPE');
    expectCode(() => mergeRuntimeEnv({ A: 1 as never }, {}), TypeError, 'ERR_INVALID_ARG_TYPE');
    expectCode(() => mergeRuntimeEnv({}, { GODEBUG: 1 as never }), TypeError, 'ERR_INVALID_ARG_TYPE');
    expect(expectCode(() => mergeRuntimeEnv({}, { PATH: '/bin' }), RangeError, 'ERR_INVALID_ARG_VALUE').message).toContain('knobs.PATH');
    expectCode(() => mergeRuntimeEnv({}, { DOTNET_EnableAVX2: '1' }), RangeError, 'ERR_INVALID_ARG_VALUE');
    expectCode(() => mergeRuntimeEnv({}, { OPENSSL_ia32cap: '0x0:0x0' }), RangeError, 'ERR_INVALID_ARG_VALUE');
    expectCode(() => mergeRuntimeEnv({}, { GLIBC_TUNABLES: 'glibc.malloc.check=3' }), RangeError, 'ERR_INVALID_ARG_VALUE');
  });

  it('OPENSSL_ia32cap: for random user values the vectors OpenSSL computes from the merge are within the user\'s', () => {
    const u64 = fc.bigInt({ min: 0n, max: U64 });
    const num = fc.oneof(u64.map((n) => `0x${n.toString(16)}`), fc.bigInt({ min: 1n, max: U64 }).map(String), u64.map((n) => `0${n.toString(8)}`));
    const part = fc.tuple(fc.boolean(), num).map(([t, n]) => `${t ? '~' : ''}${n}`);
    const user = fc.oneof(part, fc.tuple(part, part).map(([a, b]) => `${a}:${b}`), part.map((b) => `:${b}`));
    fc.assert(
      fc.property(user, u64, u64, u64, u64, (u, y1, y2, d1, d2) => {
        const ours = `~0x${y1.toString(16)}:~0x${y2.toString(16)}`;
        const merged = mergeRuntimeEnv({ OPENSSL_ia32cap: u }, { OPENSSL_ia32cap: ours }).OPENSSL_ia32cap!;
        const [m1, m2] = opensslVectors(merged, [d1, d2]);
        const [a1, a2] = opensslVectors(u, [d1, d2]);
        // within the user's vectors (AND only), and without our bits (bit 10 is OpenSSL's own flag)
        expect(m1 & ~a1).toBe(0n);
        expect(m2 & ~a2).toBe(0n);
        expect(m1 & y1 & ~0x400n).toBe(0n);
        expect(m2 & y2).toBe(0n);
      }),
      { numRuns: 500 },
    );
  });
});
