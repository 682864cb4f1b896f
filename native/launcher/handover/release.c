/* Handing a followed tree over; see handover/release.h. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "release.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../../common/procfs.h"
#include "../cpuid/mask.h"
#include "../cpuid/trace.h"
#include "../exec/tree.h"
#include "../faults.h"
#include "../options.h"
#include "../report.h"
#include "answer.h"
#include "control.h"
#include "hold.h"

#define HELPER_COMM "hwcap-exec-help" /* PR_SET_NAME "hwcap-exec-helper", cut to 15 bytes */

/* ------------------------------------------------------------------------------------------ */
/* Helper side                                                                                */

#if defined(__x86_64__)
/*
 * arch_prctl(ARCH_SET_CPUID, 1) in t. The CPUID room's seccomp filter traces that call
 * (SECCOMP_RET_TRACE, SECCOMP_TAG_CPUID_SET); injected by this helper it runs (remote_call sets
 * tracee_own_call), while the tree's own is refused with EPERM. So the disarm needs no privilege
 * beyond the ptrace the helper has: no PTRACE_O_SUSPEND_SECCOMP (CAP_SYS_ADMIN).
 */
static long set_cpuid_on(struct held_task *t, struct step_error *e) {
  long ret = 0;
  uint64_t set[5] = {ARCH_SET_CPUID, 1, 0, 0, 0};
  *e = hold_call(t, SYS_arch_prctl, set, &ret);
  return ret;
}
#endif

/*
 * Step 2: a thread whose ARCH_GET_CPUID reads 0 has faulting armed; arm64 has no such state.
 * In the test build's simulation (cpuid-simulate) nothing is armed for the kernel: the helper's
 * own record says which threads it armed, and those get the same injected call, whose ENODEV
 * (no faulting here) then counts as done.
 */
static struct step_error disarm_cpuid(struct held_task *t, int cpuid) {
#if defined(__x86_64__)
  long ret;
  struct step_error e;
  uint64_t get[5] = {ARCH_GET_CPUID, 0, 0, 0, 0};
  int simulated = cpuid && cpuid_trace_simulate;
  if (simulated) {
    if (!cpuid_trace_armed(t->tid)) return STEP_OK;
  } else {
    TRY_STEP(hold_call(t, SYS_arch_prctl, get, &ret));
    if (ret != 0) return STEP_OK; /* 1: CPUID runs natively (also where the CPU has no faulting) */
  }
  ret = set_cpuid_on(t, &e);
  if (e.err) return e;
  FAULT_LOG("disarm tid=%d ret=%ld\n", (int)t->tid, ret);
  if (simulated && ret == -ENODEV) ret = 0;
  if (ret != 0) return STEP_ERROR(STAGE_INJECT, "arch_prctl(ARCH_SET_CPUID)", ret < 0 && ret > -4096 ? (int)-ret : EPROTO);
  if (cpuid) cpuid_trace_set_armed(t->tid, 0);
#else
  (void)t;
  (void)cpuid;
#endif
  return STEP_OK;
}

/* Step 3: the parent-death signal is per task and cleared by fork, so only the root's own task has hwcap's. */
static struct step_error clear_pdeathsig(struct held_task *t) {
  long ret;
  uint64_t args[5] = {PR_SET_PDEATHSIG, 0, 0, 0, 0};
  TRY_STEP(hold_call(t, SYS_prctl, args, &ret));
  if (ret != 0) return STEP_ERROR(STAGE_INJECT, "prctl(PR_SET_PDEATHSIG)", ret < 0 && ret > -4096 ? (int)-ret : EPROTO);
  return STEP_OK;
}

static int all_stopped(const struct held *h) {
  for (int i = 0; i < h->n; i++) {
    if (h->t[i].gone || h->t[i].tgid != h->t[i].tid) continue;
    int s = tree_state(h->t[i].tid);
    if (s > 0 && s != 'T' && s != 'Z' && s != 'X') return 0;
  }
  return 1;
}

