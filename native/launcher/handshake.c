/* ptrace mode's start: the helper, the seize and its confirmation; see handshake.h. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "handshake.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../common/mm_map.h"
#include "../common/procfs.h"
#include "cpuid/mask.h"
#include "cpuid/trace.h"
#include "exec/seccomp_filter.h"
#include "faults.h"
#include "follow.h"
#include "handover/control.h"
#include "nest/nest.h"
#include "report.h"

struct go_msg {
  int32_t err;
  int32_t pid;
};

/* Reads len bytes unless EOF or an error comes first; returns how many were read. */
static size_t read_full(int fd, void *buf, size_t len) {
  size_t got = 0;
  while (got < len) {
    ssize_t r = read(fd, (char *)buf + got, len - got);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    got += (size_t)r;
  }
  return got;
}

/*
 * The helper keeps only the go and ack pipes (3, 4), the status fd (5) and the stats fd (7); fd 6
 * is the release channel's (HWCAP_CONTROL_FD, opened later by control_open);
 * 0-2 are /dev/null, so that the program's stdio closes when the program's own copies close
 * (report_stderr_of).
 */
static void helper_fds(int *go, int *ack, int *stats_fd) {
  int g = fcntl(*go, F_DUPFD_CLOEXEC, 100);
  int a = fcntl(*ack, F_DUPFD_CLOEXEC, 100);
  int status = report_fd() >= 0 ? fcntl(report_fd(), F_DUPFD_CLOEXEC, 100) : -1;
  int stats = *stats_fd >= 0 ? fcntl(*stats_fd, F_DUPFD_CLOEXEC, 100) : -1;
  if (g < 0 || a < 0 || (report_fd() >= 0 && status < 0) || (*stats_fd >= 0 && stats < 0)) _exit(1);
  int devnull = open("/dev/null", O_RDWR);
  if (devnull >= 0) {
    dup2(devnull, 0);
    dup2(devnull, 1);
    dup2(devnull, 2);
  }
  dup2(g, 3);
  dup2(a, 4);
  if (status >= 0) {
    dup2(status, 5);
    status = 5;
  }
  if (stats >= 0) {
    dup2(stats, 7);
    *stats_fd = 7;
  }
  close(HWCAP_CONTROL_FD);
  syscall(SYS_close_range, 8, ~0U, 0); /* no libc wrapper in musl */
  fcntl(3, F_SETFD, FD_CLOEXEC);
  fcntl(4, F_SETFD, FD_CLOEXEC);
  *go = 3;
  *ack = 4;
  report_set_fd(status);
}

static __attribute__((noreturn)) void helper_main(pid_t target, int go, int ack, const struct options *o,
                                                  const uint64_t keep[4]) {
  report_mark(MARK_HELPER);
  int stats_fd = o->stats_fd;
  helper_fds(&go, &ack, &stats_fd);
  /* Terminal and group signals meant for the target must not end the helper (EXITKILL would kill the tree). */
  const int ignored[] = {SIGINT, SIGQUIT, SIGTERM, SIGHUP, SIGPIPE, SIGTSTP, SIGTTIN, SIGTTOU, SIGUSR1, SIGUSR2};
  for (size_t i = 0; i < sizeof ignored / sizeof ignored[0]; i++) signal(ignored[i], SIG_IGN);
  prctl(PR_SET_NAME, (unsigned long)"hwcap-exec-helper", 0, 0, 0);
  /*
   * Out of the tree's reach: not dumpable, so a process of the tree (same user) can neither open
   * its /proc/<pid>/mem nor ptrace it, and so cannot rewrite its rules (ptrace_may_access). Its
   * own ptrace of the tree and its reads of the tree's /proc files are the tracer's, unchanged.
   * Only CAP_SYS_PTRACE reaches it now (README: not a sandbox); a release by its user goes
   * through the control channel's socket (handover/control.c).
   */
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);

  /* Wait until the target has named this helper its ptracer (Yama); EOF: it is gone. */
  char byte;
  ssize_t got;
  while ((got = read(ack, &byte, 1)) < 0 && errno == EINTR) {}
  close(ack);
  if (got != 1) _exit(1);
  /* Before the seize, so that a release right after the program starts finds it (handover/control.c). */
  if (o->follow) control_open();
  FAULT_POINT("helper-before-seize");
  struct go_msg msg = {0, (int32_t)getpid()};
  unsigned long options = PTRACE_O_TRACEEXEC | PTRACE_O_EXITKILL | PTRACE_O_TRACESYSGOOD;
  /* A CPUID mask stays attached to the whole tree: forks inherit faulting, and the filter's traced calls need a tracer. */
  int cpuid = cpuid_mask_active();
  if (o->follow || cpuid) options |= PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK | PTRACE_O_TRACECLONE;
  /* The filter's traced calls: CPUID's signal tracking, and a nested masked spawn's request (nest/nest.h). */
  if (o->follow || cpuid) options |= PTRACE_O_TRACESECCOMP;
  int r = hwcap_check_mm_map_size();
  if (r == 0 && ptrace(PTRACE_SEIZE, target, 0, (void *)options) != 0) r = -errno;
  if (r) msg.err = -r;
  FAULT_POINT("helper-after-seize");
  report_mark(MARK_SEIZED); /* before the write, which may hand this CPU to the launcher */
  write_all(go, (const char *)&msg, sizeof msg);
  close(go);
  if (msg.err) _exit(1);
  if (cpuid) cpuid_trace_init(); /* the answer table, while the target execs */
  struct follow_config c = {{keep[0], keep[1], keep[2], keep[3]}, o->follow, cpuid, stats_fd};
  follow_run(&c);
}

