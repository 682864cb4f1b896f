/* kernel mode; see exec/kernel_mode.h. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "kernel_mode.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../common/auxv_words.h"
#include "../../common/mm_map.h"
#include "../../common/prctl_compat.h"
#include "../../common/procfs.h"
#include "../options.h"

static struct step_error set_own_auxv(uint64_t *words, int n) {
  if (prctl(PR_SET_MM, PR_SET_MM_AUXV, (unsigned long)words, (unsigned long)n * 8, 0) == 0) return STEP_OK;
  if (errno != EPERM) return STEP_ERROR(STAGE_KERNEL_MASK, "prctl(PR_SET_MM_AUXV)", errno);
  TRY(STAGE_KERNEL_MASK, "prctl(PR_SET_MM_MAP_SIZE)", hwcap_check_mm_map_size());
  struct hwcap_mm_map m;
  TRY(STAGE_KERNEL_MASK, "open(/proc/self/stat)", hwcap_mm_map_from_stat("self", &m));
  m.brk = (uint64_t)syscall(SYS_brk, 0);
  m.auxv = (uint64_t)(uintptr_t)words;
  m.auxv_size = (uint32_t)n * 8;
  TRY_SYS(STAGE_KERNEL_MASK, "prctl(PR_SET_MM_MAP)", prctl(PR_SET_MM, PR_SET_MM_MAP, (unsigned long)&m, sizeof m, 0));
  return STEP_OK;
}

struct step_error kernel_mask_own(const uint64_t keep[4], uint64_t masked[4]) {
  uint64_t auxv[HWCAP_MAX_AUXV_WORDS];
  int n = hwcap_read_proc_auxv("self", auxv, HWCAP_MAX_AUXV_WORDS);
  TRY(STAGE_KERNEL_MASK, "open(/proc/self/auxv)", n);
  hwcap_apply_keep(auxv, n, keep);
  hwcap_words_of(auxv, n, masked);
  return set_own_auxv(auxv, n);
}

int kernel_inherits(const uint64_t want[4]) {
  pid_t pid = fork();
  if (pid < 0) return -errno;
  if (pid == 0) {
    char w[4][24];
    for (int i = 0; i < 4; i++) snprintf(w[i], sizeof w[i], "0x%llx", (unsigned long long)want[i]);
    int devnull = open("/dev/null", O_RDWR);
    if (devnull >= 0) {
      dup2(devnull, 0);
      dup2(devnull, 1);
    }
    char *args[] = {"hwcap-exec", "--check-inherited", w[0], w[1], w[2], w[3], NULL};
    execv("/proc/self/exe", args);
    _exit(2);
  }
  int st;
  while (waitpid(pid, &st, 0) < 0)
    if (errno != EINTR) return -errno;
  return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

int kernel_check_inherited_main(int argc, char **argv, char **envp) {
  uint64_t want[4];
  if (argc != 6) return 2;
  for (int i = 0; i < 4; i++)
    if (parse_hex_word(argv[2 + i], &want[i])) return 2;
  char **p = envp;
  while (*p) p++;
  uint64_t *auxv = (uint64_t *)(p + 1), got[4];
  hwcap_words_of(auxv, HWCAP_MAX_AUXV_WORDS, got);
  for (int i = 0; i < 4; i++)
    if (got[i] & ~want[i]) return 1;
  return 0;
}
