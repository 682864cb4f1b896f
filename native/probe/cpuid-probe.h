/*
 * The CPUID probe's parts (native/probe/cpuid-probe.c, the modes and main; cpuid-probe-escape.c,
 * the escape modes): what one gives the other.
 */
#ifndef HWCAP_CPUID_PROBE_H
#define HWCAP_CPUID_PROBE_H

#include <stdint.h>

/* --simulate: `rdmsr` (0f 32) where CPUID would be, which the test build's helper answers. */
extern int simulate;

/* CPUID(leaf, sub) into r[0..3] (eax, ebx, ecx, edx), or the simulated trap. */
void cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4]);

/* "SigBlk:" etc. of /proc/thread-self/status, as a number (all ones where it cannot be read). */
unsigned long long status_field(const char *name);

/* The escape modes: --escape, --escape-wide, --escape-compat (cpuid-probe.c's comment). */
int mode_escape(void);
int mode_escape_wide(void);
int mode_escape_compat(void);

#endif
