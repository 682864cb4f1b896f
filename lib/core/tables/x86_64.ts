// x86-64 feature table: the auxv words and the CPUID words, one row per feature.
//
// Sources:
// - arch/x86/include/asm/cpufeatures.h, linux-next as mirrored at ColinIanKing/linux-next commit
//   0fb0f9c9983c79bb71970eda5688ff3f7f5a7068 (the v6.15 cycle; NCAPINTS 22), cross-read with the
//   Linux 6.12 copy at CachyOS/linux 1da02a8744c5. Each X86_FEATURE_* of a word the kernel fills
//   from one CPUID register is a row: the kernel's word N becomes the CPUID word it is read from.
// - arch/x86/kernel/cpu/scattered.c (ColinIanKing/linux-next 6805f52cbdf1) for the features the
//   kernel gathers one by one from other leaves (6:ECX, 7.1:EBX/EDX, 0x80000007, 0x80000022).
// - AT_HWCAP2: arch/x86/include/uapi/asm/hwcap2.h (HWCAP2_RING3MWAIT bit 0, Linux 4.14;
//   HWCAP2_FSGSBASE bit 1, Linux 5.9).
//
// Names: since Linux 6.11 the header says "if the comment begins with a quoted string, that
// string is used in /proc/cpuinfo; otherwise the bit is not displayed". A quoted name is the row's
// name. A bit without one (osxsave, avx_ifma, sha512, cmpccxadd, apx …) is still a row, because
// glibc, compilers and runtimes test it, named as kernels before 6.11 printed it: the lower-cased
// X86_FEATURE_* suffix. Such rows carry `procfs: false`: /proc/cpuinfo never lists them.
//
// One name wherever it shows. On x86-64 AT_HWCAP *is* CPUID.1:EDX (the kernel's word 0), so its
// rows name both; fsgsbase is CPUID.7.0:EBX bit 0 and also AT_HWCAP2 bit 1 (`also`). Masking a
// name clears every place it has.
//
// user_shstk is CPUID.7.0:ECX bit 7 (X86_FEATURE_SHSTK, no cpuinfo name of its own): the kernel
// prints "user_shstk" (a word-11 flag) when it supports shadow stacks for user space, which is
// what a workload can use.
//
// Not rows: the kernel's synthetic and Linux-defined flags (words 3, 7, 8, 11 and most of 21:
// constant_tsc, rep_good, nopl, cpuid, vmmcall, ssbd, ibrs, ibpb, stibp, pti …), which no CPUID
// bit carries one to one; the resource-control leaves 0xF and 0x10 (cqm_*, cat_*, cdp_*, mba) and
// SGX leaf 0x12. Leaves 0x14, 0x19 and 0x24 (AVX10) have no kernel name in this header; their bits
// are not read. 7.1:EDX has only apx here; its other bits (avx_vnni_int8 …) decode as
// `bit4@CPUID.7.1:EDX` and so still take part in baselines.
//
// Bits 10 and 20 of CPUID.1:EDX are reserved; a set one decodes as `bit10@AT_HWCAP`.
//
// Vendors. CPUID.80000001:EDX bits 0-9, 12-17, 23 and 24 are, on AMD, copies of CPUID.1:EDX
// (AMD APM vol. 3, CPUID Fn8000_0001_EDX); the kernel does not name them and hwcap does not carry
// them (decode.ts clears them), so an AMD and an Intel node agree on that word. Every other bit
// means the same on both vendors; abm (80000001:ECX bit 5) is LZCNT on both (AMD's ABM adds
// POPCNT, which has its own bit, popcnt). Baselines stay bitwise.
//
// `security: true` (listed in security.json): user_shstk and ibt (CET: glibc enables shadow
// stacks and IBT for CET-marked programs only when CPUID says so), pku and ospke (protection
// keys: V8 and glibc's pkey_* use them to write-protect memory; told "absent", they silently go
// without).
import type { Feature } from '../row';
import security from './security.json';

const SECURITY = new Set(security.x86_64.map((r) => r.name));

