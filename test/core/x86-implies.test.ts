// Dropping an x86-64 feature drops every feature that the kernel, GCC or LLVM takes to imply it
// (lib/core/tables/x86-implies.ts): a pure check of the closure for every feature, and, where CPUID
// faults and gcc is installed, `gcc -march=native` run under `hwcap exec --drop avx2` (gcc reads
// CPUID) defining no __AVX2__.
import * as cp from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { FeatureSet, catalog } from '../../lib';
import { X86_IMPLIES, x86Dependents, type ImpliesSource } from '../../lib/core/tables/x86-implies';
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

// Edges read off each source (lib/core/tables/x86-implies.ts names the files and commits), as
// `feature<needed` in the catalogue's names: each must be a row of that source and in the closure.
const pins = (s: string) => s.split(/\s+/).filter(Boolean).map((e) => e.split('<') as [string, string]);
const FROM: Record<ImpliesSource, [string, string][]> = {
  // gcc/common/config/i386/i386-common.cc: OPTION_MASK_ISA*_SET/_UNSET and ix86_handle_option.
  g: pins(`pni<sse2 ssse3<pni sse4_1<ssse3 sse4_2<sse4_1 sse4a<pni avx<sse4_2 avx<xsave avx2<avx fma<avx f16c<avx
    fma4<avx fma4<sse4a xop<fma4 aes<sse2 sha_ni<sse2 pclmulqdq<sse2 vpclmulqdq<avx vpclmulqdq<pclmulqdq vaes<avx
    sm3<avx sha512<avx sm4<avx avx_vnni<avx2 avx_ifma<avx2 xsaveopt<xsave xsavec<xsave xsaves<xsave 3dnow<mmx
    3dnowext<3dnow abm<popcnt avx512f<avx2 avx512cd<avx512f avx512dq<avx512f avx512bw<avx512f avx512vl<avx512f
    avx512ifma<avx512f avx512pf<avx512f avx512er<avx512f avx512_vnni<avx512f avx512_vpopcntdq<avx512f
    avx512_4fmaps<avx512f avx512_4vnniw<avx512f avx512_vp2intersect<avx512f avx512_vp2intersect<avx512dq
    avx512vbmi<avx512bw avx512_vbmi2<avx512bw avx512_bitalg<avx512bw avx512_bf16<avx512bw avx512_fp16<avx512bw
    amx_tile<xsave amx_int8<amx_tile amx_bf16<amx_tile amx_fp16<amx_tile`),
  // llvm/lib/TargetParser/X86TargetParser.cpp: ImpliedFeatures* (avx512_fp16<dq, <vl: LLVM 18).
  l: pins(`pni<sse2 ssse3<pni sse4_1<ssse3 sse4_2<sse4_1 sse4a<pni avx<sse4_2 avx2<avx fma<avx f16c<avx fma4<avx
    fma4<sse4a xop<fma4 aes<sse2 gfni<sse2 sha_ni<sse2 pclmulqdq<sse2 vpclmulqdq<avx vpclmulqdq<pclmulqdq vaes<avx2
    vaes<aes sm3<avx sm4<avx2 sha512<avx2 avx_vnni<avx2 avx_ifma<avx2 xsaveopt<xsave xsavec<xsave xsaves<xsave
    3dnow<mmx 3dnowext<3dnow avx512f<avx2 avx512f<f16c avx512f<fma avx512cd<avx512f avx512dq<avx512f
    avx512bw<avx512f avx512vl<avx512f avx512ifma<avx512f avx512pf<avx512f avx512er<avx512f avx512_vnni<avx512f
    avx512_vpopcntdq<avx512f avx512_vp2intersect<avx512f avx512vbmi<avx512bw avx512_vbmi2<avx512bw
    avx512_bitalg<avx512bw avx512_bf16<avx512bw avx512_fp16<avx512bw avx512_fp16<avx512dq avx512_fp16<avx512vl
    amx_int8<amx_tile amx_bf16<amx_tile amx_fp16<amx_tile`),
  // arch/x86/kernel/cpu/cpuid-deps.c: cpuid_deps[] (SHSTK is user_shstk here).
  k: pins(`pni<sse2 ssse3<sse2 sse4_1<sse2 sse4_2<sse2 f16c<sse2 aes<sse2 sha_ni<sse2 gfni<sse2 pclmulqdq<sse2
    mmxext<mmx fxsr_opt<fxsr xsave<fxsr xsaveopt<xsave xsavec<xsave xsaves<xsave xgetbv1<xsave avx<xsave pku<xsave
    mpx<xsave apx<xsave xfd<xsaves xfd<xgetbv1 enqcmd<xsaves user_shstk<xsaves avx2<avx fma<avx vaes<avx
    vpclmulqdq<avx avx_vnni<avx avx512f<avx avx512cd<avx512f avx512dq<avx512f avx512bw<avx512f avx512vl<avx512f
    avx512ifma<avx512f avx512pf<avx512f avx512er<avx512f avx512vbmi<avx512f avx512_vpopcntdq<avx512f
    avx512_4fmaps<avx512f avx512_4vnniw<avx512f avx512_vbmi2<avx512vl avx512_vnni<avx512vl avx512_bitalg<avx512vl
    avx512_vp2intersect<avx512vl avx512_bf16<avx512vl avx512_fp16<avx512bw amx_tile<xfd amx_int8<amx_tile
    amx_bf16<amx_tile amx_fp16<amx_tile sgx_lc<sgx fred<lkgs spec_ctrl_ssbd<spec_ctrl`),
};

