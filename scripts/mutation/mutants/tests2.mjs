// Mutants of behaviours the other lists leave unnamed: a CPUID rule's subleaf, OSXSAVE, the
// seccomp filter's i386 and x32 tables (clone, clone3, arch_prctl, the sigaction and mask calls)
// and ARCH_SET_CPUID's high half, the signal state a trap puts back (an inherited SIG_IGN,
// SIG_UNBLOCK), FSGSBASE and AMD's mirror bits through the spawn family, and
// FeatureSet.isSubsetOf over the CPUID words; then claims of README.md and docs/cpuid.md beyond
// those (kernel mode, release's disarm, nesting under an auxv-only tree, the out-of-range leaf);
// and, last, the audit-* mutants of adopt (its proof of the arming, the SIGSEGV state that proof
// changes) and of the restart of a call the hold interrupted. Format: see typescript.mjs and run.mjs.
const CLAIMS = 'test/launcher/cpuid-claims.test.ts';
const ARGV = 'test/launcher/cpuid-argv.test.ts';
const HANDOVER = 'test/criu/handover.test.ts';
const CPUID = 'test/launcher/cpuid.test.ts';
const RESTART = 'test/launcher/adopt-restart.test.ts';
const ADOPT_ARM = 'test/launcher/adopt-arm.test.ts';
const PLAN = 'test/launcher/plan.test.ts';

