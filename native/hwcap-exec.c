/*
 * hwcap-exec: run a program whose auxv CPU feature words (AT_HWCAP*) are masked.
 *
 *   hwcap-exec [--mode kernel|ptrace|auto] [--no-follow] [--hwcap W] [--hwcap2 W]
 *              [--hwcap3 W] [--hwcap4 W] [--status-fd N] [--pdeathsig SIG]
 *              [--no-new-privs] [--allow-security-masking] -- PROGRAM ARGS...
 *
 * Each W is a word of bits to keep; it is ANDed with what the kernel reports,
 * so no bit is ever added.
 *
 * Shape: parse arguments -> setup steps in a fixed order (irreversible ones
 * last) -> exec. Every setup failure is reported on the status fd (a line of
 * JSON: {"stage","syscall","errno","code"}) and on stderr
 * ("hwcap-exec: ptrace(PTRACE_SEIZE): EPERM"), and the program is not run.
 *
 * Modes:
 *   kernel  PR_SET_MM_AUXV (privileged) or PR_SET_MM_MAP on this process, then
 *           execve. Correct only on kernels that pass a masked auxv across exec;
 *           a fork+exec of this binary checks that first (skip with --no-verify,
 *           for probes).
 *   ptrace  this process keeps its pid and becomes the target. A detached helper
 *           (double fork) PTRACE_SEIZEs it with TRACEEXEC|EXITKILL (and
 *           FORK|VFORK|CLONE when following the tree); this process execs only
 *           once the seize is confirmed (TracerPid). At each exec stop the helper
 *           ANDs the AT_HWCAP* words on the new stack and injects
 *           prctl(PR_SET_MM, PR_SET_MM_MAP) into the tracee so that its saved
 *           copy (/proc/<pid>/auxv, PR_GET_AUXV) agrees.
 *   auto    kernel where the check shows the kernel inherits, ptrace otherwise.
 *
 * Exit status: the target's own; 127 program not found; 126 not executable;
 * 125 the launcher failed before exec (as env(1) and timeout(1) do).
 *
 * Kernel interfaces: include/uapi/linux/prctl.h, include/uapi/linux/ptrace.h,
 * arch/arm64/include/uapi/asm/hwcap.h (Linux 6.18).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <ctype.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "prctl_compat.h"
#include "launcher/cpuid_mask.h"
#include "launcher/cpuid_trace.h"
#include "launcher/launcher_hooks.h"
#include "launcher/seccomp_filter.h"

#define EXIT_SETUP 125
#define EXIT_NOEXEC 126
#define EXIT_NOTFOUND 127
#define MAX_AUXV_WORDS 1024 /* pairs * 2; the kernel keeps far fewer */

/* struct prctl_mm_map, include/uapi/linux/prctl.h */
struct mm_map {
  uint64_t start_code, end_code, start_data, end_data, start_brk, brk, start_stack;
  uint64_t arg_start, arg_end, env_start, env_end;
  uint64_t auxv;
  uint32_t auxv_size;
  uint32_t exe_fd;
};

static const unsigned long hwcap_types[4] = {16, 26, 29, 30}; /* AT_HWCAP, AT_HWCAP2, AT_HWCAP3, AT_HWCAP4 */
static const char *const word_names[4] = {"AT_HWCAP", "AT_HWCAP2", "AT_HWCAP3", "AT_HWCAP4"};

/*
 * Security features: masked only with --allow-security-masking. Hiding them
 * turns off hardening (pointer authentication, branch targets, memory tagging,
 * shadow stacks, permission overlays, speculation and timing controls) in the
 * child. The same rows are marked `security: true` in lib/arch/aarch64.ts; a
 * test checks that the two agree. Bits from arch/arm64/include/uapi/asm/hwcap.h
 * (Linux 6.18). The x86-64 AT_HWCAP words (CPUID.1:EDX, AT_HWCAP2 ring3mwait
 * and fsgsbase) carry no security feature.
 */
struct security_feature {
  const char *name;
  int word; /* 0..3 for AT_HWCAP..AT_HWCAP4 */
  int bit;
};
static const struct security_feature security_features[] = {
#if defined(__aarch64__)
    {"dit", 0, 24},     {"ssbs", 0, 28},  {"paca", 0, 30},   {"pacg", 0, 31},
    {"gcs", 0, 32},     {"bti", 1, 17},   {"mte", 1, 18},    {"mte3", 1, 22},
    {"poe", 1, 63},     {"mtefar", 2, 0}, {"mtestoreonly", 2, 1},
#endif
    {NULL, 0, 0},
};

enum mode { MODE_AUTO, MODE_KERNEL, MODE_PTRACE };

static int opt_mode = MODE_AUTO;
static int opt_follow = 1;
static uint64_t opt_keep[4] = {~0ULL, ~0ULL, ~0ULL, ~0ULL};
static int opt_status_fd = -1;
static int opt_pdeathsig;
static int opt_no_new_privs;
static int opt_allow_security;
static int opt_verify = 1;
static const char *opt_argv0;
static const char *opt_fault = ""; /* HWCAP_EXEC_FAULT, for tests */
static int opt_stats_fd = -1;
static int opt_probe_cpuid;
static int cpuid_on; /* a --cpuid rule removes a bit */

/* ------------------------------------------------------------------------------------------ */
/* Reporting                                                                                  */

static const char *errno_code(int err) {
  const char *s = err ? strerrorname_np(err) : "OK";
  return s ? s : "EUNKNOWN";
}

static void write_all(int fd, const char *buf, size_t len) {
  while (len > 0) {
    ssize_t r = write(fd, buf, len);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return;
    buf += r;
    len -= (size_t)r;
  }
}

/* One JSON line on the status fd. The format's own strings never need escaping. */
static void status_line(const char *fmt, ...) {
  if (opt_status_fd < 0) return;
  char buf[1024];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(buf, sizeof buf - 1, fmt, ap);
  va_end(ap);
  if (n < 0) return;
  if ((size_t)n > sizeof buf - 2) n = sizeof buf - 2;
  buf[n++] = '\n';
  write_all(opt_status_fd, buf, (size_t)n);
}

/* `in` as the inside of a JSON string, cut to fit `cap` bytes with its terminator. */
static void json_escape(const char *in, char *out, size_t cap) {
  size_t n = 0;
  for (const unsigned char *p = (const unsigned char *)in; *p && n + 7 < cap; p++) {
    if (*p == '"' || *p == '\\') {
      out[n++] = '\\';
      out[n++] = (char)*p;
    } else if (*p < 0x20 || *p == 0x7f) {
      n += (size_t)snprintf(out + n, cap - n, "\\u%04x", *p);
    } else {
      out[n++] = (char)*p;
    }
  }
  out[n] = 0;
}

static void message(const char *fmt, ...) {
  char buf[512];
  int n = snprintf(buf, sizeof buf, "hwcap-exec: ");
  va_list ap;
  va_start(ap, fmt);
  n += vsnprintf(buf + n, sizeof buf - (size_t)n - 1, fmt, ap);
  va_end(ap);
  if (n > (int)sizeof buf - 2) n = (int)sizeof buf - 2;
  buf[n++] = '\n';
  write_all(2, buf, (size_t)n);
}

/*
 * A failure before the program runs. With a status fd, the caller reads it
 * there: {stage, syscall, errno, code, message}, and nothing goes to stderr,
 * which belongs to the program. Without one, the message goes to stderr.
 */