describe('x86-64 implications: the edges each source states', () => {
  it.each(['g', 'l', 'k'] as const)('%s: every pinned edge is a row of that source, and dropping the needed feature drops the feature', (src) => {
    for (const [f, n] of FROM[src]) {
      expect(X86_IMPLIES.some(([g, needs, from]) => g === f && needs.includes(n) && from.includes(src)), `${f} needs ${n} (${src})`).toBe(true);
      expect(x86Dependents(n), `${f} needs ${n} (${src})`).toContain(f);
      expect(all.without([n]).has(f), `without(${n}) keeps ${f}`).toBe(false);
    }
  });

  it('every row\'s source letters are pinned above: no edge is credited to a source unread', () => {
    const pinned = new Set((Object.entries(FROM) as [ImpliesSource, [string, string][]][]).flatMap(([s, es]) => es.map(([f, n]) => `${s}:${f}<${n}`)));
    for (const [f, needs, from] of X86_IMPLIES) {
      expect(from, f).toMatch(/^k?g?l?$/);
      for (const s of from) for (const n of needs) expect(pinned.has(`${s}:${f}<${n}`), `${s}:${f}<${n}`).toBe(true);
    }
  });

  it('where the sources disagree, the union: drop avx2 takes sha512 and sm4 (LLVM), avx512dq takes avx512_vp2intersect (GCC), xsave takes pku, user_shstk and amx_tile (kernel, GCC), popcnt takes abm (GCC)', () => {
    expect(x86Dependents('avx2')).toEqual(expect.arrayContaining(['sha512', 'sm4', 'vaes', 'avx_vnni']));
    expect(x86Dependents('avx512dq')).toContain('avx512_vp2intersect');
    expect(x86Dependents('avx512vl')).toEqual(expect.arrayContaining(['avx512_vp2intersect', 'avx512_vnni', 'avx512_bf16', 'avx512_fp16']));
    expect(x86Dependents('xsave')).toEqual(expect.arrayContaining(['pku', 'mpx', 'apx', 'user_shstk', 'enqcmd', 'xfd', 'amx_tile', 'amx_int8', 'avx']));
    expect(x86Dependents('popcnt')).toEqual(['abm']);
    expect(x86Dependents('mmx')).toEqual(expect.arrayContaining(['mmxext', '3dnow', '3dnowext']));
    expect(x86Dependents('aes')).toEqual(['vaes']);
    expect(x86Dependents('sse2')).toContain('gfni');
    // And what no source says stays: avx keeps sse4_2 and xsave, avx2 keeps sm3 and fma.
    for (const n of ['sse4_2', 'xsave']) expect(x86Dependents('avx')).not.toContain(n);
    for (const n of ['sm3', 'fma', 'f16c', 'avx']) expect(x86Dependents('avx2')).not.toContain(n);
    expect(x86Dependents('bmi1')).toEqual([]);
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
