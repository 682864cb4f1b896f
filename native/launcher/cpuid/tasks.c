/*
 * cpuid_tasks: see cpuid/tasks.h. proc(5) for SigBlk/SigIgn/SigCgt and field 39 "processor".
 */
#include "tasks.h"

#if defined(__x86_64__)
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <unistd.h>

#include "../../common/procfs.h"

static struct proc *procs;
static struct task *tasks;
static size_t n_procs, n_tasks, cap_procs, cap_tasks;

struct task *find_task(pid_t tid) {
  for (size_t i = 0; i < n_tasks; i++)
    if (tasks[i].tid == tid) return &tasks[i];
  return NULL;
}

struct proc *find_proc(pid_t tgid) {
  for (size_t i = 0; i < n_procs; i++)
    if (procs[i].tgid == tgid) return &procs[i];
  return NULL;
}

struct proc *add_proc(pid_t tgid) {
  struct proc *p = find_proc(tgid);
  if (p) return p;
  if (n_procs == cap_procs) {
    size_t cap = cap_procs ? cap_procs * 2 : 64;
    struct proc *np = realloc(procs, cap * sizeof *np);
    if (!np) return NULL;
    procs = np;
    cap_procs = cap;
  }
  p = &procs[n_procs++];
  memset(p, 0, sizeof *p);
  p->tgid = tgid;
  return p;
}

struct task *add_task(pid_t tid, pid_t tgid) {
  struct task *t = find_task(tid);
  int reused = t != NULL;
  if (!t) {
    if (n_tasks == cap_tasks) {
      size_t cap = cap_tasks ? cap_tasks * 2 : 64;
      struct task *nt = realloc(tasks, cap * sizeof *nt);
      if (!nt) return NULL;
      tasks = nt;
      cap_tasks = cap;
    }
    t = &tasks[n_tasks++];
  }
  if (reused && t->stat_fd >= 0) close(t->stat_fd);
  memset(t, 0, sizeof *t);
  t->stat_fd = -1;
  t->tid = tid;
  t->tgid = tgid;
  return t;
}

void drop_task(pid_t tid) {
  for (size_t i = 0; i < n_tasks; i++)
    if (tasks[i].tid == tid) {
      pid_t tgid = tasks[i].tgid;
      if (tasks[i].stat_fd >= 0) close(tasks[i].stat_fd);
      tasks[i] = tasks[--n_tasks];
      for (size_t k = 0; k < n_tasks; k++)
        if (tasks[k].tgid == tgid) return;
      for (size_t k = 0; k < n_procs; k++)
        if (procs[k].tgid == tgid) procs[k] = procs[--n_procs];
      return;
    }
}

void drop_process_tasks(pid_t tgid) {
  for (size_t i = 0; i < n_tasks;)
    if (tasks[i].tgid == tgid && tasks[i].tid != tgid) drop_task(tasks[i].tid);
    else i++;
  drop_task(tgid);
}

int process_any_armed(pid_t tgid) {
  for (size_t i = 0; i < n_tasks; i++)
    if (tasks[i].tgid == tgid && tasks[i].armed) return 1;
  return 0;
}

int task_sigmask(pid_t pid, uint64_t *mask) {
  *mask = 0;
  return ptrace(PTRACE_GETSIGMASK, pid, (void *)sizeof *mask, mask) == 0 ? 0 : -errno;
}

int read_status(pid_t tid, struct status *s) {
  char path[64], *buf;
  snprintf(path, sizeof path, "/proc/%d/status", (int)tid);
  /* The whole file: a long Groups line (2,000 supplementary groups) pushes SigIgn and SigCgt past 4 KiB. */
  long n = hwcap_read_file_all(path, &buf);
  if (n < 0) return (int)n;
  if (n == 0) {
    free(buf);
    return -EIO;
  }
  memset(s, 0, sizeof *s);
  for (char *line = buf; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
    unsigned long long v;
    int d;
    if (sscanf(line, "Tgid: %d", &d) == 1) s->tgid = d;
    else if (sscanf(line, "PPid: %d", &d) == 1) s->ppid = d;
    else if (sscanf(line, "SigBlk: %llx", &v) == 1) s->blk = v;
    else if (sscanf(line, "SigIgn: %llx", &v) == 1) s->ign = v;
    else if (sscanf(line, "SigCgt: %llx", &v) == 1) s->cgt = v;
  }
  free(buf);
  return s->tgid > 0 ? 0 : -EPROTO;
}

/* The CPU the task last ran on: field 39 of /proc/<tid>/stat, or -1. */
int last_cpu(struct task *t) {
  char buf[1024];
  if (t->stat_fd < 0) {
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)t->tid);
    t->stat_fd = open(path, O_RDONLY | O_CLOEXEC);
    if (t->stat_fd < 0) return -1;
  }
  ssize_t n = pread(t->stat_fd, buf, sizeof buf - 1, 0); /* one system call per trap, not three */
  if (n <= 0) return -1;
  buf[n] = 0;
  char *p = strrchr(buf, ')');
  if (!p) return -1;
  for (int field = 2; field < 39 && p; field++) p = strchr(p + 1, ' ');
  return p ? atoi(p + 1) : -1;
}

size_t known_tasks(void) { return n_tasks; }

int any_child_of(pid_t ppid) {
  for (size_t i = 0; i < n_procs; i++) {
    struct status s;
    if (read_status(procs[i].tgid, &s) == 0 && s.ppid == ppid) return 1;
  }
  return 0;
}

/* A task seen for the first time: a thread of a known process, or a new process forked from a known one. */
struct task *learn(pid_t tid) {
  struct task *t = find_task(tid);
  return t ? t : learn_from(tid, 0);
}

struct task *learn_from(pid_t tid, pid_t creator) {
  struct task *t, *ct = creator > 0 ? find_task(creator) : NULL;
  struct status s;
  if (read_status(tid, &s)) return NULL;
  struct proc *p = find_proc(s.tgid);
  if (!p) {
    /* The creator's process where the event named it; without an event (a task found at its first stop), its parent. */
    struct proc *parent = creator > 0 ? (ct ? find_proc(ct->tgid) : NULL) : find_proc(s.ppid);
    struct proc copy = parent ? *parent : (struct proc){0};
    if (!(p = add_proc(s.tgid))) return NULL;
    if (parent) *p = copy; /* fork copies dispositions, faulting and the vDSO */
    p->tgid = s.tgid;
    if (!parent) p->handled = s.cgt;
    if (s.ign & SEGV_BIT) p->disp = DISP_IGN;
    else if (!(s.cgt & SEGV_BIT)) p->disp = DISP_DFL;
    else if (!parent || copy.disp != DISP_HANDLER) p->disp = DISP_HANDLER_UNKNOWN;
  }
  uint64_t mask;
  if (!(t = add_task(tid, s.tgid))) return NULL;
  t->armed = ct ? ct->armed : p->armed; /* faulting is copied from the creating thread */
  t->segv_blocked = (task_sigmask(tid, &mask) == 0 ? mask : s.blk) & SEGV_BIT ? 1 : 0;
  return t;
}

#endif
