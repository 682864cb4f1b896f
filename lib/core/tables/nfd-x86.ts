// NFD's x86 flags (feature.node.kubernetes.io/cpu-cpuid.<FLAG>, NodeFeature cpu.cpuid elements)
// → hwcap's x86-64 names.
//
// Sources: the flag names are the FeatureID names of github.com/klauspost/cpuid/v2 (cpuid.go,
// commit 8f3415382118, Nov 2025), which NFD reports through cpuid.CPU.FeatureSet(), plus NFD's own
// X86_64_V1..X86_64_V4 (source/cpu/cpuid_amd64.go, microarchLevelFlags; NFD commit 76e6cc8cc0d5).
// Each flag's CPUID bit is the one klauspost's support() tests (detect_x86.go / cpuid.go).
//
// A value is a catalogue name, a psABI level name (expanded by fromNames), or, for a CPUID bit the
// kernel header does not name, the `bit<N>@<WORD>` name hwcap decodes that bit to, so the flag
// still takes part in baselines.
export const NFD_X86: Readonly<Record<string, string>> = Object.freeze({
  ADX: 'adx', AESNI: 'aes', AMD3DNOW: '3dnow', AMD3DNOWEXT: '3dnowext',
  AMXBF16: 'amx_bf16', AMXFP16: 'amx_fp16', AMXINT8: 'amx_int8', AMXTILE: 'amx_tile',
  AMXTRANSPOSE: 'bit6@CPUID.7.1:EDX', AMXTF32: 'bit7@CPUID.7.1:EDX', AMXCOMPLEX: 'bit8@CPUID.7.1:EDX',
  APX_F: 'apx', AVX: 'avx', AVX10: 'bit19@CPUID.7.1:EDX', AVX2: 'avx2',
  AVX512BF16: 'avx512_bf16', AVX512BITALG: 'avx512_bitalg', AVX512BMM: 'bit23@CPUID.80000021:EAX', AVX512BW: 'avx512bw',
  AVX512CD: 'avx512cd', AVX512DQ: 'avx512dq', AVX512ER: 'avx512er', AVX512F: 'avx512f', AVX512FP16: 'avx512_fp16',
  AVX512IFMA: 'avx512ifma', AVX512PF: 'avx512pf', AVX512VBMI: 'avx512vbmi', AVX512VBMI2: 'avx512_vbmi2',
  AVX512VL: 'avx512vl', AVX512VNNI: 'avx512_vnni', AVX512VP2INTERSECT: 'avx512_vp2intersect', AVX512VPOPCNTDQ: 'avx512_vpopcntdq',
  AVXIFMA: 'avx_ifma', AVXNECONVERT: 'bit5@CPUID.7.1:EDX', AVXVNNI: 'avx_vnni',
  AVXVNNIINT8: 'bit4@CPUID.7.1:EDX', AVXVNNIINT16: 'bit10@CPUID.7.1:EDX',
  BMI1: 'bmi1', BMI2: 'bmi2', CETIBT: 'ibt', CETSS: 'user_shstk', CLDEMOTE: 'cldemote', CLMUL: 'pclmulqdq', CLZERO: 'clzero',
  CMOV: 'cmov', CMPCCXADD: 'cmpccxadd', CMPSB_SCADBS_SHORT: 'fsrc', CMPXCHG8: 'cx8', CPBOOST: 'cpb', CPPC: 'cppc', CX16: 'cx16',
  EFER_LMSLE_UNS: 'bit20@CPUID.80000008:EBX', ENQCMD: 'enqcmd', ERMS: 'erms', F16C: 'f16c', FLUSH_L1D: 'flush_l1d',
  FMA3: 'fma', FMA4: 'fma4', FSRM: 'fsrm', FXSR: 'fxsr', FXSROPT: 'fxsr_opt', GFNI: 'gfni', HLE: 'hle',
  HRESET: 'bit22@CPUID.7.1:EAX', HTT: 'ht', HWA: 'bit2@CPUID.80000007:EBX', HYBRID_CPU: 'hybrid_cpu', HYPERVISOR: 'hypervisor',
  IA32_ARCH_CAP: 'arch_capabilities', IA32_CORE_CAP: 'core_capabilities', IBPB_BRTYPE: 'ibpb_brtype', IBRS: 'amd_ibrs',
  IBRS_PREFERRED: 'bit18@CPUID.80000008:EBX', IBRS_PROVIDES_SMP: 'bit19@CPUID.80000008:EBX', IBS: 'ibs',
  IBS_PREVENTHOST: 'bit15@CPUID.8000001F:EAX', INT_WBINVD: 'bit13@CPUID.80000008:EBX', INVLPGB: 'bit3@CPUID.80000008:EBX',
  KEYLOCKER: 'bit23@CPUID.7.0:ECX', LAHF: 'lahf_lm', LAM: 'lam', LBRVIRT: 'lbrv', LZCNT: 'abm', MCAOVERFLOW: 'overflow_recov',
  MCOMMIT: 'bit8@CPUID.80000008:EBX', MD_CLEAR: 'md_clear', MMX: 'mmx', MMXEXT: 'mmxext', MOVBE: 'movbe',
  MOVDIR64B: 'movdir64b', MOVDIRI: 'movdiri', MOVSB_ZL: 'fzrm', MPX: 'mpx', MSRIRC: 'irperf', MSRLIST: 'bit27@CPUID.7.1:EAX',
  MSR_PAGEFLUSH: 'vm_page_flush', NRIPS: 'nrip_save', NX: 'nx', OSXSAVE: 'osxsave', PCONFIG: 'pconfig', POPCNT: 'popcnt',
  PPIN: 'amd_ppin', PREFETCHI: 'bit14@CPUID.7.1:EDX', RDPRU: 'rdpru', RDRAND: 'rdrand', RDSEED: 'rdseed', RDTSCP: 'rdtscp',
  RTM: 'rtm', RTM_ALWAYS_ABORT: 'rtm_always_abort', SBPB: 'sbpb', SERIALIZE: 'serialize', SEV: 'sev',
  SEV_64BIT: 'bit11@CPUID.8000001F:EAX', SEV_ALTERNATIVE: 'bit13@CPUID.8000001F:EAX', SEV_DEBUGSWAP: 'debug_swap',
  SEV_ES: 'sev_es', SEV_RESTRICTED: 'bit12@CPUID.8000001F:EAX', SEV_SNP: 'sev_snp', SGX: 'sgx', SGXLC: 'sgx_lc', SHA: 'sha_ni',
  SME: 'sme', SME_COHERENT: 'sme_coherent', SM3_X86: 'sm3', SM4_X86: 'sm4', SRBDS_CTRL: 'srbds_ctrl',
  SRSO_MSR_FIX: 'srso_bp_spec_reduce', SRSO_NO: 'srso_no', SRSO_USER_KERNEL_NO: 'srso_user_kernel_no',
  SSE: 'sse', SSE2: 'sse2', SSE3: 'pni', SSE4: 'sse4_1', SSE42: 'sse4_2', SSE4A: 'sse4a', SSSE3: 'ssse3',
  STIBP_ALWAYSON: 'amd_stibp_always_on', STOSB_SHORT: 'fsrs', SUCCOR: 'succor', SVM: 'svm', SVMDA: 'decodeassists',
  SVMFBASID: 'flushbyasid', SVML: 'svm_lock', SVMNP: 'npt', SVMPF: 'pausefilter', SVMPFT: 'pfthreshold', SYSCALL: 'syscall',
  SYSEE: 'sep', TBM: 'tbm', TLB_FLUSH_NESTED: 'bit21@CPUID.80000008:EBX', TME: 'tme', TOPEXT: 'topoext',
  TSA_VERW_CLEAR: 'bit5@CPUID.80000021:EAX', TSCRATEMSR: 'tsc_scale', TSXLDTRK: 'tsxldtrk', VAES: 'vaes',
  VMCBCLEAN: 'vmcb_clean', VMPL: 'bit5@CPUID.8000001F:EAX', VMSA_REGPROT: 'bit24@CPUID.8000001F:EAX', VMX: 'vmx',
  VPCLMULQDQ: 'vpclmulqdq', VTE: 'bit16@CPUID.8000001F:EAX', WAITPKG: 'waitpkg', WBNOINVD: 'wbnoinvd', WRMSRNS: 'wrmsrns',
  X87: 'fpu', XGETBV1: 'xgetbv1', XOP: 'xop', XSAVE: 'xsave', XSAVEC: 'xsavec', XSAVEOPT: 'xsaveopt', XSAVES: 'xsaves',
  X86_64_V1: 'x86-64', X86_64_V2: 'x86-64-v2', X86_64_V3: 'x86-64-v3', X86_64_V4: 'x86-64-v4',
});

