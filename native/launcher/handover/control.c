/* The helper's control channel; see handover/control.h. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "control.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../common/procfs.h"
#include "../exec/tracee.h"
#include "../exec/tree.h"

#define PROC_SUPER_MAGIC 0x9fa0 /* include/uapi/linux/magic.h */
#define REQUEST_MAX 256
#define REPLY_TIMEOUT_MS 60000

static int own_end = -1; /* the helper reads requests here */
static int listen_end =
    -1; /* or from a connection to its socket (control_socket_name), for a requester without ptrace access to it */
static atomic_int request_state; /* 0 idle, 1 a checked request waits, 2 the main thread has it */
static struct control_request request;

/* ------------------------------------------------------------------------------------------ */
/* Helper side                                                                                */

static void reply_fd_line(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void reply_fd_line(int fd, const char *fmt, ...) {
  char buf[CONTROL_REPLY_MAX];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(buf, sizeof buf - 1, fmt, ap);
  va_end(ap);
  if (n < 0) return;
  if ((size_t)n > sizeof buf - 2) n = (int)sizeof buf - 2;
  buf[n++] = '\n';
  send(fd, buf, (size_t)n, MSG_NOSIGNAL);
}

/* mem must be /proc/<pid>/mem of `pid`, opened by the requester: the kernel checked ptrace access when it opened it. */
static const char *check_mem_fd(int mem, pid_t pid) {
  struct statfs sf;
  if (fstatfs(mem, &sf) != 0 || sf.f_type != PROC_SUPER_MAGIC) return "the fd sent is not a /proc file";
  char link[64], want[64], path[64];
  snprintf(path, sizeof path, "/proc/self/fd/%d", mem);
  ssize_t len = readlink(path, link, sizeof link - 1);
  if (len < 0) return "the fd sent cannot be read back";
  link[len] = 0;
  snprintf(want, sizeof want, "/proc/%d/mem", (int)pid);
  if (strcmp(link, want) != 0) return "the fd sent is not the mem file of the pid named";
  /* Both read the same memory: 16 bytes at the start of the stack (argc and argv[0]). */
  char pidstr[16];
  snprintf(pidstr, sizeof pidstr, "%d", (int)pid);
  uint64_t st[HWCAP_STAT_FIELDS], a[2], b[2];
  if (hwcap_read_stat(pidstr, st, 28) != 0 || st[28] == 0) return "cannot read the pid's startstack";
  if (pread(mem, a, sizeof a, (off_t)st[28]) != (ssize_t)sizeof a) return "the mem fd sent cannot be read";
  if (tracee_read(pid, st[28], b, sizeof b) != 0) return "cannot read the pid's stack";
  if (memcmp(a, b, sizeof a) != 0) return "the mem fd sent reads another process";
  return NULL;
}

/* Parses "release 1 pid=N stop=S", optionally followed by " unmasked-cpuid=1" and then " hold=1". */
static int parse_request(const char *msg, pid_t *pid, int *stop, int *unmasked_cpuid, int *hold) {
  int p = 0, s = -1, end = 0;
  if (sscanf(msg, "release 1 pid=%d stop=%d%n", &p, &s, &end) != 2) return -1;
  *unmasked_cpuid = *hold = 0;
  if (strncmp(msg + end, " unmasked-cpuid=1", 17) == 0) *unmasked_cpuid = 1, end += 17;
  if (strncmp(msg + end, " hold=1", 7) == 0) *hold = 1, end += 7;
  if (msg[end] != 0) return -1;
  if (p <= 0 || (s != 0 && s != 1)) return -1;
  *pid = p;
  *stop = s;
  return 0;
}

/* One message: checked, then handed to the main thread. Returns the reply fd it keeps, or -1. */
static void handle_message(int from) {
  char data[REQUEST_MAX + 1];
  union {
    char buf[CMSG_SPACE(sizeof(struct ucred)) + CMSG_SPACE(4 * sizeof(int))];
    struct cmsghdr align;
  } ctl;
  struct iovec iov = {data, REQUEST_MAX};
  struct msghdr mh = {0};
  mh.msg_iov = &iov;
  mh.msg_iovlen = 1;
  mh.msg_control = ctl.buf;
  mh.msg_controllen = sizeof ctl.buf;
  ssize_t n = recvmsg(from, &mh, MSG_CMSG_CLOEXEC);
  if (n < 0) return;
  data[n] = 0;
  int fds[4], nfds = 0, have_cred = 0;
  struct ucred cred = {0, 0, 0};
  for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
    if (c->cmsg_level != SOL_SOCKET) continue;
    if (c->cmsg_type == SCM_CREDENTIALS && c->cmsg_len == CMSG_LEN(sizeof cred)) {
      memcpy(&cred, CMSG_DATA(c), sizeof cred);
      have_cred = 1;
    } else if (c->cmsg_type == SCM_RIGHTS) {
      size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
      for (size_t i = 0; i < k && nfds < 4; i++) memcpy(&fds[nfds++], CMSG_DATA(c) + i * sizeof(int), sizeof(int));
    }
  }
  /* Nothing to answer on without the requester's socket. */
  if (nfds != 2 || (mh.msg_flags & MSG_CTRUNC)) {
    for (int i = 0; i < nfds; i++) close(fds[i]);
    return;
  }
  int mem = fds[0], reply = fds[1];
  pid_t pid;
  int stop, unmasked_cpuid, hold;
  const char *why = NULL, *code = "EPERM";
  if (parse_request(data, &pid, &stop, &unmasked_cpuid, &hold) != 0) {
    why = "malformed request";
    code = "EINVAL";
  } else if (!have_cred || cred.pid < 0) {
    why = "no sender credentials";
  } else if (cred.pid > 0 && tree_tracer_of(cred.pid) == getpid()) {
    /* pid 0: the sender is outside this pid namespace, so not a task of the tree (those are all visible here). */
    why = "a process of the tree cannot release it";
  } else if (tree_tracer_of(pid) != getpid()) {
    why = "this helper does not follow that pid";
    code = "ESRCH";
  } else {
    why = check_mem_fd(mem, pid);
  }
  close(mem);
  if (why) {
    reply_fd_line(reply, "error %s %s", code, why);
    close(reply);
    return;
  }
  int idle = 0;
  if (!atomic_compare_exchange_strong(&request_state, &idle, -1)) {
    reply_fd_line(reply, "error EBUSY another request is being served");
    close(reply);
    return;
  }
  request.pid = pid;
  request.requester = cred.pid;
  request.stop = stop;
  request.unmasked_cpuid = unmasked_cpuid;
  request.hold = hold;
  request.reply_fd = reply;
  atomic_store(&request_state, 1);
  /* Wake the main thread: it waits in waitpid(-1, __WALL), which also reaps this thread's children. */
  pid_t w = fork();
  if (w == 0) _exit(0);
}

