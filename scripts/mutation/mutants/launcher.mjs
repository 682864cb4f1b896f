// Mutants of the C launcher (native/launcher, native/common): each breaks one safety claim of
// hwcap-exec, and the listed tests must fail. Format: see typescript.mjs and run.mjs.
const killPath = `    kill(pid, SIGKILL);
    ptrace(PTRACE_CONT, pid, 0, (void *)(long)SIGKILL);`;
const seizeOptions = 'unsigned long options = PTRACE_O_TRACEEXEC | PTRACE_O_EXITKILL | PTRACE_O_TRACESYSGOOD;';
const followOptions = 'if (o->follow || cpuid) options |= PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK | PTRACE_O_TRACECLONE;';
const FAIL_CLOSED = 'test/launcher/fail-closed.test.ts';
const FOLLOW = 'test/launcher/follow.test.ts';
const LAUNCHER = 'test/launcher/launcher.test.ts';
const CPUID = 'test/launcher/cpuid.test.ts';
const CPUID_RULES = 'test/launcher/cpuid-rules.test.ts';
const NESTING = 'test/launcher/nesting.test.ts';
const NNP = 'test/launcher/no-new-privs.test.ts';
const HANDOVER = 'test/criu/handover.test.ts';

export default [
  // --- Fail closed: masking failed with the program alive -----------------------------------
  {
    name: 'c-kill-path-resumes',
    claim: 'fail closed: when masking fails at an exec stop, the helper kills the program; it never resumes it',
    edits: [{ file: 'native/launcher/follow.c', find: killPath, replace: '    ptrace(PTRACE_CONT, pid, 0, 0);' }],
    tests: [FAIL_CLOSED],
  },
  {
    name: 'c-kill-path-detaches',
    claim: 'fail closed: when masking fails at an exec stop, the helper kills the program; it never lets it go',
    edits: [{ file: 'native/launcher/follow.c', find: killPath, replace: '    ptrace(PTRACE_DETACH, pid, 0, 0);' }],
    tests: [FAIL_CLOSED],
  },
  {
    name: 'c-kill-path-only-first-image',
    claim: 'fail closed at every exec: a descendant whose masking fails is killed too, not only the first image',
    edits: [{ file: 'native/launcher/follow.c', find: killPath, replace: '    if (s->first) kill(pid, SIGKILL);\n    ptrace(PTRACE_CONT, pid, 0, (void *)(long)(s->first ? SIGKILL : 0));' }],
    tests: [[FAIL_CLOSED, 'readback-mismatch-later']],
  },

  // --- The read-back check -------------------------------------------------------------------
  {
    name: 'c-no-readback',
    claim: "the helper reads the kernel's saved copy back after the injection, and fails on a mismatch",
    edits: [{ file: 'native/launcher/exec/mask_exec.c', find: '  TRY_STEP(verify_saved_copy(pidstr, masked, first));\n', replace: '' }],
    tests: [[FAIL_CLOSED, 'readback-mismatch']],
  },
  {
    name: 'c-readback-ignores-mismatch',
    claim: "a read-back of the saved copy that differs from what was written is a failure",
    edits: [{ file: 'native/launcher/exec/mask_exec.c', find: 'if (memcmp(got, masked, sizeof got) != 0) return', replace: 'if (memcmp(got, masked, sizeof got) != 0 && 0) return' }],
    tests: [[FAIL_CLOSED, 'readback-mismatch']],
  },
  {
    name: 'c-readback-first-word-only',
    claim: 'the read-back compares every AT_HWCAP* word, not AT_HWCAP alone',
    edits: [{ file: 'native/launcher/exec/mask_exec.c', find: 'if (memcmp(got, masked, sizeof got) != 0) return', replace: 'if (memcmp(got, masked, sizeof got[0]) != 0) return' }],
    tests: [[FAIL_CLOSED, 'readback-mismatch']],
  },
  {
    name: 'c-injection-result-ignored',
    claim: 'a refused prctl(PR_SET_MM_MAP) in the tracee is a failure',
    edits: [{ file: 'native/launcher/exec/mask_exec.c', find: '  if (ret != 0) return STEP_ERROR(STAGE_INJECT,', replace: '  if (ret != 0 && 0) return STEP_ERROR(STAGE_INJECT,' }],
    tests: [[FAIL_CLOSED, 'inject-fails']],
  },
  {
    name: 'c-stack-not-written',
    claim: "the program's startup stack (the process view) is masked, not only the kernel's copy",
    edits: [{ file: 'native/launcher/exec/mask_exec.c', find: '  TRY(STAGE_PATCH_STACK, "process_vm_writev", tracee_write(pid, ns->auxv_addr, ns->auxv, (size_t)ns->n * 8));\n', replace: '' }],
    tests: [FOLLOW],
  },
  {
    name: 'c-saved-copy-not-injected',
    claim: "the kernel's saved copy (/proc/<pid>/auxv, PR_GET_AUXV) is masked too, and the read-back sees it",
    edits: [{ file: 'native/launcher/exec/mask_exec.c', find: '  TRY_STEP(inject_saved_copy(pid, pidstr, &regs, &ns, first, pend));\n', replace: '' }],
    tests: [FOLLOW],
  },

  // --- EXITKILL and following the tree ---------------------------------------------------------
  {
    name: 'c-no-exitkill',
    claim: 'PTRACE_O_EXITKILL: a helper that dies takes the stopped program with it',
    edits: [{ file: 'native/launcher/handshake.c', find: seizeOptions, replace: 'unsigned long options = PTRACE_O_TRACEEXEC | PTRACE_O_TRACESYSGOOD;' }],
    tests: [[LAUNCHER, 'fails closed when the helper dies'], ['test/launcher/reliability.test.ts', 'helper killed at']],
  },
  {
    name: 'c-no-trace-fork',
    claim: 'following the tree: a forked child is traced, so its exec is masked',
    edits: [{ file: 'native/launcher/handshake.c', find: followOptions, replace: 'if (o->follow || cpuid) options |= PTRACE_O_TRACEVFORK | PTRACE_O_TRACECLONE;' }],
    tests: [[FOLLOW, 'fork']],
  },
  {
    name: 'c-no-trace-vfork',
    claim: 'following the tree: a vforked child is traced, so its exec is masked',
    edits: [{ file: 'native/launcher/handshake.c', find: followOptions, replace: 'if (o->follow || cpuid) options |= PTRACE_O_TRACEFORK | PTRACE_O_TRACECLONE;' }],
    tests: [[FOLLOW, 'vfork'], [LAUNCHER, 'follows the tree']],
  },
  {
    name: 'c-no-trace-clone',
    claim: 'following the tree: a new thread is traced, so what it starts is masked',
    edits: [{ file: 'native/launcher/handshake.c', find: followOptions, replace: 'if (o->follow || cpuid) options |= PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK;' }],
    tests: [[FOLLOW, 'clone']],
  },
  {
    name: 'c-mask-first-exec-only',
    claim: 'masking every exec after the first: each later image of the tree is masked at its exec stop',
    edits: [{ file: 'native/launcher/follow.c', find: 'struct step_error e = mask_exec(pid, keep, s->first, &pend);', replace: 'struct step_error e = s->first ? mask_exec(pid, keep, s->first, &pend) : STEP_OK;' }],
    tests: [[FOLLOW, 'exec after exec'], [LAUNCHER, 'follows the tree']],
  },
  {
    name: 'c-follow-ignored',
    claim: 'the default follows the tree: --follow is not --no-follow',
    edits: [{ file: 'native/launcher/handshake.c', find: 'struct follow_config c = {{keep[0], keep[1], keep[2], keep[3]}, o->follow, cpuid, stats_fd};', replace: 'struct follow_config c = {{keep[0], keep[1], keep[2], keep[3]}, 0, cpuid, stats_fd};' }],
    tests: [[LAUNCHER, 'follows the tree']],
  },

  // --- AND only (C) ----------------------------------------------------------------------------
  {
    name: 'c-keep-assigned',
    claim: 'AND only (C): a kept word is ANDed with what the kernel reports, never written as given',
    edits: [{ file: 'native/common/auxv_words.h', find: 'if (auxv[k] == hwcap_word_type(w)) auxv[k + 1] &= keep[w];', replace: 'if (auxv[k] == hwcap_word_type(w)) auxv[k + 1] = keep[w];' }],
    tests: [[FOLLOW, 'never adds a bit']],
  },
  {
    name: 'c-keep-ored',
    claim: 'AND only (C): a kept word is ANDed, never ORed, with what the kernel reports',
    edits: [{ file: 'native/common/auxv_words.h', find: 'if (auxv[k] == hwcap_word_type(w)) auxv[k + 1] &= keep[w];', replace: 'if (auxv[k] == hwcap_word_type(w)) auxv[k + 1] |= keep[w];' }],
    tests: [[FOLLOW, 'never adds a bit']],
  },
  {
    name: 'c-inherit-check-always-yes',
    claim: 'kernel mode runs the program only where a child really sees the masked words',
    edits: [{ file: 'native/launcher/exec/kernel_mode.c', find: '    if (got[i] & ~want[i]) return 1;', replace: '    if (got[i] & ~want[i] && 0) return 1;' }],
    tests: [[LAUNCHER, 'refuses to exec where the kernel does not inherit'], ['test/cli/cli-exec.test.ts', 'does not inherit: 125']],
  },

  // --- Exit statuses ---------------------------------------------------------------------------
  {
    name: 'c-exit-125',
    claim: 'the launcher exits 125 when it fails before exec',
    edits: [{ file: 'native/launcher/options.h', find: '#define EXIT_SETUP 125', replace: '#define EXIT_SETUP 1' }],
    tests: [[LAUNCHER, 'rejects an unknown option clearly']],
  },
  {
    name: 'c-exit-126',
    claim: 'the launcher exits 126 for a program that is not executable',
    edits: [{ file: 'native/launcher/options.h', find: '#define EXIT_NOEXEC 126', replace: '#define EXIT_NOEXEC 1' }],
    tests: [[LAUNCHER, 'exits 127 for a program not found, 126']],
  },
  {
    name: 'c-exit-127',
    claim: 'the launcher exits 127 for a program that is not found',
    edits: [{ file: 'native/launcher/options.h', find: '#define EXIT_NOTFOUND 127', replace: '#define EXIT_NOTFOUND 0' }],
    tests: [[LAUNCHER, 'exits 127 for a program not found, 126']],
  },

  // --- x86-64 CPUID masking ---------------------------------------------------------------------
  // No machine here needs real CPUID faulting: the test build's simulated traps
  // (HWCAP_EXEC_FAULT=cpuid-simulate, rdmsr taken as a trapped CPUID) run the whole trap path.
  {
    name: 'c-cpuid-answer-unmasked',
    claim: 'a trapped CPUID is answered with the keep words ANDed in, not with what the CPU says',
    edits: [{ file: 'native/launcher/cpuid/table.c', find: 'out[r] = raw[r] & cpuid_mask_keep(mask_leaf, mask_key, r);', replace: 'out[r] = raw[r];' }],
    tests: [[CPUID, 'simulated traps.*masks CPUID in the main thread']],
  },
  {
    name: 'c-cpuid-answer-keep-assigned',
    claim: 'AND only (CPUID): the answer is what the CPU says ANDed with the keep word, never the keep word itself',
    edits: [{ file: 'native/launcher/cpuid/table.c', find: 'out[r] = raw[r] & cpuid_mask_keep(mask_leaf, mask_key, r);', replace: 'out[r] = cpuid_mask_keep(mask_leaf, mask_key, r);' }],
    tests: [[CPUID, 'simulated traps.*answers every leaf and subleaf']],
  },
  {
    name: 'c-cpuid-leaf1-edx-not-hwcap',
    claim: 'AT_HWCAP and CPUID.1:EDX are one word: the --hwcap keep word masks CPUID.1:EDX too',
    edits: [{ file: 'native/launcher/cpuid/mask.c', find: '  if (leaf == 1 && reg == CPUID_EDX) k &= leaf1_edx_keep;\n', replace: '' }],
    tests: [[CPUID_RULES, 'CPUID.1:EDX lacks it']],
  },
  {
    name: 'c-cpuid-hwcap-not-leaf1-edx',
    claim: 'AT_HWCAP and CPUID.1:EDX are one word: a --cpuid 1:edx rule masks AT_HWCAP too',
    edits: [{ file: 'native/launcher/cpuid/setup.c', find: '  keep[0] &= (uint64_t)(leaf1[CPUID_EDX] & cpuid_mask_keep(1, 0, CPUID_EDX));\n', replace: '' }],
    tests: [[CPUID_RULES, 'AT_HWCAP lacks it too']],
  },
  {
    name: 'c-cpuid-leaf-d-allowed',
    claim: 'leaf 0xD (the XSAVE sizes) is never masked: a rule for it is refused',
    edits: [{ file: 'native/launcher/cpuid/mask.c', find: '  if (leaf == 0xd) return "leaf 0xd gives', replace: '  if (leaf == 0xd && 0) return "leaf 0xd gives' }],
    tests: [[CPUID, 'refuses --cpuid "d.1:eax=0"']],
  },
  {
    name: 'c-cpuid-not-rearmed-at-exec',
    claim: 'every exec of a followed tree is armed for CPUID again (execve resets faulting), not the first image alone',
    edits: [{ file: 'native/launcher/follow.c', find: 'if (!e.err && s->c->cpuid) e = cpuid_trace_exec(pid, 1);', replace: 'if (!e.err && s->c->cpuid) e = cpuid_trace_exec(pid, s->first);' }],
    tests: [[CPUID_RULES, 'every exec is armed again']],
  },
  {
    name: 'c-cpuid-trap-ip-not-advanced',
    claim: 'an answered CPUID is stepped over: the program resumes after the instruction, not on it again',
    edits: [{ file: 'native/launcher/cpuid/trace.c', find: '  ans.rip = regs.rip + (uint64_t)length;\n', replace: '  ans.rip = regs.rip;\n' }],
    // It loops on the trap until the run's timeout: one test, not the file.
    tests: [[CPUID, 'simulated traps.*masks CPUID in the main thread']],
  },
  {
    name: 'c-cpuid-trap-any-0f-insn',
    claim: 'only CPUID (0f a2) is answered: another trapped two-byte instruction is the program\'s own SIGSEGV',
    edits: [{ file: 'native/launcher/cpuid/trace.c', find: 'if (c == 0x0f) return b[i + 1] == 0xa2 || (cpuid_trace_simulate && b[i + 1] == 0x32) ? (int)i + 2 : 0;', replace: 'if (c == 0x0f) return (int)i + 2;' }],
    tests: [[CPUID_RULES, 'not answered as a CPUID']],
  },
  {
    name: 'c-cpuid-trap-insn-unchecked',
    claim: 'a forced SIGSEGV is answered as a CPUID only where the instruction is one',
    edits: [{ file: 'native/launcher/cpuid/trace.c', find: '  if (!length) return 0;\n', replace: '  if (!length) length = 2;\n' }],
    tests: [[CPUID_RULES, 'not answered as a CPUID']],
  },
  {
    name: 'c-cpuid-sigsegv-disposition-kept',
    claim: "after a trap the helper puts back the SIGSEGV disposition the forced signal reset (SIG_IGN, or a blocked handler's)",
    edits: [{ file: 'native/launcher/cpuid/trace.c', find: '  if (reset) {\n', replace: '  if (0) {\n' }],
    tests: [[CPUID, 'simulated traps.*keeps SIGSEGV ignored']],
  },
  {
    name: 'c-cpuid-sigsegv-mask-kept',
    claim: 'after a trap the helper blocks SIGSEGV again where the program had it blocked',
    edits: [{ file: 'native/launcher/cpuid/trace.c', find: '  if (blocked) {\n', replace: '  if (0) {\n' }],
    tests: [[CPUID, 'simulated traps.*keeps the mask of a thread that blocks every signal']],
  },
  {
    name: 'c-seccomp-clone-untraced-allowed',
    claim: 'the seccomp filter refuses clone(CLONE_UNTRACED): no child of the tree escapes the tracer',
    edits: [{ file: 'native/launcher/exec/seccomp_filter.c', find: 'CLONE_UNTRACED_FLAG, 0, 1));\n  emit(p, (struct sock_filter)ERRNO(EPERM));', replace: 'CLONE_UNTRACED_FLAG, 0, 1));\n  emit(p, (struct sock_filter)ALLOW);' }],
    tests: [[CPUID, 'refuses CLONE_UNTRACED']],
  },
  {
    name: 'c-seccomp-clone3-allowed',
    claim: 'the seccomp filter refuses clone3 (ENOSYS): its flags are in memory the filter cannot read',
    edits: [{ file: 'native/launcher/exec/seccomp_filter.c', find: 'IF_EQ((uint32_t)n->clone3));\n  emit(p, (struct sock_filter)ERRNO(ENOSYS));', replace: 'IF_EQ((uint32_t)n->clone3));\n  emit(p, (struct sock_filter)ALLOW);' }],
    tests: [[CPUID, 'refuses CLONE_UNTRACED']],
  },
  {
    name: 'c-seccomp-set-cpuid-allowed',
    claim: 'the seccomp filter sends arch_prctl(ARCH_SET_CPUID, 1) to the helper, which refuses the tree\'s: the program cannot turn CPUID faulting off',
    edits: [{ file: 'native/launcher/exec/seccomp_filter.c', find: '    emit(p, (struct sock_filter)TRACE(SECCOMP_TAG_CPUID_SET));', replace: '    emit(p, (struct sock_filter)ALLOW);' }],
    tests: [[CPUID, 'refuses CLONE_UNTRACED'], [CPUID, 'refuses the escapes']],
  },
  {
    name: 'c-cpuid-escape-filter-off',
    claim: 'a followed tree or a CPUID mask runs under the seccomp filter that refuses the escapes',
    edits: [{ file: 'native/launcher/handshake.c', find: 'int err = seccomp_filter_install(cpuid_mask_active(), &sc);', replace: 'int err = 0;' }],
    tests: [[CPUID, 'refuses CLONE_UNTRACED']],
  },
  {
    name: 'c-seccomp-nnp-inverted',
    claim: 'without CAP_SYS_ADMIN the filter is installed under no-new-privs (a set-user-ID program in the tree, released or not, gains nothing); with it, without',
    edits: [{ file: 'native/launcher/exec/seccomp_filter.c', find: '  if (!has_cap_sys_admin()) {', replace: '  if (has_cap_sys_admin()) {' }],
    tests: [[NNP, 'a followed tree as nobody'], [NNP, "the launcher's own user here"]],
  },
  {
    name: 'c-cpuid-filter-only-when-following',
    claim: 'a CPUID mask installs the seccomp filter under --no-follow too',
    edits: [{ file: 'native/launcher/handshake.c', find: '  if (o->follow || cpuid_mask_active()) {\n    const char *sc = "";', replace: '  if (o->follow) {\n    const char *sc = "";' }],
    tests: [[CPUID_RULES, 'the escapes are refused all the same']],
  },
  {
    name: 'c-cpuid-signal-tracking-off',
    claim: "under a CPUID mask the filter reports the program's sigaction and sigprocmask calls, so the helper knows what a trap must put back",
    edits: [{ file: 'native/launcher/handshake.c', find: 'int err = seccomp_filter_install(cpuid_mask_active(), &sc);', replace: 'int err = seccomp_filter_install(0, &sc);' }],
    tests: [[CPUID, 'simulated traps.*keeps the mask of a thread that blocks every signal'], [CPUID, 'simulated traps.*keeps a blocked SIGSEGV']],
  },
  {
    name: 'c-cpuid-security-refusal-skipped',
    claim: 'a --cpuid rule that clears a CPUID security feature (pku, ospke, user_shstk, ibt) is refused without --allow-security-masking',
    edits: [{ file: 'native/launcher/cpuid/setup.c', find: '  security_keep_cpuid(o->allow_security);\n', replace: '' }],
    tests: [[CPUID_RULES, 'refused without --allow-security-masking']],
  },
  {
    name: 'c-cpuid-security-refusal-inverted',
    claim: '--allow-security-masking lets a --cpuid rule clear a CPUID security feature',
    edits: [{ file: 'native/launcher/cpuid/setup.c', find: '  if (allow) return;\n', replace: '  if (!allow) return;\n' }],
    tests: [[CPUID_RULES, 'with --allow-security-masking it is masked']],
  },
  {
    name: 'c-cpuid-fault-enodev-ignored',
    claim: 'fail closed: where CPUID does not fault (ENODEV) a CPUID mask is refused at stage cpuid-fault, before the program runs',
    edits: [{ file: 'native/launcher/cpuid/setup.c', find: '  if (e) {\n    report_failure(STAGE_CPUID_FAULT,', replace: '  if (e && e != ENODEV) {\n    report_failure(STAGE_CPUID_FAULT,' }],
    tests: [[CPUID, 'cpuid-unavailable: exit 125'], [CPUID, 'exits 125 with stage cpuid-fault']],
  },
  {
    name: 'c-foreign-tracer-runs-unmasked',
    claim: 'a launcher that a foreign tracer (strace, gdb, a ptrace parent) already traces fails closed: its program never runs unmasked',
    edits: [{ file: 'native/launcher/handshake.c', find: '  if (err) refuse_traced(tracer, err);', replace: '  if (0) refuse_traced(tracer, err);' }],
    tests: [[NESTING, 'a plain ptrace parent'], [NESTING, 'strace -f: 125']],
  },
  {
    name: 'c-followed-tree-detached',
    claim: 'the helper stays the tracer of every program of a followed tree, so a debugger or strace cannot attach to it',
    edits: [{ file: 'native/launcher/follow.c', find: 'tracee_deliver_pending(pid, &pend, !s->c->follow && !s->c->cpuid);', replace: 'tracee_deliver_pending(pid, &pend, !s->c->cpuid);' }],
    tests: [[NESTING, 'PTRACE_ATTACH and PTRACE_SEIZE'], [NESTING, 'strace -p']],
  },
  {
    name: 'c-nest-not-anded',
    claim: "nesting narrows: the subtree's mask is the tree's AND the inner request's, never the inner alone",
    edits: [{ file: 'native/launcher/nest/nest.c', find: 'now[w] = cur[w] & req.keep[w];', replace: 'now[w] = req.keep[w];' }],
    tests: [[NESTING, 'AND only: an inner mask that keeps A']],
  },
  {
    name: 'c-nest-cpuid-not-narrowed',
    claim: "a nested CPUID request narrows the subtree's CPUID answers",
    edits: [{ file: 'native/launcher/nest/nest.c', find: 'for (int reg = 0; reg < 4; reg++) out[reg] &= cpuid_rules_keep(c->r, c->n, leaf, subleaf, reg);', replace: 'for (int reg = 0; reg < 4 && 0; reg++) out[reg] &= cpuid_rules_keep(c->r, c->n, leaf, subleaf, reg);' }],
    tests: [[NESTING, 'outer drops X, inner drops Y']],
  },
  {
    name: 'c-adopt-cpuid-not-armed',
    claim: 'adopt arms CPUID faulting in every held thread before the tree runs again',
    edits: [{ file: 'native/launcher/handover/adopt.c', find: '    if (!h.t[i].gone) e = arm_cpuid(&h.t[i]);', replace: '    if (!h.t[i].gone && 0) e = arm_cpuid(&h.t[i]);' }],
    tests: [[HANDOVER, 'simulated traps: a masked tree released hands over its rules']],
  },
  {
    name: 'c-tree-set-cpuid-let-through',
    claim: "the tree's own arch_prctl(ARCH_SET_CPUID, 1), traced by the filter, is refused by the helper",
    edits: [{ file: 'native/launcher/exec/tracee.c', find: '  if (tag != SECCOMP_TAG_CPUID_SET || pid == tracee_own_call) return 0;', replace: '  if (tag != SECCOMP_TAG_CPUID_SET || pid == tracee_own_call || 1) return 0;' }],
    tests: [[CPUID, 'refuses the escapes'], [HANDOVER, 'gets EPERM from the follow loop']],
  },
  {
    name: 'c-held-stop-outlives-cont',
    claim: 'a held-back stop signal with a SIGCONT pending after it is dropped, not sent again to stop a continued program',
    edits: [{ file: 'native/launcher/exec/tracee.c', find: '  tracee_settle_pending(pid, &pend);\n', replace: '' }],
    tests: [[LAUNCHER, 'stop-held-cont-pending']],
  },
  {
    name: 'c-held-signals-out-of-order',
    claim: 'signals held back at an exec stop are sent again in the order they came',
    edits: [
      { file: 'native/launcher/exec/tracee.c', find: '  if (pend.n > 1) tracee_send_pending(pid, &pend);', replace: '  for (int i = 1; i < pend.n; i++) syscall(SYS_tkill, pid, pend.sigs[i]);' },
      { file: 'native/launcher/exec/tracee.c', find: '  int one = pend.n == 1 ? pend.sigs[0] : 0;', replace: '  int one = pend.n ? pend.sigs[0] : 0;' },
      { file: 'native/launcher/exec/tracee.c', find: '    if (!drop) kept[n++] = sig;', replace: '    kept[n++] = sig;' },
    ],
    tests: [[LAUNCHER, 'stop-cont-held']],
  },
  {
    name: 'c-held-repeat-keeps-first-place',
    claim: 'a standard signal held back twice stands where it came last: SIGSTOP, SIGCONT, SIGSTOP leaves the program stopped',
    edits: [{ file: 'native/launcher/exec/tracee.c', find: '        memmove(&pend->sigs[i], &pend->sigs[i + 1], (size_t)(pend->n - i - 1) * sizeof pend->sigs[0]);\n        pend->sigs[pend->n - 1] = sig;\n', replace: '' }],
    tests: [[LAUNCHER, 'stop-cont-stop-held']],
  },
  {
    name: 'c-held-cont-outlives-stop',
    claim: 'a held-back SIGCONT with a stop signal pending after it is dropped, not sent again to discard that stop',
    edits: [{ file: 'native/launcher/exec/tracee.c', find: 'if (sig == SIGCONT) drop = stop_after, cont_after = 1;', replace: 'if (sig == SIGCONT) drop = 0, cont_after = 1;' }],
    tests: [[LAUNCHER, 'cont-held-stop-pending']],
  },
  // --- The rooms (docs/architecture.md): the CPUID room needs no nest; the follow loop passes it the narrowing
  {
    name: 'c-cpuid-narrow-not-passed',
    claim: "a trapped CPUID in a nested masked subtree is answered with the subtree's own rules ANDed in: the follow loop passes nest_cpuid_narrow to the CPUID room",
    edits: [{ file: 'native/launcher/follow.c', find: 'cpuid_trace_signal(pid, sig, nest_cpuid_narrow)', replace: 'cpuid_trace_signal(pid, sig, NULL)' }],
    tests: [[NESTING, 'outer drops X, inner drops Y']],
  },
  {
    name: 'c-rooms-arrow-up',
    claim: 'no room of the launcher includes a room after it: the CPUID room does not include the nest room',
    edits: [{ file: 'native/launcher/cpuid/trace.c', find: '#include "../exec/tracee.h"\n', replace: '#include "../exec/tracee.h"\n#include "../nest/nest.h"\n' }],
    tests: [['test/launcher/rooms.test.ts', 'no room includes']],
  },
  {
    name: 'c-follow-group-stop-resumed',
    claim: "a stop signal stops a followed program until SIGCONT: the helper listens at the group-stop, never resumes it",
    edits: [{ file: 'native/launcher/follow.c', find: '      if (is_stop_signal(sig)) ptrace(PTRACE_LISTEN, pid, 0, 0);\n      else resume(pid, 0);', replace: '      resume(pid, 0);' }],
    tests: [[LAUNCHER, 'passes stop and continue through']],
  },
];
