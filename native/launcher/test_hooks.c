/*
 * Entry points of the test build only (hwcap-exec-test): the shared C run on
 * inputs a test writes, where the real ones cannot be arranged (qemu-user's
 * 44-field stat, a comm with parentheses).
 *
 *   hwcap-exec-test --parse-stat FILE NEED
 *     prints "ok" and fields 26 27 28 45..51 (the ones the mm map takes), or "error CODE"
 */
#include "test_hooks.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/procfs.h"
#include "report.h"

static int parse_stat_main(const char *file, const char *need) {
  char buf[4096];
  uint64_t f[HWCAP_STAT_FIELDS];
  long len = hwcap_read_file(file, buf, sizeof buf);
  int r = len < 0 ? (int)len : hwcap_parse_stat(buf, f, atoi(need));
  if (r) {
    printf("error %s\n", errno_code(-r));
    return 1;
  }
  printf("ok %llu %llu %llu", (unsigned long long)f[26], (unsigned long long)f[27], (unsigned long long)f[28]);
  for (int i = 45; i <= 51; i++) printf(" %llu", (unsigned long long)f[i]);
  printf("\n");
  return 0;
}

int test_hooks_main(int argc, char **argv) {
  if (argc == 4 && strcmp(argv[1], "--parse-stat") == 0) return parse_stat_main(argv[2], argv[3]);
  return -1;
}
