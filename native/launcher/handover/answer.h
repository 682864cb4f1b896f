/*
 * The answer of `hwcap-exec --release` and `--adopt`: one JSON line on stdout
 * (lib/launcher/handover.ts reads it). A failure is
 *   {"error":"<reason>","code":"ESRCH","errno":3,"syscall":"...","message":"..."}
 * and the command exits 2.
 */
#ifndef HWCAP_LAUNCHER_ANSWER_H
#define HWCAP_LAUNCHER_ANSWER_H

#include <stddef.h>

#define EXIT_ANSWER_FAILED 2

/* Prints the failure line; returns EXIT_ANSWER_FAILED. */
int answer_fail(const char *reason, int err, const char *sysname, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Formats the failure line into buf (for a line that another process prints). */
void answer_fail_line(char *buf, size_t cap, const char *reason, int err, const char *sysname, const char *msg);

/* The errno for a code such as "EPERM", or EPROTO. */
int answer_errno_of(const char *code);

#endif
