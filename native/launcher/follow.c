/* The helper's follow loop; see follow.h. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "follow.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cpuid/mask.h"
#include "cpuid/trace.h"
#include "exec/mask_exec.h"
#include "exec/seccomp_filter.h"
#include "faults.h"
#include "handover/release.h"
#include "nest/nest.h"
#include "report.h"

#define COMPAT_IMAGE_REASON \
  " (a 32-bit program: the helper masks 64-bit programs only; it cannot mask a 32-bit image's auxv or answer its CPUID)"

struct follow_state {
  const struct follow_config *c;
  int first; /* the program's first image is still to come */
  unsigned long execs;
};

static void resume(pid_t pid, int sig) { ptrace(PTRACE_CONT, pid, 0, (void *)(long)sig); }

static void silence_stderr(void) {
  int devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
  if (devnull >= 0) {
    dup2(devnull, 2);
    close(devnull);
  }
}

/* The first image is masked (or killed): the status fd has said all it will. */
static void first_done(struct follow_state *s) {
  report_close();
  s->first = 0;
}

/* --no-follow under a CPUID mask: a later image stays traced (the filter needs it) but is not masked. */
static void on_unmasked_exec(pid_t pid) {
  struct pending pend = {{0}, 0};
  if (tracee_resume_until(pid, PTRACE_SYSCALL, SIGTRAP | 0x80, &pend) != 0) return;
  struct step_error e = cpuid_trace_exec(pid, 0); /* not armed: a state it cannot read only costs fidelity later */
  if (e.err)
    report_message("pid %d: %s: %s: %s; its signal state is not tracked", (int)pid, stage_name(e.stage), e.syscall,
                   errno_code(e.err));
  tracee_deliver_pending(pid, &pend, 0);
}

/* A line on a nested requester's status fd (the helper's copy of it), then that copy closed. */
static void nest_report(int fd, struct step_error e, pid_t pid) {
  if (fd < 0) return;
  int old = report_fd();
  report_set_fd(fd);
  if (e.err)
    report_failure(e.stage, e.syscall, e.err, "pid %d: %s: %s: %s; killed it", (int)pid, stage_name(e.stage), e.syscall,
                   errno_code(e.err));
  else report_line("{\"stage\":\"%s\",\"pid\":%d}", stage_name(STAGE_MASKED), (int)pid);
  report_set_fd(old);
  close(fd);
}

static void on_exec(struct follow_state *s, pid_t pid) {
  s->execs++;
  unsigned long former = 0;
  if (nest_active() && ptrace(PTRACE_GETEVENTMSG, pid, 0, &former) == 0) nest_exec_begin(pid, (pid_t)former);
  uint64_t keep[4];
  int nested = nest_keep_of(pid, s->c->keep, keep); /* a narrowed subtree's mask, else the tree's */
  int nest_fd = nested ? nest_take_status_fd(pid) : -1;
  if (s->c->cpuid && !s->first && !s->c->follow && !nested) {
    on_unmasked_exec(pid);
    return;
  }
  if (s->first) report_mark(MARK_EXEC_STOP);
  if (s->first) FAULT_POINT("helper-at-exec-stop");
  /* Test build: the program waits at its first exec stop, so a test can kill it there. */
  if (s->first && FAULT_IS("pause-at-exec-stop")) usleep(500 * 1000);
  struct pending pend = {{0}, 0};
  struct step_error e = mask_exec(pid, keep, s->first, &pend);
  if (!e.err && s->c->cpuid) e = cpuid_trace_exec(pid, 1);
  if (e.err) {
    report_stderr_of(pid); /* the message goes where this tracee's stderr goes, while it still has one */
    /* Fail closed: the image never runs unmasked. */
    kill(pid, SIGKILL);
    ptrace(PTRACE_CONT, pid, 0, (void *)(long)SIGKILL);
    const char *st = stage_name(e.stage);
    /* A 32-bit (i386) image: its register set is the compat one, smaller than the helper's (exec/tracee.c). */
    const char *why = e.stage == STAGE_EXEC_STOP && e.err == ENOEXEC ? COMPAT_IMAGE_REASON : "";
    if (s->first) {
      report_failure(e.stage, e.syscall, e.err, "pid %d: %s: %s: %s%s; killed it", (int)pid, st, e.syscall, errno_code(e.err),
                     why);
      first_done(s);
    } else if (nest_fd >= 0) {
      nest_report(nest_fd, e, pid); /* the inner caller's setup error, as its own helper would give it */
    } else {
      report_message("pid %d: %s: %s: %s%s; killed it", (int)pid, st, e.syscall, errno_code(e.err), why);
    }
    report_stderr_of(0);
    return;
  }
  nest_exec_done(pid);
  nest_report(nest_fd, e, pid);
  if (s->first) {
    if (s->c->cpuid) {
      char rules[600];
      cpuid_mask_describe(rules, sizeof rules);
      report_line("{\"stage\":\"%s\",\"pid\":%d,\"cpuid\":\"%s\"}", stage_name(STAGE_MASKED), (int)pid, rules);
    } else {
      report_line("{\"stage\":\"%s\",\"pid\":%d}", stage_name(STAGE_MASKED), (int)pid);
    }
    report_mark(MARK_MASKED);
    first_done(s);
    if (!s->c->follow) silence_stderr();
  }
  tracee_deliver_pending(pid, &pend, !s->c->follow && !s->c->cpuid);
}

