/* struct prctl_mm_map from /proc/<pid>/stat; see mm_map.h. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "mm_map.h"

#include <errno.h>
#include <string.h>
#include <sys/prctl.h>

#include "prctl_compat.h"
#include "procfs.h"

int hwcap_mm_map_from_stat(const char *pid, struct hwcap_mm_map *m) {
  uint64_t st[HWCAP_STAT_FIELDS];
  int r = hwcap_read_stat(pid, st, HWCAP_MM_MAP_STAT_FIELDS);
  if (r) return r;
  memset(m, 0, sizeof *m);
  m->start_code = st[26];
  m->end_code = st[27];
  m->start_stack = st[28];
  m->start_data = st[45];
  m->end_data = st[46];
  m->start_brk = st[47];
  m->brk = st[47];
  m->arg_start = st[48];
  m->arg_end = st[49];
  m->env_start = st[50];
  m->env_end = st[51];
  m->exe_fd = (uint32_t)-1;
  return 0;
}

int hwcap_check_mm_map_size(void) {
  unsigned int size = 0;
  if (prctl(PR_SET_MM, PR_SET_MM_MAP_SIZE, (unsigned long)&size, 0, 0) != 0) return -errno;
  return size == sizeof(struct hwcap_mm_map) ? 0 : -EPROTO;
}
