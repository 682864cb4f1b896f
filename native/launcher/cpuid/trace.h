/*
 * cpuid_trace: the helper's side of CPUID masking (x86-64, ptrace mode).
 *
 * At every exec stop the helper arms CPUID faulting in the new image
 * (an injected arch_prctl(ARCH_SET_CPUID, 0)); a trapped CPUID then stops the
 * tracee with a forced SIGSEGV, which the helper answers from the table
 * (cpuid/mask.h) and suppresses.
 *
 * Signal state. A forced SIGSEGV that finds SIGSEGV blocked in the thread or
 * ignored in the process unblocks it and resets the disposition to SIG_DFL
 * (kernel/signal.c force_sig_info_to_task). The stop shows only the state
 * after that, so the helper keeps the state before: per thread, whether
 * SIGSEGV is blocked; per process, SIGSEGV's disposition. It learns them at
 * exec stops and first sight (/proc/<tid>/status, PTRACE_GETSIGMASK), through
 * the seccomp filter's traced calls (rt_sigaction of every signal: SIGSEGV's
 * disposition and each handler's sa_mask; rt_sigprocmask; rt_sigreturn) and at
 * each delivery to a handler (the mask it runs with). After a trap it puts back what the kernel changed: the mask with
 * PTRACE_SETSIGMASK, the disposition with an injected rt_sigaction.
 */
#ifndef HWCAP_CPUID_TRACE_H
#define HWCAP_CPUID_TRACE_H

#include <stdint.h>
#include <sys/types.h>

#include "../error.h"

struct cpuid_trace_stats {
  unsigned long traps, real_cpuids, seccomp_stops, restores, arms, handler_entries;
  unsigned long per_cpu_alike; /* per-CPU leaves answered without reading the CPU: every CPU answers alike */
};
extern struct cpuid_trace_stats cpuid_trace_stats;

/*
 * Test builds (HWCAP_EXEC_FAULT=cpuid-simulate): treat `rdmsr` (0f 32, a forced
 * SIGSEGV at CPL 3, with the same side effects) as a trapped CPUID and skip arming.
 */
extern int cpuid_trace_simulate;

/* The helper's start: the answer table (and the test build's switch). */
void cpuid_trace_init(void);

/*
 * An exec stop, the tracee in its syscall-exit stop with execve's registers:
 * learn the signal state (stage signal-state) and, when `arm`, arm CPUID
 * faulting (stage cpuid-arm). The caller kills the image on an error.
 */
struct step_error cpuid_trace_exec(pid_t pid, int arm);

/* Any other stop of `pid` (before it is handled): learns a new task. Returns 0 (nothing to swallow). */
int cpuid_trace_stop(pid_t pid, int status);

/*
 * Narrows the answer of a trapped CPUID of tid further (ANDs rules into out): the caller's, so that
 * this room needs no room above it (the follow loop and the hold pass nest_cpuid_narrow, nest/nest.h).
 */
typedef void (*cpuid_narrow_fn)(pid_t tid, uint32_t leaf, uint32_t subleaf, uint32_t out[4]);

/*
 * A SIGSEGV signal-delivery stop: 1 it was a trapped CPUID, answered (resume with no signal); 0 not one; <0 -errno,
 * and then cpuid_trace_failed_step may say what failed (else NULL): the caller kills the process. The
 * answer is the tree's table, narrowed by `narrow` (NULL: not narrowed).
 */
int cpuid_trace_signal(pid_t pid, int sig, cpuid_narrow_fn narrow);
extern const char *cpuid_trace_failed_step;

/* `sig` is about to be delivered: notes the mask its handler runs with. The ptrace request to resume with (PTRACE_CONT). */
int cpuid_trace_deliver_request(pid_t pid, int sig);

/* A PTRACE_EVENT_SECCOMP stop: tracks the call. Leaves the tracee to be resumed with PTRACE_CONT. 0 or -errno. */
int cpuid_trace_seccomp(pid_t pid);

/*
 * The hand-over (handover/release.c, handover/adopt.c): the helper armed (1) or disarmed (0) faulting in `tid`, a
 * stopped tracee, by an injected arch_prctl (under cpuid-simulate, ARCH_GET_CPUID: nothing arms). Learns the
 * task first. 0, or -ESRCH when its /proc entry is gone.
 */
int cpuid_trace_set_armed(pid_t tid, int armed);

/*
 * adopt: proves that a CPUID traps in `pid`, a held thread in which faulting was just armed, by
 * running one (the registers and code put back; the forced SIGSEGV discarded, its effect on a
 * blocked or ignored SIGSEGV left to the caller). Signals sent meanwhile are held in *h. STEP_OK,
 * or STAGE_CPUID_ARM ("cpuid", ENOTSUP: it ran untrapped, nothing is armed).
 */
struct pending;
struct step_error cpuid_trace_prove_armed(pid_t pid, struct pending *h);

/* Whether the helper armed faulting in `tid` (0 for a task it does not know). */
int cpuid_trace_armed(pid_t tid);

/*
 * A fork, vfork or clone event of `creator` (stopped at it) that made `child`: the child is a
 * thread of the creator's process or a new process with a copy of its record, armed as the
 * creator thread is (the kernel copies faulting from it), whatever /proc says its parent is (a
 * daemon's grandchild has PPid 1 by then; CLONE_PARENT gives the creator's parent). Returns 1
 * when the child was held (cpuid_trace_hold): the caller resumes it as its first stop (*status)
 * asks; else 0.
 */
int cpuid_trace_forked(pid_t creator, pid_t child, int *status);

/*
 * The follow loop, before anything else of a stop: a new task's first stop (PTRACE_EVENT_STOP)
 * that came before its creator's event is held (1) until that event; then nothing knows
 * whether it is armed. 0: go on with the stop.
 */
int cpuid_trace_hold(pid_t pid, int status);

/* A tracee exited or was killed. A held task whose creator ended without its event is killed. */
void cpuid_trace_exited(pid_t pid);

/*
 * Kills each held new task none of whose possible creators lives (a thread of its process; its
 * parent; by CLONE_PARENT, a child of its parent): its event will never come. Run at every exit.
 */
void cpuid_trace_sweep_held(void);

/* 1 when `pid` is a new task held until its creator's event (cpuid_trace_hold). */
int cpuid_trace_is_held(pid_t pid);

/* The stats as one JSON object, for the status line at the helper's end. */
void cpuid_trace_stats_json(char *buf, unsigned long len);

#endif