/* A signal-delivery stop under a CPUID mask: a trapped CPUID is answered and suppressed; any other signal goes on. */
static void on_signal_cpuid(pid_t pid, int sig) {
  cpuid_trace_failed_step = NULL;
  int r = cpuid_trace_signal(pid, sig, nest_cpuid_narrow);
  if (r == 1) {
    resume(pid, 0);
  } else if (r == -ESRCH) {
    /*
     * The thread is gone: killed by another thread's exec (de_thread) or exit while it waited
     * here. Nothing of it runs again, so its trap is dropped; killing "it" would kill the
     * process, whose new image may have its pid by now.
     */
  } else if (r < 0) {
    /* Fail closed, where the killed process's own error would go: never resume a trap unanswered. */
    report_stderr_of(pid);
    report_message("pid %d: answering CPUID: %s%s%s; killed it", (int)pid, cpuid_trace_failed_step ? cpuid_trace_failed_step : "",
                   cpuid_trace_failed_step ? ": " : "", errno_code(-r));
    report_stderr_of(0);
    kill(pid, SIGKILL);
    resume(pid, SIGKILL);
  } else {
    ptrace(cpuid_trace_deliver_request(pid, sig), pid, 0, (void *)(long)sig);
  }
}

static void write_stats(const struct follow_state *s) {
  if (s->c->stats_fd < 0) return;
  char stats[300], marks[200], line[600];
  cpuid_trace_stats_json(stats, sizeof stats);
  report_marks_json(marks, sizeof marks);
  int n = snprintf(line, sizeof line, "{\"stage\":\"%s\",\"execs\":%lu,\"cpuid\":%s,\"first\":%s}\n", stage_name(STAGE_STATS),
                   s->execs, stats, marks);
  if (n > 0) write_all(s->c->stats_fd, line, (size_t)n);
}

