/* The launcher's side of a CPUID mask; see cpuid/setup.h. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "setup.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../common/procfs.h"
#include "../faults.h"
#include "../report.h"
#include "mask.h"
#include "security_features.h" /* generated into the build directory */

/*
 * The security features that live in CPUID (shadow stacks, IBT, protection keys) stay unless the
 * caller allows masking them, as security_keep does for the auxv words: a rule that would clear
 * one that the CPU has is refused (exit 125, stage security), naming it.
 */
static void security_keep_cpuid(int allow) {
  if (allow) return;
  for (const struct security_cpuid_feature *s = security_cpuid_features; s->name; s++) {
    uint32_t real[4];
    cpuid_raw(s->leaf, s->subleaf, real);
    uint32_t bit = 1u << s->bit;
    /* Test builds: this CPU has every CPUID security feature, so the refusal runs on any CPU. */
    if (FAULT_IS("cpuid-security-present")) real[s->reg] |= bit;
    if ((real[s->reg] & bit) && !(cpuid_mask_keep(s->leaf, s->subleaf, s->reg) & bit)) {
      report_failure(STAGE_SECURITY, "argv", EPERM,
                     "refusing to mask security feature '%s' (CPUID leaf 0x%x.%u register %d bit %d) without "
                     "--allow-security-masking",
                     s->name, s->leaf, s->subleaf, s->reg, s->bit);
      _exit(EXIT_SETUP);
    }
  }
}

void cpuid_simulation_warning(void) {
  if (FAULT_IS("cpuid-simulate") && !getenv("VITEST"))
    report_message(
        "HWCAP_EXEC_FAULT=cpuid-simulate: NOTHING IS MASKED: this test build answers rdmsr as a trapped "
        "CPUID, and the program's real CPUID instructions see this CPU unmasked");
}

int cpuid_setup(struct options *o, uint64_t keep[HWCAP_WORDS]) {
  if (!cpuid_mask_active()) return 0;
  security_keep_cpuid(o->allow_security);
  if (o->mode == MODE_KERNEL) {
    report_failure(STAGE_ARGS, "argv", EINVAL, "--cpuid needs --mode ptrace or auto: only a tracer can answer CPUID");
    _exit(EXIT_SETUP);
  }
  /* One word under two names: both views get kernel & hardware & every mask of it. */
  uint64_t own[HWCAP_MAX_AUXV_WORDS], present[HWCAP_WORDS];
  int n = hwcap_read_proc_auxv("self", own, HWCAP_MAX_AUXV_WORDS);
  if (n < 0) report_fail(STEP_ERROR(STAGE_READ_AUXV, "open(/proc/self/auxv)", -n), EXIT_SETUP);
  hwcap_words_of(own, n, present);
  uint32_t leaf1[4];
  cpuid_raw(1, 0, leaf1);
  cpuid_mask_and_leaf1_edx((uint32_t)(present[0] & keep[0]));
  keep[0] &= (uint64_t)(leaf1[CPUID_EDX] & cpuid_mask_keep(1, 0, CPUID_EDX));
  memcpy(o->keep, keep, HWCAP_WORDS * sizeof keep[0]);

  /* Test builds: cpuid-simulate answers rdmsr instead; skip-cpuid-probe goes on to the helper's arming. */
  cpuid_simulation_warning();
  const char *sc = "";
  /* Traced already: a nested spawn (nest/nest.h). The tree's helper answers CPUID or refuses the request; this
   * launcher's faulting is the helper's (armed, and the tree's filter refuses turning it off), so no probe. */
  int nested = hwcap_tracer_pid() > 0;
  int e = nested || FAULT_IS("cpuid-simulate") || FAULT_IS("skip-cpuid-probe") ? 0 : cpuid_fault_probe(&sc);
  /* Test builds: the probe's two failures, on a host whose CPUID does fault. */
  if (FAULT_IS("cpuid-unavailable")) e = ENODEV, sc = "arch_prctl(ARCH_SET_CPUID)";
  if (FAULT_IS("cpuid-no-trap")) e = ENOTSUP, sc = "cpuid";
  if (e) {
    report_failure(STAGE_CPUID_FAULT, sc, e, "%s: %s (CPUID faulting is %s here, so CPUID cannot be masked; refused)", sc,
                   errno_code(e), e == ENOTSUP ? "advertised but does not trap" : "not available");
    _exit(EXIT_SETUP);
  }
  o->mode = MODE_PTRACE;
  return 1;
}

int cpuid_probe_main(void) {
  const char *sc = "";
  int e = cpuid_fault_probe(&sc);
  if (e) printf("{\"ok\":false,\"syscall\":\"%s\",\"errno\":%d,\"code\":\"%s\"}\n", sc, e, errno_code(e));
  else printf("{\"ok\":true}\n");
  return fflush(stdout) == 0 ? 0 : 1;
}
