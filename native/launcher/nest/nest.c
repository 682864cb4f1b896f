/*
 * Nesting, both sides; see nest/nest.h.
 *
 * Kernel facts used (Linux 6.18): kernel/seccomp.c __seccomp_filter, SECCOMP_RET_TRACE: without a
 * tracer that set PTRACE_O_TRACESECCOMP the call fails with ENOSYS; with one, the tracer's
 * PTRACE_EVENT_SECCOMP stop comes before the call, and a syscall number set to -1 skips it with
 * the return register as the tracer left it (x86-64: orig_rax; arm64: NT_ARM_SYSTEM_CALL,
 * arch/arm64/kernel/syscall.c el0_svc_common). kernel/sys.c prctl: an unknown option is EINVAL.
 * include/linux/ptrace.h ptrace_init_task: a task created under PT_SEIZED starts with a
 * PTRACE_EVENT_STOP trap, which waitpid may report before its creator's FORK/CLONE event
 * (strace holds such a task the same way).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "nest.h"

#include <elf.h>
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../exec/tracee.h"
#include "../exec/tree.h"
#include "../report.h"

/* ---- the inner launcher ---- */

int nest_request(const uint64_t keep[4], const struct cpuid_keep_rule *cpuid, int ncpuid, int no_follow, int status_fd,
                 uint64_t result[4]) {
  struct nest_request req;
  memset(&req, 0, sizeof req);
  req.magic = NEST_MAGIC;
  req.size = sizeof req;
  req.flags = no_follow ? NEST_NO_FOLLOW : 0;
  req.status_fd = status_fd;
  memcpy(req.keep, keep, sizeof req.keep);
  if (ncpuid < 0 || ncpuid > NEST_CPUID_RULES) return E2BIG;
  req.ncpuid = (uint32_t)ncpuid;
  if (ncpuid) memcpy(req.cpuid, cpuid, (size_t)ncpuid * sizeof req.cpuid[0]);
  long r = syscall(SYS_prctl, NEST_PRCTL_OPTION, NEST_MAGIC, (unsigned long)&req, (unsigned long)sizeof req, 0UL);
  if (r != 0) return errno ? errno : EPROTO;
  /* 0 from anything but the helper's answer (a foreign tracer faking it) is no answer. */
  if (req.answer != NEST_ANSWERED) return EPROTO;
  for (int w = 0; w < 4; w++)
    if (req.result[w] & ~keep[w]) return EPROTO; /* wider than asked: never */
  memcpy(result, req.result, sizeof req.result);
  return 0;
}

/* ---- the helper ---- */

#define NEST_MAX TREE_MAX
#define PID_LIMIT (1 << 22) /* PID_MAX_LIMIT on 64-bit */

struct entry {
  pid_t pid;
  int one_shot;  /* --no-follow: `after` applies once this exec is masked */
  int status_fd; /* the requester's status fd (the helper's copy) until its exec; -1 */
  uint64_t keep[4], after[4];
  int cset, cset_after; /* its CPUID rules (a set below), -1: the tree's table alone */
};

/* CPUID rule sets, shared by the entries of a subtree (a new request makes a new set: the old rules and the new). */
#define NEST_CPUID_SETS 64
#define NEST_CPUID_SET_RULES 512
struct cset {
  int refs, n;
  struct cpuid_keep_rule r[NEST_CPUID_SET_RULES];
};
static struct cset csets[NEST_CPUID_SETS];

static void cset_ref(int i) {
  if (i >= 0) csets[i].refs++;
}
static void cset_unref(int i) {
  if (i >= 0 && csets[i].refs > 0) csets[i].refs--;
}

/* A new set: the rules of `base` (-1: none) and `n` more. Its index (one reference), or -errno. */
static int cset_new(int base, const struct cpuid_keep_rule *r, int n) {
  int nb = base >= 0 ? csets[base].n : 0;
  if (nb + n > NEST_CPUID_SET_RULES) return -ENOSPC;
  for (int i = 0; i < NEST_CPUID_SETS; i++) {
    if (csets[i].refs) continue;
    struct cset *c = &csets[i];
    if (nb) memcpy(c->r, csets[base].r, (size_t)nb * sizeof c->r[0]);
    memcpy(c->r + nb, r, (size_t)n * sizeof c->r[0]);
    c->n = nb + n;
    c->refs = 1;
    return i;
  }
  return -ENOSPC;
}

static struct entry entries[NEST_MAX];
static int nentries;
/* While entries exist: every task the helper knows to have been announced (or to predate nesting). */
static uint64_t known[PID_LIMIT / 64];
struct held {
  pid_t pid;
  int status;
};
static struct held held[NEST_MAX];
static int nheld;

int nest_active(void) { return nentries > 0; }

static int is_known(pid_t p) { return p > 0 && p < PID_LIMIT && (known[p / 64] >> (p % 64)) & 1; }
static void set_known(pid_t p, int on) {
  if (p <= 0 || p >= PID_LIMIT) return;
  if (on) known[p / 64] |= 1ULL << (p % 64);
  else known[p / 64] &= ~(1ULL << (p % 64));
}

