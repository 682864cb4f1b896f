// Dropping an x86-64 feature drops every feature that the kernel, GCC or LLVM takes to imply it
// (lib/core/tables/x86-implies.ts): a pure check of the closure for every feature, and, where CPUID
// faults and gcc is installed, `gcc -march=native` run under `hwcap exec --drop avx2` (gcc reads
// CPUID) defining no __AVX2__.
import * as cp from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { FeatureSet, catalog } from '../../lib';
import { X86_IMPLIES, x86Dependents } from '../../lib/core/tables/x86-implies';
import { hwcap } from '../support/cli-harness';
import { which } from '../support/helpers';
import { cpuidFaulting, faultingSkip } from '../support/cpuid-fixture';

const names = catalog('x86_64').map((r) => r.name);
const all = FeatureSet.fromNames('x86_64', names);

describe('x86-64 implications (kernel, GCC, LLVM)', () => {
  it('every row names catalogue features only', () => {
    for (const [f, needs] of X86_IMPLIES) for (const n of [f, ...needs]) expect(names, `${f} needs ${n}`).toContain(n);
  });

  it.each(names)('without(%s): the set is closed (no feature left whose implied feature is gone)', (name) => {
    const s = all.without([name]);
    expect(s.has(name)).toBe(false);
    for (const d of x86Dependents(name)) expect(s.has(d), `${d} needs ${name}`).toBe(false);
    for (const [f, needs] of X86_IMPLIES) if (s.has(f)) for (const n of needs) expect(s.has(n), `${f} is kept but ${n}, which it needs, is not`).toBe(true);
  });

  it('--drop avx2 drops avx_vnni, avx_ifma, sha512, sm4, vaes and all of AVX-512, and keeps avx, fma, f16c, sm3, vpclmulqdq', () => {
    const s = all.without(['avx2']);
    for (const n of ['avx_vnni', 'avx_ifma', 'sha512', 'sm4', 'vaes', 'avx512f', 'avx512bw', 'avx512vl', 'avx512_vnni', 'avx512_fp16']) expect(s.has(n), n).toBe(false);
    for (const n of ['avx', 'fma', 'f16c', 'sm3', 'vpclmulqdq', 'sse4_2']) expect(s.has(n), n).toBe(true);
  });

  it('dropping sse4_2 drops the AVX family; dropping aes drops vaes; dropping amx_tile drops the AMX family', () => {
    expect(all.without(['sse4_2']).has('avx')).toBe(false);
    expect(all.without(['aes']).has('vaes')).toBe(false);
    expect(all.without(['amx_tile']).has('amx_int8')).toBe(false);
  });
});

const gcc = which('gcc');
const here = FeatureSet.current('process');
const isX86 = here.arch === 'x86_64';
const defines = (out: string) => new Set(out.split('\n').map((l) => /^#define (__\w+__) /.exec(l)?.[1]).filter(Boolean));

describe.skipIf(!isX86)(`gcc -march=native under hwcap exec --drop avx2 (real CPUID faulting)${faultingSkip}`, () => {
  const skip = !cpuidFaulting || !gcc || !here.has('avx2');
  const why = !gcc ? ' (skipped: no gcc)' : !here.has('avx2') ? ' (skipped: this CPU lacks avx2)' : faultingSkip;
  it.skipIf(skip)(`defines no __AVX2__ and no __AVX512F__, where it does unmasked${why}`, () => {
    const args = ['-march=native', '-dM', '-E', '-x', 'c', '/dev/null'];
    const plain = defines(cp.execFileSync(gcc!, args, { encoding: 'utf8' }));
    expect(plain.has('__AVX2__')).toBe(true);
    const r = hwcap(['exec', '--drop', 'avx2', '--', gcc!, ...args]);
    expect(r.status).toBe(0);
    const masked = defines(r.stdout);
    expect(masked.has('__AVX__')).toBe(plain.has('__AVX__'));
    expect(masked.has('__AVX2__')).toBe(false);
    expect(masked.has('__AVX512F__')).toBe(false);
    expect(masked.has('__AVXVNNI__')).toBe(false);
    expect(masked.has('__VAES__')).toBe(false);
  });
});
