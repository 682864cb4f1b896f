/* The security-feature refusal; see security.h. */
#include "security.h"

#include <errno.h>
#include <stdio.h>
#include <unistd.h>

#include "../common/auxv_words.h"
#include "options.h"
#include "report.h"
#include "security_features.h" /* generated into the build directory */

void security_keep(uint64_t keep[4], const uint64_t present[4], int allow) {
  if (allow) return;
  for (const struct security_feature *s = security_features; s->name; s++) {
    uint64_t bit = 1ULL << s->bit;
    if ((present[s->word] & bit) && !(keep[s->word] & bit)) {
      report_failure(STAGE_SECURITY, "argv", EPERM,
                     "refusing to mask security feature '%s' (%s bit %d) without --allow-security-masking", s->name,
                     hwcap_word_name(s->word), s->bit);
      _exit(EXIT_SETUP);
    }
    keep[s->word] |= bit;
  }
}

int security_list_main(void) {
  static const char *const regs[] = {"EAX", "EBX", "ECX", "EDX"};
  for (const struct security_feature *s = security_features; s->name; s++)
    printf("%s %s %d\n", s->name, hwcap_word_name(s->word), s->bit);
  for (const struct security_cpuid_feature *s = security_cpuid_features; s->name; s++)
    printf("%s CPUID.0x%x.0x%x:%s %d\n", s->name, s->leaf, s->subleaf, regs[s->reg], s->bit);
  return fflush(stdout) == 0 ? 0 : 1;
}
