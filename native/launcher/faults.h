/*
 * Test-only fault points. Compiled in only with -DHWCAP_TEST_FAULTS (the
 * hwcap-exec-test target of binding.gyp); in the shipped hwcap-exec they are
 * nothing, and HWCAP_EXEC_FAULT is neither read nor removed from the program's
 * environment.
 *
 *   FAULT_POINT("helper-before-seize")   the process raises SIGKILL there
 *   FAULT_IS("no-vdso-site")             1 when that fault is asked for
 *   FAULT_IS("descendant-mask-fails")    a later exec of the tree fails to mask (exec/mask_exec.c)
 *   FAULT_IS("pause-at-exec-stop")       the helper waits 0.5 s at the first exec stop before it masks (follow.c)
 *   FAULT_IS("stop-cont-held")           signals sent to the program while the helper works on it (exec/tracee.c:
 *                                        stop-held, stop-cont-held, stop-cont-stop-held, stop-held-cont-pending,
 *                                        cont-held-stop-pending)
 *   FAULT_LOG(fmt, ...)                  appends a line to the file HWCAP_EXEC_FAULT_LOG names (if set): what a
 *                                        test must see the helper do where the program cannot (handover/release.c: each
 *                                        disarm injected, with the kernel's answer to it)
 *   FAULT_IS("cpuid-synthetic-top")      cpuid_raw (cpuid/table.c) answers the highest basic leaf and every basic
 *                                        leaf above it with the same synthetic words (an Intel-style CPU whose
 *                                        highest leaf is not zeros)
 *   FAULT_IS("cpuid-security-present")   the CPUID security check (cpuid/setup.c) takes every CPUID security
 *                                        feature as present on this CPU, to test its refusal on a CPU without them
 *   FAULT_IS("fork-event-after-child")   at a creator's fork or clone event the helper first takes the new
 *                                        task's stop (so it is held, as when it comes first) and sweeps the
 *                                        held tasks as at an exit (follow.c), before it handles the event
 *   FAULT_IS("slow-stop")                the follow loop waits 30 ms between taking each stop (but an exec
 *                                        stop) and handling it (follow.c)
 *   FAULT_IS("slow-stop-short")          the same, 1 ms at every stop (follow.c)
 */
#ifndef HWCAP_LAUNCHER_FAULTS_H
#define HWCAP_LAUNCHER_FAULTS_H

#ifdef HWCAP_TEST_FAULTS
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* HWCAP_EXEC_FAULT holds one name or a comma-separated list ("cpuid-simulate,helper-at-cpuid-arm"). */
static inline int fault_is(const char *name) {
  const char *f = getenv("HWCAP_EXEC_FAULT");
  size_t len = strlen(name);
  for (const char *p = f; p && *p;) {
    const char *end = strchrnul(p, ',');
    if ((size_t)(end - p) == len && strncmp(p, name, len) == 0) return 1;
    p = *end ? end + 1 : end;
  }
  return 0;
}
#define FAULT_IS(name) fault_is(name)
#define FAULT_POINT(name)               \
  do {                                  \
    if (fault_is(name)) raise(SIGKILL); \
  } while (0)
__attribute__((format(printf, 1, 2))) static inline void fault_log(const char *fmt, ...) {
  const char *file = getenv("HWCAP_EXEC_FAULT_LOG");
  if (!file || !*file) return;
  char line[256];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  int fd = open(file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0 || n <= 0) {
    if (fd >= 0) close(fd);
    return;
  }
  ssize_t w = write(fd, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
  (void)w;
  close(fd);
}
#define FAULT_LOG(...) fault_log(__VA_ARGS__)
/* The program never sees the variables that drove the test build. */
#define FAULTS_FORGET() (unsetenv("HWCAP_EXEC_FAULT"), unsetenv("HWCAP_EXEC_FAULT_LOG"))
#else
#define FAULT_LOG(...) \
  do {                 \
  } while (0)
#define FAULT_IS(name) 0
#define FAULT_POINT(name) \
  do {                    \
  } while (0)
#define FAULTS_FORGET() \
  do {                  \
  } while (0)
#endif

#endif
