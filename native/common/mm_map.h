/*
 * struct prctl_mm_map (include/uapi/linux/prctl.h), filled from /proc/<pid>/stat
 * for prctl(PR_SET_MM, PR_SET_MM_MAP, &map, sizeof map): the one way to replace
 * a process's saved auxv without CAP_SYS_RESOURCE. Used by the addon on itself
 * and by the launcher on itself and, injected, on a tracee.
 */
#ifndef HWCAP_MM_MAP_H
#define HWCAP_MM_MAP_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct hwcap_mm_map {
  uint64_t start_code, end_code, start_data, end_data, start_brk, brk, start_stack;
  uint64_t arg_start, arg_end, env_start, env_end;
  uint64_t auxv; /* __u64 *auxv */
  uint32_t auxv_size;
  uint32_t exe_fd;
};

/* The last /proc/<pid>/stat field the map needs (env_end, Linux 3.5). */
#define HWCAP_MM_MAP_STAT_FIELDS 51

/*
 * Fills *m from /proc/<pid>/stat: code, data, brk start, stack, args and env;
 * brk = start_brk (the caller sets the real one), no auxv, exe_fd = (u32)-1
 * (leave /proc/<pid>/exe alone). Returns 0 or -errno.
 */
int hwcap_mm_map_from_stat(const char *pid, struct hwcap_mm_map *m);

/* 0 when the kernel's PR_SET_MM_MAP_SIZE equals sizeof(struct hwcap_mm_map), -EPROTO when not, or -errno. */
int hwcap_check_mm_map_size(void);

#ifdef __cplusplus
}
#endif

#endif
