/*
 * hwcap-exec: run a program whose auxv CPU feature words (AT_HWCAP*) are masked.
 *
 *   hwcap-exec [--mode kernel|ptrace|auto] [--no-follow] [--hwcap W] [--hwcap2 W]
 *              [--hwcap3 W] [--hwcap4 W] [--status-fd N] [--pdeathsig SIG]
 *              [--no-new-privs] [--allow-security-masking] [--argv0 NAME]
 *              [--cpuid LEAF[.SUBLEAF]:REG=KEEP]... [--stats-fd N] -- PROGRAM ARGS...
 *   hwcap-exec --list-stages | --list-security | --probe-cpuid-fault
 *
 * Each W (hex) is a word of bits to keep; it is ANDed with what the kernel
 * reports, so no bit is ever added.
 *
 * Shape: parse arguments -> setup steps in a fixed order (irreversible ones
 * last) -> exec. Every setup failure is reported on the status fd (a line of
 * JSON: {"stage","syscall","errno","code","message"}; report.c) or on stderr
 * ("hwcap-exec: ptrace(PTRACE_SEIZE): EPERM"), and the program is not run.
 *
 * Modes:
 *   kernel  mask this process's saved auxv, then execve (exec/kernel_mode.c).
 *   ptrace  a helper seizes this process (handshake.c) and masks every exec of
 *           the tree at its exec stop (follow.c, exec/mask_exec.c).
 *   auto    kernel where the check shows the kernel inherits, ptrace otherwise.
 *
 * Exit status: the target's own; 127 program not found; 126 not executable;
 * 125 the launcher failed before exec (as env(1) and timeout(1) do).
 *
 * Kernel interfaces: include/uapi/linux/prctl.h, include/uapi/linux/ptrace.h,
 * arch/arm64/include/uapi/asm/hwcap.h (Linux 6.18).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "../common/auxv_words.h"
#include "../common/procfs.h"
#include "cpuid/setup.h"
#include "exec/kernel_mode.h"
#include "exec/program.h"
#include "follow.h"
#include "handover/adopt.h"
#include "handover/release.h"
#include "handshake.h"
#include "options.h"
#include "report.h"
#include "security.h"
#ifdef HWCAP_TEST_FAULTS
#include "test_hooks.h"
#endif

static int list_stages(void) {
  for (int s = 0; s < STAGE_COUNT; s++) printf("%s\n", stage_name((enum stage)s));
  return fflush(stdout) == 0 ? 0 : 1;
}

/* Parent-death signal first, so that nothing below outlives a dead parent. */
static void set_pdeathsig(const struct options *o) {
  if (!o->pdeathsig) return;
  pid_t parent = getppid();
  if (prctl(PR_SET_PDEATHSIG, o->pdeathsig, 0, 0, 0) != 0)
    report_fail(STEP_ERROR(STAGE_PDEATHSIG, "prctl(PR_SET_PDEATHSIG)", errno), EXIT_SETUP);
  if (getppid() != parent) raise(o->pdeathsig);
}

/* The program: found and executable, or 127 / 126 as a shell would say. */
static void resolve(struct program *p, const struct options *o) {
  int e = program_resolve(p, o->program[0]);
  if (!e) return;
  report_failure(STAGE_EXEC, "execve", e, "%s: %s", o->program[0], errno_code(e));
  _exit(program_exit_for(e));
}

/* The words to keep: the caller's, plus every security feature unless masking those is allowed. */
static void words_to_keep(const struct options *o, uint64_t keep[HWCAP_WORDS]) {
  uint64_t own[HWCAP_MAX_AUXV_WORDS], present[HWCAP_WORDS];
  int n = hwcap_read_proc_auxv("self", own, HWCAP_MAX_AUXV_WORDS);
  if (n < 0) report_fail(STEP_ERROR(STAGE_READ_AUXV, "open(/proc/self/auxv)", -n), EXIT_SETUP);
  hwcap_words_of(own, n, present);
  memcpy(keep, o->keep, HWCAP_WORDS * sizeof keep[0]);
  security_keep(keep, present, o->allow_security);
}

static int nothing_to_mask(const uint64_t keep[HWCAP_WORDS]) {
  for (int w = 0; w < HWCAP_WORDS; w++)
    if (keep[w] != ~0ULL) return 0;
  return 1;
}

/* kernel and auto mask this process's saved copy; auto keeps that only if the kernel passes it on. Returns if ptrace is next. */
static void try_kernel_mode(const struct program *p, const struct options *o, const uint64_t keep[HWCAP_WORDS]) {
  if (o->mode == MODE_PTRACE) return;
  uint64_t masked[HWCAP_WORDS];
  struct step_error e = kernel_mask_own(keep, masked);
  if (e.err && o->mode == MODE_KERNEL) report_fail(e, EXIT_SETUP);
  if (!e.err && o->mode == MODE_KERNEL && !o->verify) program_exec(p, o, MODE_KERNEL);
  int inherits = e.err ? 0 : kernel_inherits(masked);
  if (inherits == 1) program_exec(p, o, MODE_KERNEL);
  if (o->mode == MODE_KERNEL) {
    int err = inherits < 0 ? -inherits : ENOTSUP;
    report_failure(STAGE_KERNEL_VERIFY, "execve", err,
                   "execve: %s (kernel mode: this kernel does not pass a masked auxv across execve; use --mode ptrace or auto)",
                   errno_code(err));
    _exit(EXIT_SETUP);
  }
}

int main(int argc, char **argv, char **envp) {
  if (argc == 2 && strcmp(argv[1], "--list-stages") == 0) return list_stages();
  if (argc == 2 && strcmp(argv[1], "--list-security") == 0) return security_list_main();
  if (argc == 2 && strcmp(argv[1], "--probe-cpuid-fault") == 0) return cpuid_probe_main();
  if (argc > 1 && strcmp(argv[1], "--check-inherited") == 0) return kernel_check_inherited_main(argc, argv, envp);
  if (argc > 1 && strcmp(argv[1], "--release") == 0) return release_main(argc, argv);         /* handover/release.c */
  if (argc > 1 && strcmp(argv[1], "--adopt") == 0) return adopt_main(argc, argv, follow_run); /* handover/adopt.c */
#ifdef HWCAP_TEST_FAULTS
  int hooked = test_hooks_main(argc, argv);
  if (hooked >= 0) return hooked;
#endif

  report_mark(MARK_START); /* --stats-fd: the start of each step's share (report.h) */
  struct options o;
  struct program p;
  uint64_t keep[HWCAP_WORDS];
  options_parse(&o, argc, argv);                                          /* 1. the command line, or 125 */
  set_pdeathsig(&o);                                                      /* 2. before anything that could outlive the parent */
  resolve(&p, &o);                                                        /* 3. the program, or 127 / 126 */
  words_to_keep(&o, keep);                                                /* 4. the mask, or 125 for a security feature */
  int cpuid = cpuid_setup(&o, keep);                                      /* 4b. a CPUID mask: faulting that traps, or 125 */
  if (!cpuid && nothing_to_mask(keep)) program_exec(&p, &o, MODE_KERNEL); /* the setup above is all that was asked */
  try_kernel_mode(&p, &o, keep);                                          /* 5. kernel mode where the kernel passes the mask on */
  handshake_run(&p, &o, keep);                                            /* 6. ptrace mode: helper, seize, exec */
}
