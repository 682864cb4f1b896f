/*
 * The helper's control channel: how `hwcap-exec --release PID` reaches the
 * helper that follows PID's tree, and how the helper knows the request comes
 * from someone who may ptrace that tree.
 *
 *   requester (hwcap-exec --release)            helper (control thread)
 *   H = TracerPid of PID; comm, exe checked
 *   mem = open(/proc/PID/mem)        kernel: PTRACE_MODE_ATTACH on PID
 *   ctl = pidfd_getfd(pidfd(H), 6)   kernel: PTRACE_MODE_ATTACH on H
 *   socketpair(reply)
 *   "release 1 pid=PID stop=S" + [mem, reply] ---> SCM_CREDENTIALS (sender pid,
 *                                                 filled in by the kernel):
 *                                                 not a task of this tree;
 *                                                 mem is /proc/PID/mem (procfs,
 *                                                 its link, and 16 bytes at
 *                                                 PID's startstack read back
 *                                                 equal); PID is traced by us
 *                                                 -> main thread (handover/release.c)
 *   read one line on reply          <---          "ok ..." | "error CODE msg"
 *
 * fd 6 of the helper is one end of a SOCK_SEQPACKET socketpair; the helper
 * reads the other end. Replies go on the requester's own socket, so two
 * requesters never see each other's answers. The kernel does both permission
 * checks; the helper only checks what it was handed.
 */
#ifndef HWCAP_LAUNCHER_CONTROL_H
#define HWCAP_LAUNCHER_CONTROL_H

#include <stddef.h>
#include <sys/types.h>

/* The helper's fd that requesters take with pidfd_getfd(2). lib/launcher/handover.ts names no number: it runs hwcap-exec
 * --release. */
#define HWCAP_CONTROL_FD 6

/* The longest reply line, with its newline (an "ok" line carries the CPUID rules). */
#define CONTROL_REPLY_MAX 1536

struct control_request {
  pid_t pid;          /* the pid named in the request: a task of this helper's tree */
  pid_t requester;    /* the sender, from SCM_CREDENTIALS */
  int stop;           /* leave the tree stopped */
  int unmasked_cpuid; /* the requester accepts that a running, released tree runs CPUID unmasked */
  int hold;           /* two steps: "held ..." once the tree is held and disarmed, then a "detach" line (handover/release.c) */
  int reply_fd;       /* the requester's socket */
};

/* Helper side. Opens fd 6 and starts the control thread. 0 or -errno (the helper then runs without a channel). */
int control_open(void);

/* The main thread: 1 and *rq when a checked request waits, else 0. Called between waitpid()s. */
int control_take(struct control_request *rq);

/* One line to the requester ("ok ..." or "error CODE message"); closes its socket and lets the next request in. */
void control_reply(struct control_request *rq, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A line to the requester without ending the request (the socket stays open). */
void control_reply_more(struct control_request *rq, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The requester's next line, within timeout_ms: 0, -ETIMEDOUT, or -ECONNRESET (it closed its end). */
int control_next_line(struct control_request *rq, char *buf, size_t cap, int timeout_ms);

/*
 * Requester side: sends `line` with the fds [mem, reply] to helper's fd 6 and
 * reads one reply line into buf. 0, or -errno with *syscall_name set.
 */
int control_send(pid_t helper, const char *line, int mem_fd, char *buf, size_t cap, const char **syscall_name);

/* control_send that keeps the socket open in *keep (when a reply came) for control_send_more. */
int control_send_keep(pid_t helper, const char *line, int mem_fd, char *buf, size_t cap, const char **syscall_name, int *keep);

/* One more line on a kept socket, and the helper's reply line. 0 or -errno. */
int control_send_more(int sock, const char *line, char *buf, size_t cap, int timeout_ms);

#endif
