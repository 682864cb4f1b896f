/* Taking over an existing tree; see handover/adopt.h. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "adopt.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../../common/auxv_words.h"
#include "../../common/procfs.h"
#include "../cpuid/mask.h"
#include "../cpuid/setup.h"
#include "../cpuid/tasks.h"
#include "../cpuid/trace.h"
#include "../exec/tree.h"
#include "../faults.h"
#include "../options.h"
#include "../report.h"
#include "answer.h"
#include "control.h"
#include "hold.h"
#include "security_features.h" /* generated into the build directory */

/*
 * TRACESECCOMP always: a tree that was CPUID-masked keeps the CPUID room's filter (CRIU restores
 * it), whose traced calls fail with ENOSYS while no tracer takes PTRACE_EVENT_SECCOMP.
 */
#define SEIZE_OPTIONS                                                                                            \
  (PTRACE_O_TRACEEXEC | PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK | PTRACE_O_TRACECLONE | \
   PTRACE_O_TRACESECCOMP)
#define SEIZE_ROUNDS 1000

struct adopt_args {
  pid_t pid;
  int cpuid; /* some --cpuid rule masks a bit: arm faulting in every thread, answer the traps */
  uint64_t keep[HWCAP_WORDS];
  int given[HWCAP_WORDS];
  int allow_security;
  int allow_init; /* --allow-init: a pid namespace's init may be adopted */
};

static int parse(struct adopt_args *a, int argc, char **argv) {
  static const char *const flags[HWCAP_WORDS] = {"--hwcap", "--hwcap2", "--hwcap3", "--hwcap4"};
  memset(a, 0, sizeof *a);
  const char *pid_arg = NULL;
  for (int i = 2; i < argc; i++) {
    int w = -1;
    for (int k = 0; k < HWCAP_WORDS; k++)
      if (strcmp(argv[i], flags[k]) == 0) w = k;
    if (w >= 0) {
      if (i + 1 >= argc || parse_hex_word(argv[i + 1], &a->keep[w]) != 0)
        return answer_fail("usage", EINVAL, "argv", "%s needs a hex word of bits to keep", flags[w]);
      a->given[w] = 1;
      i++;
    } else if (strcmp(argv[i], "--cpuid") == 0) {
      char err[256];
      if (i + 1 >= argc) return answer_fail("usage", EINVAL, "argv", "--cpuid needs a rule LEAF[.SUBLEAF]:REG=KEEP");
      if (cpuid_mask_add_rule(argv[++i], err, sizeof err) != 0) return answer_fail("usage", EINVAL, "argv", "%s", err);
    } else if (strcmp(argv[i], "--allow-security-masking") == 0) {
      a->allow_security = 1;
    } else if (strcmp(argv[i], "--allow-init") == 0) {
      a->allow_init = 1;
    } else if (!pid_arg && argv[i][0] != '-') {
      pid_arg = argv[i];
    } else {
      return answer_fail("usage", EINVAL, "argv",
                         "unexpected argument '%s' (usage: hwcap-exec --adopt PID [--hwcap W]... [--cpuid RULE]... "
                         "[--allow-security-masking] [--allow-init])",
                         argv[i]);
    }
  }
  uint64_t p;
  if (!pid_arg || parse_decimal(pid_arg, 1u << 22, &p) != 0 || p == 0)
    return answer_fail("usage", EINVAL, "argv", "PID must be a process id, not '%s'", pid_arg ? pid_arg : "");
  a->pid = (pid_t)p;
  a->cpuid = cpuid_mask_active();
  return 0;
}

/*
 * Step 3b: CPUID faulting armed in one held thread (arch_prctl(ARCH_SET_CPUID, 0) injected; the
 * CPUID room's filter lets arming through), and proved by a CPUID that traps: the call's 0 alone
 * proves nothing, as a seccomp filter of the program's own answers it with 0 and arms nothing. The
 * proof's forced SIGSEGV unblocks a blocked SIGSEGV and resets its disposition to SIG_DFL
 * (kernel/signal.c force_sig_info_to_task): where SIGSEGV is blocked in the thread or ignored,
 * the action is read before (an injected rt_sigaction) and put back after, and the mask too.
 * Under the test build's cpuid-simulate nothing arms for the kernel (the injected call is
 * ARCH_GET_CPUID, the proof rdmsr): the helper records the thread as armed, and answers its
 * simulated traps from then on.
 */
