// Mutants for issue 21's cases 7, 8, 10, 11, 12 and 16 (CPUID faulting audited): each breaks one
// behaviour those fixes added, and the listed tests must fail. Format: see typescript.mjs and run.mjs.
const HELPER_STDERR = 'test/launcher/helper-stderr.test.ts';
const CLI_OSXSAVE = 'test/cli/cli-osxsave.test.ts';
const REMOTE_CALL = 'test/launcher/cpuid-remote-call.test.ts';

export default [
  // --- Case 11: the helper's message on a regular-file stderr --------------------------------
  {
    name: 'c-stderr-file-own-open',
    claim: "a message about a descendant whose stderr is a regular file goes through that descendant's own open file description, so the program's next write follows it instead of overwriting it",
    edits: [{ file: 'native/launcher/report.c', find: 'S_ISREG(st.st_mode) ? tracee_fd2(pid) : -1;', replace: 'S_ISREG(st.st_mode) ? -1 : -1;' }],
    tests: [HELPER_STDERR],
  },

  // --- Case 12: osxsave is kept, and said to be ----------------------------------------------
  {
    name: 'ts-osxsave-listed-dropped',
    claim: 'hwcap exec never lists osxsave as dropped (the launcher keeps it); it is listed as what the command still sees',
    edits: [{ file: 'lib/launcher/plan.ts', find: "r.word === 'CPUID.D.1:EAX' || r.name === 'osxsave'", replace: "r.word === 'CPUID.D.1:EAX'" }],
    tests: [CLI_OSXSAVE],
  },

  // --- Case 7: the injected call at a trap never spins ----------------------------------------
  {
    name: 'c-injected-fault-resumed',
    claim: 'an injected call whose instruction faults again is reported as failed (EFAULT); the helper never resumes it for ever',
    edits: [{ file: 'native/launcher/exec/tracee.c', find: 'if (sync && ++faults > 1) {', replace: 'if (sync && ++faults > 1 && 0) {' }],
    tests: [[REMOTE_CALL, 'non-executable']],
  },
  {
    name: 'c-syscall-site-unchecked',
    claim: "the remembered syscall site is used only while its bytes still read 0f 05 (a replaced vDSO's bytes could run anything)",
    edits: [{ file: 'native/launcher/cpuid/trace.c', find: '&& insn[0] == 0x0f && insn[1] == 0x05) return p->site;', replace: ') return p->site;' }],
    tests: [[REMOTE_CALL, 'replaced']],
  },
  {
    name: 'c-no-other-syscall-site',
    claim: 'without the vDSO, the injected call runs at another syscall instruction of the executable mappings, so a process of several threads keeps working',
    edits: [{ file: 'native/launcher/cpuid/trace.c', find: '  p->site = FAULT_IS("no-vdso-site") ? 0 : remote_mapped_site(pid);\n', replace: '  p->site = 0;\n' }],
    tests: [[REMOTE_CALL, 'second thread']],
  },
  {
    name: 'c-patch-trap-with-threads',
    claim: "the trap's own instruction is patched for the call only in a process of one thread (another thread could run the patched bytes); with more, the helper fails closed",
    edits: [{ file: 'native/launcher/cpuid/trace.c', find: 'if (!site && !single_threaded(pid)) {', replace: 'if (!site && !single_threaded(pid) && 0) {' }],
    tests: [[REMOTE_CALL, 'two threads']],
  },
  {
    name: 'c-compat-call-in-compat-mode',
    claim: 'the injected call runs in 64-bit mode even when the CPUID trapped in compat mode',
    edits: [{ file: 'native/launcher/exec/ptrace_arch.h', find: '  r->cs = USER_CS64;\n', replace: '' }],
    tests: [[REMOTE_CALL, 'compat mode']],
  },
  {
    name: 'c-cpuid-failure-message-lost',
    claim: "a process the helper kills at a trap is told why on its own stderr, not the helper's /dev/null",
    edits: [{ file: 'native/launcher/follow.c', find: '    report_stderr_of(pid);\n    report_message("pid %d: answering CPUID', replace: '    report_message("pid %d: answering CPUID' }],
    tests: [[REMOTE_CALL, 'two threads']],
  },

  // --- Case 16: a handled SIGSEGV costs one stop less under a CPUID mask ----------------------
  {
    name: 'c-sigreturn-mask-not-read',
    claim: "at a 64-bit rt_sigreturn's entry the helper reads the mask it sets from the frame's uc_sigmask, so a handler's blocked SIGSEGV is known to be unblocked again",
    edits: [{ file: 'native/launcher/cpuid/signals.c', find: '        t->segv_blocked = (set & SEGV_BIT) ? 1 : 0;\n        return 0;', replace: '        return 0;' }],
    tests: [[REMOTE_CALL, 'handler whose sa_mask']],
  },

  // --- Case 10: dropping a feature drops what the kernel, GCC and LLVM say implies it ----------
  {
    name: 'ts-drop-ignores-compiler-implications',
    claim: 'without() drops every feature that the kernel, GCC or LLVM takes to imply a dropped one (avx2 takes avx_vnni, vaes and AVX-512 with it)',
    edits: [{ file: 'lib/core/decode.ts', find: '    for (const m of x86Dependents(key)) if (t.byName.has(m)) add(m, arg);\n', replace: '' }],
    tests: ['test/core/x86-implies.test.ts'],
  },
];
