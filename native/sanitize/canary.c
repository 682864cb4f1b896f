/*
 * hwcap-sanitize-canary: a deliberate bug, built only in the sanitized build
 * (HWCAP_SANITIZE) of a checkout, so that a test can check that a sanitizer
 * report from a child whose environment was replaced still lands in the log
 * directory (native/sanitize/default_options.c).
 *
 *   hwcap-sanitize-canary heap-overflow   reads one byte past a heap block (ASan)
 *   hwcap-sanitize-canary shift           shifts 1 by 64 (UBSan)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
  if (argc != 2) return 2;
  if (strcmp(argv[1], "heap-overflow") == 0) {
    /* memset one byte past the block: ASan's interceptor reports it (UBSan's object-size check would see a plain p[n]). */
    size_t n = strlen(argv[1]);
    char *p = malloc(n);
    if (!p) return 3;
    memset(p, 1, n + 1);
    int c = p[0];
    free(p);
    return c == 1234;
  }
  if (strcmp(argv[1], "shift") == 0) {
    volatile int n = 64;
    return (int)((1ULL << n) & 1);
  }
  return 2;
}
