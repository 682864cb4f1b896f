// x86-64 features that imply others: a row [feature, what it needs, who says so], the union of
// three tables, so that dropping a feature drops everything any of them says needs it
// (decode.ts slotsToDrop takes the closure). A compiler that takes -mavxvnni to imply AVX2 emits
// ymm code for `-march=native` where avx_vnni is left and avx2 dropped, so the kernel's own table
// alone is not enough. Where the three disagree the row's needs are the union: a mask may only
// remove features, so the safe side is to drop more. A feature may have several rows, one per
// set of sources, so that each row's third field names exactly the tables that state every edge
// in it: k (kernel), g (GCC), l (LLVM). Each row was checked against these files:
//
// - kernel: arch/x86/kernel/cpu/cpuid-deps.c (cpuid_deps[]: feature, depends), linux-next as
//   mirrored at ColinIanKing/linux-next commit 6850f6aa97a9 (has the APX, AMX_*, SHSTK, FRED,
//   SPEC_CTRL_SSBD and LASS rows), cross-read with torvalds/linux 0c436dfe5c25 (older: no APX or
//   AMX_* → AMX_TILE rows).
// - GCC: gcc/common/config/i386/i386-common.cc, gcc-mirror/gcc commits 0288ab14732a (GCC 14
//   development: still has AVX512PF/ER, AVX5124FMAPS/4VNNIW) and 74ae651bd61a (GCC 15
//   development: those four removed). An edge is GCC's if enabling -mX turns Y on
//   (OPTION_MASK_ISA_X_SET / OPTION_MASK_ISA2_X_SET contains Y_SET, or ix86_handle_option's case
//   for -mX also sets Y_SET, which is where the ISA2 features keep theirs: -mavxvnni → AVX2_SET,
//   -mvaes/-msm3/-msha512/-msm4 → AVX_SET, -mavx512bf16 → AVX512BW_SET, -mavx512vp2intersect →
//   AVX512DQ_SET, -mavx5124fmaps → AVX512F_SET, -mamx-tile → XSAVE_SET), or disabling -mY turns X
//   off (Y_UNSET contains X_UNSET).
// - LLVM: llvm/lib/TargetParser/X86TargetParser.cpp (the ImpliedFeatures* constants),
//   llvm/llvm-project commit d1f8a0715489 (LLVM 18 era: still has 3DNow!, AVX512PF/ER and
//   AVX512FP16 = BW|DQ|VL), cross-read with the LLVM 22 copy at Better-Deepin-Repo/deepin-llvm-22
//   commit 3eb6b1e24b1b (3DNow! and PF/ER gone, AVX512FP16 = BW only).
//
// Names are the kernel's /proc/cpuinfo names of ./x86_64.ts; a row is kept only if both ends are
// in that catalogue (so AMX-COMPLEX, AVX-VNNI-INT8, Key Locker, AVX10, LASS, CQM, SGX1/2 … have
// none). Compiler names mapped: sse3 = pni, pclmul = pclmulqdq, sha = sha_ni, 3dnowa = 3dnowext,
// avxvnni = avx_vnni, avxifma = avx_ifma, avx512vnni = avx512_vnni (and so on for the
// underscored AVX-512 names), amx-tile = amx_tile, lzcnt and GCC's -mabm = abm (the one bit,
// CPUID.80000001:ECX[5]; GCC's driver sets both from it), shstk = user_shstk (X86_FEATURE_SHSTK).
//
// Disagreements (all resolved by the union):
// - avx: the kernel and GCC need xsave, LLVM does not; GCC and LLVM need sse4_2, the kernel sse2.
// - ssse3, sse4_1, sse4_2, f16c: the kernel needs only sse2 where the compilers chain them
//   (ssse3 → pni → sse2; f16c → avx).
// - gfni: the kernel and LLVM need sse2; GCC's -mgfni implies nothing.
// - vaes: the kernel and GCC need avx; LLVM needs avx2 and aes.
// - sha512, sm4: GCC needs avx, LLVM avx2. avx_vnni: the kernel avx, the compilers avx2.
// - avx512f: the kernel needs avx, GCC avx2, LLVM avx2, f16c and fma.
// - avx512vbmi: the kernel avx512f, the compilers avx512bw. avx512_vbmi2, avx512_bitalg,
//   avx512_bf16: the kernel avx512vl, the compilers avx512bw. avx512_vnni: the kernel
//   avx512vl, the compilers avx512f.
// - avx512_vp2intersect: the kernel avx512vl, LLVM avx512f, GCC avx512dq (-m) and avx512f (-mno-).
// - avx512_fp16: all avx512bw; LLVM 18 also avx512dq and avx512vl.
// - avx512_4vnniw, avx512_4fmaps: the kernel and GCC 14 avx512f; LLVM none ("not really
//   implemented").
// - amx_tile: the kernel xfd (which needs xsaves and xgetbv1), GCC xsave, LLVM nothing.
// - abm: GCC's -mabm also turns on popcnt (ABM_SET); -mlzcnt and LLVM's lzcnt imply nothing.
//
// Left out: the rows among fpu, cmov, mmx, fxsr, sse and sse2 (the kernel's fxsr → fpu, cmov, mmx
// and sse → fxsr, sse2 → sse; the compilers' sse2 → sse), which are all CPUID.1:EDX, the AT_HWCAP
// word, and the x86-64 baseline itself, so that without() stays a plain difference on the auxv
// word. GCC also turns popcnt (and crc32) on for -msse4.2 unless -mno-popcnt was given
// (gcc/config/i386/i386-options.cc, not the table above); -march=native passes -mno-popcnt
// when popcnt is absent, so that is no edge.
export type ImpliesSource = 'k' | 'g' | 'l';
export const X86_IMPLIES: readonly (readonly [feature: string, needs: readonly string[], from: string])[] = [
  // The SSE chain and what sits on SSE2.
  ['pni', ['sse2'], 'kgl'],
  ['ssse3', ['pni'], 'gl'],
  ['ssse3', ['sse2'], 'k'],
  ['sse4_1', ['ssse3'], 'gl'],
  ['sse4_1', ['sse2'], 'k'],
  ['sse4_2', ['sse4_1'], 'gl'],
  ['sse4_2', ['sse2'], 'k'],
  ['sse4a', ['pni'], 'gl'],
  ['aes', ['sse2'], 'kgl'],
  ['pclmulqdq', ['sse2'], 'kgl'],
  ['sha_ni', ['sse2'], 'kgl'],
  ['gfni', ['sse2'], 'kl'],
  // MMX and 3DNow! (3DNow! left LLVM in 19; GCC still has -m3dnow/-m3dnowa).
  ['mmxext', ['mmx'], 'k'],
  ['3dnow', ['mmx'], 'gl'],
  ['3dnowext', ['3dnow'], 'gl'],
  // FXSR and XSAVE, and what the kernel hangs on XSAVE state.
  ['fxsr_opt', ['fxsr'], 'k'],
  ['xsave', ['fxsr'], 'k'],
  ['xsaveopt', ['xsave'], 'kgl'],
  ['xsavec', ['xsave'], 'kgl'],
  ['xsaves', ['xsave'], 'kgl'],
  ['xgetbv1', ['xsave'], 'k'],
  ['pku', ['xsave'], 'k'],
  ['mpx', ['xsave'], 'k'],
  ['apx', ['xsave'], 'k'],
  ['xfd', ['xsaves', 'xgetbv1'], 'k'],
  ['enqcmd', ['xsaves'], 'k'],
  ['user_shstk', ['xsaves'], 'k'],
  // The AVX family.
  ['avx', ['xsave'], 'kg'],
  ['avx', ['sse4_2'], 'gl'],
  ['avx2', ['avx'], 'kgl'],
  ['fma', ['avx'], 'kgl'],
  ['f16c', ['avx'], 'gl'],
  ['f16c', ['sse2'], 'k'],
  ['fma4', ['avx', 'sse4a'], 'gl'],
  ['xop', ['fma4'], 'gl'],
  ['vaes', ['avx'], 'kg'],
  ['vaes', ['avx2', 'aes'], 'l'],
  ['vpclmulqdq', ['avx'], 'kgl'],
  ['vpclmulqdq', ['pclmulqdq'], 'gl'],
  ['avx_vnni', ['avx2'], 'gl'],
  ['avx_vnni', ['avx'], 'k'],
  ['avx_ifma', ['avx2'], 'gl'],
  ['sha512', ['avx'], 'g'],
  ['sha512', ['avx2'], 'l'],
  ['sm3', ['avx'], 'gl'],
  ['sm4', ['avx'], 'g'],
  ['sm4', ['avx2'], 'l'],
  // AVX-512.
  ['avx512f', ['avx'], 'k'],
  ['avx512f', ['avx2'], 'gl'],
  ['avx512f', ['f16c', 'fma'], 'l'],
  ['avx512cd', ['avx512f'], 'kgl'],
  ['avx512dq', ['avx512f'], 'kgl'],
  ['avx512bw', ['avx512f'], 'kgl'],
  ['avx512vl', ['avx512f'], 'kgl'],
  ['avx512ifma', ['avx512f'], 'kgl'],
  ['avx512pf', ['avx512f'], 'kgl'],
  ['avx512er', ['avx512f'], 'kgl'],
  ['avx512vbmi', ['avx512bw'], 'gl'],
  ['avx512vbmi', ['avx512f'], 'k'],
  ['avx512_vbmi2', ['avx512bw'], 'gl'],
  ['avx512_vbmi2', ['avx512vl'], 'k'],
  ['avx512_bitalg', ['avx512bw'], 'gl'],
  ['avx512_bitalg', ['avx512vl'], 'k'],
  ['avx512_vnni', ['avx512f'], 'gl'],
  ['avx512_vnni', ['avx512vl'], 'k'],
  ['avx512_vpopcntdq', ['avx512f'], 'kgl'],
  ['avx512_4vnniw', ['avx512f'], 'kg'],
  ['avx512_4fmaps', ['avx512f'], 'kg'],
  ['avx512_vp2intersect', ['avx512f'], 'gl'],
  ['avx512_vp2intersect', ['avx512dq'], 'g'],
  ['avx512_vp2intersect', ['avx512vl'], 'k'],
  ['avx512_bf16', ['avx512bw'], 'gl'],
  ['avx512_bf16', ['avx512vl'], 'k'],
  ['avx512_fp16', ['avx512bw'], 'kgl'],
  ['avx512_fp16', ['avx512dq', 'avx512vl'], 'l'],
  // AMX.
  ['amx_tile', ['xfd'], 'k'],
  ['amx_tile', ['xsave'], 'g'],
  ['amx_bf16', ['amx_tile'], 'kgl'],
  ['amx_int8', ['amx_tile'], 'kgl'],
  ['amx_fp16', ['amx_tile'], 'kgl'],
  // The rest.
  ['abm', ['popcnt'], 'g'],
  ['sgx_lc', ['sgx'], 'k'],
  ['fred', ['lkgs'], 'k'],
  ['spec_ctrl_ssbd', ['spec_ctrl'], 'k'],
];

/** Every feature that needs `name`, directly or through others (`name` itself not included). */
export function x86Dependents(name: string): string[] {
  const out = new Set<string>();
  const walk = (n: string) => {
    for (const [f, needs] of X86_IMPLIES) {
      if (!needs.includes(n) || out.has(f)) continue;
      out.add(f);
      walk(f);
    }
  };
  walk(name);
  out.delete(name);
  return [...out];
}