/* fork, then fork again: the helper is no child of the target (its wait() stays the program's). Returns its pid. */
static struct step_error start_helper(const struct options *o, const uint64_t keep[4], int go[2], int ack[2], int32_t *helper) {
  TRY_SYS(STAGE_HELPER, "pipe2", pipe2(go, O_CLOEXEC));
  TRY_SYS(STAGE_HELPER, "pipe2", pipe2(ack, O_CLOEXEC));
  pid_t self = getpid();
  pid_t mid = fork();
  TRY_SYS(STAGE_HELPER, "fork", mid);
  if (mid == 0) {
    /* A session of its own keeps terminal signals away. */
    close(go[0]);
    close(ack[1]);
    setsid();
    pid_t h = fork();
    if (h != 0) {
      /* Tell the target the helper's pid before the helper can write anything. */
      int32_t hp = (int32_t)h;
      if (h > 0) write_all(go[1], (const char *)&hp, sizeof hp);
      _exit(h < 0 ? 1 : 0);
    }
    helper_main(self, go[1], ack[0], o, keep);
  }
  close(go[1]);
  close(ack[0]);
  int st;
  while (waitpid(mid, &st, 0) < 0 && errno == EINTR) {}
  if (read_full(go[0], helper, sizeof *helper) != sizeof *helper || *helper <= 0) return STEP_ERROR(STAGE_HELPER, "fork", ECHILD);
  return STEP_OK;
}

/* Names the helper the ptracer, lets it seize, and checks that it did. */
static struct step_error confirm_seize(int go_rd, int ack_wr, int32_t helper) {
  /*
   * Under Yama's relational mode (ptrace_scope 1) only an ancestor may attach, and
   * the helper is not one: name it the ptracer. EINVAL means no Yama, which is fine.
   */
  if (prctl(PR_SET_PTRACER, (unsigned long)helper, 0, 0, 0) != 0 && errno != EINVAL)
    return STEP_ERROR(STAGE_SEIZE, "prctl(PR_SET_PTRACER)", errno);
  /* A helper that died already has closed its end: that must be an error here, not SIGPIPE. */
  struct sigaction ign = {0}, old_pipe;
  ign.sa_handler = SIG_IGN;
  sigaction(SIGPIPE, &ign, &old_pipe);
  write_all(ack_wr, "g", 1);
  close(ack_wr);
  sigaction(SIGPIPE, &old_pipe, NULL);
  struct go_msg msg;
  size_t got = read_full(go_rd, &msg, sizeof msg);
  close(go_rd);
  /* The exception is needed only for the seize itself. */
  prctl(PR_SET_PTRACER, 0, 0, 0, 0);
  /* Never exec without a confirmed seize: a helper that died before it leaves EOF here. */
  if (got != sizeof msg) return STEP_ERROR(STAGE_SEIZE, "ptrace(PTRACE_SEIZE)", ECHILD);
  if (msg.err) return STEP_ERROR(STAGE_SEIZE, msg.err == EPROTO ? "prctl(PR_SET_MM_MAP_SIZE)" : "ptrace(PTRACE_SEIZE)", msg.err);
  if (hwcap_tracer_pid() != msg.pid) return STEP_ERROR(STAGE_SEIZE, "ptrace(PTRACE_SEIZE)", ESRCH);
  return STEP_OK;
}

/*
 * Already traced: a process has one tracer, so the helper cannot seize it. Fail closed, and
 * say whose tracer it is: an outer hwcap helper (a masked spawn inside a masked tree: nesting,
 * docs/launcher-protocol.md) or a foreign one (strace, gdb), named by its exe.
 */
