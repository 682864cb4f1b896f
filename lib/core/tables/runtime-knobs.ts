// The environment knobs x86-64 runtimes honour to leave CPU features unused: one table, by
// runtime, of hwcap name → the runtime's own name. runtime-env.ts turns it into variables.
//
// Sources:
// - glibc: sysdeps/x86/cpu-tunables.c (TUNABLE_CALLBACK (set_hwcaps), glibc 2.33 and later; read
//   at bminor/glibc): GLIBC_TUNABLES=glibc.cpu.hwcaps=-NAME,… clears NAME's "active" bit, the one
//   ifunc selection and the glibc-hwcaps levels test. Names are case-sensitive.
// - OpenSSL: OPENSSL_ia32cap(3) (OpenSSL 1.1.1 to 3.x): "~0xA:~0xB" ANDs the complement of A into
//   the first capability vector (CPUID.1:EDX in bits 0-31, CPUID.1:ECX in 32-63) and of B into the
//   second (CPUID.7.0:EBX in 0-31, CPUID.7.0:ECX in 32-63). Only bits OpenSSL's code tests are
//   listed: it reuses some others (bit 20 and 30 of the first word) for its own flags.
// - Go: src/internal/cpu/cpu_x86.go (golang/go, Go 1.21 and later), GODEBUG=cpu.NAME=off. Options
//   that the binary's GOAMD64 level requires cannot be turned off; Go warns about them and about
//   names it does not know, and runs on.
// - .NET: src/coreclr/vm/codeman.cpp EEJitManager::SetCpuInfo (dotnet/runtime, .NET 7:
//   EnableAES … EnableSSSE3, EnableAVXVNNI), plus EnableMOVBE, EnableAVX512F/BW/CD/DQ/VBMI and
//   EnableX86Serialize from the .NET 8 configuration (clrconfignames.h); DOTNET_<name>=0.
// - numpy: NPY_DISABLE_CPU_FEATURES (numpy/_core/src/common/npy_cpu_features.c) names dispatch
//   targets. numpy 2.4 and later dispatch on the groups X86_V3, X86_V4, AVX512_ICL, AVX512_SPR
//   ("ENH: Modulate dispatched x86 CPU features"); earlier versions on single features (AVX2,
//   FMA3, AVX512F, AVX512_SKX …). Both spellings are given; numpy skips names it does not dispatch.
//   numpy's baseline (X86_V2 in 2.4, SSE3 before) cannot be disabled: without it numpy fails to import.

export interface RuntimeKnob {
  readonly runtime: 'glibc' | 'openssl' | 'go' | 'dotnet' | 'numpy';
  /** hwcap name → the runtime's names to disable when the set lacks it. */
  readonly names: Readonly<Record<string, readonly string[]>>;
}

const one = (m: Record<string, string>): Record<string, readonly string[]> => Object.fromEntries(Object.entries(m).map(([k, v]) => [k, [v]]));

const NPY_V3 = ['X86_V3', 'X86_V4', 'AVX512_SKX', 'AVX512_CLX', 'AVX512_CNL', 'AVX512_ICL', 'AVX512_SPR'];
const NPY_V4 = ['X86_V4', 'AVX512F', 'AVX512CD', 'AVX512_SKX', 'AVX512_CLX', 'AVX512_CNL', 'AVX512_ICL', 'AVX512_SPR'];
const NPY_ICL = ['AVX512_ICL', 'AVX512_SPR'];

