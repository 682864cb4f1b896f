/*
 * hwcap-cpuid-audit-probe: programs that once broke a CPUID mask (issue 21), one per mode.
 * Each prints one JSON line; "ebx7" is CPUID.(7,0):EBX as the program saw it.
 *
 *   hwcap-cpuid-audit-probe [--simulate] MODE [ARGS]
 *     segv-disposition     SIGSEGV's disposition ("ign", "dfl" or "handler"; "+blocked" where the thread
 *                          blocks it) as the image starts and after a CPUID
 *     block-segv PROG..    blocks SIGSEGV, then execs PROG
 *     reach-helper         tries its tracer (the helper): opens /proc/<TracerPid>/mem for writing,
 *                          PTRACE_SEIZE, process_vm_readv; each one's errno (0: it worked)
 *     daemon N             N rounds: a double fork whose grandchild (an orphan by then) runs CPUID
 *     clone-parent N       N rounds: clone(CLONE_PARENT) children run CPUID
 *     threads-exec PROG..  8 threads and the leader loop CPUID while a ninth thread execs PROG
 *     busy-leader-exec KIND PROG..  the leader takes signals (KIND "signals": SIGUSR1, handled) or
 *                          forks children (KIND "forks") in a loop while a second thread execs PROG
 *     clones-under-traps N 8 threads loop CPUID while the leader starts and joins N threads, one at
 *                          a time: {"clones": N, "traps": the loops' CPUIDs meanwhile, "most":
 *                          the most of them during one clone}
 *     prefixes             CPUID behind legal prefixes (66, 48, f3, 2e, 66 48, ...), from an mmap'd page
 *     overlong             CPUID behind 14 prefixes: 16 bytes, which the CPU refuses (#GP)
 *     seccomp-fake-arm PROG..  a seccomp filter answers arch_prctl(ARCH_SET_CPUID) with 0, then execs PROG
 *
 * --simulate executes `rdmsr` (0f 32) where CPUID would be (see native/probe/cpuid-probe.c).
 * A child that dies at its CPUID reports nothing: its round reads "0000dead".
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int simulate;

static uint32_t ebx7(void) {
  uint32_t a = 7, b, c = 0, d;
  if (simulate) __asm__ volatile(".byte 0x0f, 0x32" : "+a"(a), "=b"(b), "+c"(c), "=d"(d)::"memory");
  else __asm__ volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d)::"memory");
  return b;
}

/* SIGSEGV's disposition, and whether this thread blocks it: "ign", "dfl" or "handler", then "+blocked". */
static void segv_state(char *buf, size_t len) {
  struct sigaction sa;
  sigset_t set;
  sigaction(SIGSEGV, NULL, &sa);
  sigprocmask(SIG_BLOCK, NULL, &set);
  const char *d = sa.sa_handler == SIG_IGN ? "ign" : sa.sa_handler == SIG_DFL ? "dfl" : "handler";
  snprintf(buf, len, "%s%s", d, sigismember(&set, SIGSEGV) ? "+blocked" : "");
}

static int segv_disposition(void) {
  char before[32], after[32];
  segv_state(before, sizeof before); /* as the image starts: before its first CPUID */
  uint32_t b = ebx7();
  segv_state(after, sizeof after);
  printf("{\"ebx7\":\"%08x\",\"before\":\"%s\",\"segv\":\"%s\"}\n", b, before, after);
  return 0;
}

static int block_segv_exec(char **argv) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGSEGV);
  sigprocmask(SIG_BLOCK, &set, NULL);
  execv(argv[0], argv);
  perror("execv");
  return 127;
}