static __attribute__((noreturn)) void refuse_traced(int tracer, int nest_err) {
  char link[64], exe[256] = "?", comm[32] = "";
  snprintf(link, sizeof link, "/proc/%d/exe", tracer);
  ssize_t n = readlink(link, exe, sizeof exe - 1);
  exe[n > 0 ? n : 1] = 0;
  snprintf(link, sizeof link, "/proc/%d/comm", tracer);
  int fd = open(link, O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    ssize_t c = read(fd, comm, sizeof comm - 1);
    comm[c > 0 ? c : 0] = 0;
    comm[strcspn(comm, "\n")] = 0;
    close(fd);
  }
  if (strcmp(comm, "hwcap-exec-help") == 0) /* comm keeps 15 bytes of hwcap-exec-helper */
    report_failure(STAGE_SEIZE, "ptrace(PTRACE_SEIZE)", EPERM,
                   "ptrace(PTRACE_SEIZE): EPERM (inside a masked tree: traced by its hwcap helper, pid %d, which did not "
                   "narrow the mask (%s: the tree is not followed, or was adopted, or the helper is older); run the inner "
                   "program without a mask, it already has the outer one)",
                   tracer, errno_code(nest_err));
  else
    report_failure(STAGE_SEIZE, "ptrace(PTRACE_SEIZE)", EPERM,
                   "ptrace(PTRACE_SEIZE): EPERM (traced by a foreign tracer, pid %d, %s; a process has one tracer: run it "
                   "untraced, or use --mode kernel where the kernel passes a masked auxv on)",
                   tracer, exe);
  _exit(EXIT_SETUP);
}

/* The tracer's comm says a hwcap helper: a hint only (the answer is the proof), for the messages. */
static int tracer_is_helper(int tracer) {
  char link[64], comm[32] = "";
  snprintf(link, sizeof link, "/proc/%d/comm", tracer);
  int fd = open(link, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  ssize_t c = read(fd, comm, sizeof comm - 1);
  close(fd);
  comm[c > 0 ? c : 0] = 0;
  comm[strcspn(comm, "\n")] = 0;
  return strcmp(comm, "hwcap-exec-help") == 0;
}

/*
 * Already traced: a masked spawn inside a masked tree asks the tree's helper to narrow the mask
 * for this process and its subtree, then execs without a helper of its own; the tree's helper
 * masks the exec and writes `masked` on this launcher's status fd (nest/nest.h). Anything else that
 * traces it (strace, gdb) cannot answer, and the launcher fails closed as before.
 */
static __attribute__((noreturn)) void nest_or_refuse(const struct program *p, const struct options *o, const uint64_t keep[4],
                                                     int tracer) {
  uint64_t result[4];
  static struct cpuid_keep_rule rules[NEST_CPUID_RULES];
  int nrules = cpuid_mask_active() ? cpuid_mask_export(rules, NEST_CPUID_RULES) : 0;
  int err = nest_request(keep, rules, nrules, !o->follow, report_fd(), result);
  if (err == EOPNOTSUPP && tracer_is_helper(tracer)) {
    /* The tree's helper answers no CPUID (its mask is auxv only): it cannot narrow CPUID. Fail closed. */
    report_failure(STAGE_SEIZE, "prctl(PR_HWCAP_NEST)", EOPNOTSUPP,
                   "prctl(PR_HWCAP_NEST): EOPNOTSUPP (inside a masked tree: traced by its hwcap helper, pid %d, whose mask is "
                   "auxv only, so it answers no CPUID; a nested spawn cannot add a CPUID mask under it: use auxvOnly / "
                   "--auxv-only for the inner spawn, or give the outer spawn a CPUID mask)",
                   tracer);
    _exit(EXIT_SETUP);
  }
  if (err) refuse_traced(tracer, err);
  program_exec(p, o, MODE_PTRACE);
}

void handshake_run(const struct program *p, const struct options *o, const uint64_t keep[4]) {
  program_refuse_privileged(p);
  int t = hwcap_tracer_pid();
  if (t > 0) nest_or_refuse(p, o, keep, t);
  int go[2], ack[2];
  int32_t helper = 0;
  struct step_error e = start_helper(o, keep, go, ack, &helper);
  if (e.err) report_fail(e, EXIT_SETUP);
  e = confirm_seize(go[0], ack[1], helper);
  if (e.err) report_fail(e, EXIT_SETUP);
  /* No process of a followed (or CPUID-masked) tree escapes its tracer: the filter, last before exec. */
  if (o->follow || cpuid_mask_active()) {
    const char *sc = "";
    int err = seccomp_filter_install(cpuid_mask_active(), &sc);
    if (err) report_fail(STEP_ERROR(STAGE_SECCOMP, sc, err), EXIT_SETUP);
  }
  program_exec(p, o, MODE_PTRACE);
}