static struct entry *find(pid_t pid) {
  for (int i = 0; i < nentries; i++)
    if (entries[i].pid == pid) return &entries[i];
  return NULL;
}

static void resume_stop(pid_t pid, int status) {
  int sig = WSTOPSIG(status), event = (unsigned)status >> 16;
  if (event == PTRACE_EVENT_STOP && is_stop_signal(sig)) ptrace(PTRACE_LISTEN, pid, 0, 0);
  else ptrace(PTRACE_CONT, pid, 0, 0);
}

static void unhold(int i, int kill_it) {
  pid_t pid = held[i].pid;
  if (kill_it) {
    kill(pid, SIGKILL);
    ptrace(PTRACE_CONT, pid, 0, (void *)(long)SIGKILL);
  } else {
    resume_stop(pid, held[i].status);
  }
  held[i] = held[--nheld];
}

static void drop(struct entry *e) {
  if (e->status_fd >= 0) close(e->status_fd);
  cset_unref(e->cset);
  cset_unref(e->cset_after); /* the caller's status pipe ends: the program never ran */
  *e = entries[--nentries];
  if (nentries == 0)
    while (nheld) unhold(0, 0); /* nobody is narrowed: a held task has the tree's mask, as without nesting */
}

/* The first entry: every task traced now is one whose creator was not narrowed (the table was empty). */
static int activate(void) {
  static pid_t tids[TREE_MAX];
  int n = tree_traced_by(getpid(), tids, TREE_MAX);
  if (n < 0) return n;
  memset(known, 0, sizeof known);
  for (int i = 0; i < n; i++) set_known(tids[i], 1);
  return 0;
}

static struct entry *add(pid_t pid) {
  if (nentries == NEST_MAX) return NULL;
  struct entry *e = &entries[nentries++];
  memset(e, 0, sizeof *e);
  e->pid = pid;
  e->status_fd = -1;
  e->cset = e->cset_after = -1;
  set_known(pid, 1);
  return e;
}

int nest_keep_of(pid_t pid, const uint64_t tree_keep[4], uint64_t out[4]) {
  const struct entry *e = find(pid);
  memcpy(out, e ? e->keep : tree_keep, 4 * sizeof out[0]);
  return e != NULL;
}

void nest_exec_begin(pid_t pid, pid_t former) {
  if (!nentries || former == pid || former <= 0) return;
  /* A thread exec'd: it takes the leader's pid, the other threads are gone (fs/exec.c de_thread). */
  struct entry *t = find(former), *l = find(pid);
  if (t && l) {
    if (l->status_fd >= 0) close(l->status_fd);
    cset_unref(l->cset);
    cset_unref(l->cset_after);
    *l = *t;
    l->pid = pid;
    t->status_fd = -1;
    t->cset = t->cset_after = -1;
    drop(t);
  } else if (t) {
    t->pid = pid;
  }
  set_known(former, 0);
  if (nentries) set_known(pid, 1);
}

int nest_take_status_fd(pid_t pid) {
  struct entry *e = find(pid);
  if (!e) return -1;
  int fd = e->status_fd;
  e->status_fd = -1;
  return fd;
}

void nest_exec_done(pid_t pid) {
  struct entry *e = find(pid);
  if (!e || !e->one_shot) return;
  memcpy(e->keep, e->after, sizeof e->keep);
  cset_unref(e->cset);
  e->cset = e->cset_after;
  e->cset_after = -1;
  e->one_shot = 0;
}

void nest_cpuid_narrow(pid_t tid, uint32_t leaf, uint32_t subleaf, uint32_t out[4]) {
  const struct entry *e = nentries ? find(tid) : NULL;
  if (!e || e->cset < 0) return;
  const struct cset *c = &csets[e->cset];
  for (int reg = 0; reg < 4; reg++) out[reg] &= cpuid_rules_keep(c->r, c->n, leaf, subleaf, reg);
}

/* The request's arguments: per architecture (the skip: tracee_skip_call). */
static uint64_t arg_of(const regs_t *r, int i) {
#if defined(__x86_64__)
  const uint64_t a[4] = {r->rdi, r->rsi, r->rdx, r->r10};
  return a[i];
#else
  return r->regs[i];
#endif
}

/* A copy of the requester's status fd (pidfd_getfd, Linux 5.6: the tracer may take it). */
static int take_fd(pid_t pid, int fd) {
  int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
  if (pidfd < 0) return -errno;
  int got = (int)syscall(SYS_pidfd_getfd, pidfd, fd, 0);
  int e = errno;
  close(pidfd);
  return got >= 0 ? got : -e;
}

