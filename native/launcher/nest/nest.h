/*
 * Nesting: a masked spawn inside a followed masked tree (docs/launcher-protocol.md, "Nesting").
 *
 * The inner launcher is already traced by the tree's helper, so it cannot have a helper of its
 * own. It asks that helper instead, with a call only a tracee can have answered:
 * prctl(NEST_PRCTL_OPTION, NEST_MAGIC, &request, sizeof request), an option the kernel does not
 * know (EINVAL). The tree's seccomp filter (exec/seccomp_filter.c) turns exactly that call into
 * SECCOMP_RET_TRACE, so the helper sees it as a PTRACE_EVENT_SECCOMP stop of the requesting pid
 * (the kernel names the pid; nothing outside the tree can produce that stop). The helper ANDs
 * the request's words into the mask it keeps for that pid, writes the result back into the
 * request, and skips the call with return value 0. CPUID rules in the request AND into a per-pid
 * list that the helper applies to that subtree's trapped CPUIDs, after the tree's own table; a
 * helper that answers no CPUID (the outer mask was auxv only) refuses them (EOPNOTSUPP). Without a hwcap helper the call fails
 * (EINVAL with no filter or a tracer that passes it on; ENOSYS with the filter but a tracer
 * without PTRACE_O_TRACESECCOMP), and the launcher fails closed as before.
 *
 * The helper's side keeps a table of narrowed pids. A new task inherits its creator's entry at
 * the creator's FORK/VFORK/CLONE event; while any entry exists, a new task whose first stop
 * comes before its creator's event is held stopped until that event (or killed, if its creator
 * died without one and was narrowed), so that it never runs, and so never execs, under a wider
 * mask than its creator's.
 */
#ifndef HWCAP_LAUNCHER_NEST_H
#define HWCAP_LAUNCHER_NEST_H

#include <stdint.h>
#include <sys/types.h>

#include "../cpuid/mask.h"
#include "../exec/seccomp_filter.h" /* NEST_PRCTL_OPTION, NEST_MAGIC */

#define NEST_ANSWERED 0x6f6b6179u /* written by the helper into the request */
#define NEST_NO_FOLLOW 1u         /* the narrowed mask is for the next image only */
#define NEST_CPUID_RULES 130      /* the rules one request carries: --cpuid's 128 and the leaf 1 EDX agreement */

struct nest_request {
  uint32_t magic;    /* NEST_MAGIC */
  uint32_t size;     /* sizeof (struct nest_request) */
  uint32_t flags;    /* NEST_NO_FOLLOW */
  int32_t status_fd; /* the inner launcher's status fd: the helper takes a copy, writes `masked` on it; -1: none */
  uint64_t keep[4];
  uint32_t answer; /* NEST_ANSWERED once the helper has narrowed the mask */
  uint32_t pad;
  uint64_t result[4]; /* the mask the requester's next image (and, following, its subtree) gets */
  uint32_t ncpuid;    /* CPUID rules to AND in (x86-64; the tree's helper must answer CPUID already) */
  uint32_t pad2;
  struct cpuid_keep_rule cpuid[NEST_CPUID_RULES];
};

/*
 * The inner launcher: asks the tracer. 0 answered (result filled); else the errno the call gave
 * (EINVAL, ENOSYS: no hwcap helper answered; EPROTO: an answer that is not the helper's; others:
 * the helper refused).
 */
int nest_request(const uint64_t keep[4], const struct cpuid_keep_rule *cpuid, int ncpuid, int no_follow, int status_fd,
                 uint64_t result[4]);

/* ---- the helper's side (follow.c) ---- */

/* Any narrowed pid in the tree: only then is anything below more than a no-op. */
int nest_active(void);

/* The mask for an exec of pid: its entry's, else the tree's. Whether it has an entry. */
int nest_keep_of(pid_t pid, const uint64_t tree_keep[4], uint64_t out[4]);

/* The exec stop of pid (former: the tid that exec'd, from PTRACE_GETEVENTMSG): moves a thread's entry to the pid. */
void nest_exec_begin(pid_t pid, pid_t former);

/* The requester's status fd (the helper's copy) for this exec of pid, now the caller's to write `masked` or the
 * failure on and close; -1: none. */
int nest_take_status_fd(pid_t pid);

/* After the exec of pid was masked: a --no-follow entry goes back to the mask it had before the request. */
void nest_exec_done(pid_t pid);

/* A PTRACE_EVENT_SECCOMP stop with the nesting tag: answers it. The tracee is left to be resumed with PTRACE_CONT. */
void nest_seccomp(pid_t pid, const uint64_t tree_keep[4], int cpuid_mode);

/* A trapped CPUID of tid, answered from the tree's table into out: ANDs in its narrowed CPUID rules, if any. */
void nest_cpuid_narrow(pid_t tid, uint32_t leaf, uint32_t subleaf, uint32_t out[4]);

/* The creator's FORK/VFORK/CLONE event for child: the child inherits, and is let go if it was held. */
void nest_forked(pid_t parent, pid_t child);

/* Any stop: 1 when it is a new task's first stop before its creator's event, held (do not resume it). */
int nest_hold(pid_t pid, int status);

/* pid exited or was killed. */
void nest_exited(pid_t pid);

#endif