static struct step_error arm_cpuid(struct held_task *t) {
#if !defined(__x86_64__)
  (void)t;
  return STEP_ERROR(STAGE_CPUID_ARM, "arch_prctl(ARCH_SET_CPUID)", ENOSYS); /* no CPUID faulting (cpuid/trace.c) */
#else
  struct status s;
  if (read_status(t->tid, &s) != 0) return STEP_ERROR(STAGE_CPUID_ARM, "open(/proc/<pid>/status)", ESRCH);
  int blocked = (s.blk & SEGV_BIT) != 0, touched = blocked || (s.ign & SEGV_BIT) != 0;
  struct hold_kernel_sigaction before;
  if (touched) TRY_STEP(hold_sigaction(t, SIGSEGV, NULL, &before));
  /* Under cpuid-simulate the same injection, as ARCH_GET_CPUID: it arms nothing and answers 1. */
  long ret, want = cpuid_trace_simulate ? 1 : 0;
  uint64_t set[5] = {cpuid_trace_simulate ? ARCH_GET_CPUID : ARCH_SET_CPUID, 0, 0, 0, 0};
  TRY_STEP(hold_call(t, SYS_arch_prctl, set, &ret));
  if (ret != want) return STEP_ERROR(STAGE_CPUID_ARM, "arch_prctl(ARCH_SET_CPUID)", ret < 0 && ret > -4096 ? (int)-ret : EPROTO);
  TRY_STEP(cpuid_trace_prove_armed(t->tid, &t->pend));
  if (touched) TRY_STEP(hold_sigaction(t, SIGSEGV, &before, NULL));
  if (blocked) {
    uint64_t mask;
    int r = task_sigmask(t->tid, &mask);
    if (r) return STEP_ERROR(STAGE_CPUID_ARM, "ptrace(PTRACE_GETSIGMASK)", -r);
    mask |= SEGV_BIT;
    if (ptrace(PTRACE_SETSIGMASK, t->tid, (void *)sizeof mask, &mask) != 0)
      return STEP_ERROR(STAGE_CPUID_ARM, "ptrace(PTRACE_SETSIGMASK)", errno);
  }
  if (cpuid_trace_set_armed(t->tid, 1) != 0) return STEP_ERROR(STAGE_CPUID_ARM, "open(/proc/<pid>/status)", ESRCH);
  return STEP_OK;
#endif
}

#define PF_KTHREAD 0x00200000 /* include/linux/sched.h: the flags of /proc/<pid>/stat, field 9 */

/*
 * What adopt cannot take, said as what it is (proc(5) stat fields 3 and 9): a kernel thread has no
 * user memory (its auxv reads ESRCH), a zombie has exited. 0, or the answer's exit status.
 */
static int refuse_unadoptable(pid_t pid) {
  char pidstr[16], comm[64] = "?";
  uint64_t f[HWCAP_STAT_FIELDS];
  snprintf(pidstr, sizeof pidstr, "%d", (int)pid);
  int state = tree_state(pid);
  if (hwcap_read_stat(pidstr, f, 9) != 0) return 0; /* gone or unreadable: the checks below say which */
  tree_comm(pid, comm, sizeof comm);
  if (f[9] & PF_KTHREAD)
    return answer_fail("not-adoptable", EINVAL, "open(/proc/<pid>/stat)",
                       "pid %d is a kernel thread (%s): it has no user memory and runs no program, so there is nothing to adopt",
                       (int)pid, comm);
  if (state == 'Z' || state == 'X')
    return answer_fail(
        "not-adoptable", ESRCH, "open(/proc/<pid>/stat)",
        "pid %d (%s) has exited: a zombie, not yet reaped by its parent, runs nothing, so there is nothing to adopt", (int)pid,
        comm);
  return 0;
}