static int daemon_rounds(int rounds) {
  for (int i = 0; i < rounds; i++) {
    int fds[2];
    if (pipe(fds) != 0) return 2;
    pid_t child = fork();
    if (child == 0) {
      close(fds[0]);
      if (fork() == 0) {
        /* The grandchild: its parent has exited, or soon will; the daemon's first CPUID. */
        uint32_t v = ebx7();
        _exit(write(fds[1], &v, sizeof v) == (ssize_t)sizeof v ? 0 : 1);
      }
      _exit(0);
    }
    close(fds[1]);
    waitpid(child, NULL, 0);
    uint32_t v;
    ssize_t n = read(fds[0], &v, sizeof v);
    close(fds[0]);
    printf("%s\"%08x\"", i ? "," : "{\"mode\":\"daemon\",\"ebx7\":[", n == (ssize_t)sizeof v ? v : 0xdeadu);
  }
  printf("]}\n");
  return 0;
}

static int clone_parent_rounds(int rounds) {
  for (int i = 0; i < rounds; i++) {
    int fds[2];
    if (pipe(fds) != 0) return 2;
    /* A sibling, not a child: its parent is this program's parent. Like fork: no new stack. */
    long r = syscall(SYS_clone, (unsigned long)(CLONE_PARENT | SIGCHLD), 0UL, 0UL, 0UL, 0UL);
    if (r < 0) return 2;
    if (r == 0) {
      close(fds[0]);
      uint32_t v = ebx7();
      _exit(write(fds[1], &v, sizeof v) == (ssize_t)sizeof v ? 0 : 1);
    }
    close(fds[1]);
    uint32_t v;
    ssize_t n = read(fds[0], &v, sizeof v); /* EOF: the sibling died at its CPUID */
    close(fds[0]);
    printf("%s\"%08x\"", i ? "," : "{\"mode\":\"clone-parent\",\"ebx7\":[", n == (ssize_t)sizeof v ? v : 0xdeadu);
  }
  printf("]}\n");
  return 0;
}

static volatile int stop_threads;
static void *cpuid_loop(void *arg) {
  (void)arg;
  while (!stop_threads) ebx7();
  return NULL;
}

static char **exec_argv;
static void *exec_thread(void *arg) {
  (void)arg;
  struct timespec t = {0, 20 * 1000 * 1000};
  nanosleep(&t, NULL);
  execv(exec_argv[0], exec_argv);
  perror("execv");
  _exit(127);
}

static unsigned long loop_traps;
static void *counted_loop(void *arg) {
  (void)arg;
  while (!stop_threads) {
    ebx7();
    __atomic_add_fetch(&loop_traps, 1, __ATOMIC_RELAXED);
  }
  return NULL;
}
static void *nothing(void *arg) { return arg; }

/*
 * Whether the helper serves every stopped thread in turn: each clone stops the leader at its clone
 * event until the helper handles it, while the loops' traps keep the helper busy. A helper that
 * always serves the newest tracee first lets the loops trap thousands of times per clone.
 */
