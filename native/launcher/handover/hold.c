/* Holding a whole tree stopped; see handover/hold.h. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "hold.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../../common/auxv_words.h"
#include "../../common/procfs.h"
#include "../cpuid/trace.h"
#include "../exec/mask_exec.h"
#include "../exec/remote_syscall.h"
#include "../exec/seccomp_filter.h"
#include "../nest/nest.h"

#define HOLD_TIMEOUT_MS 10000
#define HOLD_ROUNDS 1000

static struct held_task *find(struct held *h, pid_t tid) {
  for (int i = 0; i < h->n; i++)
    if (h->t[i].tid == tid) return &h->t[i];
  return NULL;
}

static struct held_task *add(struct held *h, pid_t tid) {
  if (h->n == TREE_MAX) return NULL;
  struct held_task *t = &h->t[h->n++];
  memset(t, 0, sizeof *t);
  t->tid = tid;
  int g = tree_tgid(tid);
  t->tgid = g > 0 ? g : tid;
  return t;
}

static long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* One reported stop (or end) of a traced task. */
static void on_report(struct held *h, pid_t pid, int st, const uint64_t keep[4]) {
  struct held_task *t = find(h, pid);
  if (!t) {
    if (!WIFSTOPPED(st)) return; /* one of this process's own children (the control thread's wake-up) */
    t = add(h, pid);             /* a new child of the tree, in its first stop */
    if (!t) return;
  }
  if (!WIFSTOPPED(st)) {
    t->gone = 1;
    if (h->cpuid) cpuid_trace_exited(pid);
    return;
  }
  int sig = WSTOPSIG(st), event = (unsigned)st >> 16;
  if (h->cpuid && event != PTRACE_EVENT_EXEC) cpuid_trace_stop(pid, st); /* learns a new task */
  if (event == PTRACE_EVENT_EXEC) {
    /* A new image: masked (and, under a CPUID mask, armed) before it can run, as the follow loop would. */
    struct step_error e = mask_exec(pid, keep, 0, &t->pend);
    if (!e.err && h->cpuid) e = cpuid_trace_exec(pid, 1);
    if (e.err) {
      kill(pid, SIGKILL);
      ptrace(PTRACE_CONT, pid, 0, (void *)(long)SIGKILL);
      t->gone = 1;
      return;
    }
  } else if (event == PTRACE_EVENT_FORK || event == PTRACE_EVENT_VFORK || event == PTRACE_EVENT_CLONE) {
    t->event = event;
    unsigned long child = 0;
    int ignored;
    /* Armed as its creator (cpuid/trace.h); nothing is held while the tree is. */
    if (h->cpuid && ptrace(PTRACE_GETEVENTMSG, pid, 0, &child) == 0) cpuid_trace_forked(pid, (pid_t)child, &ignored);
  } else if (event == PTRACE_EVENT_SECCOMP) {
    /*
     * A traced call of the CPUID room's filter, stopped before it runs: tracked as the follow loop
     * does, then (settle) stepped to its exit, so that an injected call does not take its place.
     * rt_sigreturn's tracking (SECCOMP_TAG_MASK_AT_EXIT) leaves it at its exit already.
     */
    unsigned long tag = 0;
    ptrace(PTRACE_GETEVENTMSG, pid, 0, &tag);
    /* The tree's own arch_prctl(ARCH_SET_CPUID, 1): skipped with EPERM before settle runs it to its exit. */
    if (tracee_cpuid_set_stop(pid) < 0) {
      t->gone = 1;
      return;
    }
    if (h->cpuid && cpuid_trace_seccomp(pid) == -ESRCH) {
      t->gone = 1;
      return;
    }
    if (!h->cpuid || tag != SECCOMP_TAG_MASK_AT_EXIT) t->event = event;
  } else if (event == 0 && sig == SIGSEGV && h->cpuid) {
    /* A CPUID trap (SIGSEGV, SI_KERNEL, 0f a2 at the pc) is answered here, its signal dropped; any other SIGSEGV is held. */
    int r = cpuid_trace_signal(pid, sig, nest_cpuid_narrow);
    if (r < 0) {
      if (r != -ESRCH) kill(pid, SIGKILL); /* ESRCH: gone (another thread's exec or exit); its pid may be the new image's */
      ptrace(PTRACE_CONT, pid, 0, (void *)(long)SIGKILL);
      t->gone = 1;
      return;
    }
    if (r == 0) tracee_hold_signal(pid, &t->pend, sig);
  } else if (event == 0 && sig != (SIGTRAP | 0x80)) {
    tracee_hold_signal(pid, &t->pend, sig); /* a signal-delivery stop: the signal is held back */
  }
  t->stopped = 1;
}

static struct step_error run_vfork_child(struct held *h, pid_t child, const uint64_t keep[4]);

/*
 * A task that waits in vfork for a child this helper holds never stops: the
 * held child of another process that shares its mm (kcmp KCMP_VM) is that
 * child; it is let run to its exec or exit. 1 when one was run.
 */
