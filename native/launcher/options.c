/* The command line: every flag into struct options; see options.h and usage below. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "options.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cpuid/mask.h"
#include "report.h"

void options_usage(FILE *f) {
  fputs(
      "usage: hwcap-exec [--mode kernel|ptrace|auto] [--follow|--no-follow] [--hwcap W] [--hwcap2 W]\n"
      "                  [--hwcap3 W] [--hwcap4 W] [--status-fd N] [--pdeathsig SIG]\n"
      "                  [--no-new-privs] [--allow-security-masking] [--argv0 NAME]\n"
      "                  [--exec-fd N] [--no-verify] [--cpuid LEAF[.SUBLEAF]:REG=KEEP]... [--stats-fd N]\n"
      "                  -- PROGRAM ARGS...\n"
      "       hwcap-exec --list-stages | --list-security | --probe-cpuid-fault\n"
      "Each W is a word of AT_HWCAP* bits to keep, in hex (0x optional); it is ANDed with\n"
      "what the kernel reports. Exit status: the program's; 127 not found; 126 not\n"
      "executable; 125 the launcher failed before exec.\n"
      "--cpuid (x86-64, ptrace mode): LEAF, SUBLEAF and KEEP are hexadecimal, always (0x\n"
      "optional); REG is eax, ebx, ecx or edx. KEEP is ANDed into what the CPU answers\n"
      "for every CPUID the program and its tree execute (docs/cpuid.md).\n",
      f);
}

static void bad_arg(const struct options *o, const char *fmt, const char *what) {
  char buf[256];
  snprintf(buf, sizeof buf, fmt, what);
  report_failure(STAGE_ARGS, "argv", EINVAL, "%s", buf);
  if (o->status_fd < 0) options_usage(stderr);
  _exit(EXIT_SETUP);
}

int parse_hex_word(const char *s, uint64_t *out) {
  if (!s) return -1;
  if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) s += 2;
  if (!*s || strlen(s) > 16) return -1;
  uint64_t v = 0;
  for (const char *p = s; *p; p++) {
    int d;
    if (*p >= '0' && *p <= '9') d = *p - '0';
    else if (*p >= 'a' && *p <= 'f') d = *p - 'a' + 10;
    else if (*p >= 'A' && *p <= 'F') d = *p - 'A' + 10;
    else return -1;
    v = v << 4 | (uint64_t)d;
  }
  *out = v;
  return 0;
}

int parse_decimal(const char *s, uint64_t limit, uint64_t *out) {
  if (!s || !*s || strlen(s) > 19) return -1;
  uint64_t v = 0;
  for (const char *p = s; *p; p++) {
    if (*p < '0' || *p > '9') return -1;
    v = v * 10 + (uint64_t)(*p - '0');
  }
  if (v >= limit) return -1;
  *out = v;
  return 0;
}

static const struct {
  const char *name;
  int sig;
} signal_names[] = {
    {"HUP", SIGHUP},       {"INT", SIGINT},   {"QUIT", SIGQUIT},   {"ILL", SIGILL},   {"ABRT", SIGABRT}, {"FPE", SIGFPE},
    {"KILL", SIGKILL},     {"SEGV", SIGSEGV}, {"PIPE", SIGPIPE},   {"ALRM", SIGALRM}, {"TERM", SIGTERM}, {"USR1", SIGUSR1},
    {"USR2", SIGUSR2},     {"CHLD", SIGCHLD}, {"CONT", SIGCONT},   {"STOP", SIGSTOP}, {"TSTP", SIGTSTP}, {"TTIN", SIGTTIN},
    {"TTOU", SIGTTOU},     {"BUS", SIGBUS},   {"SYS", SIGSYS},     {"TRAP", SIGTRAP}, {"XCPU", SIGXCPU}, {"XFSZ", SIGXFSZ},
    {"VTALRM", SIGVTALRM}, {"PROF", SIGPROF}, {"WINCH", SIGWINCH}, {"IO", SIGIO},     {"PWR", SIGPWR},   {"URG", SIGURG},
};

static int parse_signal(const char *s) {
  uint64_t n;
  if (parse_decimal(s, 65, &n) == 0) return n >= 1 ? (int)n : -1;
  if (strncasecmp(s, "SIG", 3) == 0) s += 3;
  for (size_t i = 0; i < sizeof signal_names / sizeof signal_names[0]; i++)
    if (strcasecmp(s, signal_names[i].name) == 0) return signal_names[i].sig;
  return -1;
}

/* --opt VALUE or --opt=VALUE */
static const char *opt_value(const struct options *o, int argc, char **argv, int *i, const char *name) {
  size_t len = strlen(name);
  if (strncmp(argv[*i], name, len) != 0) return NULL;
  if (argv[*i][len] == '=') return argv[*i] + len + 1;
  if (argv[*i][len] != '\0') return NULL;
  if (*i + 1 >= argc) bad_arg(o, "option '%s' needs a value", name);
  return argv[++*i];
}

/*
 * The status fd is moved above 2 (close-on-exec there): fds 0-2 belong to the
 * program, which keeps them as they were, so `--status-fd 1` writes the status
 * lines into the program's stdout without closing it. A higher fd is the
 * launcher's alone and is marked close-on-exec.
 */
