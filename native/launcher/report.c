/* The status fd and stderr messages; see report.h. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "report.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "../common/errno_name.h"

static int status_fd = -1;

const char *stage_name(enum stage s) {
  static const char *const names[] = {
#define HWCAP_STAGE_NAME(id, name, what) name,
      HWCAP_STAGES(HWCAP_STAGE_NAME)
#undef HWCAP_STAGE_NAME
  };
  return (unsigned)s < STAGE_COUNT ? names[s] : "unknown";
}

void report_set_fd(int fd) { status_fd = fd; }
int report_fd(void) { return status_fd; }

void report_close(void) {
  if (status_fd >= 0) close(status_fd);
  status_fd = -1;
}

/* A dup of the tracee's fd 2 (pidfd_getfd, Linux 5.6; the tracer may take it): for a socket, which /proc/pid/fd cannot open. */
static int tracee_fd2(int pid) {
  int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
  if (pidfd < 0) return -1;
  int fd = (int)syscall(SYS_pidfd_getfd, pidfd, 2, 0);
  close(pidfd);
  return fd;
}

void report_stderr_of(int pid) {
  char path[64] = "/dev/null";
  if (pid > 0) snprintf(path, sizeof path, "/proc/%d/fd/2", pid);
  /*
   * A regular file: the tracee's own open file description, so that the message advances the
   * offset the program writes at (an open of its own, even O_APPEND, puts the message at the end,
   * where the program's next write, at its older offset, overwrites it). A write to a regular file
   * never blocks, so the shared description needs no O_NONBLOCK (which the program would see).
   * Anything else (pipe, tty, /dev/null) is opened anew, non-blocking, as it has no offset to share.
   */
  struct stat st;
  int fd = pid > 0 && stat(path, &st) == 0 && S_ISREG(st.st_mode) ? tracee_fd2(pid) : -1;
  if (fd < 0) fd = open(path, O_WRONLY | O_APPEND | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0 && errno == ENXIO && pid > 0) fd = tracee_fd2(pid); /* a socket: written with MSG_DONTWAIT */
  if (fd < 0 && pid > 0) fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
  if (fd < 0) return;
  if (fd != 2) {
    dup2(fd, 2);
    close(fd);
  }
}

const char *errno_code(int err) {
  const char *s = err ? hwcap_errno_name(err) : "OK";
  return s ? s : "EUNKNOWN";
}

void write_all(int fd, const char *buf, size_t len) {
  while (len > 0) {
    ssize_t r = write(fd, buf, len);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return;
    buf += r;
    len -= (size_t)r;
  }
}

void report_line(const char *fmt, ...) {
  if (status_fd < 0) return;
  char buf[1024];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(buf, sizeof buf - 1, fmt, ap);
  va_end(ap);
  if (n < 0) return;
  if ((size_t)n > sizeof buf - 2) n = sizeof buf - 2;
  buf[n++] = '\n';
  write_all(status_fd, buf, (size_t)n);
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

void report_message(const char *fmt, ...) {
  char buf[512];
  int n = snprintf(buf, sizeof buf, "hwcap-exec: ");
  va_list ap;
  va_start(ap, fmt);
  n += vsnprintf(buf + n, sizeof buf - (size_t)n - 1, fmt, ap);
  va_end(ap);
  if (n > (int)sizeof buf - 2) n = (int)sizeof buf - 2;
  buf[n++] = '\n';
  /* Never block on a tracee's full pipe or socket: the message is dropped instead. */
  if (send(2, buf, (size_t)n, MSG_DONTWAIT | MSG_NOSIGNAL) < 0 && errno == ENOTSOCK) write_all(2, buf, (size_t)n);
}

/*
 * With a status fd, the caller reads the failure there and nothing goes to
 * stderr, which belongs to the program. Without one, the message goes to stderr.
 */
void report_failure(enum stage stage, const char *syscall_name, int err, const char *fmt, ...) {
  char text[400];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(text, sizeof text, fmt, ap);
  va_end(ap);
  if (status_fd < 0) {
    report_message("%s", text);
    return;
  }
  char esc[700];
  json_escape(text, esc, sizeof esc);
  report_line("{\"stage\":\"%s\",\"syscall\":\"%s\",\"errno\":%d,\"code\":\"%s\",\"message\":\"%s\"}", stage_name(stage),
              syscall_name, err, errno_code(err), esc);
}

void report_fail(struct step_error e, int status) {
  report_failure(e.stage, e.syscall, e.err, "%s: %s", e.syscall, errno_code(e.err));
  _exit(status);
}

static struct timespec marks[MARK_COUNT];

void report_mark(enum report_mark m) {
  if ((unsigned)m < MARK_COUNT && marks[m].tv_sec == 0 && marks[m].tv_nsec == 0) clock_gettime(CLOCK_MONOTONIC, &marks[m]);
}

void report_marks_json(char *buf, size_t cap) {
  static const char *const names[MARK_COUNT] = {"start", "helper_us", "seized_us", "exec_stop_us", "masked_us"};
  size_t at = 0;
  int n = snprintf(buf, cap, "{");
  if (n < 0 || (size_t)n >= cap) return;
  at = (size_t)n;
  const struct timespec *t0 = &marks[MARK_START];
  for (int m = MARK_HELPER; (t0->tv_sec || t0->tv_nsec) && m < MARK_COUNT; m++) {
    if (marks[m].tv_sec == 0 && marks[m].tv_nsec == 0) continue;
    double us = (double)(marks[m].tv_sec - t0->tv_sec) * 1e6 + (double)(marks[m].tv_nsec - t0->tv_nsec) / 1e3;
    n = snprintf(buf + at, cap - at, "%s\"%s\":%.1f", at > 1 ? "," : "", names[m], us);
    if (n < 0 || (size_t)n >= cap - at) break;
    at += (size_t)n;
  }
  if (at + 2 <= cap) snprintf(buf + at, cap - at, "}");
  else snprintf(buf, cap, "{}");
}
