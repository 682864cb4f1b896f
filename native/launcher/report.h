/*
 * The status fd: one JSON line per event ({"stage":"exec","mode":...,"pid":N},
 * {"stage":"masked","pid":N}, or a failure {stage, syscall, errno, code,
 * message}). Without a status fd a failure goes to stderr as
 * "hwcap-exec: <message>".
 */
#ifndef HWCAP_LAUNCHER_REPORT_H
#define HWCAP_LAUNCHER_REPORT_H

#include <stddef.h>

#include "error.h"

void report_set_fd(int fd);
int report_fd(void);
/* Closes the status fd: after the first image is masked it has nothing more to say. */
void report_close(void);

/*
 * The helper holds none of the program's stdio: its fd 2 is /dev/null, and a message about a
 * tracee goes where that tracee's own stderr goes. report_stderr_of(pid) points fd 2 at
 * /proc/pid/fd/2 (opened at that moment, append, non-blocking: a full pipe drops the message
 * rather than stall the tree), or for a regular file at the tracee's own open file description
 * (pidfd_getfd: the offset shared, so the program's next write follows the message);
 * report_stderr_of(0), or a tracee whose fd 2 cannot be opened (closed), points it back at
 * /dev/null.
 */
void report_stderr_of(int pid);

const char *errno_code(int err);
void write_all(int fd, const char *buf, size_t len);

/* One JSON line on the status fd. The format's own strings never need escaping. */
void report_line(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* "hwcap-exec: <text>" on stderr. */
void report_message(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A failure before the program runs: on the status fd with one, else on stderr. */
void report_failure(enum stage stage, const char *syscall_name, int err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* A failed step, "<syscall>: <CODE>", reported; then the process exits with `status`. */
__attribute__((noreturn)) void report_fail(struct step_error e, int status);

#endif
