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

/*
 * Where a masked start spends its time, for --stats-fd (bench/README.md, "each step's share"): the
 * monotonic clock at the launcher's start, at the helper's (after the double fork), once the target
 * is seized, at the program's first exec stop and once that image is masked. The helper inherits
 * the launcher's start mark in its copy of this memory. report_marks_json gives each mark after the
 * start in microseconds from it, or "{}" without a start (an adopt).
 */
enum report_mark { MARK_START, MARK_HELPER, MARK_SEIZED, MARK_EXEC_STOP, MARK_MASKED, MARK_COUNT };
void report_mark(enum report_mark m);
void report_marks_json(char *buf, size_t cap);

#endif