/* Every live held task frozen by its cgroup's freezer: held in a ptrace stop, a task reads 't', frozen 'D' (fs/proc/array.c). */
static int all_frozen(const struct held *h) {
  for (int i = 0; i < h->n; i++)
    if (!h->t[i].gone && tree_state(h->t[i].tid) != 'D' && tree_state(h->t[i].tid) > 0) return 0;
  return 1;
}

/*
 * A release in two steps (hold=1), for a requester that freezes the tree's cgroup in between
 * (hwcap-runtime checkpoint): "held ..." once every task is held and disarmed; the requester
 * moves this helper out of the cgroup, freezes it (a task in a ptrace stop freezes) and says
 * "detach"; the helper checks that every task is frozen, detaches and exits. The tree is then
 * frozen, unfollowed and not stopped, which CRIU seizes without the SIGSTOP and SIGCONT of a
 * plain release, whose SIGCONT stays pending in a task that blocks it. Anything else (no line
 * within a minute, another line, a task not frozen): the tree is let go stopped, as a plain
 * release leaves it, and the answer is an error. Does not return.
 */
static void release_held(struct control_request *rq, struct held *h, pid_t root, int tasks, const char *rules) {
  control_reply_more(rq, "held root=%d tasks=%d processes=%d cpuid=%s", (int)root, tasks, h->processes, rules[0] ? rules : "-");
  char line[64];
  int r = control_next_line(rq, line, sizeof line, 60000);
  int go = r == 0 && strcmp(line, "detach") == 0, frozen = go && all_frozen(h);
  hold_release_all(h, 1, !frozen);
  if (frozen)
    control_reply(rq, "ok root=%d tasks=%d processes=%d stopped=0 cpuid=%s", (int)root, tasks, h->processes,
                  rules[0] ? rules : "-");
  else if (go) control_reply(rq, "error EAGAIN not-frozen: a task of the tree was not frozen at the detach; it is left stopped");
  else
    control_reply(rq, "error %s no-detach: the requester %s; the tree is left stopped", r ? errno_code(-r) : "EINVAL",
                  r == -ETIMEDOUT ? "said nothing within 60 s"
                  : r             ? "went away"
                                  : "said something other than detach");
  _exit(0);
}

