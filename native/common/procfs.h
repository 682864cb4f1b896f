/*
 * Readers of /proc/<pid>/ files that retry on EINTR and read to EOF. `pid` is a
 * decimal pid or "self". Each returns 0 (or a count) on success and -errno on
 * failure; -EPROTO for content that is not what proc(5) describes.
 */
#ifndef HWCAP_PROCFS_H
#define HWCAP_PROCFS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Fields of /proc/<pid>/stat are numbered from 1 as in proc(5); 52 in Linux 3.5 and later. */
#define HWCAP_STAT_FIELDS 53

/* Reads the whole file into buf (NUL-terminated). Returns its length, -E2BIG if it does not fit, or -errno. */
long hwcap_read_file(const char *path, char *buf, size_t cap);

/*
 * Reads the whole file, however long, into a malloc'd NUL-terminated buffer (*out, the caller
 * frees it). For /proc/<pid>/status, whose Groups line alone takes up to 65536 numbers, so that
 * the lines after it (SigIgn, SigCgt, NSpid) are never cut off. Returns the length or -errno.
 */
long hwcap_read_file_all(const char *path, char **out);

/*
 * Parses /proc/<pid>/stat into f[1..52]; fields 1 (pid), 2 (comm) and 3 (state)
 * are left 0, as is every field past the last one present. Succeeds when at
 * least `need` fields are present: qemu-user emulates a stat with 44 fields,
 * which is enough for field 28 (startstack), not for the mm map (51).
 */
int hwcap_read_stat(const char *pid, uint64_t f[HWCAP_STAT_FIELDS], int need);

/* The parser of hwcap_read_stat, on the text of a stat file. */
int hwcap_parse_stat(const char *buf, uint64_t f[HWCAP_STAT_FIELDS], int need);

/* Reads the (type, value) pairs of /proc/<pid>/auxv through AT_NULL. Returns the word count or -errno. */
int hwcap_read_proc_auxv(const char *pid, uint64_t *words, int max);

/* TracerPid from /proc/self/status, or -errno. */
int hwcap_tracer_pid(void);

#ifdef __cplusplus
}
#endif

#endif
