/* procfs readers shared by the addon and the launcher; see procfs.h. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "procfs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auxv_words.h"

/*
 * Opens path and reads up to cap bytes, retrying on EINTR, to EOF. Returns the count, -E2BIG when
 * the file holds more than cap bytes, or -errno.
 */
static long read_to_eof(const char *path, char *buf, size_t cap) {
  int fd;
  do fd = open(path, O_RDONLY | O_CLOEXEC);
  while (fd < 0 && errno == EINTR);
  if (fd < 0) return -errno;
  size_t len = 0;
  long ret;
  for (;;) {
    char probe;
    /* At cap, one more byte read tells a file that fills the buffer from one that overflows it. */
    ssize_t r = len < cap ? read(fd, buf + len, cap - len) : read(fd, &probe, 1);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) {
      ret = -errno;
      break;
    }
    if (r == 0) {
      ret = (long)len;
      break;
    }
    if (len >= cap) {
      ret = -E2BIG;
      break;
    }
    len += (size_t)r;
  }
  close(fd);
  return ret;
}

long hwcap_read_file(const char *path, char *buf, size_t cap) {
  if (cap == 0) return -E2BIG;
  long len = read_to_eof(path, buf, cap - 1);
  if (len >= 0) buf[len] = 0;
  return len;
}

long hwcap_read_file_all(const char *path, char **out) {
  *out = NULL;
  for (size_t cap = 4096;; cap *= 4) {
    char *buf = malloc(cap);
    if (!buf) return -ENOMEM;
    long len = hwcap_read_file(path, buf, cap);
    if (len >= 0) {
      *out = buf;
      return len;
    }
    free(buf);
    if (len != -E2BIG || cap >= ((size_t)1 << 26)) return len;
  }
}

int hwcap_parse_stat(const char *buf, uint64_t f[HWCAP_STAT_FIELDS], int need) {
  memset(f, 0, HWCAP_STAT_FIELDS * sizeof f[0]);
  const char *p = strrchr(buf, ')'); /* comm may hold spaces and parentheses */
  if (!p) return -EPROTO;
  p++;
  int field = 2;
  for (;;) {
    while (*p == ' ') p++;
    if (!*p || *p == '\n') break;
    field++;
    if (field == 3) { /* the state letter */
      while (*p && *p != ' ') p++;
      continue;
    }
    char *end;
    long long v = strtoll(p, &end, 10);
    if (end == p || (*end && *end != ' ' && *end != '\n')) return -EPROTO;
    if (field < HWCAP_STAT_FIELDS) f[field] = (uint64_t)v;
    p = end;
  }
  return field >= need ? 0 : -EPROTO;
}

int hwcap_read_stat(const char *pid, uint64_t f[HWCAP_STAT_FIELDS], int need) {
  char path[64], buf[4096];
  snprintf(path, sizeof path, "/proc/%s/stat", pid);
  long len = hwcap_read_file(path, buf, sizeof buf);
  if (len < 0) return (int)len;
  return hwcap_parse_stat(buf, f, need);
}

int hwcap_read_proc_auxv(const char *pid, uint64_t *words, int max) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%s/auxv", pid);
  /* A vector longer than max words is cut here: the AT_NULL check below then refuses it. */
  long len = read_to_eof(path, (char *)words, (size_t)max * 8);
  if (len == -E2BIG) len = (long)max * 8;
  if (len < 0) return (int)len;
  int n = (int)(len / 16) * 2;
  for (int k = 0; k < n; k += 2)
    if (words[k] == HWCAP_AT_NULL) return k + 2;
  return -EPROTO;
}

int hwcap_tracer_pid(void) {
  char *buf;
  long len = hwcap_read_file_all("/proc/self/status", &buf);
  if (len < 0) return (int)len;
  const char *p = strstr(buf, "\nTracerPid:");
  int tracer = p ? (int)strtol(p + 11, NULL, 10) : -EPROTO;
  free(buf);
  return tracer;
}
