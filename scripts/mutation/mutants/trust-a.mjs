// Mutants of the CPUID audit's fixes (issue 21, cases 1-6, 9, 13-15): each undoes one fix, and
// the listed tests must fail. Format: see typescript.mjs and run.mjs.
const AUDIT = 'test/launcher/cpuid-audit.test.ts';
const ADOPT = 'test/launcher/adopt-refusals.test.ts';

export default [
  {
    name: 'c-status-cut-at-4k',
    claim: "the helper reads a tracee's whole /proc status file: SigIgn past 4 KiB (2,000 groups) still counts",
    edits: [
      {
        file: 'native/launcher/cpuid/tasks.c',
        find: '  long n = hwcap_read_file_all(path, &buf);\n',
        replace: '  long n = hwcap_read_file_all(path, &buf);\n  if (n > 4095) buf[n = 4095] = 0;\n',
      },
    ],
    tests: [[AUDIT, 'supplementary groups']],
  },
  {
    name: 'c-cpuid-prefix-not-decoded',
    claim: 'a CPUID behind legal prefixes (66, 48, f3, 2e, 66 48 ...) is answered, not left to kill the program',
    edits: [{ file: 'native/launcher/cpuid/trace.c', find: 'for (size_t i = 0; i + 1 < n && i + 2 <= 15; i++) {', replace: 'for (size_t i = 0; i + 1 < n && i < 1; i++) {' }],
    tests: [[AUDIT, 'legal prefixes']],
  },
  {
    name: 'c-cpuid-prefix-steps-two',
    claim: 'an answered CPUID is stepped over by its whole length, prefixes included',
    edits: [{ file: 'native/launcher/cpuid/trace.c', find: 'ans.rip = regs.rip + (uint64_t)length;', replace: 'ans.rip = regs.rip + 2;' }],
    tests: [[AUDIT, 'legal prefixes']],
  },
  {
    name: 'c-cpuid-overlong-answered',
    claim: 'a CPUID longer than 15 bytes (which the CPU refuses with #GP) is not answered: its SIGSEGV is the program\'s',
    edits: [
      { file: 'native/launcher/cpuid/trace.c', find: 'for (size_t i = 0; i + 1 < n && i + 2 <= 15; i++) {', replace: 'for (size_t i = 0; i + 1 < n && i + 2 <= 16; i++) {' },
      { file: 'native/launcher/cpuid/trace.c', find: 'read_code(pid, regs.rip, insn, 15)', replace: 'read_code(pid, regs.rip, insn, 16)' },
    ],
    tests: [[AUDIT, '16-byte CPUID']],
  },
  {
    name: 'c-cpuid-new-task-armed-by-ppid',
    claim: "a new task is armed as its creator (the fork or clone event's tracee), not as its /proc PPid: a CLONE_PARENT child's parent is untraced",
    edits: [
      { file: 'native/launcher/cpuid/tasks.c', find: 'struct proc *parent = creator > 0 ? (ct ? find_proc(ct->tgid) : NULL) : find_proc(s.ppid);', replace: 'struct proc *parent = find_proc(s.ppid);' },
      { file: 'native/launcher/cpuid/tasks.c', find: 't->armed = ct ? ct->armed : p->armed;', replace: 't->armed = p->armed;' },
    ],
    tests: [[AUDIT, 'CLONE_PARENT']],
  },
  {
    name: 'c-cpuid-held-child-killed-by-ppid',
    claim: "a new task held for its creator's event is killed only when no possible creator lives; a CLONE_PARENT child's parent is not its creator",
    edits: [{ file: 'native/launcher/cpuid/held.c', find: 'find_proc(s.ppid) || any_child_of(s.ppid)', replace: 'find_proc(s.ppid)' }],
    // The test build's fork-event-after-child makes the race (held, then swept) happen every time.
    tests: [[AUDIT, 'swept before its creator']],
  },
  {
    name: 'c-follow-newest-first',
    claim: "the helper takes every ready stop before it serves any, so threads that trap CPUID in a loop cannot starve an older thread's clone or exec event",
    edits: [{ file: 'native/launcher/follow.c', find: '#define BATCH_MAX 64', replace: '#define BATCH_MAX 1' }],
    tests: [[AUDIT, 'served in turn']],
  },
  {
    name: 'c-cpuid-vanished-thread-kills',
    claim: "a thread that vanished while its trap was answered (ESRCH: another thread's exec) is dropped, not killed with the new image",
    edits: [{ file: 'native/launcher/follow.c', find: '  } else if (r == -ESRCH) {', replace: '  } else if (r == -ESRCH && 0) {' }],
    tests: [[AUDIT, 'a thread execs']],
  },
  {
    name: 'c-cpuid-arm-trusts-result',
    claim: "the arming is proven by a CPUID that traps, not by arch_prctl's result, which a seccomp filter of the program's own fakes",
    edits: [{ file: 'native/launcher/cpuid/trace.c', find: '    else if (!trapped) e = STEP_ERROR(STAGE_CPUID_ARM, "cpuid", ENOTSUP);', replace: '' }],
    tests: [[AUDIT, 'arm-not-trapping'], [AUDIT, 'own seccomp filter']],
  },
  {
    name: 'c-cpuid-arm-proof-leaves-segv-reset',
    claim: 'the CPUID that proves the arming leaves an ignored SIGSEGV ignored before the program runs',
    edits: [{ file: 'native/launcher/cpuid/trace.c', find: '  if (p->disp == DISP_IGN) {\n    uint64_t act[4] = {(uint64_t)(uintptr_t)SIG_IGN, 0, 0, 0};', replace: '  if (0) {\n    uint64_t act[4] = {(uint64_t)(uintptr_t)SIG_IGN, 0, 0, 0};' }],
    tests: [[AUDIT, 'proves the arming']],
  },
  {
    name: 'c-cpuid-arm-proof-leaves-segv-unblocked',
    claim: 'the CPUID that proves the arming leaves a blocked SIGSEGV blocked before the program runs',
    edits: [{ file: 'native/launcher/cpuid/trace.c', find: '  if (t->segv_blocked) {\n    uint64_t mask;\n    if ((r = task_sigmask(pid, &mask))) return STEP_ERROR', replace: '  if (0) {\n    uint64_t mask;\n    if ((r = task_sigmask(pid, &mask))) return STEP_ERROR' }],
    tests: [[AUDIT, 'proves the arming']],
  },
  {
    name: 'c-compat-image-reason-dropped',
    claim: 'a 32-bit program killed at its exec stop is named as one, not left at "ptrace(PTRACE_GETREGSET): ENOEXEC"',
    edits: [{ file: 'native/launcher/follow.c', find: 'const char *why = e.stage == STAGE_EXEC_STOP && e.err == ENOEXEC ? COMPAT_IMAGE_REASON : "";', replace: 'const char *why = "";' }],
    tests: [[AUDIT, '32-bit program fails closed']],
  },
  {
    name: 'ts-compat-hint-dropped',
    claim: "a 32-bit program's exec-stop ENOEXEC gets a hint that names the cause, not the stage's generic one",
    edits: [{ file: 'lib/launcher/status.ts', find: "(stage === 'exec-stop' && rec?.code === 'ENOEXEC' ? COMPAT_HINT : known?.hint)", replace: 'known?.hint' }],
    tests: [[AUDIT, 'spawn of a 32-bit program']],
  },
  {
    name: 'c-adopt-kthread-not-named',
    claim: 'the launcher refuses to adopt a kernel thread as one, not as "no such process"',
    edits: [{ file: 'native/launcher/handover/adopt.c', find: '  if (f[9] & PF_KTHREAD)\n', replace: '  if (0)\n' }],
    tests: [[ADOPT, 'kernel thread']],
  },
  {
    name: 'c-adopt-zombie-not-named',
    claim: 'the launcher refuses to adopt a zombie as one',
    edits: [{ file: 'native/launcher/handover/adopt.c', find: "  if (state == 'Z' || state == 'X')\n", replace: '  if (0)\n' }],
    tests: [[ADOPT, 'a zombie']],
  },
  {
    name: 'ts-adopt-saved-words-unchecked',
    claim: "reading a kernel thread's saved auxv (the keep-set path) says it is a kernel thread, not that ptrace is not permitted",
    edits: [
      { file: 'lib/launcher/handover.ts', find: '  checkPid(pid);\n  checkAdoptable(pid);\n  let buf: Buffer;', replace: '  checkPid(pid);\n  let buf: Buffer;' },
      { file: 'lib/launcher/handover.ts', find: "  const allowInit = checkBoolean(o, 'allowInit', false);\n  checkAdoptable(pid);\n", replace: "  const allowInit = checkBoolean(o, 'allowInit', false);\n" },
    ],
    tests: [[ADOPT, 'kernel thread']],
  },
  {
    name: 'c-adopt-init-allowed',
    claim: "adopt refuses a tree that holds a pid namespace's init unless --allow-init: the namespace would end with the helper",
    edits: [{ file: 'native/launcher/handover/adopt.c', find: '  if (allow) return 0;\n  int np = tree_processes(root, procs, TREE_MAX);', replace: '  return 0;\n  int np = tree_processes(root, procs, TREE_MAX);' }],
    // Not the pid 1 test: under this mutant it would seize this machine's init.
    tests: [[ADOPT, 'unshare']],
  },
  {
    name: 'ts-test-launcher-outside-runner',
    claim: 'HWCAP_TEST_LAUNCHER=1 (the simulating test build) is refused outside the test runner: a simulation never passes for masking',
    edits: [{ file: 'lib/launcher/paths.ts', find: "if (process.env.HWCAP_TEST_LAUNCHER === '1' && !process.env.VITEST) {", replace: 'if (false) {' }],
    tests: [[AUDIT, 'outside the test runner']],
  },
  {
    name: 'c-helper-dumpable',
    claim: "exec's helper is not dumpable: a program of its tree (same user) cannot open its /proc/<pid>/mem or ptrace it",
    edits: [{ file: 'native/launcher/handshake.c', find: '  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);\n', replace: '' }],
    tests: [[AUDIT, 'cannot reach the helper']],
  },
  {
    name: 'c-control-no-socket-for-user',
    claim: "the tree's own user (no CAP_SYS_PTRACE, so no pidfd_getfd of the undumpable helper) still releases it, through the helper's socket",
    edits: [{ file: 'native/launcher/handover/control.c', find: '  if (ctl < 0 && (e == EPERM || e == EACCES)) ctl = connect_socket(helper, syscall_name), e = ctl < 0 ? -ctl : 0;\n', replace: '' }],
    tests: [[AUDIT, 'still releases the tree']],
  },
];