const ROWS: readonly Feature[] = [
  // AT_HWCAP = CPUID.1:EDX
  { name: 'fpu', word: 'AT_HWCAP', bit: 0 },
  { name: 'vme', word: 'AT_HWCAP', bit: 1 },
  { name: 'de', word: 'AT_HWCAP', bit: 2 },
  { name: 'pse', word: 'AT_HWCAP', bit: 3 },
  { name: 'tsc', word: 'AT_HWCAP', bit: 4 },
  { name: 'msr', word: 'AT_HWCAP', bit: 5 },
  { name: 'pae', word: 'AT_HWCAP', bit: 6 },
  { name: 'mce', word: 'AT_HWCAP', bit: 7 },
  { name: 'cx8', word: 'AT_HWCAP', bit: 8 },
  { name: 'apic', word: 'AT_HWCAP', bit: 9 },
  { name: 'sep', word: 'AT_HWCAP', bit: 11 },
  { name: 'mtrr', word: 'AT_HWCAP', bit: 12 },
  { name: 'pge', word: 'AT_HWCAP', bit: 13 },
  { name: 'mca', word: 'AT_HWCAP', bit: 14 },
  { name: 'cmov', word: 'AT_HWCAP', bit: 15 },
  { name: 'pat', word: 'AT_HWCAP', bit: 16 },
  { name: 'pse36', word: 'AT_HWCAP', bit: 17 },
  { name: 'pn', word: 'AT_HWCAP', bit: 18 },
  { name: 'clflush', word: 'AT_HWCAP', bit: 19 },
  { name: 'dts', word: 'AT_HWCAP', bit: 21 }, // X86_FEATURE_DS
  { name: 'acpi', word: 'AT_HWCAP', bit: 22 },
  { name: 'mmx', word: 'AT_HWCAP', bit: 23 },
  { name: 'fxsr', word: 'AT_HWCAP', bit: 24 },
  { name: 'sse', word: 'AT_HWCAP', bit: 25 }, // X86_FEATURE_XMM
  { name: 'sse2', word: 'AT_HWCAP', bit: 26 }, // X86_FEATURE_XMM2
  { name: 'ss', word: 'AT_HWCAP', bit: 27 }, // X86_FEATURE_SELFSNOOP
  { name: 'ht', word: 'AT_HWCAP', bit: 28 },
  { name: 'tm', word: 'AT_HWCAP', bit: 29 }, // X86_FEATURE_ACC
  { name: 'ia64', word: 'AT_HWCAP', bit: 30 },
  { name: 'pbe', word: 'AT_HWCAP', bit: 31 },
  // AT_HWCAP2 only (a kernel-defined bit, no CPUID bit of its own)
  { name: 'ring3mwait', word: 'AT_HWCAP2', bit: 0 },
  // CPUID.1:ECX
  { name: 'pni', word: 'CPUID.1:ECX', bit: 0 },
  { name: 'pclmulqdq', word: 'CPUID.1:ECX', bit: 1 },
  { name: 'dtes64', word: 'CPUID.1:ECX', bit: 2 },
  { name: 'monitor', word: 'CPUID.1:ECX', bit: 3 },
  { name: 'ds_cpl', word: 'CPUID.1:ECX', bit: 4 },
  { name: 'vmx', word: 'CPUID.1:ECX', bit: 5 },
  { name: 'smx', word: 'CPUID.1:ECX', bit: 6 },
  { name: 'est', word: 'CPUID.1:ECX', bit: 7 },
  { name: 'tm2', word: 'CPUID.1:ECX', bit: 8 },
  { name: 'ssse3', word: 'CPUID.1:ECX', bit: 9 },
  { name: 'cid', word: 'CPUID.1:ECX', bit: 10 },
  { name: 'sdbg', word: 'CPUID.1:ECX', bit: 11 },
  { name: 'fma', word: 'CPUID.1:ECX', bit: 12 },
  { name: 'cx16', word: 'CPUID.1:ECX', bit: 13 },
  { name: 'xtpr', word: 'CPUID.1:ECX', bit: 14 },
  { name: 'pdcm', word: 'CPUID.1:ECX', bit: 15 },
  { name: 'pcid', word: 'CPUID.1:ECX', bit: 17 },
  { name: 'dca', word: 'CPUID.1:ECX', bit: 18 },
  { name: 'sse4_1', word: 'CPUID.1:ECX', bit: 19 },
  { name: 'sse4_2', word: 'CPUID.1:ECX', bit: 20 },
  { name: 'x2apic', word: 'CPUID.1:ECX', bit: 21 },
  { name: 'movbe', word: 'CPUID.1:ECX', bit: 22 },
  { name: 'popcnt', word: 'CPUID.1:ECX', bit: 23 },
  { name: 'tsc_deadline_timer', word: 'CPUID.1:ECX', bit: 24 },
  { name: 'aes', word: 'CPUID.1:ECX', bit: 25 },
  { name: 'xsave', word: 'CPUID.1:ECX', bit: 26 },
  { name: 'osxsave', word: 'CPUID.1:ECX', bit: 27, procfs: false },
  { name: 'avx', word: 'CPUID.1:ECX', bit: 28 },
  { name: 'f16c', word: 'CPUID.1:ECX', bit: 29 },
  { name: 'rdrand', word: 'CPUID.1:ECX', bit: 30 },
  { name: 'hypervisor', word: 'CPUID.1:ECX', bit: 31 },
  // CPUID.6:EAX
  { name: 'dtherm', word: 'CPUID.6:EAX', bit: 0 },
  { name: 'ida', word: 'CPUID.6:EAX', bit: 1 },
  { name: 'arat', word: 'CPUID.6:EAX', bit: 2 },
  { name: 'pln', word: 'CPUID.6:EAX', bit: 4 },
  { name: 'pts', word: 'CPUID.6:EAX', bit: 6 },
  { name: 'hwp', word: 'CPUID.6:EAX', bit: 7 },
  { name: 'hwp_notify', word: 'CPUID.6:EAX', bit: 8 },
  { name: 'hwp_act_window', word: 'CPUID.6:EAX', bit: 9 },
  { name: 'hwp_epp', word: 'CPUID.6:EAX', bit: 10 },
  { name: 'hwp_pkg_req', word: 'CPUID.6:EAX', bit: 11 },
  { name: 'hwp_highest_perf_change', word: 'CPUID.6:EAX', bit: 15, procfs: false },
  { name: 'hfi', word: 'CPUID.6:EAX', bit: 19 },
  // CPUID.6:ECX
  { name: 'aperfmperf', word: 'CPUID.6:ECX', bit: 0 },
  { name: 'epb', word: 'CPUID.6:ECX', bit: 3 },
  // CPUID.7.0:EBX
  { name: 'fsgsbase', word: 'CPUID.7.0:EBX', bit: 0, also: { word: 'AT_HWCAP2', bit: 1 } },
  { name: 'tsc_adjust', word: 'CPUID.7.0:EBX', bit: 1 },
  { name: 'sgx', word: 'CPUID.7.0:EBX', bit: 2 },
  { name: 'bmi1', word: 'CPUID.7.0:EBX', bit: 3 },
  { name: 'hle', word: 'CPUID.7.0:EBX', bit: 4 },
  { name: 'avx2', word: 'CPUID.7.0:EBX', bit: 5 },
  { name: 'fdp_excptn_only', word: 'CPUID.7.0:EBX', bit: 6, procfs: false },
  { name: 'smep', word: 'CPUID.7.0:EBX', bit: 7 },
  { name: 'bmi2', word: 'CPUID.7.0:EBX', bit: 8 },
  { name: 'erms', word: 'CPUID.7.0:EBX', bit: 9 },
  { name: 'invpcid', word: 'CPUID.7.0:EBX', bit: 10 },
  { name: 'rtm', word: 'CPUID.7.0:EBX', bit: 11 },
  { name: 'cqm', word: 'CPUID.7.0:EBX', bit: 12 },
  { name: 'zero_fcs_fds', word: 'CPUID.7.0:EBX', bit: 13, procfs: false },
  { name: 'mpx', word: 'CPUID.7.0:EBX', bit: 14 },
  { name: 'rdt_a', word: 'CPUID.7.0:EBX', bit: 15 },
  { name: 'avx512f', word: 'CPUID.7.0:EBX', bit: 16 },
  { name: 'avx512dq', word: 'CPUID.7.0:EBX', bit: 17 },
  { name: 'rdseed', word: 'CPUID.7.0:EBX', bit: 18 },
  { name: 'adx', word: 'CPUID.7.0:EBX', bit: 19 },
  { name: 'smap', word: 'CPUID.7.0:EBX', bit: 20 },
  { name: 'avx512ifma', word: 'CPUID.7.0:EBX', bit: 21 },
  { name: 'clflushopt', word: 'CPUID.7.0:EBX', bit: 23 },
  { name: 'clwb', word: 'CPUID.7.0:EBX', bit: 24 },
  { name: 'intel_pt', word: 'CPUID.7.0:EBX', bit: 25 },
  { name: 'avx512pf', word: 'CPUID.7.0:EBX', bit: 26 },
  { name: 'avx512er', word: 'CPUID.7.0:EBX', bit: 27 },
  { name: 'avx512cd', word: 'CPUID.7.0:EBX', bit: 28 },
  { name: 'sha_ni', word: 'CPUID.7.0:EBX', bit: 29 },
  { name: 'avx512bw', word: 'CPUID.7.0:EBX', bit: 30 },
  { name: 'avx512vl', word: 'CPUID.7.0:EBX', bit: 31 },
  // CPUID.7.0:ECX
  { name: 'avx512vbmi', word: 'CPUID.7.0:ECX', bit: 1 },
  { name: 'umip', word: 'CPUID.7.0:ECX', bit: 2 },
  { name: 'pku', word: 'CPUID.7.0:ECX', bit: 3 },
  { name: 'ospke', word: 'CPUID.7.0:ECX', bit: 4 },
  { name: 'waitpkg', word: 'CPUID.7.0:ECX', bit: 5 },
  { name: 'avx512_vbmi2', word: 'CPUID.7.0:ECX', bit: 6 },
  { name: 'user_shstk', word: 'CPUID.7.0:ECX', bit: 7 },
  { name: 'gfni', word: 'CPUID.7.0:ECX', bit: 8 },
  { name: 'vaes', word: 'CPUID.7.0:ECX', bit: 9 },
  { name: 'vpclmulqdq', word: 'CPUID.7.0:ECX', bit: 10 },
  { name: 'avx512_vnni', word: 'CPUID.7.0:ECX', bit: 11 },
  { name: 'avx512_bitalg', word: 'CPUID.7.0:ECX', bit: 12 },
  { name: 'tme', word: 'CPUID.7.0:ECX', bit: 13 },
  { name: 'avx512_vpopcntdq', word: 'CPUID.7.0:ECX', bit: 14 },
  { name: 'la57', word: 'CPUID.7.0:ECX', bit: 16 },
  { name: 'rdpid', word: 'CPUID.7.0:ECX', bit: 22 },
  { name: 'bus_lock_detect', word: 'CPUID.7.0:ECX', bit: 24 },
  { name: 'cldemote', word: 'CPUID.7.0:ECX', bit: 25 },
  { name: 'movdiri', word: 'CPUID.7.0:ECX', bit: 27 },
  { name: 'movdir64b', word: 'CPUID.7.0:ECX', bit: 28 },
  { name: 'enqcmd', word: 'CPUID.7.0:ECX', bit: 29 },
  { name: 'sgx_lc', word: 'CPUID.7.0:ECX', bit: 30 },
  // CPUID.7.0:EDX
  { name: 'avx512_4vnniw', word: 'CPUID.7.0:EDX', bit: 2 },
  { name: 'avx512_4fmaps', word: 'CPUID.7.0:EDX', bit: 3 },
  { name: 'fsrm', word: 'CPUID.7.0:EDX', bit: 4 },
  { name: 'avx512_vp2intersect', word: 'CPUID.7.0:EDX', bit: 8 },
  { name: 'srbds_ctrl', word: 'CPUID.7.0:EDX', bit: 9, procfs: false },
  { name: 'md_clear', word: 'CPUID.7.0:EDX', bit: 10 },
  { name: 'rtm_always_abort', word: 'CPUID.7.0:EDX', bit: 11, procfs: false },
  { name: 'tsx_force_abort', word: 'CPUID.7.0:EDX', bit: 13, procfs: false },
  { name: 'serialize', word: 'CPUID.7.0:EDX', bit: 14 },
  { name: 'hybrid_cpu', word: 'CPUID.7.0:EDX', bit: 15, procfs: false },
  { name: 'tsxldtrk', word: 'CPUID.7.0:EDX', bit: 16 },
  { name: 'pconfig', word: 'CPUID.7.0:EDX', bit: 18 },
  { name: 'arch_lbr', word: 'CPUID.7.0:EDX', bit: 19 },
  { name: 'ibt', word: 'CPUID.7.0:EDX', bit: 20 },
  { name: 'amx_bf16', word: 'CPUID.7.0:EDX', bit: 22 },
  { name: 'avx512_fp16', word: 'CPUID.7.0:EDX', bit: 23 },
  { name: 'amx_tile', word: 'CPUID.7.0:EDX', bit: 24 },
  { name: 'amx_int8', word: 'CPUID.7.0:EDX', bit: 25 },
  { name: 'spec_ctrl', word: 'CPUID.7.0:EDX', bit: 26, procfs: false },
  { name: 'intel_stibp', word: 'CPUID.7.0:EDX', bit: 27, procfs: false },
  { name: 'flush_l1d', word: 'CPUID.7.0:EDX', bit: 28 },
  { name: 'arch_capabilities', word: 'CPUID.7.0:EDX', bit: 29 },
  { name: 'core_capabilities', word: 'CPUID.7.0:EDX', bit: 30, procfs: false },
  { name: 'spec_ctrl_ssbd', word: 'CPUID.7.0:EDX', bit: 31, procfs: false },
  // CPUID.7.1:EAX
  { name: 'sha512', word: 'CPUID.7.1:EAX', bit: 0, procfs: false },
  { name: 'sm3', word: 'CPUID.7.1:EAX', bit: 1, procfs: false },
  { name: 'sm4', word: 'CPUID.7.1:EAX', bit: 2, procfs: false },
  { name: 'avx_vnni', word: 'CPUID.7.1:EAX', bit: 4 },
  { name: 'avx512_bf16', word: 'CPUID.7.1:EAX', bit: 5 },
  { name: 'cmpccxadd', word: 'CPUID.7.1:EAX', bit: 7, procfs: false },
  { name: 'arch_perfmon_ext', word: 'CPUID.7.1:EAX', bit: 8, procfs: false },
  { name: 'fzrm', word: 'CPUID.7.1:EAX', bit: 10, procfs: false },
  { name: 'fsrs', word: 'CPUID.7.1:EAX', bit: 11, procfs: false },
  { name: 'fsrc', word: 'CPUID.7.1:EAX', bit: 12, procfs: false },
  { name: 'fred', word: 'CPUID.7.1:EAX', bit: 17 },
  { name: 'lkgs', word: 'CPUID.7.1:EAX', bit: 18, procfs: false },
  { name: 'wrmsrns', word: 'CPUID.7.1:EAX', bit: 19, procfs: false },
  { name: 'amx_fp16', word: 'CPUID.7.1:EAX', bit: 21, procfs: false },
  { name: 'avx_ifma', word: 'CPUID.7.1:EAX', bit: 23, procfs: false },
  { name: 'lam', word: 'CPUID.7.1:EAX', bit: 26 },
  // CPUID.7.1:EBX
  { name: 'intel_ppin', word: 'CPUID.7.1:EBX', bit: 0 },
  // CPUID.7.1:EDX
  { name: 'apx', word: 'CPUID.7.1:EDX', bit: 21, procfs: false },
  // CPUID.D.1:EAX
  { name: 'xsaveopt', word: 'CPUID.D.1:EAX', bit: 0 },
  { name: 'xsavec', word: 'CPUID.D.1:EAX', bit: 1 },
  { name: 'xgetbv1', word: 'CPUID.D.1:EAX', bit: 2 },
  { name: 'xsaves', word: 'CPUID.D.1:EAX', bit: 3 },
  { name: 'xfd', word: 'CPUID.D.1:EAX', bit: 4, procfs: false },
  // CPUID.80000001:EDX
  { name: 'syscall', word: 'CPUID.80000001:EDX', bit: 11 },
  { name: 'mp', word: 'CPUID.80000001:EDX', bit: 19 },
  { name: 'nx', word: 'CPUID.80000001:EDX', bit: 20 },
  { name: 'mmxext', word: 'CPUID.80000001:EDX', bit: 22 },
  { name: 'fxsr_opt', word: 'CPUID.80000001:EDX', bit: 25 },
  { name: 'pdpe1gb', word: 'CPUID.80000001:EDX', bit: 26 },
  { name: 'rdtscp', word: 'CPUID.80000001:EDX', bit: 27 },
  { name: 'lm', word: 'CPUID.80000001:EDX', bit: 29 },
  { name: '3dnowext', word: 'CPUID.80000001:EDX', bit: 30 },
  { name: '3dnow', word: 'CPUID.80000001:EDX', bit: 31 },
  // CPUID.80000001:ECX
  { name: 'lahf_lm', word: 'CPUID.80000001:ECX', bit: 0 },
  { name: 'cmp_legacy', word: 'CPUID.80000001:ECX', bit: 1 },
  { name: 'svm', word: 'CPUID.80000001:ECX', bit: 2 },
  { name: 'extapic', word: 'CPUID.80000001:ECX', bit: 3 },
  { name: 'cr8_legacy', word: 'CPUID.80000001:ECX', bit: 4 },
  { name: 'abm', word: 'CPUID.80000001:ECX', bit: 5 },
  { name: 'sse4a', word: 'CPUID.80000001:ECX', bit: 6 },
  { name: 'misalignsse', word: 'CPUID.80000001:ECX', bit: 7 },
  { name: '3dnowprefetch', word: 'CPUID.80000001:ECX', bit: 8 },
  { name: 'osvw', word: 'CPUID.80000001:ECX', bit: 9 },
  { name: 'ibs', word: 'CPUID.80000001:ECX', bit: 10 },
  { name: 'xop', word: 'CPUID.80000001:ECX', bit: 11 },
  { name: 'skinit', word: 'CPUID.80000001:ECX', bit: 12 },
  { name: 'wdt', word: 'CPUID.80000001:ECX', bit: 13 },
  { name: 'lwp', word: 'CPUID.80000001:ECX', bit: 15 },
  { name: 'fma4', word: 'CPUID.80000001:ECX', bit: 16 },
  { name: 'tce', word: 'CPUID.80000001:ECX', bit: 17 },
  { name: 'nodeid_msr', word: 'CPUID.80000001:ECX', bit: 19 },
  { name: 'tbm', word: 'CPUID.80000001:ECX', bit: 21 },
  { name: 'topoext', word: 'CPUID.80000001:ECX', bit: 22 },
  { name: 'perfctr_core', word: 'CPUID.80000001:ECX', bit: 23 },
  { name: 'perfctr_nb', word: 'CPUID.80000001:ECX', bit: 24 },
  { name: 'bpext', word: 'CPUID.80000001:ECX', bit: 26 },
  { name: 'ptsc', word: 'CPUID.80000001:ECX', bit: 27 },
  { name: 'perfctr_llc', word: 'CPUID.80000001:ECX', bit: 28 },
  { name: 'mwaitx', word: 'CPUID.80000001:ECX', bit: 29 },
  // CPUID.80000007:EBX
  { name: 'overflow_recov', word: 'CPUID.80000007:EBX', bit: 0 },
  { name: 'succor', word: 'CPUID.80000007:EBX', bit: 1 },
  { name: 'smca', word: 'CPUID.80000007:EBX', bit: 3 },
  // CPUID.80000007:EDX
  { name: 'hw_pstate', word: 'CPUID.80000007:EDX', bit: 7 },
  { name: 'cpb', word: 'CPUID.80000007:EDX', bit: 9 },
  { name: 'proc_feedback', word: 'CPUID.80000007:EDX', bit: 11 },
  { name: 'amd_fast_cppc', word: 'CPUID.80000007:EDX', bit: 15, procfs: false },
  // CPUID.80000008:EBX
  { name: 'clzero', word: 'CPUID.80000008:EBX', bit: 0 },
  { name: 'irperf', word: 'CPUID.80000008:EBX', bit: 1 },
  { name: 'xsaveerptr', word: 'CPUID.80000008:EBX', bit: 2 },
  { name: 'rdpru', word: 'CPUID.80000008:EBX', bit: 4 },
  { name: 'wbnoinvd', word: 'CPUID.80000008:EBX', bit: 9 },
  { name: 'amd_ibpb', word: 'CPUID.80000008:EBX', bit: 12, procfs: false },
  { name: 'amd_ibrs', word: 'CPUID.80000008:EBX', bit: 14, procfs: false },
  { name: 'amd_stibp', word: 'CPUID.80000008:EBX', bit: 15, procfs: false },
  { name: 'amd_stibp_always_on', word: 'CPUID.80000008:EBX', bit: 17, procfs: false },
  { name: 'amd_ppin', word: 'CPUID.80000008:EBX', bit: 23 },
  { name: 'amd_ssbd', word: 'CPUID.80000008:EBX', bit: 24, procfs: false },
  { name: 'virt_ssbd', word: 'CPUID.80000008:EBX', bit: 25 },
  { name: 'amd_ssb_no', word: 'CPUID.80000008:EBX', bit: 26, procfs: false },
  { name: 'cppc', word: 'CPUID.80000008:EBX', bit: 27 },
  { name: 'amd_psfd', word: 'CPUID.80000008:EBX', bit: 28, procfs: false },
  { name: 'btc_no', word: 'CPUID.80000008:EBX', bit: 29, procfs: false },
  { name: 'amd_ibpb_ret', word: 'CPUID.80000008:EBX', bit: 30, procfs: false },
  { name: 'brs', word: 'CPUID.80000008:EBX', bit: 31 },
  // CPUID.8000000A:EDX
  { name: 'npt', word: 'CPUID.8000000A:EDX', bit: 0 },
  { name: 'lbrv', word: 'CPUID.8000000A:EDX', bit: 1 },
  { name: 'svm_lock', word: 'CPUID.8000000A:EDX', bit: 2 },
  { name: 'nrip_save', word: 'CPUID.8000000A:EDX', bit: 3 },
  { name: 'tsc_scale', word: 'CPUID.8000000A:EDX', bit: 4 },
  { name: 'vmcb_clean', word: 'CPUID.8000000A:EDX', bit: 5 },
  { name: 'flushbyasid', word: 'CPUID.8000000A:EDX', bit: 6 },
  { name: 'decodeassists', word: 'CPUID.8000000A:EDX', bit: 7 },
  { name: 'pausefilter', word: 'CPUID.8000000A:EDX', bit: 10 },
  { name: 'pfthreshold', word: 'CPUID.8000000A:EDX', bit: 12 },
  { name: 'avic', word: 'CPUID.8000000A:EDX', bit: 13 },
  { name: 'v_vmsave_vmload', word: 'CPUID.8000000A:EDX', bit: 15 },
  { name: 'vgif', word: 'CPUID.8000000A:EDX', bit: 16 },
  { name: 'x2avic', word: 'CPUID.8000000A:EDX', bit: 18 },
  { name: 'v_spec_ctrl', word: 'CPUID.8000000A:EDX', bit: 20 },
  { name: 'vnmi', word: 'CPUID.8000000A:EDX', bit: 25 },
  { name: 'svme_addr_chk', word: 'CPUID.8000000A:EDX', bit: 28, procfs: false },
  // CPUID.8000001F:EAX
  { name: 'sme', word: 'CPUID.8000001F:EAX', bit: 0 },
  { name: 'sev', word: 'CPUID.8000001F:EAX', bit: 1 },
  { name: 'vm_page_flush', word: 'CPUID.8000001F:EAX', bit: 2, procfs: false },
  { name: 'sev_es', word: 'CPUID.8000001F:EAX', bit: 3 },
  { name: 'sev_snp', word: 'CPUID.8000001F:EAX', bit: 4 },
  { name: 'v_tsc_aux', word: 'CPUID.8000001F:EAX', bit: 9, procfs: false },
  { name: 'sme_coherent', word: 'CPUID.8000001F:EAX', bit: 10, procfs: false },
  { name: 'debug_swap', word: 'CPUID.8000001F:EAX', bit: 14 },
  { name: 'rmpread', word: 'CPUID.8000001F:EAX', bit: 21, procfs: false },
  { name: 'segmented_rmp', word: 'CPUID.8000001F:EAX', bit: 23, procfs: false },
  { name: 'svsm', word: 'CPUID.8000001F:EAX', bit: 28 },
  { name: 'hv_inuse_wr_allowed', word: 'CPUID.8000001F:EAX', bit: 30, procfs: false },
  // CPUID.80000021:EAX
  { name: 'no_nested_data_bp', word: 'CPUID.80000021:EAX', bit: 0, procfs: false },
  { name: 'wrmsr_xx_base_ns', word: 'CPUID.80000021:EAX', bit: 1, procfs: false },
  { name: 'lfence_rdtsc', word: 'CPUID.80000021:EAX', bit: 2, procfs: false },
  { name: 'null_sel_clr_base', word: 'CPUID.80000021:EAX', bit: 6, procfs: false },
  { name: 'autoibrs', word: 'CPUID.80000021:EAX', bit: 8, procfs: false },
  { name: 'no_smm_ctl_msr', word: 'CPUID.80000021:EAX', bit: 9, procfs: false },
  { name: 'sbpb', word: 'CPUID.80000021:EAX', bit: 27, procfs: false },
  { name: 'ibpb_brtype', word: 'CPUID.80000021:EAX', bit: 28, procfs: false },
  { name: 'srso_no', word: 'CPUID.80000021:EAX', bit: 29, procfs: false },
  { name: 'srso_user_kernel_no', word: 'CPUID.80000021:EAX', bit: 30, procfs: false },
  { name: 'srso_bp_spec_reduce', word: 'CPUID.80000021:EAX', bit: 31, procfs: false },
  // CPUID.80000022:EAX
  { name: 'perfmon_v2', word: 'CPUID.80000022:EAX', bit: 0 },
  { name: 'amd_lbr_v2', word: 'CPUID.80000022:EAX', bit: 1 },
  { name: 'amd_lbr_pmc_freeze', word: 'CPUID.80000022:EAX', bit: 2 },
  // CPUID.C0000001:EDX
  { name: 'rng', word: 'CPUID.C0000001:EDX', bit: 2 },
  { name: 'rng_en', word: 'CPUID.C0000001:EDX', bit: 3 },
  { name: 'ace', word: 'CPUID.C0000001:EDX', bit: 6 },
  { name: 'ace_en', word: 'CPUID.C0000001:EDX', bit: 7 },
  { name: 'ace2', word: 'CPUID.C0000001:EDX', bit: 8 },
  { name: 'ace2_en', word: 'CPUID.C0000001:EDX', bit: 9 },
  { name: 'phe', word: 'CPUID.C0000001:EDX', bit: 10 },
  { name: 'phe_en', word: 'CPUID.C0000001:EDX', bit: 11 },
  { name: 'pmm', word: 'CPUID.C0000001:EDX', bit: 12 },
  { name: 'pmm_en', word: 'CPUID.C0000001:EDX', bit: 13 },
  // CPUID.80860001:EDX
  { name: 'recovery', word: 'CPUID.80860001:EDX', bit: 0 },
  { name: 'longrun', word: 'CPUID.80860001:EDX', bit: 1 },
  { name: 'lrti', word: 'CPUID.80860001:EDX', bit: 3 },
];