static int free_vfork_waiter(struct held *h, struct held_task *w, const uint64_t keep[4], struct step_error *e) {
  for (int i = 0; i < h->n; i++) {
    struct held_task *c = &h->t[i];
    if (c->gone || !c->stopped || c->tgid == w->tgid) continue;
    if (syscall(SYS_kcmp, w->tgid, c->tid, 0 /* KCMP_VM */, 0, 0) != 0) continue;
    *e = run_vfork_child(h, c->tid, keep);
    return 1;
  }
  return 0;
}

/* Waits until every held task has stopped or gone. */
static struct step_error wait_stopped(struct held *h, const uint64_t keep[4]) {
  long deadline = now_ms() + HOLD_TIMEOUT_MS;
  for (;;) {
    int waiting = 0;
    for (int i = 0; i < h->n; i++) {
      struct held_task *t = &h->t[i];
      if (t->stopped || t->gone) continue;
      int s = tree_state(t->tid);
      if (s < 0 || s == 'Z' || s == 'X') t->gone = 1; /* an exited thread-group leader never stops again */
      else waiting = 1, h->stuck = t->tid;
    }
    if (!waiting) return STEP_OK;
    for (int i = 0; i < h->n; i++) {
      struct held_task *t = &h->t[i];
      struct step_error e = STEP_OK;
      if (!t->stopped && !t->gone && tree_state(t->tid) == 'D' && free_vfork_waiter(h, t, keep, &e) && e.err) return e;
    }
    int st;
    pid_t pid = waitpid(-1, &st, __WALL | WNOHANG);
    if (pid > 0) {
      on_report(h, pid, st, keep);
      continue;
    }
    if (pid < 0 && errno == ECHILD) {
      for (int i = 0; i < h->n; i++) h->t[i].gone = h->t[i].gone || !h->t[i].stopped;
      return STEP_OK;
    }
    if (now_ms() > deadline) return STEP_ERROR(STAGE_SEIZE, "ptrace(PTRACE_INTERRUPT)", ETIMEDOUT);
    struct timespec pause = {0, 1000000};
    nanosleep(&pause, NULL);
  }
}

/* Lets a vfork child run until it execs (masked, then held at the exec's exit) or exits. */
static struct step_error run_vfork_child(struct held *h, pid_t child, const uint64_t keep[4]) {
  struct held_task *c = find(h, child);
  if (!c && !(c = add(h, child))) return STEP_ERROR(STAGE_SEIZE, "ptrace(PTRACE_CONT)", E2BIG);
  long deadline = now_ms() + HOLD_TIMEOUT_MS;
  int running = 0;
  while (!c->gone) {
    if (!running && c->stopped) {
      if (ptrace(PTRACE_CONT, c->tid, 0, 0) != 0) return STEP_ERROR(STAGE_SEIZE, "ptrace(PTRACE_CONT)", errno);
      running = 1;
    }
    int st;
    pid_t r = waitpid(c->tid, &st, __WALL | WNOHANG);
    if (r < 0) return STEP_ERROR(STAGE_SEIZE, "waitpid", errno);
    if (r == 0) {
      if (now_ms() > deadline) return STEP_ERROR(STAGE_SEIZE, "waitpid", ETIMEDOUT);
      struct timespec pause = {0, 1000000};
      nanosleep(&pause, NULL);
      continue;
    }
    if (WIFSTOPPED(st) && ((unsigned)st >> 16) == PTRACE_EVENT_EXEC) {
      on_report(h, c->tid, st, keep); /* masked, and left at the exec's exit */
      return STEP_OK;
    }
    on_report(h, c->tid, st, keep); /* a signal is held back; an event stop just passes */
    c->event = 0;
    running = 0;
  }
  return STEP_OK;
}

/*
 * Steps a task caught at a fork, vfork or clone event to that call's exit. Its new child is
 * traced already (TRACEFORK); it joins the held tasks here, so that the hold waits for its first
 * stop: a child missed here would be let go when this helper exits, and run unfollowed.
 */
static struct step_error settle(struct held *h, struct held_task *t, const uint64_t keep[4]) {
  if (t->gone || !t->event) return STEP_OK;
  if (t->event == PTRACE_EVENT_SECCOMP) {
    t->event = 0;
    TRY(STAGE_SEIZE, "ptrace(PTRACE_SYSCALL)", tracee_resume_until(t->tid, PTRACE_SYSCALL, SIGTRAP | 0x80, &t->pend));
    return STEP_OK;
  }
  unsigned long child = 0;
  if (ptrace(PTRACE_GETEVENTMSG, t->tid, 0, &child) == 0 && child > 0 && !find(h, (pid_t)child) && !add(h, (pid_t)child))
    return STEP_ERROR(STAGE_SEIZE, "ptrace(PTRACE_GETEVENTMSG)", E2BIG);
  if (t->event == PTRACE_EVENT_VFORK && child > 0) TRY_STEP(run_vfork_child(h, (pid_t)child, keep));
  t->event = 0;
  TRY(STAGE_SEIZE, "ptrace(PTRACE_SYSCALL)", tracee_resume_until(t->tid, PTRACE_SYSCALL, SIGTRAP | 0x80, &t->pend));
  return STEP_OK;
}

