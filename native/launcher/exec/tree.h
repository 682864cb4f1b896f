/*
 * A process tree as /proc shows it, for release and adopt: the tasks one tracer
 * holds, the processes under a root, the threads of a process, and the few
 * fields of /proc/<pid>/status and stat those need. Each returns a count, a
 * value, or -errno; lists are bounded by `max` (-E2BIG past it, never cut short
 * silently).
 */
#ifndef HWCAP_LAUNCHER_TREE_H
#define HWCAP_LAUNCHER_TREE_H

#include <sys/types.h>

/* The bound of every list here: far more tasks than one workload runs. */
#define TREE_MAX 4096

/* TracerPid of a task (0: none), or -errno (-ENOENT: no such task). */
int tree_tracer_of(pid_t tid);

/* The state letter of /proc/<pid>/stat ('R', 'S', 'T', 't', 'Z' ...), or -errno. */
int tree_state(pid_t pid);

/* The parent pid (PPid) and thread-group id (Tgid) of a task, or -errno. */
int tree_ppid(pid_t pid);
int tree_tgid(pid_t tid);

/* Every task in /proc whose TracerPid is `tracer`. */
int tree_traced_by(pid_t tracer, pid_t *out, int max);

/* The processes under root, root first, found by their PPid (so a process reparented away is not in it). */
int tree_processes(pid_t root, pid_t *out, int max);

/* The threads (tids) of a process, from /proc/<pid>/task. */
int tree_threads(pid_t pid, pid_t *out, int max);

/* /proc/<pid>/comm without its newline, into buf; 0 or -errno. */
int tree_comm(pid_t pid, char *buf, size_t cap);

#endif
