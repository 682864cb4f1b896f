/*
 * Holding a whole tree stopped, for release and adopt: every task this helper
 * traces is interrupted (PTRACE_INTERRUPT) and waited for, and /proc is walked
 * again until a walk finds no task that was not already held, so a fork that
 * races the walk is caught (its child is traced already, and shows up in the
 * next walk or as a stop). An exec caught on the way is masked first with the
 * helper's keep words (and killed if that fails: it never runs unmasked).
 * Signals that arrive meanwhile are held back and delivered when the task is
 * let go. A task caught at a fork, vfork or clone event is inside that system
 * call, whose return value would overwrite an injected call's number: it is
 * stepped to the call's exit first, and a vfork parent only once its child has
 * exec'd (masked, and held) or exited, since until then it cannot leave
 * vfork. Every held task so ends in a stop where an injected call is safe.
 * Each injected call runs through exec/remote_syscall.c.
 */
#ifndef HWCAP_LAUNCHER_HOLD_H
#define HWCAP_LAUNCHER_HOLD_H

#include <stdint.h>
#include <sys/types.h>

#include "../error.h"
#include "../exec/tracee.h"
#include "../exec/tree.h"

struct held_task {
  pid_t tid;
  pid_t tgid;
  int stopped;
  int gone;
  int event; /* PTRACE_EVENT_FORK/VFORK/CLONE: stopped inside that system call, until settled */
  struct pending pend;
};

struct held {
  int n;
  /*
   * Set by the caller before hold_all: the tree is CPUID-masked (cpuid/trace.h). Then a trapped
   * CPUID caught by the hold is answered there, as the follow loop would: held back and sent again
   * after the let-go, its SIGSEGV would kill the thread. An exec caught is armed too, and seccomp
   * stops are tracked.
   */
  int cpuid;
  int processes; /* distinct tgids among the live tasks */
  pid_t stuck;   /* after ETIMEDOUT: a task that never stopped */
  struct held_task t[TREE_MAX];
};

/* Stops every task traced by this process. STAGE_SEIZE errors (ETIMEDOUT: a task never stopped). */
struct step_error hold_all(struct held *h, const uint64_t keep[4]);

/* Runs nr(args) in a held task; *ret is the kernel's answer (-errno on failure). */
struct step_error hold_call(struct held_task *t, long nr, const uint64_t args[5], long *ret);

/* The kernel's struct sigaction for rt_sigaction (x86-64 and arm64: include/linux/signal_types.h, uapi asm/signal.h). */
struct hold_kernel_sigaction {
  uint64_t handler, flags, restorer, mask;
};
#define HOLD_SCRATCH_IN ((uint64_t)-4096 + 1)  /* an argument: the address of the bytes written in */
#define HOLD_SCRATCH_OUT ((uint64_t)-4096 + 2) /* an argument: the address of the bytes read back */

/* rt_sigaction(sig, act, old) run in a held task: act (or NULL) set, the action before read into old (or NULL). */
struct step_error hold_sigaction(struct held_task *t, int sig, const struct hold_kernel_sigaction *act,
                                 struct hold_kernel_sigaction *old);

/*
 * Lets every live task go: PTRACE_CONT (detach 0) or PTRACE_DETACH (detach 1), with its
 * held-back signals. With stop, SIGSTOP is queued for every process after those signals (a held
 * SIGCONT sent after it would cancel it) and before any task is let go.
 */
void hold_release_all(struct held *h, int detach, int stop);

#endif