static int clones_under_traps(int n) {
  pthread_t loops[8], t;
  /*
   * Every thread on one CPU and the helper on another: a looping thread that the helper resumes
   * then traps again before the helper's next wait, which a helper that serves the newest tracee
   * first would take every time. With one CPU, or no tracer, it says so and measures nothing.
   */
  int here = sched_getcpu() < 0 ? 0 : sched_getcpu(), there = -1;
  cpu_set_t one, other, all;
  if (sched_getaffinity(0, sizeof all, &all) != 0) return 2;
  for (int c = 0; c < CPU_SETSIZE && there < 0; c++)
    if (c != here && CPU_ISSET(c, &all)) there = c;
  CPU_ZERO(&one);
  CPU_SET(here, &one);
  if (sched_setaffinity(0, sizeof one, &one) != 0) return 2;
  /* The helper (this program's tracer) on another CPU, so that other work on the machine cannot
   * put it beside the loops, where it would serve them in turn whatever order it waits in. */
  int tracer = 0;
  FILE *f = fopen("/proc/self/status", "r");
  char line[128];
  while (f && fgets(line, sizeof line, f))
    if (sscanf(line, "TracerPid: %d", &tracer) == 1) break;
  if (f) fclose(f);
  if (there < 0 || tracer <= 0) {
    printf("{\"clones\":0,\"traps\":0,\"most\":0,\"cpus\":%d,\"tracer\":%d}\n", there < 0 ? 1 : 2, tracer);
    return 0;
  }
  CPU_ZERO(&other);
  CPU_SET(there, &other);
  if (sched_setaffinity(tracer, sizeof other, &other) != 0) return 2;
  for (int i = 0; i < 8; i++)
    if (pthread_create(&loops[i], NULL, counted_loop, NULL) != 0) return 2;
  while (__atomic_load_n(&loop_traps, __ATOMIC_RELAXED) < 16) sched_yield(); /* the loops run */
  unsigned long before = __atomic_load_n(&loop_traps, __ATOMIC_RELAXED), last = before, most = 0;
  for (int i = 0; i < n; i++) {
    if (pthread_create(&t, NULL, nothing, NULL) != 0 || pthread_join(t, NULL) != 0) return 2;
    unsigned long now = __atomic_load_n(&loop_traps, __ATOMIC_RELAXED);
    if (now - last > most) most = now - last;
    last = now;
  }
  unsigned long during = last - before;
  stop_threads = 1;
  for (int i = 0; i < 8; i++) pthread_join(loops[i], NULL);
  printf("{\"clones\":%d,\"traps\":%lu,\"most\":%lu,\"cpus\":2,\"tracer\":%d}\n", n, during, most, tracer);
  return 0;
}

static volatile sig_atomic_t usr1_seen;
static void on_usr1(int sig) {
  (void)sig;
  usr1_seen++;
}

/*
 * The leader stops for the helper again and again (a signal's delivery, or a fork event) while
 * another thread execs: the exec kills the leader in one of those stops and the exec'ing thread
 * takes its pid, at its exec stop. A helper that then handles the leader's stop it already took
 * resumes the new image before masking it.
 */
static int busy_leader_exec(const char *kind, char **argv) {
  exec_argv = argv;
  pthread_t t;
  int forks = strcmp(kind, "forks") == 0;
  if (!forks && strcmp(kind, "signals") != 0) return 2;
  if (!forks) signal(SIGUSR1, on_usr1);
  if (pthread_create(&t, NULL, exec_thread, NULL) != 0) return 2;
  for (;;) {
    if (!forks) {
      syscall(SYS_tgkill, getpid(), getpid(), SIGUSR1);
    } else {
      pid_t c = fork();
      if (c == 0) _exit(0);
      if (c > 0) waitpid(c, NULL, 0);
    }
  }
}

static int threads_exec(char **argv) {
  exec_argv = argv;
  pthread_t t;
  for (int i = 0; i < 8; i++)
    if (pthread_create(&t, NULL, cpuid_loop, NULL) != 0) return 2;
  if (pthread_create(&t, NULL, exec_thread, NULL) != 0) return 2;
  cpuid_loop(NULL); /* the leader too: its pid becomes the new image's */
  return 2;
}

/* CPUID (or rdmsr) behind each prefix form, in an executable page: "bytes": [eax, ebx] as seen. */
static int prefixes(int overlong) {
  static const char *const forms[] = {"66",
                                      "48",
                                      "f3",
                                      "f2",
                                      "2e",
                                      "3e",
                                      "26",
                                      "64",
                                      "65",
                                      "36",
                                      "67",
                                      "40",
                                      "4f",
                                      "66 48",
                                      "f3 66 2e 48",
                                      "48 66",
                                      "66 66 66 66 66 66 66 66 66 66 66 66 66"};
  static const char *const too_long[] = {"66 66 66 66 66 66 66 66 66 66 66 66 66 66"};
  const char *const *list = overlong ? too_long : forms;
  size_t count = overlong ? 1 : sizeof forms / sizeof forms[0];
  unsigned char *page = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (page == MAP_FAILED) return 2;
  printf("{");
  for (size_t i = 0; i < count; i++) {
    size_t n = 0;
    for (const char *p = list[i]; *p;) {
      char *end;
      page[n++] = (unsigned char)strtoul(p, &end, 16);
      p = *end ? end + 1 : end;
    }
    page[n++] = 0x0f;
    page[n++] = simulate ? 0x32 : 0xa2;
    page[n++] = 0xc3; /* ret */
    __builtin___clear_cache((char *)page, (char *)page + n);
    uint32_t a = 7, b = 0, c = 0, d = 0;
    /* The red zone is stepped over: the call pushes its return address below the stack pointer. */
    __asm__ volatile("sub $128, %%rsp\n\tcall *%4\n\tadd $128, %%rsp"
                     : "+a"(a), "=b"(b), "+c"(c), "=d"(d)
                     : "r"(page)
                     : "memory", "cc");
    printf("%s\"%s\":\"%08x\"", i ? "," : "", list[i], b);
    fflush(stdout);
  }
  printf("}\n");
  return 0;
}