static void failure(const char *stage, const char *syscall_name, int err, const char *fmt, ...) {
  char text[400];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(text, sizeof text, fmt, ap);
  va_end(ap);
  if (opt_status_fd < 0) {
    message("%s", text);
    return;
  }
  char esc[700];
  json_escape(text, esc, sizeof esc);
  status_line("{\"stage\":\"%s\",\"syscall\":\"%s\",\"errno\":%d,\"code\":\"%s\",\"message\":\"%s\"}", stage, syscall_name, err,
              errno_code(err), esc);
}

/* A setup step failed: report it and stop before the program runs. */
static void fail(const char *stage, const char *syscall_name, int err, int status) {
  failure(stage, syscall_name, err, "%s: %s", syscall_name, errno_code(err));
  _exit(status);
}

/* The fault switch holds one name or a comma-separated list. */
static int fault_named(const char *name) {
  size_t len = strlen(name);
  for (const char *p = opt_fault; *p;) {
    const char *end = strchrnul(p, ',');
    if ((size_t)(end - p) == len && strncmp(p, name, len) == 0) return 1;
    p = *end ? end + 1 : end;
  }
  return 0;
}

static void fault_point(const char *name) {
  if (fault_named(name)) raise(SIGKILL);
}

void launcher_fault_point(const char *name) { fault_point(name); }

void launcher_message(const char *fmt, ...) {
  char text[400];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(text, sizeof text, fmt, ap);
  va_end(ap);
  message("%s", text);
}

/* ------------------------------------------------------------------------------------------ */
/* Arguments                                                                                  */

static void usage(FILE *f) {
  fputs("usage: hwcap-exec [--mode kernel|ptrace|auto] [--no-follow] [--hwcap W] [--hwcap2 W]\n"
        "                  [--hwcap3 W] [--hwcap4 W] [--status-fd N] [--pdeathsig SIG]\n"
        "                  [--no-new-privs] [--allow-security-masking] [--argv0 NAME]\n"
        "                  [--cpuid LEAF[.SUBLEAF]:REG=KEEP]... [--stats-fd N] -- PROGRAM ARGS...\n"
        "       hwcap-exec --probe-cpuid-fault\n"
        "Each W is a word of AT_HWCAP* bits to keep (decimal or 0x hex); it is ANDed with\n"
        "what the kernel reports. Exit status: the program's; 127 not found; 126 not\n"
        "executable; 125 the launcher failed before exec.\n"
        "--cpuid (x86-64, ptrace mode): LEAF, SUBLEAF and KEEP are hexadecimal, always\n"
        "(an optional 0x changes nothing); REG is eax, ebx, ecx or edx. KEEP is ANDed\n"
        "into what the CPU answers, for every CPUID the program and its tree execute.\n",
        f);
}

static void bad_arg(const char *fmt, const char *what) {
  char buf[256];
  snprintf(buf, sizeof buf, fmt, what);
  failure("args", "argv", EINVAL, "%s", buf);
  if (opt_status_fd < 0) usage(stderr);
  _exit(EXIT_SETUP);
}

static int parse_u64(const char *s, uint64_t *out) {
  if (!s || !*s || *s == '-' || isspace((unsigned char)*s)) return -1;
  char *end;
  errno = 0;
  unsigned long long v = strtoull(s, &end, 0);
  if (errno || *end) return -1;
  *out = v;
  return 0;
}

static const struct {
  const char *name;
  int sig;
} signal_names[] = {
    {"HUP", SIGHUP},   {"INT", SIGINT},   {"QUIT", SIGQUIT}, {"ILL", SIGILL},   {"ABRT", SIGABRT},
    {"FPE", SIGFPE},   {"KILL", SIGKILL}, {"SEGV", SIGSEGV}, {"PIPE", SIGPIPE}, {"ALRM", SIGALRM},
    {"TERM", SIGTERM}, {"USR1", SIGUSR1}, {"USR2", SIGUSR2}, {"CHLD", SIGCHLD}, {"CONT", SIGCONT},
    {"STOP", SIGSTOP}, {"TSTP", SIGTSTP}, {"TTIN", SIGTTIN}, {"TTOU", SIGTTOU}, {"BUS", SIGBUS},
    {"SYS", SIGSYS},   {"TRAP", SIGTRAP}, {"XCPU", SIGXCPU}, {"XFSZ", SIGXFSZ}, {"VTALRM", SIGVTALRM},
    {"PROF", SIGPROF}, {"WINCH", SIGWINCH}, {"IO", SIGIO},   {"PWR", SIGPWR},   {"URG", SIGURG},
};

static int parse_signal(const char *s) {
  uint64_t n;
  if (parse_u64(s, &n) == 0) return (n >= 1 && n <= 64) ? (int)n : -1;
  if (strncasecmp(s, "SIG", 3) == 0) s += 3;
  for (size_t i = 0; i < sizeof signal_names / sizeof signal_names[0]; i++)
    if (strcasecmp(s, signal_names[i].name) == 0) return signal_names[i].sig;
  return -1;
}

/* --opt VALUE or --opt=VALUE */
static const char *opt_value(int argc, char **argv, int *i, const char *name) {
  size_t len = strlen(name);
  if (strncmp(argv[*i], name, len) != 0) return NULL;
  if (argv[*i][len] == '=') return argv[*i] + len + 1;
  if (argv[*i][len] != '\0') return NULL;
  if (*i + 1 >= argc) bad_arg("option '%s' needs a value", name);
  return argv[++*i];
}

static int check_inherited_main(int argc, char **argv, char **envp);

static int parse_args(int argc, char **argv) {
  int i = 1;
  for (; i < argc; i++) {
    const char *a = argv[i];
    const char *v;
    if (strcmp(a, "--") == 0) {
      i++;
      break;
    }
    if (a[0] != '-') break; /* the program, as env(1) takes it */
    if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
      usage(stdout);
      exit(0);
    } else if ((v = opt_value(argc, argv, &i, "--mode"))) {
      if (strcmp(v, "kernel") == 0) opt_mode = MODE_KERNEL;
      else if (strcmp(v, "ptrace") == 0) opt_mode = MODE_PTRACE;
      else if (strcmp(v, "auto") == 0) opt_mode = MODE_AUTO;
      else bad_arg("--mode must be kernel, ptrace or auto, not '%s'", v);
    } else if (strcmp(a, "--no-follow") == 0) {
      opt_follow = 0;
    } else if (strcmp(a, "--follow") == 0) {
      opt_follow = 1;
    } else if (strcmp(a, "--no-new-privs") == 0) {
      opt_no_new_privs = 1;
    } else if (strcmp(a, "--allow-security-masking") == 0) {
      opt_allow_security = 1;
    } else if (strcmp(a, "--no-verify") == 0) {
      opt_verify = 0;
    } else if ((v = opt_value(argc, argv, &i, "--status-fd"))) {
      uint64_t n;
      if (parse_u64(v, &n) || n > 65535) bad_arg("--status-fd must be a file descriptor number, not '%s'", v);
      int flags = fcntl((int)n, F_GETFD);
      if (flags < 0) bad_arg("--status-fd %s is not an open file descriptor", v);
      opt_status_fd = (int)n;
      fcntl(opt_status_fd, F_SETFD, flags | FD_CLOEXEC);
    } else if ((v = opt_value(argc, argv, &i, "--cpuid"))) {
      char err[256];
      if (cpuid_mask_add_rule(v, err, sizeof err)) bad_arg("%s", err);
    } else if (strcmp(a, "--probe-cpuid-fault") == 0) {
      opt_probe_cpuid = 1;
    } else if ((v = opt_value(argc, argv, &i, "--stats-fd"))) {
      uint64_t n;
      if (parse_u64(v, &n) || n > 65535 || fcntl((int)n, F_GETFD) < 0) bad_arg("--stats-fd must be an open file descriptor, not '%s'", v);
      opt_stats_fd = (int)n;
      fcntl(opt_stats_fd, F_SETFD, FD_CLOEXEC);
    } else if ((v = opt_value(argc, argv, &i, "--argv0"))) {
      opt_argv0 = v;
    } else if ((v = opt_value(argc, argv, &i, "--pdeathsig"))) {
      int s = parse_signal(v);
      if (s < 0) bad_arg("--pdeathsig must be a signal name or number, not '%s'", v);
      opt_pdeathsig = s;
    } else {
      int w = -1;
      if ((v = opt_value(argc, argv, &i, "--hwcap"))) w = 0;
      else if ((v = opt_value(argc, argv, &i, "--hwcap2"))) w = 1;
      else if ((v = opt_value(argc, argv, &i, "--hwcap3"))) w = 2;
      else if ((v = opt_value(argc, argv, &i, "--hwcap4"))) w = 3;
      if (w < 0) bad_arg("unknown option '%s'", a);
      if (parse_u64(v, &opt_keep[w])) bad_arg("a word must be an unsigned 64-bit number (decimal or 0x hex), not '%s'", v);
    }
  }
  if (i >= argc && !opt_probe_cpuid) bad_arg("%s", "no PROGRAM given after the options");
  return i;
}