/* A connection to the helper's socket: one request, read within a second, then closed (the reply goes on the fd it sent). */
static void handle_connection(void) {
  int c = accept4(listen_end, NULL, NULL, SOCK_CLOEXEC), on = 1;
  if (c < 0) return;
  setsockopt(c, SOL_SOCKET, SO_PASSCRED, &on, sizeof on);
  struct pollfd p = {c, POLLIN, 0};
  if (poll(&p, 1, 1000) == 1) handle_message(c);
  close(c);
}

static void *control_thread(void *arg) {
  (void)arg;
  for (;;) {
    struct pollfd p[2] = {{own_end, POLLIN, 0}, {listen_end, POLLIN, 0}};
    if (poll(p, listen_end >= 0 ? 2 : 1, -1) < 0) {
      if (errno == EINTR) continue;
      return NULL;
    }
    if (p[0].revents) handle_message(own_end);
    if (listen_end >= 0 && p[1].revents) handle_connection();
  }
}

/* The helper's socket: "hwcap-exec-helper.<pid>" in the abstract namespace of its network namespace. */
static socklen_t control_socket_name(pid_t helper, struct sockaddr_un *a) {
  memset(a, 0, sizeof *a);
  a->sun_family = AF_UNIX;
  int n = snprintf(a->sun_path + 1, sizeof a->sun_path - 1, "hwcap-exec-helper.%d", (int)helper);
  return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)n);
}