/**
 * NFD x86 flags that stand for no one CPUID bit hwcap carries, and why; they are reported as
 * unmapped. (Any other flag NFD may add later is unmapped too.)
 */
export const NFD_X86_NO_BIT: Readonly<Record<string, string>> = Object.freeze({
  AVXSLOW: 'a family/model heuristic, not a CPUID bit',
  FP128: 'leaf 0x8000001A, which hwcap does not read',
  FP256: 'leaf 0x8000001A, which hwcap does not read',
  MOVU: 'leaf 0x8000001A, which hwcap does not read',
  IBPB: 'either CPUID.7.0:EDX bit 26 or CPUID.80000008:EBX bit 12; NFD does not say which',
  STIBP: 'either CPUID.7.0:EDX bit 27 or CPUID.80000008:EBX bit 15; NFD does not say which',
  SPEC_CTRL_SSBD: 'either CPUID.7.0:EDX bit 31 or CPUID.80000008:EBX bit 24; NFD does not say which',
  PSFD: 'either CPUID.7.2:EDX bit 0 or CPUID.80000008:EBX bit 28; NFD does not say which',
  IDPRED_CTRL: 'leaf 7 subleaf 2, which hwcap does not read',
  RRSBA_CTRL: 'leaf 7 subleaf 2, which hwcap does not read',
  BHI_CTRL: 'leaf 7 subleaf 2, which hwcap does not read',
  MCDT_NO: 'leaf 7 subleaf 2, which hwcap does not read',
  SGXPQC: 'SGX leaf 0x12, which hwcap does not read',
  KEYLOCKERW: 'Key Locker leaf 0x19, which hwcap does not read',
  AVX10_128: 'AVX10 leaf 0x24, which hwcap does not read',
  AVX10_256: 'AVX10 leaf 0x24, which hwcap does not read',
  AVX10_512: 'AVX10 leaf 0x24, which hwcap does not read',
  AMXFP8: 'read by klauspost/cpuid from a bit that is pku in CPUID.7.0:ECX; not trusted',
  IBSBRNTRGT: 'IBS leaf 0x8000001B', IBSFETCHSAM: 'IBS leaf 0x8000001B', IBSFFV: 'IBS leaf 0x8000001B', IBSOPCNT: 'IBS leaf 0x8000001B',
  IBSOPCNTEXT: 'IBS leaf 0x8000001B', IBSOPSAM: 'IBS leaf 0x8000001B', IBSRDWROPCNT: 'IBS leaf 0x8000001B', IBSRIPINVALIDCHK: 'IBS leaf 0x8000001B',
  IBS_FETCH_CTLX: 'IBS leaf 0x8000001B', IBS_OPDATA4: 'IBS leaf 0x8000001B', IBS_OPFUSE: 'IBS leaf 0x8000001B', IBS_ZEN4: 'IBS leaf 0x8000001B',
  TDX_GUEST: 'a hypervisor identity (leaf 0x21), not a feature bit',
  TSA_L1_NO: 'CPUID.80000021:ECX, or a rule on the AMD family',
  TSA_SQ_NO: 'CPUID.80000021:ECX, or a rule on the AMD family',
  PMU_FIXEDCOUNTER_CYCLES: 'performance-monitoring leaf 0xA', PMU_FIXEDCOUNTER_REFCYCLES: 'performance-monitoring leaf 0xA',
  PMU_FIXEDCOUNTER_INSTRUCTIONS: 'performance-monitoring leaf 0xA', PMU_FIXEDCOUNTER_TOPDOWN_SLOTS: 'performance-monitoring leaf 0xA',
});

/** NFD's default cpuid label blacklist (source/cpu/cpu.go newDefaultConfig): these are never labels unless reconfigured. */
export const NFD_LABEL_BLACKLIST: readonly string[] = Object.freeze([
  'AVX10', 'BMI1', 'BMI2', 'CLMUL', 'CMOV', 'CX16', 'ERMS', 'F16C', 'HTT', 'LZCNT', 'MMX', 'MMXEXT', 'NX', 'POPCNT',
  'RDRAND', 'RDSEED', 'RDTSCP', 'SGX', 'SGXLC', 'SSE', 'SSE2', 'SSE3', 'SSE4', 'SSE42', 'SSSE3', 'TDX_GUEST',
]);
