/*
 * New tasks held until their creator's event (see cpuid/trace.h, cpuid_trace_hold): a new task's
 * first stop can come before its creator's fork or clone event, and whether it is armed is its
 * creator's to say. Held tasks none of whose possible creators lives are killed (fail closed).
 */
#include "trace.h"

#include <signal.h>
#include <sys/ptrace.h>
#include <sys/types.h>

#include "../report.h"
#include "tasks.h"

#if defined(__x86_64__)

/* New tasks whose first stop came before their creator's event (cpuid_trace_hold). */
#define HOLD_MAX 256
static struct {
  pid_t pid;
  int status;
} held[HOLD_MAX];
static int nheld;

int cpuid_trace_hold(pid_t pid, int status) {
  /* Before the helper knows any task, a stop is the first program's (exec), not a new task's. */
  if (((unsigned)status >> 16) != PTRACE_EVENT_STOP || find_task(pid) || !known_tasks()) return 0;
  if (nheld == HOLD_MAX) { /* cannot wait for its creator: whether it is armed would be a guess */
    report_message("pid %d: more than %d new tasks wait for their creator's event; killed it", (int)pid, HOLD_MAX);
    kill(pid, SIGKILL);
    ptrace(PTRACE_CONT, pid, 0, (void *)(long)SIGKILL);
    return 1;
  }
  held[nheld].pid = pid;
  held[nheld++].status = status;
  return 1;
}

int cpuid_trace_is_held(pid_t pid) {
  for (int i = 0; i < nheld; i++)
    if (held[i].pid == pid) return 1;
  return 0;
}

int cpuid_trace_forked(pid_t creator, pid_t child, int *status) {
  if (child <= 0) return 0;
  if (find_task(child)) drop_task(child); /* found at a stop before this event, from its PPid: learned again */
  learn_from(child, creator);
  for (int i = 0; i < nheld; i++)
    if (held[i].pid == child) {
      *status = held[i].status;
      held[i] = held[--nheld];
      return 1;
    }
  return 0;
}

void cpuid_trace_exited(pid_t pid) {
  drop_task(pid);
  for (int i = 0; i < nheld; i++)
    if (held[i].pid == pid) held[i--] = held[--nheld];
  cpuid_trace_sweep_held();
}

void cpuid_trace_sweep_held(void) {
  /*
   * A held task none of whose possible creators lives (a thread of its process; its parent; by
   * CLONE_PARENT, a child of its parent): its creator was killed in fork, without its event, so
   * whether it is armed is never known. Fail closed.
   */
  for (int i = 0; i < nheld; i++) {
    struct status s;
    pid_t h = held[i].pid;
    if (read_status(h, &s) == 0 && (s.tgid != h ? find_proc(s.tgid) != NULL : find_proc(s.ppid) || any_child_of(s.ppid)))
      continue;
    report_message("pid %d: its creator ended before its fork event; killed it", (int)h);
    kill(h, SIGKILL);
    ptrace(PTRACE_CONT, h, 0, (void *)(long)SIGKILL);
    held[i--] = held[--nheld];
  }
}

#else /* !__x86_64__: nothing traps */

void cpuid_trace_exited(pid_t pid) { (void)pid; }
int cpuid_trace_is_held(pid_t pid) {
  (void)pid;
  return 0;
}
void cpuid_trace_sweep_held(void) {}
int cpuid_trace_forked(pid_t creator, pid_t child, int *status) {
  (void)creator;
  (void)child;
  (void)status;
  return 0;
}
int cpuid_trace_hold(pid_t pid, int status) {
  (void)pid;
  (void)status;
  return 0;
}

#endif