static long answer(pid_t pid, const regs_t *r, const uint64_t tree_keep[4], int cpuid_mode) {
  if (arg_of(r, 0) != NEST_PRCTL_OPTION || arg_of(r, 1) != NEST_MAGIC || arg_of(r, 3) != sizeof(struct nest_request))
    return -EINVAL;
  struct nest_request req;
  uint64_t addr = arg_of(r, 2);
  int e = tracee_read(pid, addr, &req, sizeof req);
  if (e) return e;
  if (req.magic != NEST_MAGIC || req.size != sizeof req || (req.flags & ~NEST_NO_FOLLOW) || req.ncpuid > NEST_CPUID_RULES)
    return -EINVAL;
  for (uint32_t i = 0; i < req.ncpuid; i++)
    if (req.cpuid[i].reg > 3 || req.cpuid[i].has_subleaf > 1) return -EINVAL;
  /* Only a helper that answers CPUID (armed faulting in every image) can narrow it. */
  if (req.ncpuid && !cpuid_mode) return -EOPNOTSUPP;
  if (!nentries && (e = activate()) != 0) return e;
  uint64_t cur[4], now[4];
  nest_keep_of(pid, tree_keep, cur);
  for (int w = 0; w < 4; w++) now[w] = cur[w] & req.keep[w]; /* AND only: never wider than either */
  int fd = -1;
  if (req.status_fd >= 0 && (fd = take_fd(pid, req.status_fd)) < 0) return fd;
  struct entry *en = find(pid);
  int base = en ? en->cset : -1, cs = base;
  if (req.ncpuid && (cs = cset_new(base, req.cpuid, (int)req.ncpuid)) < 0) {
    if (fd >= 0) close(fd);
    return cs;
  }
  if (!req.ncpuid) cset_ref(cs);
  if (!en) en = add(pid);
  if (!en) {
    if (fd >= 0) close(fd);
    cset_unref(cs);
    return -ENOSPC;
  }
  if (en->status_fd >= 0) close(en->status_fd);
  /* The set before the request: kept for a --no-follow entry's later images, else let go. */
  cset_unref(en->cset_after);
  en->cset_after = (req.flags & NEST_NO_FOLLOW) ? base : -1;
  if (!(req.flags & NEST_NO_FOLLOW)) cset_unref(base);
  en->cset = cs;
  en->status_fd = fd;
  en->one_shot = (req.flags & NEST_NO_FOLLOW) != 0;
  memcpy(en->after, cur, sizeof en->after);
  memcpy(en->keep, now, sizeof en->keep);
  req.answer = NEST_ANSWERED;
  memcpy(req.result, now, sizeof req.result);
  if ((e = tracee_write(pid, addr, &req, sizeof req)) != 0) return e;
  return 0;
}

void nest_seccomp(pid_t pid, const uint64_t tree_keep[4], int cpuid_mode) {
  regs_t r;
  if (tracee_get_regs(pid, &r) != 0) return; /* gone, or another ABI: the call runs and fails (EINVAL) */
  long ret = answer(pid, &r, tree_keep, cpuid_mode);
  if (tracee_skip_call(pid, &r, ret) != 0 && ret == 0) {
    /* The answer is written but the call would run and fail: the requester fails closed; drop its entry. */
    struct entry *en = find(pid);
    if (en) drop(en);
  }
}

void nest_forked(pid_t parent, pid_t child) {
  if (!nentries || child <= 0) return;
  set_known(child, 1);
  const struct entry *p = find(parent);
  if (p && !find(child)) {
    uint64_t keep[4];
    memcpy(keep, p->keep, sizeof keep);
    int cs = p->cset;
    struct entry *c = add(child);
    if (!c) {
      report_message("pid %d: more than %d narrowed tasks; killed it", (int)child, NEST_MAX);
      kill(child, SIGKILL);
    } else {
      memcpy(c->keep, keep, sizeof keep);
      c->cset = cs;
      cset_ref(cs);
    }
  }
  for (int i = 0; i < nheld; i++)
    if (held[i].pid == child) {
      unhold(i, 0);
      break;
    }
}

int nest_hold(pid_t pid, int status) {
  if (!nentries || is_known(pid) || ((unsigned)status >> 16) != PTRACE_EVENT_STOP) return 0;
  if (nheld == NEST_MAX) { /* cannot wait for its creator: it must not run under a wider mask */
    kill(pid, SIGKILL);
    ptrace(PTRACE_CONT, pid, 0, (void *)(long)SIGKILL);
    return 1;
  }
  held[nheld++] = (struct held){pid, status};
  return 1;
}

void nest_exited(pid_t pid) {
  if (!nentries) return;
  set_known(pid, 0);
  for (int i = 0; i < nheld; i++)
    if (held[i].pid == pid) {
      held[i--] = held[--nheld];
    }
  struct entry *e = find(pid);
  if (e) drop(e);
  /* A held task whose creator is gone without its event (killed mid-fork): its mask is unknown. Fail closed. */
  for (int i = 0; i < nheld; i++) {
    pid_t h = held[i].pid;
    int tgid = tree_tgid(h), ppid = tree_ppid(h);
    pid_t creator = tgid > 0 && tgid != h ? tgid : ppid;
    if (creator > 0 && !is_known(creator)) {
      report_message("pid %d: its creator ended before its fork event; killed it", (int)h);
      unhold(i--, 1);
    }
  }
}