void release_poll(const struct follow_config *c) {
  struct control_request rq;
  if (!control_take(&rq)) return;
  char rules[CONTROL_REPLY_MAX - 160] = "";
  if (c->cpuid) cpuid_mask_rules(rules, sizeof rules);
  if (c->cpuid && !rq.stop && !rq.unmasked_cpuid && !rq.hold) {
    /* Released and running, a CPUID-masked tree would run CPUID unmasked (or die at it, when armed): refused. */
    control_reply(
        &rq, "error EPERM cpuid-running: the tree masks CPUID (%s): released without a stop it would run CPUID unmasked", rules);
    return;
  }
  static struct held h;
  h.n = 0;
  h.cpuid = c->cpuid;
  struct step_error e = hold_all(&h, c->keep);
  /* The root: the thread group leader of the pid asked for, walked up while its parent is held too. */
  pid_t root = (pid_t)tree_tgid(rq.pid);
  for (int up = 0; root > 0 && up < TREE_MAX; up++) {
    pid_t parent = (pid_t)tree_ppid(root);
    int held = 0;
    for (int i = 0; i < h.n && !held; i++) held = !h.t[i].gone && h.t[i].tid == parent;
    if (!held) break;
    root = parent;
  }
  /* Before the program's first exec the target is still this launcher: let go now and it would exec unfollowed. */
  struct stat self_exe, exe;
  for (int i = 0; !e.err && i < h.n; i++) {
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/exe", (int)h.t[i].tid);
    if (!h.t[i].gone && stat("/proc/self/exe", &self_exe) == 0 && stat(path, &exe) == 0 && exe.st_dev == self_exe.st_dev &&
        exe.st_ino == self_exe.st_ino)
      e = STEP_ERROR(STAGE_EXEC, "execve", EAGAIN);
  }
  for (int i = 0; !e.err && i < h.n; i++) {
    struct held_task *t = &h.t[i];
    if (t->gone) continue;
    e = disarm_cpuid(t, c->cpuid);
    if (!e.err && t->tid == root) e = clear_pdeathsig(t);
  }
  if (e.err) {
    hold_release_all(&h, 0, 0); /* back as it was: the helper goes on following */
    if (e.err == ETIMEDOUT)
      control_reply(&rq, "error %s %s: %s: pid %d never stopped (state %c)", errno_code(e.err), stage_name(e.stage), e.syscall,
                    (int)h.stuck, tree_state(h.stuck) > 0 ? tree_state(h.stuck) : '?');
    else if (e.err == EAGAIN && e.stage == STAGE_EXEC)
      control_reply(&rq, "error EAGAIN the program has not started yet (a task is still the launcher); try again");
    else control_reply(&rq, "error %s %s: %s", errno_code(e.err), stage_name(e.stage), e.syscall);
    return;
  }
  int tasks = 0;
  for (int i = 0; i < h.n; i++) tasks += !h.t[i].gone;
  if (rq.hold) release_held(&rq, &h, root, tasks, rules);
  hold_release_all(&h, 1, rq.stop);
  int stopped = 0;
  if (rq.stop) {
    struct timespec pause = {0, 1000000};
    for (int k = 0; k < 5000 && !(stopped = all_stopped(&h)); k++) nanosleep(&pause, NULL);
  }
  /* stopped=0 after a stop was asked: the requester says so as a failure (the tree runs unfollowed). */
  control_reply(&rq, "ok root=%d tasks=%d processes=%d stopped=%d cpuid=%s", (int)root, tasks, h.processes, stopped,
                rules[0] ? rules : "-");
  _exit(0);
}

/* ------------------------------------------------------------------------------------------ */
/* Requester side: hwcap-exec --release PID [--no-stop]                                       */

/*
 * Every launcher build carries this text, so that a requester knows a helper by its executable
 * wherever that is: a container sees the launcher at the path it was bind-mounted at
 * (hwcap-runtime: /.hwcap-exec), and /proc/<helper>/exe names that path.
 */
__attribute__((used)) static const char launcher_mark[] = "hwcap-exec launcher: release and adopt channel 1";

/* 1 when the file at `path` holds the launcher's mark. */
static int has_launcher_mark(const char *path) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  static char buf[65536 + sizeof launcher_mark];
  size_t keep = 0, mark = sizeof launcher_mark - 1;
  int found = 0;
  for (size_t total = 0; !found && total < (64u << 20);) {
    ssize_t n = read(fd, buf + keep, sizeof buf - keep);
    if (n <= 0) break;
    total += (size_t)n;
    size_t have = keep + (size_t)n;
    found = memmem(buf, have, launcher_mark, mark) != NULL;
    keep = have < mark ? have : mark - 1;
    memmove(buf, buf + have - keep, keep);
  }
  close(fd);
  return found;
}

/* 1 when exe (the /proc/<helper>/exe link) is an hwcap-exec launcher, of this build or another, at any path. */
static int is_launcher(int helper, const char *exe) {
  const char *base = strrchr(exe, '/');
  base = base ? base + 1 : exe;
  if (strncmp(base, "hwcap-exec", 10) == 0) return 1;
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/exe", helper);
  return has_launcher_mark(path);
}

