/*
 * The launcher's side of a CPUID mask (x86-64), before the helper starts:
 * ptrace mode only; CPUID.1:EDX and AT_HWCAP given one mask; and CPUID
 * faulting that really traps here, or exit 125 with stage cpuid-fault before
 * the program runs. See docs/cpuid.md.
 */
#ifndef HWCAP_LAUNCHER_CPUID_SETUP_H
#define HWCAP_LAUNCHER_CPUID_SETUP_H

#include <stdint.h>

#include "../../common/auxv_words.h"
#include "../options.h"

/* Returns 1 when a --cpuid rule masks something (o->mode is then MODE_PTRACE), 0 when none does. */
int cpuid_setup(struct options *o, uint64_t keep[HWCAP_WORDS]);

/*
 * Test builds only: under HWCAP_EXEC_FAULT=cpuid-simulate outside the test runner (no VITEST), one
 * line on stderr that nothing is masked, as the simulation answers rdmsr and no real CPUID.
 */
void cpuid_simulation_warning(void);

/* hwcap-exec --probe-cpuid-fault: the probe's answer as one JSON line on stdout; exit 0. */
int cpuid_probe_main(void);

#endif