export const FEATURES: readonly Feature[] = ROWS.map((r) => (SECURITY.has(r.name) ? { ...r, security: true } : r));

// Features that need a state the OS must enable in XCR0 (besides CPUID.1:ECX osxsave), as glibc's
// sysdeps/x86/cpu-features.c (update_active) and the kernel's xstate code gate them. The first
// name of each group is the one the others depend on: without() drops a group with its head.
export const XSAVE_GROUPS = {
  avx: ['avx', 'avx2', 'fma', 'f16c', 'xop', 'fma4', 'vaes', 'vpclmulqdq', 'avx_vnni', 'avx_ifma', 'sha512', 'sm3', 'sm4'],
  avx512: [
    'avx512f', 'avx512dq', 'avx512ifma', 'avx512pf', 'avx512er', 'avx512cd', 'avx512bw', 'avx512vl', 'avx512vbmi',
    'avx512_vbmi2', 'avx512_vnni', 'avx512_bitalg', 'avx512_vpopcntdq', 'avx512_4vnniw', 'avx512_4fmaps',
    'avx512_vp2intersect', 'avx512_fp16', 'avx512_bf16',
  ],
  amx: ['amx_tile', 'amx_bf16', 'amx_int8', 'amx_fp16'],
  apx: ['apx'],
} as const;