/* The NSpid line of /proc/<pid>/status: the pid in each namespace from ours inward; the count, or -errno. */
static int ns_pids(pid_t pid, int *out, int max) {
  char path[64], *buf;
  snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
  long len = hwcap_read_file_all(path, &buf); /* NSpid comes after Groups, which 2,000 groups take past 4 KiB */
  if (len < 0) return (int)len;
  const char *p = strstr(buf, "\nNSpid:");
  if (!p) {
    free(buf);
    return -ENOENT;
  }
  p += 7;
  int n = 0;
  while (n < max) {
    char *end;
    long v = strtol(p, &end, 10);
    if (end == p) break;
    out[n++] = (int)v;
    p = end;
    if (*p == '\n') break;
  }
  free(buf);
  return n;
}

/*
 * A helper in a pid namespace below ours (a container's, released from the host): the request
 * must name the pid as the helper sees it, and the mem file must be of the helper's /proc. So
 * the requester joins the helper's pid and mount namespaces (setns through a pidfd), and a
 * child, which is in them, makes the request. Returns 0 in that child (*pid and *tracer as the
 * helper sees them) or when the helper is in our namespace; else the child's exit status + 1
 * in the parent, or -errno.
 */
static int enter_helper_ns(pid_t *pid, int *tracer) {
  int hp[8], tp[8];
  int nh = ns_pids(*tracer, hp, 8), nt = ns_pids(*pid, tp, 8);
  if (nh < 0) return nh;
  if (nt < 0) return nt;
  if (nh <= 1) return 0;
  if (nt < nh) return -EXDEV;
  int pfd = (int)syscall(SYS_pidfd_open, *tracer, 0);
  if (pfd < 0) return -errno;
  if (setns(pfd, CLONE_NEWPID | CLONE_NEWNS) != 0) {
    int e = errno;
    close(pfd);
    return -e;
  }
  close(pfd);
  fflush(stdout);
  pid_t child = fork();
  if (child < 0) return -errno;
  if (child == 0) {
    *pid = tp[nh - 1];
    *tracer = hp[nh - 1];
    return 0;
  }
  int status = 0;
  while (waitpid(child, &status, 0) < 0 && errno == EINTR) {}
  return 1 + (WIFEXITED(status) ? WEXITSTATUS(status) : 2);
}

/* The JSON array of the reply's "cpuid=R1,R2" ("-": none). */
static void rules_json(const char *rules, char *out, size_t cap) {
  size_t n = (size_t)snprintf(out, cap, "[");
  if (strcmp(rules, "-") != 0)
    for (const char *p = rules; *p && n + 4 < cap;) {
      size_t len = strcspn(p, ", ");
      n += (size_t)snprintf(out + n, cap - n, "%s\"%.*s\"", n > 1 ? "," : "", (int)len, p);
      p += len;
      if (*p == ',') p++;
      else break;
    }
  snprintf(out + n, cap - n, "]");
}