static void set_status_fd(struct options *o, const char *v) {
  uint64_t n;
  if (parse_decimal(v, 65536, &n)) bad_arg(o, "--status-fd must be a file descriptor number, not '%s'", v);
  int fd = (int)n, flags = fcntl(fd, F_GETFD);
  if (flags < 0) bad_arg(o, "--status-fd %s is not an open file descriptor", v);
  if (fd <= 2) {
    int moved = fcntl(fd, F_DUPFD_CLOEXEC, 3);
    if (moved < 0) bad_arg(o, "--status-fd %s cannot be moved above 2", v);
    fd = moved;
  } else {
    fcntl(fd, F_SETFD, flags | FD_CLOEXEC);
  }
  o->status_fd = fd;
  report_set_fd(fd);
}

/* The stats fd, as the status fd: moved above 2 when it is one of the program's. */
static void set_stats_fd(struct options *o, const char *v) {
  uint64_t n;
  if (parse_decimal(v, 65536, &n) || fcntl((int)n, F_GETFD) < 0)
    bad_arg(o, "--stats-fd must be an open file descriptor, not '%s'", v);
  int fd = (int)n;
  if (fd <= 2) fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
  else fcntl(fd, F_SETFD, FD_CLOEXEC);
  if (fd < 0) bad_arg(o, "--stats-fd %s cannot be moved above 2", v);
  o->stats_fd = fd;
}

/*
 * --exec-fd N: the launcher was executed through /proc/self/fd/N, an fd the caller opened on
 * it (a spawn that switches uid/gid: the new uid may not search the package's directory). It
 * is closed here, so that the program does not inherit it. fds 0-2 are the program's.
 */
static void close_exec_fd(const struct options *o, const char *v) {
  uint64_t n;
  if (parse_decimal(v, 65536, &n) || n <= 2) bad_arg(o, "--exec-fd must be a file descriptor number above 2, not '%s'", v);
  if ((int)n == o->status_fd || close((int)n) != 0) bad_arg(o, "--exec-fd %s is not an open file descriptor of its own", v);
}

int options_parse(struct options *o, int argc, char **argv) {
  *o = (struct options){.mode = MODE_AUTO, .follow = 1, .status_fd = -1, .stats_fd = -1, .verify = 1};
  for (int w = 0; w < HWCAP_WORDS; w++) o->keep[w] = ~0ULL;
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
      options_usage(stdout);
      exit(0);
    } else if ((v = opt_value(o, argc, argv, &i, "--mode"))) {
      if (strcmp(v, "kernel") == 0) o->mode = MODE_KERNEL;
      else if (strcmp(v, "ptrace") == 0) o->mode = MODE_PTRACE;
      else if (strcmp(v, "auto") == 0) o->mode = MODE_AUTO;
      else bad_arg(o, "--mode must be kernel, ptrace or auto, not '%s'", v);
    } else if (strcmp(a, "--no-follow") == 0) {
      o->follow = 0;
    } else if (strcmp(a, "--follow") == 0) {
      o->follow = 1;
    } else if (strcmp(a, "--no-new-privs") == 0) {
      o->no_new_privs = 1;
    } else if (strcmp(a, "--allow-security-masking") == 0) {
      o->allow_security = 1;
    } else if (strcmp(a, "--no-verify") == 0) {
      o->verify = 0;
    } else if ((v = opt_value(o, argc, argv, &i, "--status-fd"))) {
      set_status_fd(o, v);
    } else if ((v = opt_value(o, argc, argv, &i, "--cpuid"))) {
      char err[256];
      if (cpuid_mask_add_rule(v, err, sizeof err)) bad_arg(o, "%s", err);
    } else if ((v = opt_value(o, argc, argv, &i, "--stats-fd"))) {
      set_stats_fd(o, v);
    } else if ((v = opt_value(o, argc, argv, &i, "--argv0"))) {
      o->argv0 = v;
    } else if ((v = opt_value(o, argc, argv, &i, "--exec-fd"))) {
      close_exec_fd(o, v);
    } else if ((v = opt_value(o, argc, argv, &i, "--pdeathsig"))) {
      int s = parse_signal(v);
      if (s < 0) bad_arg(o, "--pdeathsig must be a signal name or number, not '%s'", v);
      o->pdeathsig = s;
    } else {
      int w = -1;
      if ((v = opt_value(o, argc, argv, &i, "--hwcap"))) w = 0;
      else if ((v = opt_value(o, argc, argv, &i, "--hwcap2"))) w = 1;
      else if ((v = opt_value(o, argc, argv, &i, "--hwcap3"))) w = 2;
      else if ((v = opt_value(o, argc, argv, &i, "--hwcap4"))) w = 3;
      if (w < 0) bad_arg(o, "unknown option '%s'", a);
      if (parse_hex_word(v, &o->keep[w]))
        bad_arg(o, "a word must be an unsigned 64-bit number in hex (at most 16 digits, 0x optional), not '%s'", v);
    }
  }
  if (i >= argc) bad_arg(o, "%s", "no PROGRAM given after the options");
  o->program = argv + i;
  return 0;
}