/* 1 when pid is the init of a pid namespace: its innermost pid (the last of NSpid in /proc/<pid>/status) is 1. */
static int namespace_init(pid_t pid) {
  char path[64], *buf;
  snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
  if (hwcap_read_file_all(path, &buf) < 0) return 0;
  const char *p = strstr(buf, "\nNSpid:");
  long last = -1;
  if (p)
    for (char *s = (char *)p + 7, *end;; s = end) {
      long v = strtol(s, &end, 10);
      if (end == s) break;
      last = v;
    }
  free(buf);
  return last == 1;
}

/*
 * A pid namespace's init under the root (the root itself, pid 1 here, a container's init): with
 * EXITKILL, the helper's end kills it, and the kernel then kills its whole namespace. Refused
 * unless --allow-init. 0, or the answer's exit status.
 */
static int refuse_init(pid_t root, int allow) {
  static pid_t procs[TREE_MAX];
  if (allow) return 0;
  int np = tree_processes(root, procs, TREE_MAX);
  for (int i = 0; i < np; i++) {
    if (!namespace_init(procs[i])) continue;
    char comm[64] = "?";
    tree_comm(procs[i], comm, sizeof comm);
    return answer_fail("init", EPERM, "open(/proc/<pid>/status)",
                       "pid %d (%s) is the init of a pid namespace (NSpid ends in 1)%s: adopted, it would die with the helper "
                       "(EXITKILL), and the kernel would then kill every process of its namespace; pass --allow-init to adopt it "
                       "anyway",
                       (int)procs[i], comm, procs[i] == root ? "" : ", in the tree under the pid");
  }
  return 0;
}

/* The words to keep: the saved auxv's, ANDed with each word given; a wider word is refused. */
static int words_to_keep(struct adopt_args *a, uint64_t keep[HWCAP_WORDS]) {
  char pidstr[16];
  snprintf(pidstr, sizeof pidstr, "%d", (int)a->pid);
  uint64_t auxv[HWCAP_MAX_AUXV_WORDS], saved[HWCAP_WORDS];
  int n = hwcap_read_proc_auxv(pidstr, auxv, HWCAP_MAX_AUXV_WORDS);
  if (n == -ENOENT || n == -ESRCH)
    return answer_fail("no-such-process", ESRCH, "open(/proc/<pid>/auxv)", "no process has pid %d", (int)a->pid);
  if (n < 0) return answer_fail("permission", -n, "open(/proc/<pid>/auxv)", "cannot read pid %d's saved auxv", (int)a->pid);
  hwcap_words_of(auxv, n, saved);
  for (int w = 0; w < HWCAP_WORDS; w++) {
    uint64_t extra = a->given[w] ? a->keep[w] & ~saved[w] : 0;
    if (extra)
      return answer_fail("wider", EINVAL, "argv",
                         "%s: bits 0x%" PRIx64 " are not in pid %d's saved auxv (0x%" PRIx64
                         "); adopt can keep or narrow a mask, never widen it",
                         hwcap_word_name(w), extra, (int)a->pid, saved[w]);
    keep[w] = (a->given[w] ? a->keep[w] : ~0ULL) & saved[w];
  }
  if (a->allow_security) return 0;
  for (const struct security_feature *s = security_features; s->name; s++) {
    uint64_t bit = 1ULL << s->bit;
    if ((saved[s->word] & bit) && !(keep[s->word] & bit))
      return answer_fail("security", EPERM, "argv",
                         "refusing to mask security feature '%s' (%s bit %d) without --allow-security-masking", s->name,
                         hwcap_word_name(s->word), s->bit);
  }
  return 0;
}

/*
 * The security features that live in CPUID stay unless --allow-security-masking, as exec's
 * cpuid/setup.c keeps them: a rule that clears one this CPU has is refused, naming it.
 */
static int cpuid_security_refusal(void) {
  for (const struct security_cpuid_feature *s = security_cpuid_features; s->name; s++) {
    uint32_t real[4], bit = 1u << s->bit;
    cpuid_raw(s->leaf, s->subleaf, real);
    if ((real[s->reg] & bit) && !(cpuid_mask_keep(s->leaf, s->subleaf, s->reg) & bit))
      return answer_fail("security", EPERM, "argv",
                         "refusing to mask security feature '%s' (CPUID leaf 0x%x.%u register %d bit %d) without "
                         "--allow-security-masking",
                         s->name, s->leaf, s->subleaf, s->reg, s->bit);
  }
  return 0;
}