int release_main(int argc, char **argv) {
  int stop = 1, unmasked_cpuid = 0, hold = 0;
  const char *pid_arg = NULL;
  for (int i = 2; i < argc; i++) {
    if (strcmp(argv[i], "--no-stop") == 0) stop = 0;
    else if (strcmp(argv[i], "--allow-unmasked-cpuid") == 0) unmasked_cpuid = 1;
    else if (strcmp(argv[i], "--hold") == 0) hold = 1, stop = 0;
    else if (!pid_arg && argv[i][0] != '-') pid_arg = argv[i];
    else
      return answer_fail(
          "usage", EINVAL, "argv",
          "unexpected argument '%s' (usage: hwcap-exec --release PID [--no-stop [--allow-unmasked-cpuid] | --hold])", argv[i]);
  }
  uint64_t p;
  if (!pid_arg || parse_decimal(pid_arg, 1u << 22, &p) != 0 || p == 0)
    return answer_fail("usage", EINVAL, "argv", "PID must be a process id, not '%s'", pid_arg ? pid_arg : "");
  pid_t pid = (pid_t)p;

  int tracer = tree_tracer_of(pid);
  if (tracer == -ENOENT || tracer == -ESRCH)
    return answer_fail("no-such-process", ESRCH, "open(/proc/<pid>/status)", "no process has pid %d", (int)pid);
  if (tracer < 0) return answer_fail("permission", -tracer, "open(/proc/<pid>/status)", "cannot read /proc/%d/status", (int)pid);
  if (tracer == 0)
    return answer_fail("not-followed", ENOENT, "open(/proc/<pid>/status)",
                       "pid %d is not followed by an hwcap helper (nothing traces it)", (int)pid);

  char comm[64] = "?", path[64], exe[4096];
  tree_comm(tracer, comm, sizeof comm);
  snprintf(path, sizeof path, "/proc/%d/exe", tracer);
  ssize_t len = readlink(path, exe, sizeof exe - 1);
  if (strcmp(comm, HELPER_COMM) != 0)
    return answer_fail("not-followed", ENOENT, "open(/proc/<pid>/comm)",
                       "pid %d is traced by pid %d (%s), not by an hwcap helper", (int)pid, tracer, comm);
  /*
   * The helper is not dumpable: only CAP_SYS_PTRACE reads its exe. Its user goes on by its name;
   * the socket's owner is checked to be the helper (handover/control.c), and the request proves ptrace
   * access to the tree itself (its mem fd, below).
   */
  if (len < 0 && (errno == EACCES || errno == EPERM)) len = snprintf(exe, sizeof exe, "hwcap-exec (pid %d)", tracer);
  if (len < 0)
    return answer_fail("not-followed", errno, "readlink(/proc/<helper>/exe)", "cannot read pid %d's tracer (pid %d)", (int)pid,
                       tracer);
  exe[len] = 0;
  if (!is_launcher(tracer, exe))
    return answer_fail("not-followed", ENOENT, "readlink(/proc/<helper>/exe)",
                       "pid %d is traced by pid %d (%s), not by an hwcap helper", (int)pid, tracer, exe);
  int host_tracer = tracer, host_pid = (int)pid;
  int entered = enter_helper_ns(&pid, &tracer);
  if (entered > 0) return entered - 1;
  if (entered == -EXDEV)
    return answer_fail("not-followed", EXDEV, "open(/proc/<pid>/status)", "pid %d is not in its helper's (pid %d) pid namespace",
                       (int)pid, tracer);
  if (entered < 0)
    return answer_fail("permission", -entered, "setns(CLONE_NEWPID|CLONE_NEWNS)",
                       "cannot enter the pid and mount namespaces of pid %d's helper (pid %d, in a container): %s", (int)pid,
                       tracer, errno_code(-entered));

  /* The kernel's ptrace access check on PID itself (PTRACE_MODE_ATTACH_FSCREDS). */
  snprintf(path, sizeof path, "/proc/%d/mem", (int)pid);
  int mem = open(path, O_RDONLY | O_CLOEXEC);
  if (mem < 0 && errno == ENOENT)
    return answer_fail("no-such-process", ESRCH, "open(/proc/<pid>/mem)", "no process has pid %d", (int)pid);
  if (mem < 0) return answer_fail("permission", errno, "open(/proc/<pid>/mem)", "no permission to ptrace pid %d", (int)pid);

  char line[96], reply[CONTROL_REPLY_MAX];
  snprintf(line, sizeof line, "release 1 pid=%d stop=%d%s%s", (int)pid, stop, unmasked_cpuid ? " unmasked-cpuid=1" : "",
           hold ? " hold=1" : "");
  const char *sysname = "";
  int sock = -1;
  int r = control_send_keep(tracer, line, mem, reply, sizeof reply, &sysname, hold ? &sock : NULL);
  close(mem);
  if (!r && hold && strncmp(reply, "held ", 5) == 0) {
    /* Step one: held and disarmed. Said on stdout; the requester's "detach" on stdin is step two. */
    int root = 0, tasks = 0, procs = 0, at = 0;
    if (sscanf(reply, "held root=%d tasks=%d processes=%d%n", &root, &tasks, &procs, &at) != 3) at = 0;
    char cpuid[CONTROL_REPLY_MAX + 8];
    rules_json(at && strncmp(reply + at, " cpuid=", 7) == 0 ? reply + at + 7 : "-", cpuid, sizeof cpuid);
    printf("{\"held\":%d,\"helper\":%d,\"hostPid\":%d,\"hostHelper\":%d,\"tasks\":%d,\"processes\":%d,\"cpuid\":%s}\n", (int)pid,
           tracer, host_pid, host_tracer, tasks, procs, cpuid);
    fflush(stdout);
    char in[64] = "";
    if (!fgets(in, sizeof in, stdin) || strcmp(in, "detach\n") != 0) {
      close(sock); /* the helper lets the tree go stopped */
      return answer_fail("aborted", ECANCELED, "read(stdin)",
                         "no \"detach\" on standard input: pid %d's helper (pid %d) lets the tree go stopped", (int)pid, tracer);
    }
    r = control_send_more(sock, "detach", reply, sizeof reply, 60000);
    sysname = "recv";
    close(sock);
  } else if (sock >= 0) {
    close(sock);
  }
  if (r == -EPERM || r == -EACCES)
    return answer_fail("permission", -r, sysname, "no permission to ptrace pid %d's helper (pid %d)", (int)pid, tracer);
  if (r == -EBADF)
    return answer_fail("no-channel", EBADF, sysname,
                       "pid %d's helper (pid %d, %s) has no control channel; it is from an older hwcap", (int)pid, tracer, exe);
  if (r)
    return answer_fail("helper", -r, sysname, "pid %d's helper (pid %d) did not answer: %s", (int)pid, tracer, errno_code(-r));

  int root, tasks, procs, stopped, at = 0;
  if (sscanf(reply, "ok root=%d tasks=%d processes=%d stopped=%d%n", &root, &tasks, &procs, &stopped, &at) == 4) {
    /* " cpuid=R1,R2": the CPUID rules in force, for the adopt (a helper without them sends none) */
    char cpuid[CONTROL_REPLY_MAX + 8];
    rules_json(strncmp(reply + at, " cpuid=", 7) == 0 ? reply + at + 7 : "-", cpuid, sizeof cpuid);
    if (stop && !stopped)
      return answer_fail("helper", ETIMEDOUT, "release",
                         "pid %d's helper (pid %d) let go, but the tree did not stop within 5 s; it runs unfollowed now",
                         (int)pid, tracer);
    /* Detached means TracerPid 0 here before anyone dumps. */
    struct timespec pause = {0, 1000000};
    for (int k = 0; k < 2000 && tree_tracer_of(pid) == tracer; k++) nanosleep(&pause, NULL);
    printf("{\"released\":%d,\"root\":%d,\"helper\":%d,\"tasks\":%d,\"processes\":%d,\"stopped\":%s,\"cpuid\":%s}\n", (int)pid,
           root, tracer, tasks, procs, stopped ? "true" : "false", cpuid);
    fflush(stdout);
    return 0;
  }
  char code[32] = "EPROTO";
  at = 0;
  if (sscanf(reply, "error %31s %n", code, &at) == 1) {
    int err = answer_errno_of(code);
    if (strncmp(reply + at, "cpuid-running: ", 15) == 0)
      return answer_fail("cpuid-running", err, "release", "pid %d's helper (pid %d) refused: %s", (int)pid, tracer,
                         reply + at + 15);
    return answer_fail(err == EPERM   ? "permission"
                       : err == ESRCH ? "not-followed"
                                      : "helper",
                       err, "release", "pid %d's helper (pid %d) refused: %s", (int)pid, tracer, reply + at);
  }
  return answer_fail("helper", EPROTO, "recv", "pid %d's helper (pid %d) answered '%s'", (int)pid, tracer, reply);
}
