/*
 * What the CPUID and seccomp rooms need from the rest of the launcher: the
 * fault switch (test builds) and a message on stderr ("hwcap-exec: ...").
 */
#ifndef HWCAP_LAUNCHER_HOOKS_H
#define HWCAP_LAUNCHER_HOOKS_H

/* Kills this process when the fault switch names `name` (test builds). */
void launcher_fault_point(const char *name);

/* One line on stderr, prefixed "hwcap-exec: ". */
void launcher_message(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
