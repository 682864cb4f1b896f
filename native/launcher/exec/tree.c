/* A process tree as /proc shows it; see exec/tree.h. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "tree.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../common/procfs.h"

/* A "Name:\t<number>" line of /proc/<pid>/status (or /proc/<pid>/task/<tid>/status). */
static int status_field(const char *path, const char *name) {
  char *buf;
  long len = hwcap_read_file_all(path, &buf);
  if (len < 0) return (int)len;
  size_t nl = strlen(name);
  int v = -EPROTO;
  for (char *line = buf; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
    if (strncmp(line, name, nl) == 0 && line[nl] == ':') {
      char *end;
      long n = strtol(line + nl + 1, &end, 10);
      if (end != line + nl + 1) v = (int)n;
      break;
    }
  }
  free(buf);
  return v;
}

static int pid_field(pid_t pid, const char *name) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
  return status_field(path, name);
}

int tree_tracer_of(pid_t tid) { return pid_field(tid, "TracerPid"); }
int tree_ppid(pid_t pid) { return pid_field(pid, "PPid"); }
int tree_tgid(pid_t tid) { return pid_field(tid, "Tgid"); }

int tree_state(pid_t pid) {
  char path[64], buf[4096];
  snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
  long len = hwcap_read_file(path, buf, sizeof buf);
  if (len < 0) return (int)len;
  char *p = strrchr(buf, ')'); /* comm may hold spaces and parentheses */
  if (!p || p[1] != ' ' || !p[2]) return -EPROTO;
  return (unsigned char)p[2];
}

int tree_comm(pid_t pid, char *buf, size_t cap) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/comm", (int)pid);
  long len = hwcap_read_file(path, buf, cap);
  if (len < 0) return (int)len;
  if (len > 0 && buf[len - 1] == '\n') buf[len - 1] = 0;
  return 0;
}

/* The numeric entries of a /proc directory. */
static int numeric_entries(const char *dir, pid_t *out, int max) {
  DIR *d = opendir(dir);
  if (!d) return -errno;
  int n = 0;
  struct dirent *e;
  while ((e = readdir(d))) {
    if (!isdigit((unsigned char)e->d_name[0])) continue;
    if (n == max) {
      closedir(d);
      return -E2BIG;
    }
    out[n++] = (pid_t)atoi(e->d_name);
  }
  closedir(d);
  return n;
}

int tree_threads(pid_t pid, pid_t *out, int max) {
  char dir[64];
  snprintf(dir, sizeof dir, "/proc/%d/task", (int)pid);
  return numeric_entries(dir, out, max);
}

int tree_traced_by(pid_t tracer, pid_t *out, int max) {
  static pid_t procs[TREE_MAX * 4];
  int np = numeric_entries("/proc", procs, (int)(sizeof procs / sizeof procs[0]));
  if (np < 0) return np;
  int n = 0;
  for (int i = 0; i < np; i++) {
    pid_t tids[TREE_MAX];
    int nt = tree_threads(procs[i], tids, TREE_MAX);
    if (nt < 0) continue; /* gone, or not ours to read */
    for (int k = 0; k < nt; k++) {
      char path[96];
      snprintf(path, sizeof path, "/proc/%d/task/%d/status", (int)procs[i], (int)tids[k]);
      if (status_field(path, "TracerPid") != tracer) continue;
      if (n == max) return -E2BIG;
      out[n++] = tids[k];
    }
  }
  return n;
}

int tree_processes(pid_t root, pid_t *out, int max) {
  static pid_t procs[TREE_MAX * 4], parents[TREE_MAX * 4];
  int np = numeric_entries("/proc", procs, (int)(sizeof procs / sizeof procs[0]));
  if (np < 0) return np;
  for (int i = 0; i < np; i++) parents[i] = (pid_t)tree_ppid(procs[i]); /* a gone one reads -ENOENT: matches nothing */
  if (tree_state(root) < 0) return -ESRCH;
  if (max < 1) return -E2BIG;
  int n = 0;
  out[n++] = root;
  /* Breadth first: every process whose parent is already in the list. */
  for (int at = 0; at < n; at++)
    for (int i = 0; i < np; i++) {
      if (parents[i] != out[at] || procs[i] == root) continue;
      if (n == max) return -E2BIG;
      out[n++] = procs[i];
    }
  return n;
}