export const RUNTIME_KNOBS: readonly RuntimeKnob[] = Object.freeze([
  {
    runtime: 'glibc',
    names: one({
      avx: 'AVX', cx8: 'CX8', fma: 'FMA', ht: 'HTT', ibt: 'IBT', rtm: 'RTM', avx2: 'AVX2', bmi1: 'BMI1', bmi2: 'BMI2',
      cmov: 'CMOV', erms: 'ERMS', fma4: 'FMA4', sse2: 'SSE2', abm: 'LZCNT', movbe: 'MOVBE', user_shstk: 'SHSTK',
      ssse3: 'SSSE3', xsave: 'XSAVE', popcnt: 'POPCNT', sse4_1: 'SSE4_1', sse4_2: 'SSE4_2', xsavec: 'XSAVEC',
      avx512f: 'AVX512F', osxsave: 'OSXSAVE', avx512bw: 'AVX512BW', avx512cd: 'AVX512CD', avx512dq: 'AVX512DQ',
      avx512er: 'AVX512ER', avx512pf: 'AVX512PF', avx512vl: 'AVX512VL',
    }),
  },
  {
    // The value is the bit's place in the vector: 'v1:N' (first vector) or 'v2:N' (second).
    runtime: 'openssl',
    names: one({
      mmx: 'v1:23', fxsr: 'v1:24', sse: 'v1:25', sse2: 'v1:26',
      pni: 'v1:32', pclmulqdq: 'v1:33', ssse3: 'v1:41', fma: 'v1:44', sse4_1: 'v1:51', movbe: 'v1:54', aes: 'v1:57',
      osxsave: 'v1:59', avx: 'v1:60', rdrand: 'v1:62',
      bmi1: 'v2:3', avx2: 'v2:5', bmi2: 'v2:8', avx512f: 'v2:16', avx512dq: 'v2:17', rdseed: 'v2:18', adx: 'v2:19',
      avx512ifma: 'v2:21', sha_ni: 'v2:29', avx512bw: 'v2:30', avx512vl: 'v2:31',
      avx512vbmi: 'v2:33', vaes: 'v2:41', vpclmulqdq: 'v2:42',
    }),
  },
  {
    runtime: 'go',
    names: one({
      adx: 'adx', aes: 'aes', erms: 'erms', fsrm: 'fsrm', pclmulqdq: 'pclmulqdq', rdtscp: 'rdtscp', sha_ni: 'sha',
      vpclmulqdq: 'vpclmulqdq', popcnt: 'popcnt', pni: 'sse3', sse4_1: 'sse41', sse4_2: 'sse42', ssse3: 'ssse3',
      avx: 'avx', avx2: 'avx2', bmi1: 'bmi1', bmi2: 'bmi2', fma: 'fma',
      avx512f: 'avx512f', avx512cd: 'avx512cd', avx512bw: 'avx512bw', avx512dq: 'avx512dq', avx512vl: 'avx512vl',
    }),
  },
  {
    runtime: 'dotnet',
    names: one({
      aes: 'EnableAES', avx: 'EnableAVX', avx2: 'EnableAVX2', avx_vnni: 'EnableAVXVNNI', bmi1: 'EnableBMI1', bmi2: 'EnableBMI2',
      fma: 'EnableFMA', abm: 'EnableLZCNT', pclmulqdq: 'EnablePCLMULQDQ', popcnt: 'EnablePOPCNT', sse: 'EnableSSE',
      sse2: 'EnableSSE2', pni: 'EnableSSE3', sse4_1: 'EnableSSE41', sse4_2: 'EnableSSE42', ssse3: 'EnableSSSE3',
      movbe: 'EnableMOVBE', serialize: 'EnableX86Serialize', avx512f: 'EnableAVX512F', avx512bw: 'EnableAVX512BW',
      avx512cd: 'EnableAVX512CD', avx512dq: 'EnableAVX512DQ', avx512vbmi: 'EnableAVX512VBMI',
    }),
  },
  {
    runtime: 'numpy',
    names: {
      pni: ['SSE3'], ssse3: ['SSSE3'], sse4_1: ['SSE41'], sse4_2: ['SSE42'], popcnt: ['POPCNT'],
      avx: ['AVX', 'F16C', 'FMA3', 'AVX2', ...NPY_V3], f16c: ['F16C', ...NPY_V3], fma: ['FMA3', ...NPY_V3], avx2: ['AVX2', ...NPY_V3],
      bmi1: NPY_V3, bmi2: NPY_V3, abm: NPY_V3, movbe: NPY_V3, osxsave: ['AVX', 'F16C', 'FMA3', 'AVX2', ...NPY_V3],
      avx512f: NPY_V4, avx512cd: NPY_V4, avx512bw: NPY_V4, avx512dq: NPY_V4, avx512vl: NPY_V4,
      avx512_vnni: ['AVX512VNNI', 'AVX512_CLX', ...NPY_ICL], avx512ifma: ['AVX512IFMA', 'AVX512_CNL', ...NPY_ICL],
      avx512vbmi: ['AVX512VBMI', 'AVX512_CNL', ...NPY_ICL], avx512_vbmi2: ['AVX512VBMI2', ...NPY_ICL],
      avx512_bitalg: ['AVX512BITALG', ...NPY_ICL], avx512_vpopcntdq: ['AVX512VPOPCNTDQ', ...NPY_ICL],
      vaes: NPY_ICL, vpclmulqdq: NPY_ICL, gfni: NPY_ICL, avx512_fp16: ['AVX512FP16', 'AVX512_SPR'], avx512_bf16: ['AVX512BF16', 'AVX512_SPR'],
      xop: ['XOP'], fma4: ['FMA4'],
    },
  },
] as const);

// V8 (the JIT of Node and other embedders) takes no environment variable: it has command-line
// flags, --no-enable-NAME, for the x86-64 features its code generator and assembler would use.
// Source: src/flags/flag-definitions.h (v8/v8, as vendored in nodejs/node deps/v8; V8 11.3 of
// Node 20 and later): DEFINE_BOOL(enable_sse3 …), enable_ssse3, enable_sse4_1, enable_sse4_2,
// enable_sahf, enable_avx, enable_avx2, enable_fma3, enable_bmi1, enable_bmi2, enable_lzcnt,
// enable_popcnt, all default true; on the command line `_` may be written `-`. Read at start-up by
// src/codegen/x64/assembler-x64.cc CpuFeatures::ProbeImpl, which also drops what a dropped
// feature carries: no SSE3 → no SSSE3 → no SSE4.1 → no SSE4.2 → no AVX → no AVX2 or FMA3. It
// sets AVX only with CPUID's OSXSAVE (and XCR0 from xgetbv), so a set without osxsave loses AVX.
// Newer V8 adds enable_f16c, enable_avx_vnni, enable_avx_vnni_int8: left out, as Node refuses a
// flag its V8 does not know ("bad option") and Node 20's V8 has none of them.
// Node refuses these in NODE_OPTIONS; they go on node's command line (execArgv).

/** hwcap name (the kernel's /proc/cpuinfo name) → V8's flag names (without `--enable-`). */
export const V8_FLAG_NAMES: Readonly<Record<string, readonly string[]>> = Object.freeze({
  pni: ['sse3'],
  ssse3: ['ssse3'],
  sse4_1: ['sse4-1'],
  sse4_2: ['sse4-2'],
  lahf_lm: ['sahf'],
  avx: ['avx'],
  osxsave: ['avx'],
  avx2: ['avx2'],
  fma: ['fma3'],
  bmi1: ['bmi1'],
  bmi2: ['bmi2'],
  abm: ['lzcnt'],
  popcnt: ['popcnt'],
});