export default [
  {
    name: 'tests2-cpuid-rule-any-subleaf',
    claim: 'a --cpuid rule for LEAF.SUBLEAF masks that subleaf only, not every subleaf of the leaf',
    edits: [{ file: 'native/launcher/cpuid/mask.c', find: '    if (rules[i].leaf == leaf && rules[i].reg == reg && (!rules[i].has_subleaf || rules[i].subleaf == subleaf))\n      k &= rules[i].keep;', replace: '    if (rules[i].leaf == leaf && rules[i].reg == reg)\n      k &= rules[i].keep;' }],
    tests: [[CLAIMS, 'masks subleaf 1 only'], [CLAIMS, 'masks subleaf 0 only']],
  },
  {
    name: 'tests2-cpuid-osxsave-cleared',
    claim: 'CPUID.1:ECX bit 27 (OSXSAVE) is always kept: a 1:ecx rule cannot clear it',
    edits: [{ file: 'native/launcher/cpuid/mask.c', find: '  if (r.leaf == 1 && r.reg == CPUID_ECX) r.keep |= OSXSAVE_BIT;\n', replace: '' }],
    tests: [[CLAIMS, 'is kept when a 1:ecx rule clears it']],
  },
  {
    name: 'tests2-seccomp-i386-numbers',
    claim: "the seccomp filter's i386 table (int $0x80) has the i386 numbers: clone(CLONE_UNTRACED) and ARCH_SET_CPUID through it are refused",
    edits: [{ file: 'native/launcher/exec/seccomp_filter.c', find: 'struct numbers i386 = {120, 435, 384,', replace: 'struct numbers i386 = {56, 435, 158,' }],
    tests: [[CLAIMS, 'refuses the escapes through int']],
  },
  {
    name: 'tests2-seccomp-i386-clone3-number',
    claim: "the seccomp filter's i386 table refuses clone3 (435) through int $0x80: an untraced child could exec unmasked",
    edits: [{ file: 'native/launcher/exec/seccomp_filter.c', find: 'struct numbers i386 = {120, 435, 384,', replace: 'struct numbers i386 = {120, 0, 384,' }],
    tests: [[CLAIMS, 'refuses the escapes through int']],
  },
  {
    name: 'tests2-seccomp-i386-mask-numbers',
    claim: "the seccomp filter's i386 table has the i386 mask calls: SIGSEGV blocked through int $0x80 rt_sigprocmask stays blocked across a trap",
    edits: [{ file: 'native/launcher/exec/seccomp_filter.c', find: '{175, 126, 173, 119}', replace: '{-1, -1, -1, -1}' }],
    tests: [[CLAIMS, 'rt_sigprocmask or sigprocmask']],
  },
  {
    name: 'tests2-seccomp-i386-sigprocmask-number',
    claim: "the seccomp filter's i386 table has the old sigprocmask (126) too: SIGSEGV blocked through it stays blocked across a trap",
    edits: [{ file: 'native/launcher/exec/seccomp_filter.c', find: '{175, 126, 173, 119}', replace: '{175, -1, 173, 119}' }],
    tests: [[CLAIMS, 'rt_sigprocmask or sigprocmask']],
  },
  {
    name: 'tests2-seccomp-x32-bit-kept',
    claim: 'the seccomp filter takes the x32 numbers (__X32_SYSCALL_BIT) as their x86-64 calls: clone(CLONE_UNTRACED) and ARCH_SET_CPUID through them are refused',
    edits: [{ file: 'native/launcher/exec/seccomp_filter.c', find: '  emit(p, (struct sock_filter)BPF_STMT(BPF_ALU | BPF_AND | BPF_K, ~X32_SYSCALL_BIT));\n', replace: '' }],
    tests: [[CLAIMS, 'refuses the escapes through the x32 numbers']],
  },
  {
    name: 'tests2-seccomp-set-cpuid-low-half-twice',
    claim: 'arch_prctl(ARCH_SET_CPUID, arg) is judged on the whole 64-bit argument: 1 << 32 does not turn faulting off',
    edits: [{ file: 'native/launcher/exec/seccomp_filter.c', find: '    emit(p, (struct sock_filter)LD_ARG1_HI);\n    emit(p, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 1, 0));', replace: '    emit(p, (struct sock_filter)LD_ARG1_LO);\n    emit(p, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 1, 0));' }],
    tests: [[CLAIMS, 'ARCH_SET_CPUID, 1 << 32']],
  },
  {
    name: 'tests2-exec-forgets-inherited-ign',
    claim: 'SIGSEGV ignored across an exec (inherited SIG_IGN) is learned at the exec stop and put back after a trap',
    edits: [{ file: 'native/launcher/cpuid/trace.c', find: 'p->disp = (s.ign & SEGV_BIT) ? DISP_IGN : DISP_DFL;', replace: 'p->disp = DISP_DFL;' }],
    tests: [[CLAIMS, 'inherited SIG_IGN across its exec']],
  },
  {
    name: 'tests2-sigprocmask-unblock-ignored',
    claim: "the helper's record of a blocked SIGSEGV follows sigprocmask(SIG_UNBLOCK), so a trap does not block it again",
    edits: [{ file: 'native/launcher/cpuid/signals.c', find: '      else if (regs.rdi == SIG_UNBLOCK) mask &= ~set;', replace: '      else if (regs.rdi == SIG_UNBLOCK) return 0;' }],
    tests: [[CLAIMS, 'SIG_BLOCK then SIG_UNBLOCK']],
  },
  {
    name: 'tests2-ts-keep-cpuid-no-fsgsbase',
    claim: 'words of bits to keep without FSGSBASE (AT_HWCAP2 bit 1) mask CPUID.7.0:EBX bit 0',
    edits: [{ file: 'lib/launcher/plan-hwcaps.ts', find: "    if (keep.hwcap2 !== undefined && (keep.hwcap2 & HWCAP2_FSGSBASE) === 0n) cpuidWords['CPUID.7.0:EBX'] = 0xfffffffe;\n", replace: '' }],
    // The plan against a synthetic machine with fsgsbase (any x86-64), then a program under it where the CPU has it.
    tests: [[PLAN, 'synthetic machine with fsgsbase'], [CLAIMS, 'words without FSGSBASE']],
  },
  {
    name: 'tests2-ts-amd-mirror-always-kept',
    claim: "AMD's mirror bits of CPUID.80000001:EDX follow what CPUID.1:EDX drops",
    edits: [{ file: 'lib/launcher/cpuid.ts', find: "if (name === 'CPUID.80000001:EDX') keep = (keep | ((edx1 ?? 0xffffffff) & AMD_MIRROR)) >>> 0;", replace: "if (name === 'CPUID.80000001:EDX') keep = (keep | AMD_MIRROR) >>> 0;" }],
    tests: [[ARGV, 'AMD mirror bits'], [CLAIMS, 'AMD mirror bit']],
  },
  {
    name: 'tests2-ts-subset-ignores-cpuid',
    claim: 'FeatureSet.isSubsetOf counts the x86-64 CPUID words, not the auxv words alone',
    edits: [{ file: 'lib/core/feature-set.ts', find: 'return this.#v.every((w, s) => (w & ~other.#w(s)) === 0n);', replace: 'return this.#v.every((w, s) => s >= 4 || (w & ~other.#w(s)) === 0n);' }],
    tests: [['test/core/fuzz-features.test.ts', 'set laws']],
  },

  // --- Beyond the list: claims of README.md and docs/cpuid.md that no mutant named ----------------
  {
    name: 'tests2-seccomp-i386-sigaction-numbers',
    claim: 'a SIGSEGV handler installed through the i386 entry points (rt_sigaction, sigaction, signal) is refused with ENOSYS under a CPUID mask',
    edits: [{ file: 'native/launcher/exec/seccomp_filter.c', find: '{174, 67, 48}', replace: '{-1, -1, -1}' }],
    tests: [[CLAIMS, 'refuses the escapes through int']],
  },
  {
    name: 'tests2-cpuid-kernel-mode-allowed',
    claim: '--cpuid needs ptrace mode: --mode kernel is refused (only a tracer can answer CPUID)',
    edits: [{ file: 'native/launcher/cpuid/setup.c', find: '  if (o->mode == MODE_KERNEL) {\n    report_failure(STAGE_ARGS,', replace: '  if (0) {\n    report_failure(STAGE_ARGS,' }],
    tests: [[CPUID, 'refuses --cpuid in kernel mode']],
  },
  {
    name: 'tests2-release-no-disarm',
    claim: 'release disarms CPUID faulting in every thread the helper armed before it lets the tree go',
    edits: [{ file: 'native/launcher/handover/release.c', find: '    e = disarm_cpuid(t, c->cpuid);\n', replace: '    e = STEP_OK;\n' }],
    // The first is the simulated twin (any x86-64), the second needs real faulting.
    tests: [[HANDOVER, 'release injects the disarm'], [HANDOVER, 'after release ARCH_GET_CPUID reads disarmed']],
  },
  {
    name: 'tests2-release-disarm-not-injected',
    claim: "release's disarm runs arch_prctl(ARCH_SET_CPUID, 1) in the thread; a disarm that only says so leaves faulting armed",
    edits: [{ file: 'native/launcher/handover/release.c', find: '  ret = set_cpuid_on(t, &e);\n', replace: '  ret = 0;\n  e = STEP_OK;\n' }],
    // Where CPUID does not fault the twin sees 0 for the kernel's ENODEV; where it does, the real test sees it armed.
    tests: [[HANDOVER, 'release injects the disarm'], [HANDOVER, 'after release ARCH_GET_CPUID reads disarmed']],
  },
  {
    name: 'tests2-nest-cpuid-under-auxv-only',
    claim: 'a CPUID mask nests only under a tree that masks CPUID itself: under an auxv-only tree it fails closed',
    edits: [{ file: 'native/launcher/nest/nest.c', find: '  if (req.ncpuid && !cpuid_mode) return -EOPNOTSUPP;\n', replace: '' }],
    tests: [[CLAIMS, 'nested under an auxv-only tree']],
  },
  {
    name: 'tests2-cpuid-out-of-range-unmasked',
    claim: "an out-of-range leaf that answers as the highest basic leaf gets that leaf's mask: the mask cannot be read around",
    edits: [{ file: 'native/launcher/cpuid/table.c', find: '      mask_leaf = max_basic;\n      mask_key = top_key;\n', replace: '' }],
    tests: [[CLAIMS, 'an out-of-range basic leaf']],
  },
  {
    name: 'audit-interrupted-call-not-restarted',
    claim: 'a call the hold interrupted is restarted after an injected call that is the last one in its thread (adopt restoring the SIGSEGV action after its proof): the program never sees 512 or 516',
    edits: [{ file: 'native/launcher/exec/remote_syscall.c', find: '  if (interrupted_call(&rs->saved)) TRY(', replace: '  if (0) TRY(' }],
    // Elsewhere the thread leaves through its signal path anyway: adopt's proof ends at a
    // signal-delivery stop, and release's detach sets TIF_SIGPENDING (kernel/ptrace.c __ptrace_unlink).
    tests: [[RESTART, 'SIGSEGV blocked in every thread']],
  },
  {
    name: 'audit-adopt-arm-unproved',
    claim: "adopt takes a thread for armed only when a CPUID traps in it: the injected call's 0 can be a program's seccomp filter's",
    edits: [{ file: 'native/launcher/handover/adopt.c', find: '  TRY_STEP(cpuid_trace_prove_armed(t->tid, &t->pend));\n', replace: '' }],
    tests: [[ADOPT_ARM, 'does not trap'], [ADOPT_ARM, 'fakes the arming']],
  },
  {
    name: 'audit-adopt-proof-disposition-lost',
    claim: "the forced SIGSEGV of adopt's proof resets an ignored SIGSEGV or a blocked one's handler; adopt puts the action back",
    edits: [{ file: 'native/launcher/handover/adopt.c', find: '  if (touched) TRY_STEP(hold_sigaction(t, SIGSEGV, &before, NULL));\n', replace: '' }],
    tests: [[ADOPT_ARM, 'simulated traps']],
  },
  {
    name: 'audit-adopt-proof-unblocks',
    claim: "the forced SIGSEGV of adopt's proof unblocks SIGSEGV in the thread; adopt blocks it again",
    edits: [{ file: 'native/launcher/handover/adopt.c', find: '  if (blocked) {\n    uint64_t mask;', replace: '  if (0) {\n    uint64_t mask;' }],
    tests: [[ADOPT_ARM, 'simulated traps']],
  },
];