/* A tracer other than this process on tid: the error line, or 0. */
static int other_tracer(pid_t tid, pid_t self, char *line, size_t cap) {
  int tr = tree_tracer_of(tid);
  if (tr <= 0 || tr == self) return 0;
  char comm[64] = "?", msg[256];
  tree_comm(tr, comm, sizeof comm);
  snprintf(msg, sizeof msg, "pid %d is traced by pid %d (%s); a task has one tracer, so adopt needs it untraced", (int)tid, tr,
           comm);
  answer_fail_line(line, cap, "traced", EBUSY, "ptrace(PTRACE_SEIZE)", msg);
  return 1;
}

/* A zombie or a task on its way out: nothing to seize, nothing that will run. */
static int is_dead(pid_t tid) {
  int s = tree_state(tid);
  return s < 0 || s == 'Z' || s == 'X';
}

/*
 * The adopt command itself and its ancestors below the root (a shell, `podman exec`, the
 * hwcap command) may sit under the root too: they are not the workload, and are never seized.
 */
static pid_t callers[64];
static int ncallers;

static void note_callers(pid_t root) {
  ncallers = 0;
  for (pid_t p = getpid(); p > 1 && p != root && ncallers < 64; p = (pid_t)tree_ppid(p)) callers[ncallers++] = p;
}

static int is_caller(pid_t pid) {
  for (int i = 0; i < ncallers; i++)
    if (callers[i] == pid) return 1;
  return pid == getpid();
}

/* Step 1: seizes every thread under root until a walk adds none. 0, or 1 with the error line. */
static int seize_tree(pid_t root, pid_t *stopped, int *nstopped, char *line, size_t cap) {
  static pid_t procs[TREE_MAX], tids[TREE_MAX];
  pid_t self = getpid();
  *nstopped = 0;
  for (int round = 0; round < SEIZE_ROUNDS; round++) {
    int np = tree_processes(root, procs, TREE_MAX), added = 0;
    if (np < 0) {
      answer_fail_line(line, cap, np == -ESRCH ? "no-such-process" : "helper", -np, "opendir(/proc)",
                       "cannot walk the tree under the pid");
      return 1;
    }
    for (int i = 0; i < np; i++) {
      if (is_caller(procs[i])) continue;
      if (round == 0 && tree_state(procs[i]) == 'T' && *nstopped < TREE_MAX) stopped[(*nstopped)++] = procs[i];
      int nt = tree_threads(procs[i], tids, TREE_MAX);
      for (int k = 0; k < nt; k++) {
        if (tree_tracer_of(tids[k]) == self || is_dead(tids[k])) continue;
        if (other_tracer(tids[k], self, line, cap)) return 1;
        if (ptrace(PTRACE_SEIZE, tids[k], 0, (void *)(long)SEIZE_OPTIONS) == 0) {
          added++;
          continue;
        }
        int e = errno;
        if (e == ESRCH || is_dead(tids[k])) continue; /* exited meanwhile (a zombie answers EPERM) */
        if (other_tracer(tids[k], self, line, cap)) return 1;
        char msg[160];
        snprintf(msg, sizeof msg, "cannot seize pid %d: %s", (int)tids[k], errno_code(e));
        answer_fail_line(line, cap, e == EPERM || e == EACCES ? "permission" : "helper", e, "ptrace(PTRACE_SEIZE)", msg);
        return 1;
      }
    }
    if (!added && round > 0) return 0;
  }
  answer_fail_line(line, cap, "helper", EAGAIN, "ptrace(PTRACE_SEIZE)", "the tree kept growing while it was walked");
  return 1;
}

