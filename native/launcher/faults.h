/*
 * Test-only fault points. Compiled in only with -DHWCAP_TEST_FAULTS (the
 * hwcap-exec-test target of binding.gyp); in the shipped hwcap-exec they are
 * nothing, and HWCAP_EXEC_FAULT is neither read nor removed from the program's
 * environment.
 *
 *   FAULT_POINT("helper-before-seize")   the process raises SIGKILL there
 *   FAULT_IS("no-vdso-site")             1 when that fault is asked for
 *   FAULT_IS("descendant-mask-fails")    a later exec of the tree fails to mask (mask_exec.c)
 *   FAULT_IS("stop-cont-held")           signals sent to the program while the helper works on it (tracee.c:
 *                                        stop-held, stop-cont-held, stop-cont-stop-held, stop-held-cont-pending,
 *                                        cont-held-stop-pending)
 *   FAULT_IS("cpuid-security-present")   the CPUID security check (cpuid_setup.c) takes every CPUID security
 *                                        feature as present on this CPU, to test its refusal on a CPU without them
 */
#ifndef HWCAP_LAUNCHER_FAULTS_H
#define HWCAP_LAUNCHER_FAULTS_H

#ifdef HWCAP_TEST_FAULTS
#include <signal.h>
#include <stdlib.h>
#include <string.h>

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
/* The program never sees the variable that drove the test build. */
#define FAULTS_FORGET() unsetenv("HWCAP_EXEC_FAULT")
#else
#define FAULT_IS(name) 0
#define FAULT_POINT(name) \
  do {                    \
  } while (0)
#define FAULTS_FORGET() \
  do {                  \
  } while (0)
#endif

#endif