/* One status that waitpid gave: a stop to handle, or a task that ended. */
static void on_status(struct follow_state *s, pid_t pid, int st) {
  if (!WIFSTOPPED(st)) { /* exited or killed: already reaped for the real parent */
    if (s->c->cpuid) cpuid_trace_exited(pid);
    nest_exited(pid);
    return;
  }
  int sig = WSTOPSIG(st), event = (unsigned)st >> 16;
  /*
   * Test build: the helper is slow between taking a stop and handling it, so that another thread's
   * exec lands there (test/launcher/follow.test.ts). A stop of a leader that such an exec killed is
   * harmless: its pid now names the exec'ing thread at its exec stop, which the kernel keeps from
   * every ptrace request until that stop is waited for (kernel/ptrace.c, looks_like_a_spurious_pid:
   * ESRCH), so nothing resumes the new image before its exec stop is handled.
   */
  if (event != PTRACE_EVENT_EXEC && FAULT_IS("slow-stop")) usleep(30 * 1000);
  if (FAULT_IS("slow-stop-short"))
    usleep(1000); /* every stop 1 ms: any thread trapping in a loop stops again before the next wait */
  if (s->c->cpuid && cpuid_trace_hold(pid, st)) return;                     /* a new task, before its creator's event */
  if (s->c->cpuid && event != PTRACE_EVENT_EXEC) cpuid_trace_stop(pid, st); /* learns a new task */
  if (nest_hold(pid, st)) return; /* a new task of a narrowed tree, before its creator's event */
  switch (event) {
    case PTRACE_EVENT_EXEC:
      on_exec(s, pid);
      break;
    case PTRACE_EVENT_STOP:
      /* Group-stop of a seized tracee: stay stopped until SIGCONT without holding it. */
      if (is_stop_signal(sig)) ptrace(PTRACE_LISTEN, pid, 0, 0);
      else resume(pid, 0);
      break;
    case PTRACE_EVENT_FORK:
    case PTRACE_EVENT_VFORK:
    case PTRACE_EVENT_CLONE: {
      unsigned long child = 0;
      int held;
      if (ptrace(PTRACE_GETEVENTMSG, pid, 0, &child) == 0) {
        /*
         * Test build: the order that a race gives now and then, made every time. The new task's
         * first stop is taken before its creator's event, so it is held, and the held tasks are
         * swept as at an exit, while its creator is in fork (test/launcher/cpuid-audit.test.ts).
         */
        int cst;
        if (s->c->cpuid && FAULT_IS("fork-event-after-child")) {
          if (!cpuid_trace_is_held((pid_t)child) && waitpid((pid_t)child, &cst, __WALL) == (pid_t)child && WIFSTOPPED(cst) &&
              !cpuid_trace_hold((pid_t)child, cst))
            resume((pid_t)child, 0); /* not a first stop: let it go, as the loop would have */
          cpuid_trace_sweep_held();
        }
        nest_forked(pid, (pid_t)child); /* inherits the mask */
        /* Armed as its creator: a held child goes on from its first stop, a group stop's or not. */
        if (s->c->cpuid && cpuid_trace_forked(pid, (pid_t)child, &held)) {
          if (is_stop_signal(WSTOPSIG(held))) ptrace(PTRACE_LISTEN, (pid_t)child, 0, 0);
          else resume((pid_t)child, 0);
        }
      }
      resume(pid, 0);
      break;
    }
    case PTRACE_EVENT_SECCOMP: {
      /* The follow loop injects nothing: an ARCH_SET_CPUID stop here is the tree's own, refused (EPERM). */
      int refused = tracee_cpuid_set_stop(pid);
      if (refused) {
        if (refused > 0) resume(pid, 0);
        else if (refused != -ESRCH) report_message("pid %d: seccomp stop: %s; killed it", (int)pid, errno_code(-refused));
        break;
      }
      unsigned long tag = 0;
      if (ptrace(PTRACE_GETEVENTMSG, pid, 0, &tag) == 0 && tag == SECCOMP_TAG_NEST) {
        nest_seccomp(pid, s->c->keep, s->c->cpuid); /* a masked spawn in the tree narrows its own subtree (nest/nest.h) */
        resume(pid, 0);
        break;
      }
      int r = s->c->cpuid ? cpuid_trace_seccomp(pid) : 0;
      if (r < 0 && r != -ESRCH) report_message("pid %d: seccomp stop: %s", (int)pid, errno_code(-r));
      resume(pid, 0);
      break;
    }
    case 0:
      /* Signal-delivery stop: pass the signal on unchanged. A stray syscall stop: resume. */
      if (s->c->cpuid && sig != (SIGTRAP | 0x80)) on_signal_cpuid(pid, sig);
      else resume(pid, sig == (SIGTRAP | 0x80) ? 0 : sig);
      break;
    default:
      resume(pid, 0);
  }
}

/*
 * The stops that are ready, taken together and then handled in one pass, so that every stopped
 * task is served before any is served twice. waitpid(-1) alone reports the tracees in the order the
 * kernel links them, newest first: threads that trap CPUID in a loop are answered again and again
 * while an older thread's clone or exec event waits, for seconds on a busy machine.
 */
#define BATCH_MAX 64
struct waited {
  pid_t pid;
  int st;
};

/* A new task's first stop: handled before the rest of its batch, so it is held when its creator's event comes. */
static int first_stop(int st) { return WIFSTOPPED(st) && ((unsigned)st >> 16) == PTRACE_EVENT_STOP; }

void follow_run(const struct follow_config *c) {
  struct follow_state s = {c, 1, 0};
  for (;;) {
    release_poll(c); /* a release request: the helper lets go of the tree and exits (handover/release.c) */
    struct waited b[BATCH_MAX];
    int st, n = 0;
    pid_t pid = waitpid(-1, &st, __WALL);
    if (pid < 0) {
      if (errno == EINTR) continue;
      break; /* ECHILD: the tree is empty */
    }
    b[n++] = (struct waited){pid, st};
    while (n < BATCH_MAX && (pid = waitpid(-1, &st, __WALL | WNOHANG)) > 0) b[n++] = (struct waited){pid, st};
    for (int i = 0; i < n; i++)
      if (first_stop(b[i].st)) on_status(&s, b[i].pid, b[i].st);
    for (int i = 0; i < n; i++)
      if (!first_stop(b[i].st)) on_status(&s, b[i].pid, b[i].st);
  }
  write_stats(&s);
  _exit(0);
}