static __attribute__((noreturn)) void adopt_helper(const struct adopt_args *a, const uint64_t keep[HWCAP_WORDS], int out,
                                                   void (*follow)(const struct follow_config *c)) {
  int devnull = open("/dev/null", O_RDWR);
  if (devnull >= 0) {
    dup2(devnull, 0);
    dup2(devnull, 1);
    dup2(devnull, 2);
  }
  if (dup2(out, 3) < 0) _exit(1);
  out = 3;
  syscall(SYS_close_range, 4, ~0U, 0); /* no libc wrapper in musl */
  /* As exec's helper: terminal and group signals meant for the tree must not end it (EXITKILL). */
  const int ignored[] = {SIGINT, SIGQUIT, SIGTERM, SIGHUP, SIGPIPE, SIGTSTP, SIGTTIN, SIGTTOU, SIGUSR1, SIGUSR2};
  for (size_t i = 0; i < sizeof ignored / sizeof ignored[0]; i++) signal(ignored[i], SIG_IGN);
  prctl(PR_SET_NAME, (unsigned long)"hwcap-exec-helper", 0, 0, 0);
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0); /* out of the tree's reach, as exec's helper (handshake.c) */

  char line[1400];
  static pid_t stopped[TREE_MAX];
  int nstopped = 0;
  if (seize_tree(a->pid, stopped, &nstopped, line, sizeof line)) {
    write_all(out, line, strlen(line));
    _exit(1); /* the tasks seized so far are let go as this process exits: no EXITKILL yet */
  }
  static struct held h;
  h.n = 0;
  h.cpuid = a->cpuid;
  if (a->cpuid) cpuid_trace_init();
  struct step_error e = hold_all(&h, keep);
  for (int i = 0; !e.err && i < h.n; i++) {
    if (h.t[i].gone) continue;
    if (ptrace(PTRACE_SETOPTIONS, h.t[i].tid, 0, (void *)(long)(SEIZE_OPTIONS | PTRACE_O_EXITKILL)) != 0 && errno != ESRCH)
      e = STEP_ERROR(STAGE_SEIZE, "ptrace(PTRACE_SETOPTIONS)", errno);
  }
  /* CPUID faulting armed in every held thread before any of them runs again (docs/checkpoint.md). */
  for (int i = 0; !e.err && a->cpuid && i < h.n; i++)
    if (!h.t[i].gone) e = arm_cpuid(&h.t[i]);
  if (e.err) {
    /*
     * Fail closed: a tree that was to be CPUID-masked is not continued. Every process is left
     * stopped (SIGSTOP queued before the detach) and untraced, so nothing of it runs CPUID
     * unmasked; any other failure leaves the tree as it was.
     */
    int cpuid_failed = a->cpuid && e.stage == STAGE_CPUID_ARM;
    hold_release_all(&h, 1, cpuid_failed);
    /* Stopped when the answer says so: each process takes its SIGSTOP before any instruction of its own. */
    for (int k = 0; cpuid_failed && k < 5000; k++) {
      int running = 0;
      for (int i = 0; i < h.n && !running; i++) {
        int st = h.t[i].gone || h.t[i].tgid != h.t[i].tid ? 'T' : tree_state(h.t[i].tid);
        running = st > 0 && st != 'T' && st != 'Z' && st != 'X';
      }
      if (!running) break;
      struct timespec pause = {0, 1000000};
      nanosleep(&pause, NULL);
    }
    char msg[300];
    if (cpuid_failed)
      snprintf(msg, sizeof msg, "%s: %s: %s; every process of the tree is left stopped and untraced", stage_name(e.stage),
               e.syscall, errno_code(e.err));
    else snprintf(msg, sizeof msg, "%s: %s: %s", stage_name(e.stage), e.syscall, errno_code(e.err));
    answer_fail_line(line, sizeof line, cpuid_failed ? "cpuid-arm" : "helper", e.err, e.syscall, msg);
    write_all(out, line, strlen(line));
    _exit(1);
  }
  int tasks = 0;
  for (int i = 0; i < h.n; i++) tasks += !h.t[i].gone;
  for (int i = 0; i < nstopped; i++) kill(stopped[i], SIGCONT);
  hold_release_all(&h, 0, 0);
  char rules[600] = "", cpuid[700];
  if (a->cpuid) cpuid_mask_rules(rules, sizeof rules);
  size_t n = (size_t)snprintf(cpuid, sizeof cpuid, "[");
  for (const char *p = rules; *p && n + 4 < sizeof cpuid;) {
    size_t len = strcspn(p, ",");
    n += (size_t)snprintf(cpuid + n, sizeof cpuid - n, "%s\"%.*s\"", n > 1 ? "," : "", (int)len, p);
    p += len + (p[len] == ',');
  }
  snprintf(cpuid + n, sizeof cpuid - n, "]");
  snprintf(line, sizeof line,
           "{\"adopted\":%d,\"helper\":%d,\"tasks\":%d,\"processes\":%d,\"continued\":%d,\"words\":[\"0x%" PRIx64
           "\",\"0x%" PRIx64 "\",\"0x%" PRIx64 "\",\"0x%" PRIx64 "\"],\"cpuid\":%s}\n",
           (int)a->pid, (int)getpid(), tasks, h.processes, nstopped, keep[0], keep[1], keep[2], keep[3], cpuid);
  /* The channel before the answer: a release right after adopt returns must find it. Without one the
   * tree is still followed; only a later release is refused. */
  control_open();
  write_all(out, line, strlen(line));
  close(out);
  report_set_fd(-1);
  /* With a CPUID mask: every later exec is armed too, and every trap answered. */
  struct follow_config c = {{keep[0], keep[1], keep[2], keep[3]}, 1, a->cpuid, -1};
  follow(&c);
  _exit(0); /* follow_run never returns */
}

