/* The helper's follow loop; see follow.h. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "follow.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

#include "faults.h"
#include "mask_exec.h"
#include "release.h"
#include "report.h"

struct follow_state {
  const struct follow_config *c;
  int first; /* the program's first image is still to come */
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

static void on_exec(struct follow_state *s, pid_t pid) {
  if (s->first) FAULT_POINT("helper-at-exec-stop");
  struct pending pend = {{0}, 0};
  struct step_error e = mask_exec(pid, s->c->keep, s->first, &pend);
  if (e.err) {
    report_stderr_of(pid); /* the message goes where this tracee's stderr goes, while it still has one */
    /* Fail closed: the image never runs unmasked. */
    kill(pid, SIGKILL);
    ptrace(PTRACE_CONT, pid, 0, (void *)(long)SIGKILL);
    const char *st = stage_name(e.stage);
    if (s->first) {
      report_failure(e.stage, e.syscall, e.err, "pid %d: %s: %s: %s; killed it", (int)pid, st, e.syscall, errno_code(e.err));
      first_done(s);
    } else {
      report_message("pid %d: %s: %s: %s; killed it", (int)pid, st, e.syscall, errno_code(e.err));
    }
    report_stderr_of(0);
    return;
  }
  if (s->first) {
    report_line("{\"stage\":\"%s\",\"pid\":%d}", stage_name(STAGE_MASKED), (int)pid);
    first_done(s);
    if (!s->c->follow) silence_stderr();
  }
  tracee_deliver_pending(pid, &pend, !s->c->follow);
}

void follow_run(const struct follow_config *c) {
  struct follow_state s = {c, 1};
  for (;;) {
    release_poll(c); /* a release request: the helper lets go of the tree and exits (release.c) */
    int st;
    pid_t pid = waitpid(-1, &st, __WALL);
    if (pid < 0) {
      if (errno == EINTR) continue;
      break; /* ECHILD: the tree is empty */
    }
    if (!WIFSTOPPED(st)) continue; /* exited or killed: already reaped for the real parent */
    int sig = WSTOPSIG(st), event = (unsigned)st >> 16;
    switch (event) {
      case PTRACE_EVENT_EXEC:
        on_exec(&s, pid);
        break;
      case PTRACE_EVENT_STOP:
        /* Group-stop of a seized tracee: stay stopped until SIGCONT without holding it. */
        if (is_stop_signal(sig)) ptrace(PTRACE_LISTEN, pid, 0, 0);
        else resume(pid, 0);
        break;
      case PTRACE_EVENT_FORK:
      case PTRACE_EVENT_VFORK:
      case PTRACE_EVENT_CLONE:
        resume(pid, 0);
        break;
      case 0:
        /* Signal-delivery stop: pass the signal on unchanged. A stray syscall stop: resume. */
        resume(pid, sig == (SIGTRAP | 0x80) ? 0 : sig);
        break;
      default:
        resume(pid, 0);
    }
  }
  _exit(0);
}
