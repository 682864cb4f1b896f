// x86-64 features that imply others: a row [feature, what it needs], the union of three tables, so
// that dropping a feature drops everything any of them says needs it (decode.ts slotsToDrop takes
// the closure). A compiler that takes -mavxvnni to imply AVX2 emits ymm code for `-march=native`
// where avx_vnni is left and avx2 dropped, so the kernel's own table alone is not enough.
//
// Sources (names mapped to the kernel's /proc/cpuinfo names of ./x86_64.ts; only rows whose both
// ends are in that catalogue):
// - Linux 6.18 arch/x86/kernel/cpu/cpuid-deps.c (cpuid_deps[]: feature, depends);
// - GCC 14 gcc/common/config/i386/i386-common.cc (OPTION_MASK_ISA_*_SET and OPTION_MASK_ISA2_*_SET:
//   each feature's _SET names what enabling it also enables);
// - LLVM 18 llvm/lib/TargetParser/X86TargetParser.cpp (ImpliedFeatures* constants).
// A row marks which of them state it: k (kernel), g (GCC), l (LLVM).
export type ImpliesSource = 'k' | 'g' | 'l';
export const X86_IMPLIES: readonly (readonly [feature: string, needs: readonly string[], from: string])[] = [
  // The SSE chain and what sits on SSE2. fxsr, sse and sse2 (CPUID.1:EDX, the AT_HWCAP word) are
  // the x86-64 baseline itself: the rows among them (sse needs fxsr, sse2 needs sse) are left out,
  // so that without() stays a plain difference on the auxv word.
  ['pni', ['sse2'], 'kgl'],
  ['ssse3', ['pni'], 'gl'],
  ['sse4_1', ['ssse3'], 'gl'],
  ['sse4_2', ['sse4_1'], 'gl'],
  ['sse4a', ['pni'], 'gl'],
  ['aes', ['sse2'], 'kgl'],
  ['pclmulqdq', ['sse2'], 'kgl'],
  ['sha_ni', ['sse2'], 'kgl'],
  ['gfni', ['sse2'], 'kgl'],
  ['mmxext', ['mmx'], 'k'],
  // XSAVE and the AVX family.
  ['xsaveopt', ['xsave'], 'kgl'],
  ['xsavec', ['xsave'], 'kgl'],
  ['xsaves', ['xsave'], 'kgl'],
  ['xgetbv1', ['xsave'], 'k'],
  ['avx', ['xsave', 'sse4_2'], 'kgl'],
  ['avx2', ['avx'], 'kgl'],
  ['fma', ['avx'], 'kgl'],
  ['f16c', ['avx'], 'gl'],
  ['fma4', ['avx', 'sse4a'], 'gl'],
  ['xop', ['fma4'], 'gl'],
  ['vaes', ['avx2', 'aes'], 'gl'],
  ['vpclmulqdq', ['avx', 'pclmulqdq'], 'kgl'],
  ['avx_vnni', ['avx2'], 'gl'],
  ['avx_ifma', ['avx2'], 'gl'],
  ['sha512', ['avx2'], 'gl'],
  ['sm3', ['avx'], 'gl'],
  ['sm4', ['avx2'], 'gl'],
  // AVX-512: GCC and LLVM take avx512f to imply avx2 (LLVM also f16c and fma); the kernel avx.
  ['avx512f', ['avx2', 'f16c', 'fma'], 'kgl'],
  ['avx512cd', ['avx512f'], 'kgl'],
  ['avx512dq', ['avx512f'], 'kgl'],
  ['avx512bw', ['avx512f'], 'kgl'],
  ['avx512vl', ['avx512f'], 'kgl'],
  ['avx512ifma', ['avx512f'], 'kgl'],
  ['avx512pf', ['avx512f'], 'kgl'],
  ['avx512er', ['avx512f'], 'kgl'],
  ['avx512vbmi', ['avx512bw'], 'gl'],
  ['avx512_vbmi2', ['avx512bw', 'avx512vl'], 'kgl'],
  ['avx512_bitalg', ['avx512bw', 'avx512vl'], 'kgl'],
  ['avx512_vnni', ['avx512f', 'avx512vl'], 'kgl'],
  ['avx512_vpopcntdq', ['avx512f'], 'kgl'],
  ['avx512_4vnniw', ['avx512f'], 'kgl'],
  ['avx512_4fmaps', ['avx512f'], 'kgl'],
  ['avx512_vp2intersect', ['avx512f', 'avx512vl'], 'kgl'],
  ['avx512_bf16', ['avx512bw', 'avx512vl'], 'kgl'],
  ['avx512_fp16', ['avx512bw', 'avx512dq', 'avx512vl'], 'kgl'],
  // AMX.
  ['amx_bf16', ['amx_tile'], 'gl'],
  ['amx_int8', ['amx_tile'], 'gl'],
  ['amx_fp16', ['amx_tile'], 'gl'],
  ['amx_tile', ['xfd'], 'k'],
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