int adopt_main(int argc, char **argv, void (*follow)(const struct follow_config *c)) {
  struct adopt_args a;
  uint64_t keep[HWCAP_WORDS];
  int r = parse(&a, argc, argv);
  if (r) return r;
  int tr = tree_tracer_of(a.pid);
  if (tr == -ENOENT || tr == -ESRCH)
    return answer_fail("no-such-process", ESRCH, "open(/proc/<pid>/status)", "no process has pid %d", (int)a.pid);
  if ((r = refuse_unadoptable(a.pid)) || (r = refuse_init(a.pid, a.allow_init))) return r;
  char line[1400];
  if (other_tracer(a.pid, getpid(), line, sizeof line)) {
    fputs(line, stdout);
    fflush(stdout);
    return EXIT_ANSWER_FAILED;
  }
  if ((r = words_to_keep(&a, keep))) return r;
  if (a.cpuid) {
    /* As exec's cpuid_setup: CPUID.1:EDX is AT_HWCAP, one keep word for both (it can only narrow). */
    cpuid_mask_and_leaf1_edx((uint32_t)keep[0]);
    if (!a.allow_security && (r = cpuid_security_refusal())) return r;
    /* Faulting that traps here, or the tree is not touched (test builds: as cpuid/setup.c). */
    const char *sc = "";
    cpuid_simulation_warning();
    int fe = FAULT_IS("cpuid-simulate") || FAULT_IS("skip-cpuid-probe") ? 0 : cpuid_fault_probe(&sc);
    if (fe)
      return answer_fail("cpuid-fault", fe, sc,
                         "%s: %s (CPUID faulting is %s here, so the tree's CPUID cannot be masked; it was not touched)", sc,
                         errno_code(fe), fe == ENOTSUP ? "advertised but does not trap" : "not available");
  }

  note_callers(a.pid); /* the helper, forked from here, inherits the list */
  int pipefd[2];
  if (pipe2(pipefd, O_CLOEXEC) != 0) return answer_fail("helper", errno, "pipe2", "cannot start the helper");
  fflush(stdout);
  pid_t mid = fork();
  if (mid < 0) return answer_fail("helper", errno, "fork", "cannot start the helper");
  if (mid == 0) {
    /* fork, then fork again: the helper is nobody's child but init's (or the subreaper's). */
    close(pipefd[0]);
    setsid();
    pid_t h = fork();
    if (h == 0) adopt_helper(&a, keep, pipefd[1], follow);
    _exit(h < 0 ? 1 : 0);
  }
  close(pipefd[1]);
  int st;
  while (waitpid(mid, &st, 0) < 0 && errno == EINTR) {}
  size_t got = 0;
  for (;;) {
    ssize_t n = read(pipefd[0], line + got, sizeof line - 1 - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += (size_t)n;
    if (got == sizeof line - 1) break;
  }
  close(pipefd[0]);
  line[got] = 0;
  if (got == 0) return answer_fail("helper", ECHILD, "fork", "the helper ended before it answered");
  fputs(line, stdout);
  fflush(stdout);
  return strncmp(line, "{\"adopted\"", 10) == 0 ? 0 : EXIT_ANSWER_FAILED;
}