static int reach_helper(void) {
  FILE *f = fopen("/proc/self/status", "re");
  char line[256];
  int tracer = 0;
  while (f && fgets(line, sizeof line, f))
    if (sscanf(line, "TracerPid: %d", &tracer) == 1) break;
  if (f) fclose(f);
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/mem", tracer);
  int fd = open(path, O_RDWR | O_CLOEXEC);
  int mem = fd >= 0 ? 0 : errno;
  if (fd >= 0) close(fd);
  int seize = syscall(SYS_ptrace, 0x4206 /* PTRACE_SEIZE */, tracer, 0, 0) == 0 ? 0 : errno;
  if (!seize) syscall(SYS_ptrace, 17 /* PTRACE_DETACH */, tracer, 0, 0);
  char buf[8];
  struct iovec local = {buf, sizeof buf}, remote = {(void *)0x400000, sizeof buf};
  int vm = process_vm_readv(tracer, &local, 1, &remote, 1, 0) >= 0 || errno == EFAULT ? 0 : errno;
  printf("{\"tracer\":%d,\"mem\":%d,\"seize\":%d,\"vm\":%d}\n", tracer, mem, seize, vm);
  return 0;
}

static int seccomp_fake_arm(char **argv) {
  struct sock_filter f[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_arch_prctl, 0, 3),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0])),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0x1012 /* ARCH_SET_CPUID */, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | 0),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  struct sock_fprog prog = {sizeof f / sizeof f[0], f};
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0) {
    perror("seccomp");
    return 2;
  }
  execv(argv[0], argv);
  perror("execv");
  return 127;
}

int main(int argc, char **argv) {
  int i = 1;
  if (i < argc && strcmp(argv[i], "--simulate") == 0) simulate = 1, i++;
  if (i >= argc) return 2;
  const char *mode = argv[i++];
  int n = i < argc ? atoi(argv[i]) : 0;
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (strcmp(mode, "segv-disposition") == 0) return segv_disposition();
  if (strcmp(mode, "daemon") == 0) return daemon_rounds(n);
  if (strcmp(mode, "clone-parent") == 0) return clone_parent_rounds(n);
  if (strcmp(mode, "threads-exec") == 0 && i < argc) return threads_exec(argv + i);
  if (strcmp(mode, "busy-leader-exec") == 0 && i + 1 < argc) return busy_leader_exec(argv[i], argv + i + 1);
  if (strcmp(mode, "clones-under-traps") == 0 && i < argc) return clones_under_traps(atoi(argv[i]));
  if (strcmp(mode, "prefixes") == 0) return prefixes(0);
  if (strcmp(mode, "overlong") == 0) return prefixes(1);
  if (strcmp(mode, "seccomp-fake-arm") == 0 && i < argc) return seccomp_fake_arm(argv + i);
  if (strcmp(mode, "block-segv") == 0 && i < argc) return block_segv_exec(argv + i);
  if (strcmp(mode, "reach-helper") == 0) return reach_helper();
  fprintf(stderr, "usage: hwcap-cpuid-audit-probe [--simulate] MODE [ARGS]\n");
  return 2;
}