struct step_error hold_all(struct held *h, const uint64_t keep[4]) {
  static pid_t found[TREE_MAX];
  for (int round = 0; round < HOLD_ROUNDS; round++) {
    int n = tree_traced_by(getpid(), found, TREE_MAX);
    if (n < 0) return STEP_ERROR(STAGE_SEIZE, "opendir(/proc)", -n);
    int added = 0, before = h->n;
    for (int i = 0; i < n; i++) {
      if (find(h, found[i])) continue;
      struct held_task *t = add(h, found[i]);
      if (!t) return STEP_ERROR(STAGE_SEIZE, "ptrace(PTRACE_INTERRUPT)", E2BIG);
      added++;
      if (ptrace(PTRACE_INTERRUPT, t->tid, 0, 0) != 0) t->gone = 1;
    }
    TRY_STEP(wait_stopped(h, keep));
    int settled = 0;
    for (int i = 0; i < h->n; i++) {
      settled += h->t[i].event != 0;
      TRY_STEP(settle(h, &h->t[i], keep));
    }
    TRY_STEP(wait_stopped(h, keep)); /* the children the settled calls made */
    /* Done after a round that found nothing: no new task by the walk, by a report, or by a fork. */
    int grew = h->n != before;
    if (!added && !grew && !settled && round > 0) {
      int seen[TREE_MAX], np = 0;
      for (int i = 0; i < h->n; i++) {
        if (h->t[i].gone) continue;
        int dup = 0;
        for (int k = 0; k < np && !dup; k++) dup = seen[k] == h->t[i].tgid;
        if (!dup) seen[np++] = h->t[i].tgid;
      }
      h->processes = np;
      return STEP_OK;
    }
  }
  return STEP_ERROR(STAGE_SEIZE, "ptrace(PTRACE_INTERRUPT)", EAGAIN);
}

/* hold_call's engine: in bytes at the scratch area's start, out bytes read back after the call. */
static struct step_error call_with(struct held_task *t, long nr, uint64_t args[5], const void *in, void *out, size_t len,
                                   long *ret) {
  char pidstr[16];
  snprintf(pidstr, sizeof pidstr, "%d", (int)t->tid);
  uint64_t auxv[HWCAP_MAX_AUXV_WORDS];
  int n = hwcap_read_proc_auxv(pidstr, auxv, HWCAP_MAX_AUXV_WORDS);
  if (n < 0) return STEP_ERROR(STAGE_INJECT, "open(/proc/<pid>/auxv)", -n);
  regs_t regs;
  TRY(STAGE_INJECT, "ptrace(PTRACE_GETREGSET)", tracee_get_regs(t->tid, &regs));
  static struct remote_syscall rs;
  TRY_STEP(remote_begin(&rs, t->tid, &regs, auxv, n, &t->pend, len < 16 ? 16 : 2 * len));
  for (int i = 0; i < 5; i++)
    if (args[i] == HOLD_SCRATCH_IN) args[i] = rs.scratch;
    else if (args[i] == HOLD_SCRATCH_OUT) args[i] = rs.scratch + len;
  struct step_error e = in ? remote_scratch_write(&rs, in, len) : STEP_OK;
  if (!e.err) e = remote_call(&rs, nr, args, ret);
  int r;
  if (!e.err && out && (r = tracee_read(t->tid, rs.scratch + len, out, len)))
    e = STEP_ERROR(STAGE_INJECT, "process_vm_readv", -r);
  struct step_error end = remote_end(&rs);
  return e.err ? e : end;
}

struct step_error hold_call(struct held_task *t, long nr, const uint64_t args[5], long *ret) {
  uint64_t a[5];
  memcpy(a, args, sizeof a);
  return call_with(t, nr, a, NULL, NULL, 0, ret);
}

struct step_error hold_sigaction(struct held_task *t, int sig, const struct hold_kernel_sigaction *act,
                                 struct hold_kernel_sigaction *old) {
  uint64_t args[5] = {(uint64_t)sig, act ? HOLD_SCRATCH_IN : 0, old ? HOLD_SCRATCH_OUT : 0,
                      8 /* sizeof(sigset_t) to the kernel */, 0};
  long ret;
  TRY_STEP(call_with(t, SYS_rt_sigaction, args, act, old, sizeof *act, &ret));
  if (ret != 0) return STEP_ERROR(STAGE_INJECT, "rt_sigaction", ret < 0 && ret > -4096 ? (int)-ret : EPROTO);
  return STEP_OK;
}

void hold_release_all(struct held *h, int detach, int stop) {
  /* Held-back signals go by tkill: a detach from an event stop would drop a signal passed with it. */
  for (int i = 0; i < h->n; i++)
    if (!h->t[i].gone) tracee_send_pending(h->t[i].tid, &h->t[i].pend);
  if (stop)
    for (int i = 0; i < h->n; i++)
      if (!h->t[i].gone && h->t[i].tgid == h->t[i].tid) kill(h->t[i].tid, SIGSTOP);
  for (int i = 0; i < h->n; i++)
    if (!h->t[i].gone) ptrace(detach ? PTRACE_DETACH : PTRACE_CONT, h->t[i].tid, 0, 0);
}