// The x86-64 psABI micro-architecture levels (x86-64-ABI, "Micro-Architecture Levels"), each
// with what it adds to the one below; glibc's sysdeps/x86/get-isa-level.h tests the same bits.
// A set meets a level (has, level) when it has these. In a name list (fromNames, --features) a
// level name also keeps `keeps`: features every CPU of that level has and common runtimes
// require, which the psABI does not list: clflush (HotSpot refuses to start without it), tsc
// (rdtsc), lm (long mode itself) on every x86-64 CPU; xsave, which AVX needs (Intel SDM vol. 1,
// 14.3), on every x86-64-v3 CPU. A keep set of `x86-64-v3` so leaves them on.
export const LEVELS = [
  { name: 'x86-64', adds: ['cmov', 'cx8', 'fpu', 'fxsr', 'mmx', 'syscall', 'sse', 'sse2'], keeps: ['clflush', 'tsc', 'lm'] },
  { name: 'x86-64-v2', adds: ['cx16', 'lahf_lm', 'popcnt', 'pni', 'ssse3', 'sse4_1', 'sse4_2'], keeps: [] },
  { name: 'x86-64-v3', adds: ['avx', 'avx2', 'bmi1', 'bmi2', 'f16c', 'fma', 'abm', 'movbe', 'osxsave'], keeps: ['xsave'] },
  { name: 'x86-64-v4', adds: ['avx512f', 'avx512bw', 'avx512cd', 'avx512dq', 'avx512vl'], keeps: [] },
] as const;

// The x86-64 baseline floor: what a CPUID mask may not remove (lib/launcher/plan.ts refuses it).
// glibc's get_isa_level (sysdeps/x86/get-isa-level.h) gives GNU_PROPERTY_X86_ISA_1_BASELINE only
// for CMOV, CX8, FPU, FXSR, MMX, SSE and SSE2, and ld.so stops every dynamic program built for the
// baseline or above ("CPU ISA level is lower than required", sysdeps/x86/dl-prop.h) on a CPU
// without it; the psABI's baseline level adds SCE (syscall) and OSFXSR (a control register bit,
// not CPUID). These are the level 'x86-64''s features.
export const BASELINE_FLOOR: readonly string[] = Object.freeze([...LEVELS[0].adds]);
