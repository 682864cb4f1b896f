/* Security features (generated from lib/core/tables/security.json): kept unless masking them is allowed. */
#ifndef HWCAP_LAUNCHER_SECURITY_H
#define HWCAP_LAUNCHER_SECURITY_H

#include <stdint.h>

/*
 * Adds every security feature to keep unless allow; a feature present in
 * `present` that keep would clear is refused (stage "security", exit 125).
 */
void security_keep(uint64_t keep[4], const uint64_t present[4], int allow);

/* `hwcap-exec --list-security`: "name word bit" per row for this arch, then "name CPUID.leaf.subleaf:reg bit". */
int security_list_main(void);

#endif