/*
 * The socket: where a requester of the helper's user who may not ptrace it (it is not dumpable)
 * sends its request. The request is checked as one that came through the fd (handle_message: not
 * from the tree, with a mem fd of the pid that proves ptrace access to the tree), so the socket
 * opens nothing the fd did not. Without it (the name taken), only the fd serves.
 */
static void open_socket(void) {
  struct sockaddr_un a;
  socklen_t len = control_socket_name(getpid(), &a);
  int s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0), on = 1;
  if (s < 0) return;
  int high = fcntl(s, F_DUPFD_CLOEXEC, 100);
  close(s);
  if (high < 0) return;
  if (setsockopt(high, SOL_SOCKET, SO_PASSCRED, &on, sizeof on) != 0 || bind(high, (struct sockaddr *)&a, len) != 0 ||
      listen(high, 4) != 0) {
    close(high);
    return;
  }
  listen_end = high;
}

int control_open(void) {
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) return -errno;
  /* Our end above 100 first: socketpair may have handed out fd 6 itself. */
  int own = fcntl(sv[1], F_DUPFD_CLOEXEC, 100), on = 1;
  close(sv[1]);
  if (own < 0 || setsockopt(own, SOL_SOCKET, SO_PASSCRED, &on, sizeof on) != 0 ||
      (sv[0] != HWCAP_CONTROL_FD && dup3(sv[0], HWCAP_CONTROL_FD, O_CLOEXEC) < 0)) {
    int e = errno;
    close(sv[0]);
    if (own >= 0) close(own);
    return -e;
  }
  if (sv[0] != HWCAP_CONTROL_FD) close(sv[0]);
  own_end = own;
  open_socket();
  /* The thread must not take the signals the main thread waits out. */
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  pthread_t t;
  int r = pthread_create(&t, NULL, control_thread, NULL);
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  if (r != 0) {
    close(HWCAP_CONTROL_FD);
    close(own_end);
    own_end = -1;
    return -r;
  }
  pthread_detach(t);
  return 0;
}

int control_take(struct control_request *rq) {
  int ready = 1;
  if (!atomic_compare_exchange_strong(&request_state, &ready, 2)) return 0;
  *rq = request;
  return 1;
}

static void vreply(struct control_request *rq, const char *fmt, va_list ap) {
  char buf[CONTROL_REPLY_MAX - 16];
  vsnprintf(buf, sizeof buf, fmt, ap);
  reply_fd_line(rq->reply_fd, "%s", buf);
}

void control_reply(struct control_request *rq, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vreply(rq, fmt, ap);
  va_end(ap);
  close(rq->reply_fd);
  rq->reply_fd = -1;
  atomic_store(&request_state, 0);
}

void control_reply_more(struct control_request *rq, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vreply(rq, fmt, ap);
  va_end(ap);
}

