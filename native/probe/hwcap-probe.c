/*
 * hwcap-probe: prints what this process sees of its AT_HWCAP* words, as one
 * line of JSON, in each of the three views:
 *   process  the auxv on the startup stack (after envp's NULL), as ld.so reads it
 *   libc     getauxval(3) (glibc on x86-64 answers AT_HWCAP with its own bits)
 *   kernel   prctl(PR_GET_AUXV) (Linux 6.4) and /proc/self/auxv (mm->saved_auxv)
 * plus its pid and TracerPid. Words are hex strings; a missing word is "0x0".
 * A view that cannot be read is null, with the reason under "errors".
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "../common/auxv_words.h"
#include "../common/errno_name.h"
#include "../common/prctl_compat.h"

static const char *const keys[4] = {"hwcap", "hwcap2", "hwcap3", "hwcap4"};

static void print_words(const char *name, const uint64_t *auxv, size_t n) {
  uint64_t w[HWCAP_WORDS];
  hwcap_words_of(auxv, n > HWCAP_MAX_AUXV_WORDS ? HWCAP_MAX_AUXV_WORDS : (int)n, w);
  printf("\"%s\":{", name);
  for (int i = 0; i < 4; i++) printf("%s\"%s\":\"0x%llx\"", i ? "," : "", keys[i], (unsigned long long)w[i]);
  printf("}");
}

int main(int argc, char **argv, char **envp) {
  (void)argc;
  (void)argv;
  char errors[512] = "";
  size_t elen = 0;

  printf("{\"pid\":%d", (int)getpid());

  /* process view: envp's NULL is followed by the auxv. */
  char **p = envp;
  while (*p) p++;
  const uint64_t *stack_auxv = (const uint64_t *)(p + 1);
  size_t n = 0;
  while (n < 1024 && stack_auxv[n] != 0) n += 2;
  printf(",");
  print_words("process", stack_auxv, n + 2);

  /* libc view */
  uint64_t libc[10];
  for (int i = 0; i < 4; i++) {
    libc[2 * i] = hwcap_word_type(i);
    errno = 0;
    libc[2 * i + 1] = getauxval((unsigned long)hwcap_word_type(i));
  }
  libc[8] = libc[9] = 0;
  printf(",");
  print_words("libc", libc, 10);

  /* kernel view through PR_GET_AUXV */
  uint64_t kbuf[512];
  memset(kbuf, 0, sizeof kbuf);
  long r = prctl(PR_GET_AUXV, (unsigned long)kbuf, sizeof kbuf, 0, 0);
  int gerr = errno;
  printf(",");
  if (r < 0) {
    printf("\"prGetAuxv\":null");
    elen += (size_t)snprintf(errors + elen, sizeof errors - elen, "%s\"prGetAuxv\":\"%s\"", elen ? "," : "",
                             hwcap_errno_name(gerr) ? hwcap_errno_name(gerr) : "?");
  } else {
    print_words("prGetAuxv", kbuf, sizeof kbuf / 8);
  }

  /* kernel view through /proc/self/auxv */
  uint64_t pbuf[512];
  memset(pbuf, 0, sizeof pbuf);
  int fd = open("/proc/self/auxv", O_RDONLY | O_CLOEXEC);
  ssize_t len = fd >= 0 ? read(fd, pbuf, sizeof pbuf - 16) : -1;
  int err = errno;
  if (fd >= 0) close(fd);
  printf(",");
  if (len < 0) {
    printf("\"procAuxv\":null");
    elen += (size_t)snprintf(errors + elen, sizeof errors - elen, "%s\"procAuxv\":\"%s\"", elen ? "," : "",
                             hwcap_errno_name(err) ? hwcap_errno_name(err) : "?");
  } else {
    print_words("procAuxv", pbuf, (size_t)len / 8);
  }

  int tracer = -1;
  FILE *f = fopen("/proc/self/status", "re");
  if (f) {
    char line[256];
    while (fgets(line, sizeof line, f))
      if (sscanf(line, "TracerPid: %d", &tracer) == 1) break;
    fclose(f);
  }
  printf(",\"tracerPid\":%d,\"errors\":{%s}}\n", tracer, errors);
  return 0;
}
