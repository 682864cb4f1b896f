/*
 * seccomp_filter: what a followed tree may not do, installed in the launcher
 * just before the first exec, inherited by every descendant and unremovable.
 *
 *   clone(CLONE_UNTRACED)        EPERM   (a child no tracer would follow)
 *   clone3                       ENOSYS  (its flags sit behind a pointer; libc falls back to clone)
 *   arch_prctl(ARCH_SET_CPUID, on != 0)  SECCOMP_RET_TRACE, tag SECCOMP_TAG_CPUID_SET: the
 *                                  helper lets its own injected call run (release disarms
 *                                  faulting that way) and refuses the tree's own with EPERM
 *                                  (tracee_cpuid_set_stop): the tree cannot turn faulting off.
 *                                  Without a tracer the call fails with ENOSYS. ARCH_SET_CPUID(0),
 *                                  arming, only narrows and is allowed (x86-64 and its x32 and
 *                                  i386 numbers; aarch64 has no such call)
 *   prctl(NEST_PRCTL_OPTION, ...)  SECCOMP_RET_TRACE, tag SECCOMP_TAG_NEST: a nested masked
 *                                  spawn asks the tree's helper to narrow its mask (nest/nest.h);
 *                                  x86-64 and aarch64 numbers only (the launcher's own ABI)
 *   with track_signals, SECCOMP_RET_TRACE, tagged in SECCOMP_RET_DATA, for the
 *   system calls that change a disposition (rt_sigaction: SIGSEGV's, and every
 *   handler's sa_mask, which applies while it runs) or a thread's signal mask
 *   (the helper must be the tree's tracer with PTRACE_O_TRACESECCOMP: without a
 *   tracer these calls would fail with ENOSYS).
 *
 * The architecture is checked: x86-64 (and its x32 numbers), i386 (int 0x80
 * from a 64-bit task) and aarch64 each get their own numbers. A task of any
 * other architecture (AArch32) is killed: the helper cannot trace it either.
 */
#ifndef HWCAP_SECCOMP_FILTER_H
#define HWCAP_SECCOMP_FILTER_H

/* A nested masked spawn's request: prctl(NEST_PRCTL_OPTION, NEST_MAGIC, &request, size) (nest/nest.h). */
#define NEST_PRCTL_OPTION 0x4857434eUL /* "HWCN": not a prctl option of any kernel */
#define NEST_MAGIC 0x6e657374UL        /* "nest" */

/* SECCOMP_RET_DATA tags of the traced calls. */
enum {
  SECCOMP_TAG_SIGACTION = 1,    /* x86-64 rt_sigaction(sig, act, oact, 8), every signal: read act at entry */
  SECCOMP_TAG_SIGPROCMASK = 2,  /* x86-64 rt_sigprocmask(how, set, oset, 8): compute at entry */
  SECCOMP_TAG_MASK_AT_EXIT = 3, /* rt_sigreturn and the compat forms: read the mask at the exit stop */
  SECCOMP_TAG_NEST = 4,         /* prctl(NEST_PRCTL_OPTION, ...): a nested masked spawn's request (nest/nest.h), always traced */
  SECCOMP_TAG_CPUID_SET = 5     /* arch_prctl(ARCH_SET_CPUID, on != 0): the helper's own call runs, the tree's is refused */
};

/*
 * Sets PR_SET_NO_NEW_PRIVS unless the caller has CAP_SYS_ADMIN, then installs
 * the filter. 0, or an errno with *syscall_name naming the step.
 */
int seccomp_filter_install(int track_signals, const char **syscall_name);

#endif