int control_next_line(struct control_request *rq, char *buf, size_t cap, int timeout_ms) {
  struct pollfd p = {rq->reply_fd, POLLIN, 0};
  int pr;
  while ((pr = poll(&p, 1, timeout_ms)) < 0 && errno == EINTR) {}
  if (pr == 0) return -ETIMEDOUT;
  if (pr < 0) return -errno;
  ssize_t n = recv(rq->reply_fd, buf, cap - 1, 0);
  if (n < 0) return -errno;
  if (n == 0) return -ECONNRESET;
  buf[n] = 0;
  buf[strcspn(buf, "\n")] = 0;
  return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Requester side                                                                             */

/*
 * A connection to the helper's socket, for a requester that may not ptrace the helper: the
 * socket's owner (SO_PEERCRED, as the kernel recorded it at listen) must be the helper itself,
 * or the request (with its mem fd of the tree) would go to whoever took the name. The fd, or -errno.
 */
static int connect_socket(pid_t helper, const char **syscall_name) {
  struct sockaddr_un a;
  socklen_t len = control_socket_name(helper, &a);
  *syscall_name = "connect";
  int s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
  if (s < 0) return -errno;
  struct ucred peer = {0, 0, 0};
  socklen_t plen = sizeof peer;
  if (connect(s, (struct sockaddr *)&a, len) != 0) {
    int e = errno;
    close(s);
    return e == ECONNREFUSED || e == ENOENT ? -EPERM : -e; /* no socket: the fd was the way, and it was refused */
  }
  *syscall_name = "getsockopt(SO_PEERCRED)";
  if (getsockopt(s, SOL_SOCKET, SO_PEERCRED, &peer, &plen) != 0 || peer.pid != helper) {
    close(s);
    return -EPERM;
  }
  return s;
}

int control_send_keep(pid_t helper, const char *line, int mem_fd, char *buf, size_t cap, const char **syscall_name, int *keep) {
  *syscall_name = "pidfd_open";
  int pidfd = (int)syscall(SYS_pidfd_open, helper, 0);
  if (pidfd < 0) return -errno;
  *syscall_name = "pidfd_getfd";
  int ctl = (int)syscall(SYS_pidfd_getfd, pidfd, HWCAP_CONTROL_FD, 0);
  int e = errno;
  close(pidfd);
  /* EPERM: the helper is not dumpable, and only CAP_SYS_PTRACE takes its fd; its user has its socket. */
  if (ctl < 0 && (e == EPERM || e == EACCES)) ctl = connect_socket(helper, syscall_name), e = ctl < 0 ? -ctl : 0;
  if (ctl < 0) return -e;
  int sv[2];
  *syscall_name = "socketpair";
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
    e = errno;
    close(ctl);
    return -e;
  }
  union {
    char buf[CMSG_SPACE(2 * sizeof(int))];
    struct cmsghdr align;
  } cm;
  memset(&cm, 0, sizeof cm);
  struct iovec iov = {(void *)line, strlen(line)};
  struct msghdr mh = {0};
  mh.msg_iov = &iov;
  mh.msg_iovlen = 1;
  mh.msg_control = cm.buf;
  mh.msg_controllen = sizeof cm.buf;
  struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(2 * sizeof(int));
  int pass[2] = {mem_fd, sv[1]};
  memcpy(CMSG_DATA(c), pass, sizeof pass);
  *syscall_name = "sendmsg";
  ssize_t s = sendmsg(ctl, &mh, MSG_NOSIGNAL);
  e = errno;
  close(ctl);
  close(sv[1]);
  if (s < 0) {
    close(sv[0]);
    return -e;
  }
  *syscall_name = "recv";
  struct pollfd p = {sv[0], POLLIN, 0};
  int pr;
  while ((pr = poll(&p, 1, REPLY_TIMEOUT_MS)) < 0 && errno == EINTR) {}
  if (pr == 0) {
    close(sv[0]);
    return -ETIMEDOUT;
  }
  ssize_t r = recv(sv[0], buf, cap - 1, 0);
  e = errno;
  if (keep && r > 0) *keep = sv[0];
  else close(sv[0]);
  if (r < 0) return -e;
  if (r == 0) return -ECONNRESET; /* the helper closed it unanswered: it died */
  buf[r] = 0;
  char *nl = strchr(buf, '\n');
  if (nl) *nl = 0;
  return 0;
}

int control_send(pid_t helper, const char *line, int mem_fd, char *buf, size_t cap, const char **syscall_name) {
  return control_send_keep(helper, line, mem_fd, buf, cap, syscall_name, NULL);
}

int control_send_more(int sock, const char *line, char *buf, size_t cap, int timeout_ms) {
  if (send(sock, line, strlen(line), MSG_NOSIGNAL) < 0) return -errno;
  struct pollfd p = {sock, POLLIN, 0};
  int pr;
  while ((pr = poll(&p, 1, timeout_ms)) < 0 && errno == EINTR) {}
  if (pr == 0) return -ETIMEDOUT;
  if (pr < 0) return -errno;
  ssize_t r = recv(sock, buf, cap - 1, 0);
  if (r < 0) return -errno;
  if (r == 0) return -ECONNRESET;
  buf[r] = 0;
  buf[strcspn(buf, "\n")] = 0;
  return 0;
}