/* ------------------------------------------------------------------------------------------ */
/* The kernel's copy of this process's auxv, and /proc/<pid>/stat                             */

/* Reads the pairs of /proc/<pid>/auxv (or "self") through AT_NULL. Returns the word count or -errno. */
static int read_proc_auxv(const char *pid, uint64_t *words, int max) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%s/auxv", pid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -errno;
  size_t len = 0;
  for (;;) {
    ssize_t r = read(fd, (char *)words + len, (size_t)max * 8 - len);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) {
      int e = errno;
      close(fd);
      return -e;
    }
    if (r == 0 || (len += (size_t)r) >= (size_t)max * 8) break;
  }
  close(fd);
  int n = (int)(len / 16) * 2;
  for (int k = 0; k < n; k += 2)
    if (words[k] == 0) return k + 2;
  return -EPROTO;
}

static void words_of(const uint64_t *auxv, int n, uint64_t out[4]) {
  memset(out, 0, 4 * sizeof out[0]);
  for (int k = 0; k + 1 < n && auxv[k] != 0; k += 2)
    for (int w = 0; w < 4; w++)
      if (auxv[k] == hwcap_types[w]) out[w] = auxv[k + 1];
}

static void apply_keep(uint64_t *auxv, int n, const uint64_t keep[4]) {
  for (int k = 0; k + 1 < n && auxv[k] != 0; k += 2)
    for (int w = 0; w < 4; w++)
      if (auxv[k] == hwcap_types[w]) auxv[k + 1] &= keep[w];
}

/* Fields of /proc/<pid>/stat, 1-based as in proc(5); fields 1 and 2 and 3 are left 0. */
static int read_stat(const char *pid, uint64_t f[53]) {
  char path[64], buf[4096];
  snprintf(path, sizeof path, "/proc/%s/stat", pid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -errno;
  ssize_t len = read(fd, buf, sizeof buf - 1);
  int e = errno;
  close(fd);
  if (len < 0) return -e;
  buf[len] = 0;
  char *p = strrchr(buf, ')'); /* comm may hold spaces and parentheses */
  if (!p) return -EPROTO;
  p += 2;
  memset(f, 0, 53 * sizeof f[0]);
  int field = 3;
  while (*p && field <= 52) {
    if (field > 3) f[field] = strtoull(p, NULL, 10);
    while (*p && *p != ' ') p++;
    while (*p == ' ') p++;
    field++;
  }
  return field > 51 ? 0 : -ENOSYS;
}

static void fill_mm_map(struct mm_map *m, const uint64_t st[53]) {
  memset(m, 0, sizeof *m);
  m->start_code = st[26];
  m->end_code = st[27];
  m->start_stack = st[28];
  m->start_data = st[45];
  m->end_data = st[46];
  m->start_brk = st[47];
  m->arg_start = st[48];
  m->arg_end = st[49];
  m->env_start = st[50];
  m->env_end = st[51];
  m->exe_fd = (uint32_t)-1; /* leave /proc/<pid>/exe alone */
}

static int check_mm_map_size(void) {
  unsigned int size = 0;
  if (prctl(PR_SET_MM, PR_SET_MM_MAP_SIZE, (unsigned long)&size, 0, 0) != 0) return -errno;
  return size == sizeof(struct mm_map) ? 0 : -EPROTO;
}

/* ------------------------------------------------------------------------------------------ */
/* The program: PATH search, setuid checks, exec                                             */

static char exec_path[4096];

/* execvp's search, with the PATH of the environment the program gets. 0 or an errno. */
static int resolve_program(const char *file) {
  if (strchr(file, '/')) {
    if (strlen(file) >= sizeof exec_path) return ENAMETOOLONG;
    strcpy(exec_path, file);
    struct stat sb;
    if (stat(file, &sb) != 0) return errno;
    if (S_ISDIR(sb.st_mode) || access(file, X_OK) != 0) return EACCES;
    return 0;
  }
  if (!*file) return ENOENT;
  const char *path = getenv("PATH");
  if (!path) path = "/usr/bin:/bin";
  int seen_eacces = 0;
  for (const char *p = path;; p++) {
    const char *end = strchrnul(p, ':');
    size_t dlen = (size_t)(end - p);
    char cand[4096];
    if (dlen + 1 + strlen(file) + 1 <= sizeof cand) {
      if (dlen == 0) snprintf(cand, sizeof cand, "%s", file);
      else snprintf(cand, sizeof cand, "%.*s/%s", (int)dlen, p, file);
      struct stat sb;
      if (stat(cand, &sb) == 0) {
        if (!S_ISDIR(sb.st_mode) && access(cand, X_OK) == 0) {
          strcpy(exec_path, cand);
          return 0;
        }
        seen_eacces = 1;
      }
    }
    if (!*end) break;
    p = end;
  }
  return seen_eacces ? EACCES : ENOENT;
}

static int exit_for(int err) { return (err == ENOENT || err == ENOTDIR || err == ENAMETOOLONG || err == ELOOP) ? EXIT_NOTFOUND : EXIT_NOEXEC; }

/* In ptrace mode the kernel would silently run these without their privileges. */
static void refuse_privileged_target(void) {
  struct stat sb;
  if (stat(exec_path, &sb) != 0) fail("check-target", "stat", errno, exit_for(errno));
  if ((sb.st_mode & S_ISUID) || ((sb.st_mode & S_ISGID) && (sb.st_mode & S_IXGRP))) {
    failure("check-target", "execve", EPERM, "%s is set-user-ID or set-group-ID; ptrace mode would run it without those privileges; refused", exec_path);
    _exit(EXIT_SETUP);
  }
  if (getxattr(exec_path, "security.capability", NULL, 0) >= 0) {
    failure("check-target", "execve", EPERM, "%s has file capabilities; ptrace mode would run it without them; refused", exec_path);
    _exit(EXIT_SETUP);
  }
}

static void do_exec(char **argv) {
  unsetenv("HWCAP_EXEC_FAULT");
  if (opt_no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
    fail("no-new-privs", "prctl(PR_SET_NO_NEW_PRIVS)", errno, EXIT_SETUP);
  status_line("{\"stage\":\"exec\",\"mode\":\"%s\",\"pid\":%d}", opt_mode == MODE_PTRACE ? "ptrace" : "kernel", (int)getpid());
  extern char **environ;
  if (opt_argv0) argv[0] = (char *)opt_argv0;
  execve(exec_path, argv, environ);
  int e = errno;
  if (e == ENOEXEC) {
    /* As execvp(3), and so child_process, do: a file the kernel cannot run is a shell script. */
    int argc = 0;
    while (argv[argc]) argc++;
    char **sh = calloc((size_t)argc + 2, sizeof *sh);
    if (sh) {
      sh[0] = (char *)"/bin/sh";
      sh[1] = exec_path;
      for (int i = 1; i <= argc; i++) sh[i + 1] = argv[i];
      execve("/bin/sh", sh, environ);
      e = errno;
      free(sh);
    }
  }
  failure("exec", "execve", e, "execve(%s): %s", exec_path, errno_code(e));
  _exit(exit_for(e));
}

/* ------------------------------------------------------------------------------------------ */
/* kernel mode                                                                                */

static int set_own_auxv(const uint64_t *words, int n, const char **syscall_name) {
  *syscall_name = "prctl(PR_SET_MM_AUXV)";
  if (prctl(PR_SET_MM, PR_SET_MM_AUXV, (unsigned long)words, (unsigned long)n * 8, 0) == 0) return 0;
  if (errno != EPERM) return -errno;
  *syscall_name = "prctl(PR_SET_MM_MAP_SIZE)";
  int r = check_mm_map_size();
  if (r) return r;
  *syscall_name = "open(/proc/self/stat)";
  uint64_t st[53];
  if ((r = read_stat("self", st))) return r;
  struct mm_map m;
  fill_mm_map(&m, st);
  m.brk = (uint64_t)syscall(SYS_brk, 0);
  m.auxv = (uint64_t)(uintptr_t)words;
  m.auxv_size = (uint32_t)n * 8;
  *syscall_name = "prctl(PR_SET_MM_MAP)";
  if (prctl(PR_SET_MM, PR_SET_MM_MAP, (unsigned long)&m, sizeof m, 0) != 0) return -errno;
  return 0;
}

/*
 * Does a child exec'd from here see the masked words on its stack? Runs this
 * binary as `hwcap-exec --check-inherited W W W W` and takes its exit status.
 */
static int kernel_inherits(const uint64_t want[4]) {
  pid_t pid = fork();
  if (pid < 0) return -errno;
  if (pid == 0) {
    char w[4][24];
    for (int i = 0; i < 4; i++) snprintf(w[i], sizeof w[i], "0x%llx", (unsigned long long)want[i]);
    int devnull = open("/dev/null", O_RDWR);
    if (devnull >= 0) {
      dup2(devnull, 0);
      dup2(devnull, 1);
    }
    char *args[] = {"hwcap-exec", "--check-inherited", w[0], w[1], w[2], w[3], NULL};
    execv("/proc/self/exe", args);
    _exit(2);
  }
  int st;
  while (waitpid(pid, &st, 0) < 0)
    if (errno != EINTR) return -errno;
  return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

/* The child side of kernel_inherits(): exit 0 when the startup stack words are within W. */
static int check_inherited_main(int argc, char **argv, char **envp) {
  uint64_t want[4];
  if (argc != 6) return 2;
  for (int i = 0; i < 4; i++)
    if (parse_u64(argv[2 + i], &want[i])) return 2;
  char **p = envp;
  while (*p) p++;
  uint64_t *auxv = (uint64_t *)(p + 1), got[4];
  words_of(auxv, MAX_AUXV_WORDS, got);
  for (int i = 0; i < 4; i++)
    if (got[i] & ~want[i]) return 1;
  return 0;
}

/* Masks this process's saved auxv. Returns 0 or -errno (with *syscall_name set). */
static int mask_own_kernel_auxv(uint64_t masked_words[4], const char **syscall_name) {
  uint64_t auxv[MAX_AUXV_WORDS];
  int n = read_proc_auxv("self", auxv, MAX_AUXV_WORDS);
  *syscall_name = "open(/proc/self/auxv)";
  if (n < 0) return n;
  apply_keep(auxv, n, opt_keep);
  words_of(auxv, n, masked_words);
  return set_own_auxv(auxv, n, syscall_name);
}

/* ------------------------------------------------------------------------------------------ */
/* ptrace mode: registers                                                                     */

#if defined(__x86_64__)
typedef struct user_regs_struct regs_t;
#define REG_PC(r) ((r).rip)
#define REG_SP(r) ((r).rsp)
#define REG_RET(r) ((r).rax)
static const unsigned char syscall_insn[] = {0x0f, 0x05}; /* syscall */
#define SYSCALL_INSN_ALIGN 1
#define RED_ZONE 128
static void set_syscall(regs_t *r, uint64_t pc, long nr, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4) {
  r->rip = pc;
  r->rax = (uint64_t)nr;
  r->orig_rax = (uint64_t)-1;
  r->rdi = a0;
  r->rsi = a1;
  r->rdx = a2;
  r->r10 = a3;
  r->r8 = a4;
  r->r9 = 0;
}
#elif defined(__aarch64__)
typedef struct user_regs_struct regs_t; /* regs[31], sp, pc, pstate */
#define REG_PC(r) ((r).pc)
#define REG_SP(r) ((r).sp)
#define REG_RET(r) ((r).regs[0])
static const unsigned char syscall_insn[] = {0x01, 0x00, 0x00, 0xd4}; /* svc #0 */
#define SYSCALL_INSN_ALIGN 4
#define RED_ZONE 0
static void set_syscall(regs_t *r, uint64_t pc, long nr, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4) {
  r->pc = pc;
  r->regs[8] = (uint64_t)nr;
  r->regs[0] = a0;
  r->regs[1] = a1;
  r->regs[2] = a2;
  r->regs[3] = a3;
  r->regs[4] = a4;
  r->regs[5] = 0;
}
#else
#error "hwcap-exec: ptrace mode supports x86-64 and arm64"
#endif

/* NT_PRSTATUS through GETREGSET: a task of another ABI (ia32, AArch32) gives another size. */
static int get_regs(pid_t pid, regs_t *r) {
  struct iovec iov = {r, sizeof *r};
  if (ptrace(PTRACE_GETREGSET, pid, (void *)NT_PRSTATUS, &iov) != 0) return -errno;
  return iov.iov_len == sizeof *r ? 0 : -ENOEXEC;
}

static int set_regs(pid_t pid, const regs_t *r) {
  struct iovec iov = {(void *)r, sizeof *r};
  return ptrace(PTRACE_SETREGSET, pid, (void *)NT_PRSTATUS, &iov) == 0 ? 0 : -errno;
}

/* ------------------------------------------------------------------------------------------ */
/* ptrace mode: tracee memory                                                                 */

static int mem_read(pid_t pid, uint64_t addr, void *buf, size_t len) {
  struct iovec local = {buf, len}, remote = {(void *)(uintptr_t)addr, len};
  ssize_t r = process_vm_readv(pid, &local, 1, &remote, 1, 0);
  if (r == (ssize_t)len) return 0;
  /* Fall back to PEEKDATA (process_vm_readv may be filtered by seccomp). */
  for (size_t off = 0; off < len; off += 8) {
    errno = 0;
    long w = ptrace(PTRACE_PEEKDATA, pid, (void *)(uintptr_t)(addr + off), NULL);
    if (errno) return -errno;
    memcpy((char *)buf + off, &w, len - off < 8 ? len - off : 8);
  }
  return 0;
}

static int mem_write(pid_t pid, uint64_t addr, const void *buf, size_t len) {
  struct iovec local = {(void *)buf, len}, remote = {(void *)(uintptr_t)addr, len};
  ssize_t r = process_vm_writev(pid, &local, 1, &remote, 1, 0);
  if (r == (ssize_t)len) return 0;
  for (size_t off = 0; off < len; off += 8) {
    long w = 0;
    size_t n = len - off < 8 ? len - off : 8;
    if (n < 8) {
      errno = 0;
      w = ptrace(PTRACE_PEEKDATA, pid, (void *)(uintptr_t)(addr + off), NULL);
      if (errno) return -errno;
    }
    memcpy(&w, (const char *)buf + off, n);
    if (ptrace(PTRACE_POKEDATA, pid, (void *)(uintptr_t)(addr + off), (void *)w) != 0) return -errno;
  }
  return 0;
}

/*
 * Reads a tracee's words through a window filled by one process_vm_readv: the
 * argv, envp and auxv pointers of a new image take one system call, not one
 * each. The remote range is split into 64-byte pieces because the kernel
 * transfers whole pieces only, so a window that runs past the end of the stack
 * still returns what lies before it. Falls back to mem_read word by word.
 */
struct word_reader {
  pid_t pid;
  uint64_t base;
  size_t n;
  uint64_t buf[512];
};

static int read_word(struct word_reader *wr, uint64_t addr, uint64_t *out) {
  if (wr->n && addr >= wr->base && addr - wr->base < wr->n * 8) {
    *out = wr->buf[(addr - wr->base) / 8];
    return 0;
  }
  struct iovec local = {wr->buf, sizeof wr->buf}, remote[64];
  for (int i = 0; i < 64; i++) {
    remote[i].iov_base = (void *)(uintptr_t)(addr + 64 * (uint64_t)i);
    remote[i].iov_len = 64;
  }
  ssize_t r = process_vm_readv(wr->pid, &local, 1, remote, 64, 0);
  if (r >= 8) {
    wr->base = addr;
    wr->n = (size_t)r / 8;
    *out = wr->buf[0];
    return 0;
  }
  wr->n = 0;
  return mem_read(wr->pid, addr, out, 8);
}

/* ------------------------------------------------------------------------------------------ */
/* ptrace mode: stops                                                                         */

/* Signals that arrive while the helper works on a stopped tracee; delivered when it resumes. */
struct pending {
  int sigs[8];
  int n;
};

static int is_stop_signal(int sig) { return sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU; }

/*
 * Resumes with `request` until the tracee stops with `want` (event 0), holding
 * back the signals that arrive meanwhile: PTRACE_SYSCALL to the next syscall
 * stop (SIGTRAP | 0x80), PTRACE_SINGLESTEP over one instruction (SIGTRAP).
 */
static int resume_until(pid_t pid, int request, int want, struct pending *pend) {
  if (ptrace(request, pid, 0, 0) != 0) return -errno;
  for (;;) {
    int st;
    pid_t r = waitpid(pid, &st, __WALL);
    if (r < 0) {
      if (errno == EINTR) continue;
      return -errno;
    }
    if (!WIFSTOPPED(st)) return -ESRCH; /* killed */
    int sig = WSTOPSIG(st), event = (unsigned)st >> 16;
    if (event == 0 && sig == want) return 0;
    if (event == 0 && sig != (SIGTRAP | 0x80) && pend->n < (int)(sizeof pend->sigs / sizeof pend->sigs[0])) pend->sigs[pend->n++] = sig;
    if (ptrace(request, pid, 0, 0) != 0) return -errno;
  }
}

static int next_syscall_stop(pid_t pid, struct pending *pend) { return resume_until(pid, PTRACE_SYSCALL, SIGTRAP | 0x80, pend); }

/*
 * The address of a system call instruction in the tracee's vDSO, or 0. Any
 * occurrence will do: the tracee jumps straight to it and stops at the
 * syscall's exit, so what the bytes around it mean does not matter.
 */
static uint64_t vdso_syscall_site(pid_t pid, const uint64_t *auxv, int n) {
  uint64_t vdso = 0;
  for (int k = 0; k < n; k += 2)
    if (auxv[k] == 33) vdso = auxv[k + 1]; /* AT_SYSINFO_EHDR */
  if (!vdso) return 0;
  static struct word_reader wr;
  wr.pid = pid;
  wr.n = 0;
  for (uint64_t off = 0; off < 4 * sizeof wr.buf; off += 8) {
    uint64_t w, next = 0;
    if (read_word(&wr, vdso + off, &w)) return 0;
    if (read_word(&wr, vdso + off + 8, &next)) next = 0;
    unsigned char b[16];
    memcpy(b, &w, 8);
    memcpy(b + 8, &next, 8);
    for (size_t i = 0; i < 8; i += SYSCALL_INSN_ALIGN)
      if (memcmp(b + i, syscall_insn, sizeof syscall_insn) == 0) return vdso + off + i;
  }
  return 0;
}

/*
 * Masks the image a tracee has just exec'd. On success the tracee is left in a
 * syscall-exit stop with its registers as execve left them. On failure,
 * *stage and *sysname say which step failed; the caller kills the tracee.
 */
static int mask_exec(pid_t pid, const uint64_t keep[4], int first, struct pending *pend, const char **stage,
                     const char **sysname) {
  int r;
  regs_t regs, inj;
  char pidstr[16];
  snprintf(pidstr, sizeof pidstr, "%d", (int)pid);

  /* Still inside execve: step to its syscall-exit stop, before any user instruction. */
  *stage = "exec-stop";
  *sysname = "ptrace(PTRACE_SYSCALL)";
  if ((r = next_syscall_stop(pid, pend))) return r;
  *sysname = "ptrace(PTRACE_GETREGSET)";
  if ((r = get_regs(pid, &regs))) return r;

  /* The new stack: argc, argv[], NULL, envp[], NULL, auxv pairs. */
  *stage = "patch-stack";
  *sysname = "process_vm_readv";
  static struct word_reader wr;
  wr.pid = pid;
  wr.n = 0;
  uint64_t sp = REG_SP(regs), argc, w, a;
  if ((r = read_word(&wr, sp, &argc))) return r;
  if (argc > (1u << 20)) return -EPROTO;
  a = sp + 8 * (argc + 2); /* past argv and its NULL */
  for (int k = 0;; k++) {
    if (k > (1 << 20)) return -EPROTO;
    if ((r = read_word(&wr, a, &w))) return r;
    a += 8;
    if (w == 0) break;
  }
  uint64_t auxv_addr = a, auxv[MAX_AUXV_WORDS];
  int n = 0;
  for (;;) {
    if (n + 2 > MAX_AUXV_WORDS) return -E2BIG;
    if ((r = read_word(&wr, a, &auxv[n])) || (r = read_word(&wr, a + 8, &auxv[n + 1]))) return r;
    a += 16;
    n += 2;
    if (auxv[n - 2] == 0) break;
  }
  apply_keep(auxv, n, keep);
  uint64_t masked[4];
  words_of(auxv, n, masked);
  /* The whole vector in one write: only the HWCAP words differ from what is there. */
  *sysname = "process_vm_writev";
  if ((r = mem_write(pid, auxv_addr, auxv, (size_t)n * 8))) return r;
  if (first) fault_point("helper-during-patch");

  /* The kernel's saved copy: inject prctl(PR_SET_MM, PR_SET_MM_MAP, &map, sizeof map). */
  *stage = "inject";
  *sysname = "open(/proc/<pid>/stat)";
  uint64_t st[53];
  if ((r = read_stat(pidstr, st))) return r;
  struct mm_map m;
  fill_mm_map(&m, st);
  m.brk = m.start_brk; /* a fresh image has not moved its brk */
  size_t scratch_len = sizeof m + (size_t)n * 8;
  uint64_t scratch = (sp - RED_ZONE - 256 - scratch_len) & ~(uint64_t)15;
  m.auxv = scratch + sizeof m;
  m.auxv_size = (uint32_t)n * 8;
  unsigned char saved_scratch[sizeof m + MAX_AUXV_WORDS * 8], fresh[sizeof m + MAX_AUXV_WORDS * 8];
  *sysname = "process_vm_readv";
  if ((r = mem_read(pid, scratch, saved_scratch, scratch_len))) return r;
  memcpy(fresh, &m, sizeof m);
  memcpy(fresh + sizeof m, auxv, (size_t)n * 8);
  *sysname = "process_vm_writev";
  if ((r = mem_write(pid, scratch, fresh, scratch_len))) return r;

  /*
   * A system call instruction to run: one in the vDSO (AT_SYSINFO_EHDR) leaves the
   * program's own code untouched; without a vDSO one is written over the entry
   * point and put back afterwards (HWCAP_EXEC_FAULT=no-vdso-site forces that, for tests).
   */
  uint64_t pc = REG_PC(regs), site = fault_named("no-vdso-site") ? 0 : vdso_syscall_site(pid, auxv, n);
  long code = 0;
  if (!site) {
    errno = 0;
    *sysname = "ptrace(PTRACE_PEEKTEXT)";
    code = ptrace(PTRACE_PEEKTEXT, pid, (void *)(uintptr_t)pc, NULL);
    if (errno) return -errno;
    long patched = code;
    memcpy(&patched, syscall_insn, sizeof syscall_insn);
    *sysname = "ptrace(PTRACE_POKETEXT)";
    if (ptrace(PTRACE_POKETEXT, pid, (void *)(uintptr_t)pc, (void *)patched) != 0) return -errno;
  }
  if (first) fault_point("helper-during-inject");
  inj = regs;
  set_syscall(&inj, site ? site : pc, SYS_prctl, PR_SET_MM, PR_SET_MM_MAP, scratch, sizeof m, 0);
  *sysname = "ptrace(PTRACE_SETREGSET)";
  if ((r = set_regs(pid, &inj))) return r;
  /* One step runs the whole system call: one round trip, not a stop at its entry and its exit. */
  *sysname = "ptrace(PTRACE_SINGLESTEP)";
  if ((r = resume_until(pid, PTRACE_SINGLESTEP, SIGTRAP, pend))) return r;
  regs_t after;
  *sysname = "ptrace(PTRACE_GETREGSET)";
  if ((r = get_regs(pid, &after))) return r;
  long ret = (long)REG_RET(after);

  /* Put back the code, the scratch area and the registers execve left. */
  *sysname = "ptrace(PTRACE_POKETEXT)";
  if (!site && ptrace(PTRACE_POKETEXT, pid, (void *)(uintptr_t)pc, (void *)code) != 0) return -errno;
  *sysname = "process_vm_writev";
  if ((r = mem_write(pid, scratch, saved_scratch, scratch_len))) return r;
  *sysname = "ptrace(PTRACE_SETREGSET)";
  if ((r = set_regs(pid, &regs))) return r;
  *sysname = "prctl(PR_SET_MM_MAP)";
  if (ret != 0) return ret < 0 && ret > -4096 ? (int)ret : -EPROTO;

  /* Check the kernel's copy now shows the masked words. */
  *stage = "verify";
  *sysname = "open(/proc/<pid>/auxv)";
  uint64_t back[MAX_AUXV_WORDS], got[4];
  int nb = read_proc_auxv(pidstr, back, MAX_AUXV_WORDS);
  if (nb < 0) return nb;
  words_of(back, nb, got);
  if (memcmp(got, masked, sizeof got) != 0) return -EPROTO;
  return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* ptrace mode: the helper                                                                    */

struct go_msg {
  int32_t err;
  int32_t pid;
};

static void resume(pid_t pid, int sig, int detach) {
  ptrace(detach ? PTRACE_DETACH : PTRACE_CONT, pid, 0, (void *)(long)sig);
}

static void deliver_pending(pid_t pid, struct pending *pend, int detach) {
  for (int i = 1; i < pend->n; i++) kill(pid, pend->sigs[i]);
  resume(pid, pend->n ? pend->sigs[0] : 0, detach);
}

static void silence_stderr(void) {
  int devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
  if (devnull >= 0) {
    dup2(devnull, 2);
    close(devnull);
  }
}

static void helper_main(pid_t target, int go_fd, int ack_fd, const uint64_t keep[4]) {
  /* Keep only the go and ack pipes, the status fd and stderr: the target's stdio pipes must close with it. */
  int go = fcntl(go_fd, F_DUPFD_CLOEXEC, 100);
  int ack = fcntl(ack_fd, F_DUPFD_CLOEXEC, 100);
  int status = opt_status_fd >= 0 ? fcntl(opt_status_fd, F_DUPFD_CLOEXEC, 100) : -1;
  int stats = opt_stats_fd >= 0 ? fcntl(opt_stats_fd, F_DUPFD_CLOEXEC, 100) : -1;
  if (go < 0 || ack < 0 || (opt_status_fd >= 0 && status < 0) || (opt_stats_fd >= 0 && stats < 0)) _exit(1);
  int devnull = open("/dev/null", O_RDWR);
  if (devnull >= 0) {
    dup2(devnull, 0);
    dup2(devnull, 1);
  }
  dup2(go, 3);
  go = 3;
  dup2(ack, 4);
  ack = 4;
  if (status >= 0) {
    dup2(status, 5);
    status = 5;
  }
  if (stats >= 0) {
    dup2(stats, 6);
    opt_stats_fd = 6;
  }
  close_range(7, ~0U, 0);
  fcntl(3, F_SETFD, FD_CLOEXEC);
  fcntl(4, F_SETFD, FD_CLOEXEC);
  opt_status_fd = status;
  /* Terminal and group signals meant for the target must not end the helper (EXITKILL would kill the tree). */
  const int ignored[] = {SIGINT, SIGQUIT, SIGTERM, SIGHUP, SIGPIPE, SIGTSTP, SIGTTIN, SIGTTOU, SIGUSR1, SIGUSR2};
  for (size_t i = 0; i < sizeof ignored / sizeof ignored[0]; i++) signal(ignored[i], SIG_IGN);
  prctl(PR_SET_NAME, (unsigned long)"hwcap-exec-helper", 0, 0, 0);

  /* Wait until the target has named this helper its ptracer (Yama); EOF: it is gone. */
  char byte;
  ssize_t got;
  while ((got = read(ack, &byte, 1)) < 0 && errno == EINTR) {
  }
  close(ack);
  if (got != 1) _exit(1);
  fault_point("helper-before-seize");
  struct go_msg msg = {0, (int32_t)getpid()};
  unsigned long options = PTRACE_O_TRACEEXEC | PTRACE_O_EXITKILL | PTRACE_O_TRACESYSGOOD;
  /* A CPUID mask stays attached to the whole tree: forks inherit faulting, and the filter's traced calls need a tracer. */
  if (opt_follow || cpuid_on) options |= PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK | PTRACE_O_TRACECLONE;
  if (cpuid_on) options |= PTRACE_O_TRACESECCOMP;
  int r = check_mm_map_size();
  if (r == 0 && ptrace(PTRACE_SEIZE, target, 0, (void *)options) != 0) r = -errno;
  if (r) msg.err = -r;
  fault_point("helper-after-seize");
  write_all(go, (const char *)&msg, sizeof msg);
  close(go);
  if (msg.err) _exit(1);
  if (cpuid_on) cpuid_trace_init(); /* while the target execs */

  int first = 1;
  unsigned long execs = 0;
  for (;;) {
    int st;
    pid_t pid = waitpid(-1, &st, __WALL);
    if (pid < 0) {
      if (errno == EINTR) continue;
      break; /* ECHILD: the tree is empty */
    }
    if (!WIFSTOPPED(st)) { /* exited or killed: already reaped for the real parent */
      if (cpuid_on) cpuid_trace_exited(pid);
      continue;
    }
    int sig = WSTOPSIG(st), event = (unsigned)st >> 16;
    if (cpuid_on && event != PTRACE_EVENT_EXEC && cpuid_trace_stop(pid, st)) {
      resume(pid, 0, 0); /* the step into a handler: its mask is known now */
      continue;
    }
    switch (event) {
      case PTRACE_EVENT_EXEC: {
        if (first) fault_point("helper-at-exec-stop");
        struct pending pend = {{0}, 0};
        const char *stage = "", *sysname = "";
        execs++;
        if (!first && !opt_follow) {
          /* --no-follow under a CPUID mask: still attached, but this image is not masked. */
          r = next_syscall_stop(pid, &pend);
          if (r == 0) {
            /* Not armed, so no trap to answer: a state it cannot read only costs its fidelity later. */
            if (cpuid_trace_exec(pid, 0, &stage, &sysname) != 0) message("pid %d: %s: %s; its signal state is not tracked", (int)pid, stage, sysname);
            deliver_pending(pid, &pend, 0);
            break;
          }
          stage = "exec-stop";
          sysname = "ptrace(PTRACE_SYSCALL)";
        } else {
          r = mask_exec(pid, keep, first, &pend, &stage, &sysname);
        }
        if (r == 0 && cpuid_on) r = cpuid_trace_exec(pid, 1, &stage, &sysname);
        if (r) {
          /* Fail closed: the image never runs unmasked. */
          kill(pid, SIGKILL);
          ptrace(PTRACE_CONT, pid, 0, (void *)(long)SIGKILL);
          if (first) failure(stage, sysname, -r, "pid %d: %s: %s: %s; killed it", (int)pid, stage, sysname, errno_code(-r));
          else message("pid %d: %s: %s: %s; killed it", (int)pid, stage, sysname, errno_code(-r));
          if (first) {
            if (opt_status_fd >= 0) close(opt_status_fd);
            opt_status_fd = -1;
            first = 0;
          }
          break;
        }
        if (first) {
          if (cpuid_on) {
            char rules[600];
            cpuid_mask_describe(rules, sizeof rules);
            status_line("{\"stage\":\"masked\",\"pid\":%d,\"cpuid\":\"%s\"}", (int)pid, rules);
          } else {
            status_line("{\"stage\":\"masked\",\"pid\":%d}", (int)pid);
          }
          if (opt_status_fd >= 0) close(opt_status_fd);
          opt_status_fd = -1;
          first = 0;
          if (!opt_follow) silence_stderr();
        }
        deliver_pending(pid, &pend, !opt_follow && !cpuid_on);
        break;
      }
      case PTRACE_EVENT_SECCOMP:
        if (cpuid_on && (r = cpuid_trace_seccomp(pid)) < 0 && r != -ESRCH) message("pid %d: seccomp stop: %s", (int)pid, errno_code(-r));
        resume(pid, 0, 0);
        break;
      case PTRACE_EVENT_STOP:
        /* Group-stop of a seized tracee: stay stopped until SIGCONT without holding it. */
        if (is_stop_signal(sig)) ptrace(PTRACE_LISTEN, pid, 0, 0);
        else resume(pid, 0, 0);
        break;
      case PTRACE_EVENT_FORK:
      case PTRACE_EVENT_VFORK:
      case PTRACE_EVENT_CLONE:
        resume(pid, 0, 0);
        break;
      case 0:
        if (sig == (SIGTRAP | 0x80)) { /* a stray syscall stop */
          resume(pid, 0, 0);
          break;
        }
        if (cpuid_on) {
          /* A trapped CPUID is answered and suppressed; any other signal goes on unchanged. */
          r = cpuid_trace_signal(pid, sig);
          if (r == 1) {
            resume(pid, 0, 0);
          } else if (r < 0) {
            message("pid %d: answering CPUID: %s; killed it", (int)pid, errno_code(-r));
            kill(pid, SIGKILL);
            resume(pid, SIGKILL, 0);
          } else {
            ptrace(cpuid_trace_deliver_request(pid, sig), pid, 0, (void *)(long)sig);
          }
          break;
        }
        /* Signal-delivery stop: pass the signal on unchanged. */
        resume(pid, sig, 0);
        break;
      default:
        resume(pid, 0, 0);
    }
  }
  if (opt_stats_fd >= 0) {
    char stats[300];
    cpuid_trace_stats_json(stats, sizeof stats);
    char line[400];
    int n = snprintf(line, sizeof line, "{\"stage\":\"stats\",\"execs\":%lu,\"cpuid\":%s}\n", execs, stats);
    if (n > 0) write_all(opt_stats_fd, line, (size_t)n);
  }
  _exit(0);
}

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

/* Reads TracerPid from /proc/self/status. */
static int tracer_pid(void) {
  FILE *f = fopen("/proc/self/status", "re");
  if (!f) return -1;
  char line[256];
  int t = -1;
  while (fgets(line, sizeof line, f))
    if (sscanf(line, "TracerPid: %d", &t) == 1) break;
  fclose(f);
  return t;
}

static void run_ptrace(char **argv, const uint64_t keep[4]) {
  refuse_privileged_target();
  int t = tracer_pid();
  if (t > 0) {
    failure("seize", "ptrace(PTRACE_SEIZE)", EPERM, "ptrace(PTRACE_SEIZE): EPERM (already traced by pid %d; ptrace mode cannot nest)", t);
    _exit(EXIT_SETUP);
  }
  int go[2], ack[2];
  if (pipe2(go, O_CLOEXEC) != 0 || pipe2(ack, O_CLOEXEC) != 0) fail("helper", "pipe2", errno, EXIT_SETUP);
  pid_t self = getpid();
  pid_t mid = fork();
  if (mid < 0) fail("helper", "fork", errno, EXIT_SETUP);
  if (mid == 0) {
    /* Detached: a child of the target would confuse its wait(); a session of its own keeps terminal signals away. */
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
    helper_main(self, go[1], ack[0], keep);
  }
  close(go[1]);
  close(ack[0]);
  int st;
  while (waitpid(mid, &st, 0) < 0 && errno == EINTR) {
  }
  int32_t helper = 0;
  if (read_full(go[0], &helper, sizeof helper) != sizeof helper || helper <= 0) fail("helper", "fork", ECHILD, EXIT_SETUP);
  /*
   * Under Yama's relational mode (ptrace_scope 1) only an ancestor may attach, and
   * the helper is not one: name it the ptracer. EINVAL means no Yama, which is fine.
   */
  if (prctl(PR_SET_PTRACER, (unsigned long)helper, 0, 0, 0) != 0 && errno != EINVAL)
    fail("seize", "prctl(PR_SET_PTRACER)", errno, EXIT_SETUP);
  /* A helper that died already has closed its end: that must be an error here, not SIGPIPE. */
  struct sigaction ign = {0}, old_pipe;
  ign.sa_handler = SIG_IGN;
  sigaction(SIGPIPE, &ign, &old_pipe);
  write_all(ack[1], "g", 1);
  close(ack[1]);
  sigaction(SIGPIPE, &old_pipe, NULL);
  struct go_msg msg;
  size_t got = read_full(go[0], &msg, sizeof msg);
  close(go[0]);
  /* The exception is needed only for the seize itself. */
  prctl(PR_SET_PTRACER, 0, 0, 0, 0);
  /* Never exec without a confirmed seize: a helper that died before it leaves EOF here. */
  if (got != sizeof msg) fail("seize", "ptrace(PTRACE_SEIZE)", ECHILD, EXIT_SETUP);
  if (msg.err) {
    const char *sc = msg.err == EPROTO ? "prctl(PR_SET_MM_MAP_SIZE)" : "ptrace(PTRACE_SEIZE)";
    fail("seize", sc, msg.err, EXIT_SETUP);
  }
  if (tracer_pid() != msg.pid) fail("seize", "ptrace(PTRACE_SEIZE)", ESRCH, EXIT_SETUP);
  /* No process of a followed (or CPUID-masked) tree escapes its tracer: the filter, last before exec. */
  if (opt_follow || cpuid_on) {
    const char *sc;
    int e = seccomp_filter_install(cpuid_on, &sc);
    if (e) fail("seccomp", sc, e, EXIT_SETUP);
  }
  do_exec(argv);
}

/* ------------------------------------------------------------------------------------------ */

int main(int argc, char **argv, char **envp) {
  if (argc > 1 && strcmp(argv[1], "--check-inherited") == 0) return check_inherited_main(argc, argv, envp);
  const char *f = getenv("HWCAP_EXEC_FAULT");
  if (f) opt_fault = f;
  cpuid_trace_simulate = fault_named("cpuid-simulate");
  int prog = parse_args(argc, argv);
  char **target_argv = argv + prog;
  if (opt_probe_cpuid) {
    /* For probe(): can CPUID be masked here? One JSON line on stdout. */
    const char *sc;
    int e = cpuid_fault_probe(&sc);
    if (e) printf("{\"ok\":false,\"syscall\":\"%s\",\"errno\":%d,\"code\":\"%s\"}\n", sc, e, errno_code(e));
    else printf("{\"ok\":true}\n");
    return 0;
  }

  /* 1. Parent-death signal first, so that nothing below outlives a dead parent. */
  if (opt_pdeathsig) {
    pid_t parent = getppid();
    if (prctl(PR_SET_PDEATHSIG, opt_pdeathsig, 0, 0, 0) != 0) fail("pdeathsig", "prctl(PR_SET_PDEATHSIG)", errno, EXIT_SETUP);
    if (getppid() != parent) raise(opt_pdeathsig);
  }

  /* 2. The program: found and executable, or 127 / 126 as a shell would say. */
  int e = resolve_program(target_argv[0]);
  if (e) {
    failure("exec", "execve", e, "%s: %s", target_argv[0], errno_code(e));
    _exit(exit_for(e));
  }

  /* 3. The words to keep. Security features stay unless the caller allows masking them. */
  uint64_t own[MAX_AUXV_WORDS], present[4], keep[4];
  int n = read_proc_auxv("self", own, MAX_AUXV_WORDS);
  if (n < 0) fail("read-auxv", "open(/proc/self/auxv)", -n, EXIT_SETUP);
  words_of(own, n, present);
  memcpy(keep, opt_keep, sizeof keep);
  for (const struct security_feature *s = security_features; s->name; s++) {
    uint64_t bit = 1ULL << s->bit;
    if (opt_allow_security) continue;
    if ((present[s->word] & bit) && !(keep[s->word] & bit)) {
      failure("security", "argv", EPERM, "refusing to mask security feature '%s' (%s bit %d) without --allow-security-masking",
              s->name, word_names[s->word], s->bit);
      _exit(EXIT_SETUP);
    }
    keep[s->word] |= bit;
  }
  memcpy(opt_keep, keep, sizeof keep);

  /*
   * 3b. CPUID (x86-64): only in ptrace mode, and only where CPUID faulting traps.
   * CPUID.1:EDX and AT_HWCAP are one word: both get the same mask.
   */
  cpuid_on = cpuid_mask_active();
  if (cpuid_on) {
    if (opt_mode == MODE_KERNEL) bad_arg("%s", "--cpuid needs --mode ptrace or auto: only a tracer can answer CPUID");
    uint32_t leaf1[4];
    cpuid_raw(1, 0, leaf1);
    cpuid_mask_and_leaf1_edx((uint32_t)(present[0] & opt_keep[0]));
    opt_keep[0] &= (uint64_t)(leaf1[3] & cpuid_mask_keep(1, 0, CPUID_EDX));
    memcpy(keep, opt_keep, sizeof keep);
    const char *sc;
    /* skip-cpuid-probe (tests): go on to the helper's arming, to see it fail closed there. */
    int e = cpuid_trace_simulate || fault_named("skip-cpuid-probe") ? 0 : cpuid_fault_probe(&sc);
    if (e) {
      failure("cpuid-fault", sc, e, "%s: %s (CPUID faulting is %s here, so CPUID cannot be masked; refused)", sc, errno_code(e),
              e == ENOTSUP ? "advertised but does not trap" : "not available");
      _exit(EXIT_SETUP);
    }
    opt_mode = MODE_PTRACE;
  }

  /* Nothing to mask: the setup steps above are all that was asked. */
  if (!cpuid_on && opt_keep[0] == ~0ULL && opt_keep[1] == ~0ULL && opt_keep[2] == ~0ULL && opt_keep[3] == ~0ULL) {
    opt_mode = MODE_KERNEL;
    do_exec(target_argv);
  }

  /* 4. Mode. kernel and auto mask this process's saved copy; auto keeps that only if it is inherited. */
  if (opt_mode != MODE_PTRACE) {
    const char *sc;
    uint64_t masked[4];
    int r = mask_own_kernel_auxv(masked, &sc);
    if (r && opt_mode == MODE_KERNEL) fail("kernel-mask", sc, -r, EXIT_SETUP);
    if (r == 0 && (opt_mode == MODE_KERNEL && !opt_verify)) do_exec(target_argv);
    int inherits = r == 0 ? kernel_inherits(masked) : 0;
    if (inherits == 1) {
      opt_mode = MODE_KERNEL;
      do_exec(target_argv);
    }
    if (opt_mode == MODE_KERNEL) {
      failure("kernel-verify", "execve", inherits < 0 ? -inherits : ENOTSUP,
              "execve: %s (kernel mode: this kernel does not pass a masked auxv across execve; use --mode ptrace or auto)",
              errno_code(inherits < 0 ? -inherits : ENOTSUP));
      _exit(EXIT_SETUP);
    }
    opt_mode = MODE_PTRACE;
  }
  run_ptrace(target_argv, keep);
  return EXIT_SETUP;
}
