/*
 * hwcap-cpuid-probe: executes CPUID and prints what it sees, one JSON line.
 *
 *   hwcap-cpuid-probe [--simulate] [MODE]
 *     (none)            leaves seen by the main thread, a second thread and a forked child
 *     --loop N [LEAF]   N CPUIDs of LEAF (hex, default 1); prints the nanoseconds per CPUID
 *     --block-all       with SIGSEGV and SIGTRAP handlers, a thread that blocks every signal runs
 *                       CPUID: SigBlk before and after, and both handlers after
 *     --ignore-segv     SIGSEGV ignored, CPUID: SigIgn before and after
 *     --handler-blocked a SIGSEGV handler, SIGSEGV blocked, CPUID: handler and mask after
 *     --segv-handler    a SIGSEGV handler, then a real SIGSEGV: the handler must run
 *     --escape          arch_prctl(ARCH_SET_CPUID, 1), ARCH_GET_CPUID, clone(CLONE_UNTRACED), clone3
 *     --sweep           pinned to CPU 0: every basic and extended leaf with subleaves 0..3, and
 *                       some out-of-range leaves, as "LEAF.SUB": [eax, ebx, ecx, edx]
 *     --cpuid-in-handler  CPUID inside a SIGUSR1 handler whose sa_mask blocks SIGSEGV, with a
 *                       SIGSEGV handler installed: the handler and the masks after
 *     --escape-wide     arch_prctl(ARCH_SET_CPUID, 1UL << 32) (nonzero only in its high half), then CPUID
 *     --escape-compat   the escapes through the other entry points: int $0x80 (the i386 table) from this
 *                       64-bit process, clone(CLONE_UNTRACED), clone3(CLONE_UNTRACED),
 *                       arch_prctl(ARCH_SET_CPUID, 1) and signal(SIGSEGV, SIG_IGN), and SIGSEGV blocked
 *                       through rt_sigprocmask and sigprocmask, then a CPUID: [blocked by the call,
 *                       still blocked after the CPUID], where int $0x80 works ("i386": false where the
 *                       kernel has no IA32 emulation); and the x32 numbers (__X32_SYSCALL_BIT) where the
 *                       kernel has x32 (x32 getpid answers; ENOSYS where it has not); then CPUID
 *     --unblock-segv    SIGSEGV blocked with SIG_BLOCK, then unblocked with SIG_UNBLOCK, then CPUID: SigBlk
 *                       before and after
 *     --leaf LEAF [SUB] one CPUID (LEAF and SUB in hex, SUB 0 by default) in the main thread, as "LEAF.SUB": [...]
 *     --inherited-ign   nothing changed: SigIgn before and after a CPUID, and whether SIGSEGV is ignored
 *                       (run it as `sh -c "trap '' SEGV; exec hwcap-cpuid-probe --inherited-ign"`)
 *     --per-cpu ROUNDS  pinned to each CPU it may run on in turn, ROUNDS times over: leaves 1, 4.0,
 *                       4.1 and 0xb.0 on each, as {"cpus":{"N":{"1":[..],...}},"changed":[N...]}
 *                       (the last round's answers; the CPUs where a round answered otherwise)
 *
 * --simulate executes `rdmsr` (0f 32) where CPUID would be: at CPL 3 it raises
 * the same forced SIGSEGV (SI_KERNEL) that a faulting CPUID does, so a test build
 * of the launcher (HWCAP_EXEC_FAULT=cpuid-simulate) can answer it on a machine
 * without CPUID faulting. Leaves are printed as "LEAF[.SUB]": [eax, ebx, ecx, edx] in hex.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cpuid-probe.h"

int simulate;

void cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4]) {
  uint32_t a = leaf, b, c = sub, d;
  if (simulate) __asm__ volatile(".byte 0x0f, 0x32" : "+a"(a), "=b"(b), "+c"(c), "=d"(d)::"memory");
  else __asm__ volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d)::"memory");
  r[0] = a;
  r[1] = b;
  r[2] = c;
  r[3] = d;
}

static const struct {
  uint32_t leaf, sub;
  int indexed;
} leaves[] = {{0, 0, 0},   {1, 0, 0},          {7, 0, 1},          {7, 1, 1},         {0xd, 0, 1},
              {0xd, 1, 1}, {0x80000000, 0, 0}, {0x80000001, 0, 0}, {0x80000008, 0, 0}};

static void print_leaves(char *buf, size_t len) {
  size_t n = (size_t)snprintf(buf, len, "{");
  for (size_t i = 0; i < sizeof leaves / sizeof leaves[0]; i++) {
    uint32_t r[4];
    cpuid(leaves[i].leaf, leaves[i].sub, r);
    char key[24];
    if (leaves[i].indexed) snprintf(key, sizeof key, "%x.%x", leaves[i].leaf, leaves[i].sub);
    else snprintf(key, sizeof key, "%x", leaves[i].leaf);
    n += (size_t)snprintf(buf + n, len - n, "%s\"%s\":[\"%08x\",\"%08x\",\"%08x\",\"%08x\"]", i ? "," : "", key, r[0], r[1], r[2],
                          r[3]);
  }
  snprintf(buf + n, len - n, "}");
}

static char thread_buf[2048];
static void *thread_main(void *arg) {
  (void)arg;
  print_leaves(thread_buf, sizeof thread_buf);
  return NULL;
}

unsigned long long status_field(const char *name) {
  FILE *f = fopen("/proc/thread-self/status", "re");
  char line[256];
  unsigned long long v = ~0ULL;
  size_t len = strlen(name);
  while (f && fgets(line, sizeof line, f))
    if (strncmp(line, name, len) == 0) v = strtoull(line + len, NULL, 16);
  if (f) fclose(f);
  return v;
}

static void *block_all_thread(void *arg) {
  unsigned long long *out = arg;
  sigset_t all;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, NULL);
  uint32_t r[4];
  out[0] = status_field("SigBlk:");
  cpuid(1, 0, r);
  out[1] = status_field("SigBlk:");
  cpuid(7, 0, r);
  out[2] = status_field("SigBlk:");
  out[3] = r[1];
  return NULL;
}

static sigjmp_buf segv_jump;
static volatile sig_atomic_t handler_ran;
static void segv_handler(int sig) {
  (void)sig;
  handler_ran = 1;
  siglongjmp(segv_jump, 1);
}

static int mode_default(void) {
  static char main_buf[2048], child_buf[2048];
  print_leaves(main_buf, sizeof main_buf);
  pthread_t t;
  if (pthread_create(&t, NULL, thread_main, NULL) != 0) return 2;
  pthread_join(t, NULL);
  int fds[2];
  if (pipe(fds) != 0) return 2;
  pid_t pid = fork();
  if (pid == 0) {
    print_leaves(child_buf, sizeof child_buf);
    ssize_t w = write(fds[1], child_buf, strlen(child_buf));
    _exit(w > 0 ? 0 : 1);
  }
  close(fds[1]);
  ssize_t n = read(fds[0], child_buf, sizeof child_buf - 1);
  child_buf[n > 0 ? n : 0] = 0;
  int st;
  waitpid(pid, &st, 0);
  printf("{\"main\":%s,\"thread\":%s,\"child\":%s}\n", main_buf, thread_buf, child_buf);
  return 0;
}

static int mode_loop(long n, uint32_t leaf) {
  uint32_t r[4];
  struct timespec a, b;
  clock_gettime(CLOCK_MONOTONIC, &a);
  for (long i = 0; i < n; i++) cpuid(leaf, 0, r);
  clock_gettime(CLOCK_MONOTONIC, &b);
  double ns = ((double)(b.tv_sec - a.tv_sec) * 1e9 + (double)(b.tv_nsec - a.tv_nsec)) / (double)n;
  printf("{\"n\":%ld,\"leaf\":\"%x\",\"nsPerCpuid\":%.1f}\n", n, leaf, ns);
  return 0;
}

static int mode_per_cpu(long rounds) {
  static const struct {
    uint32_t leaf, sub;
    const char *name;
  } per[] = {{1, 0, "1"}, {4, 0, "4.0"}, {4, 1, "4.1"}, {0xb, 0, "b.0"}};
  enum { NPER = sizeof per / sizeof per[0] };
  cpu_set_t allowed;
  if (sched_getaffinity(0, sizeof allowed, &allowed) != 0) return 2;
  static uint32_t first[CPU_SETSIZE][NPER][4], last[CPU_SETSIZE][NPER][4];
  static char changed[CPU_SETSIZE];
  for (long r = 0; r < rounds; r++)
    for (int c = 0; c < CPU_SETSIZE; c++) {
      if (!CPU_ISSET(c, &allowed)) continue;
      cpu_set_t one;
      CPU_ZERO(&one);
      CPU_SET(c, &one);
      if (sched_setaffinity(0, sizeof one, &one) != 0) return 2;
      for (int k = 0; k < NPER; k++) {
        cpuid(per[k].leaf, per[k].sub, last[c][k]);
        if (r == 0) memcpy(first[c][k], last[c][k], sizeof first[c][k]);
        else if (memcmp(first[c][k], last[c][k], sizeof first[c][k]) != 0) changed[c] = 1;
      }
    }
  printf("{\"cpus\":{");
  const char *sep = "";
  for (int c = 0; c < CPU_SETSIZE; c++) {
    if (!CPU_ISSET(c, &allowed)) continue;
    printf("%s\"%d\":{", sep, c);
    for (int k = 0; k < NPER; k++)
      printf("%s\"%s\":[\"%x\",\"%x\",\"%x\",\"%x\"]", k ? "," : "", per[k].name, last[c][k][0], last[c][k][1], last[c][k][2],
             last[c][k][3]);
    printf("}");
    sep = ",";
  }
  printf("},\"changed\":[");
  sep = "";
  for (int c = 0; c < CPU_SETSIZE; c++)
    if (changed[c]) {
      printf("%s%d", sep, c);
      sep = ",";
    }
  printf("]}\n");
  return 0;
}

static int mode_unblock_segv(void) {
  sigset_t segv;
  sigemptyset(&segv);
  sigaddset(&segv, SIGSEGV);
  sigprocmask(SIG_BLOCK, &segv, NULL);
  unsigned long long blocked = status_field("SigBlk:");
  sigprocmask(SIG_UNBLOCK, &segv, NULL);
  unsigned long long before = status_field("SigBlk:");
  uint32_t r[4];
  cpuid(1, 0, r);
  unsigned long long after = status_field("SigBlk:");
  printf("{\"blocked\":\"%llx\",\"before\":\"%llx\",\"after\":\"%llx\"}\n", blocked, before, after);
  return 0;
}

static int mode_inherited_ign(void) {
  unsigned long long before = status_field("SigIgn:");
  uint32_t r[4];
  cpuid(1, 0, r);
  cpuid(7, 0, r);
  unsigned long long after = status_field("SigIgn:");
  struct sigaction now;
  sigaction(SIGSEGV, NULL, &now);
  printf("{\"before\":\"%llx\",\"after\":\"%llx\",\"ignored\":%s,\"leaf7ebx\":\"%08x\"}\n", before, after,
         now.sa_handler == SIG_IGN ? "true" : "false", r[1]);
  return 0;
}

static int mode_sweep(void) {
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(0, &one);
  if (sched_setaffinity(0, sizeof one, &one) != 0) return 2;
  uint32_t r[4], max_basic, max_ext;
  cpuid(0, 0, r);
  max_basic = r[0];
  cpuid(0x80000000, 0, r);
  max_ext = r[0];
  printf("{");
  int first = 1;
  uint32_t extra[] = {max_basic + 1, 0x4fffffff, 0x8fffffff, max_ext + 1, 0xc0000000};
  for (int range = 0; range < 3; range++) {
    uint32_t lo = range == 0 ? 0 : range == 1 ? 0x80000000 : 0, hi = range == 0 ? max_basic : range == 1 ? max_ext : 4;
    if (hi - lo > 0x40) hi = lo + 0x40;
    for (uint32_t l = lo; l <= hi; l++) {
      uint32_t leaf = range == 2 ? extra[l] : l;
      for (uint32_t sub = 0; sub < 4; sub++) {
        cpuid(leaf, sub, r);
        printf("%s\"%x.%x\":[\"%08x\",\"%08x\",\"%08x\",\"%08x\"]", first ? "" : ",", leaf, sub, r[0], r[1], r[2], r[3]);
        first = 0;
      }
    }
  }
  printf("}\n");
  return 0;
}

static void (*volatile seen_segv_handler)(int);
static volatile unsigned long long blk_in_handler;
static void usr1_handler(int sig) {
  (void)sig;
  uint32_t r[4];
  cpuid(7, 0, r);
  struct sigaction now;
  sigaction(SIGSEGV, NULL, &now);
  seen_segv_handler = now.sa_handler;
  blk_in_handler = status_field("SigBlk:");
}

static int mode_cpuid_in_handler(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = segv_handler;
  sigaction(SIGSEGV, &sa, NULL);
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = usr1_handler;
  sigaddset(&sa.sa_mask, SIGSEGV);
  sigaction(SIGUSR1, &sa, NULL);
  unsigned long long before = status_field("SigBlk:");
  raise(SIGUSR1);
  unsigned long long after = status_field("SigBlk:");
  struct sigaction now;
  sigaction(SIGSEGV, NULL, &now);
  printf("{\"before\":\"%llx\",\"inHandler\":\"%llx\",\"after\":\"%llx\",\"handlerInHandler\":%s,\"handlerAfter\":%s}\n", before,
         blk_in_handler, after, seen_segv_handler == segv_handler ? "true" : "false",
         now.sa_handler == segv_handler ? "true" : "false");
  return 0;
}

int main(int argc, char **argv) {
  int i = 1;
  if (i < argc && strcmp(argv[i], "--simulate") == 0) {
    simulate = 1;
    i++;
  }
  const char *mode = i < argc ? argv[i] : "";
  uint32_t r[4];
  if (!*mode) return mode_default();
  if (strcmp(mode, "--loop") == 0)
    return mode_loop(i + 1 < argc ? atol(argv[i + 1]) : 1000, i + 2 < argc ? (uint32_t)strtoul(argv[i + 2], NULL, 16) : 1);
  if (strcmp(mode, "--escape") == 0) return mode_escape();
  if (strcmp(mode, "--per-cpu") == 0) return mode_per_cpu(i + 1 < argc ? atol(argv[i + 1]) : 3);
  if (strcmp(mode, "--sweep") == 0) return mode_sweep();
  if (strcmp(mode, "--cpuid-in-handler") == 0) return mode_cpuid_in_handler();
  if (strcmp(mode, "--escape-wide") == 0) return mode_escape_wide();
  if (strcmp(mode, "--escape-compat") == 0) return mode_escape_compat();
  if (strcmp(mode, "--unblock-segv") == 0) return mode_unblock_segv();
  if (strcmp(mode, "--inherited-ign") == 0) return mode_inherited_ign();
  if (strcmp(mode, "--leaf") == 0 && i + 1 < argc) {
    uint32_t leaf = (uint32_t)strtoul(argv[i + 1], NULL, 16), sub = i + 2 < argc ? (uint32_t)strtoul(argv[i + 2], NULL, 16) : 0;
    cpuid(leaf, sub, r);
    printf("{\"%x.%x\":[\"%08x\",\"%08x\",\"%08x\",\"%08x\"]}\n", leaf, sub, r[0], r[1], r[2], r[3]);
    return 0;
  }
  if (strcmp(mode, "--block-all") == 0) {
    /* With a SIGSEGV handler and a SIGTRAP handler: the forced signal would reset both if mishandled. */
    struct sigaction sa, now, trap_now;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = segv_handler;
    sigaction(SIGSEGV, &sa, NULL);
    sigaction(SIGTRAP, &sa, NULL);
    unsigned long long out[4];
    pthread_t t;
    if (pthread_create(&t, NULL, block_all_thread, out) != 0) return 2;
    pthread_join(t, NULL);
    sigaction(SIGSEGV, NULL, &now);
    sigaction(SIGTRAP, NULL, &trap_now);
    printf(
        "{\"before\":\"%llx\",\"after1\":\"%llx\",\"after7\":\"%llx\",\"leaf7ebx\":\"%08llx\",\"segvHandler\":%s,\"trapHandler\":"
        "%s}\n",
        out[0], out[1], out[2], out[3], now.sa_handler == segv_handler ? "true" : "false",
        trap_now.sa_handler == segv_handler ? "true" : "false");
    return 0;
  }
  if (strcmp(mode, "--ignore-segv") == 0) {
    signal(SIGSEGV, SIG_IGN);
    unsigned long long before = status_field("SigIgn:");
    cpuid(1, 0, r);
    unsigned long long after = status_field("SigIgn:");
    struct sigaction now;
    sigaction(SIGSEGV, NULL, &now);
    printf("{\"before\":\"%llx\",\"after\":\"%llx\",\"ignored\":%s}\n", before, after,
           now.sa_handler == SIG_IGN ? "true" : "false");
    return 0;
  }
  if (strcmp(mode, "--handler-blocked") == 0) {
    struct sigaction sa, now;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = segv_handler;
    sa.sa_flags = SA_RESTART;
    sigaddset(&sa.sa_mask, SIGUSR2);
    sigaction(SIGSEGV, &sa, NULL);
    sigset_t segv;
    sigemptyset(&segv);
    sigaddset(&segv, SIGSEGV);
    sigprocmask(SIG_BLOCK, &segv, NULL);
    unsigned long long before = status_field("SigBlk:");
    cpuid(1, 0, r);
    unsigned long long after = status_field("SigBlk:");
    sigaction(SIGSEGV, NULL, &now);
    printf("{\"before\":\"%llx\",\"after\":\"%llx\",\"handler\":%s,\"flags\":\"%x\",\"maskHasUsr2\":%s}\n", before, after,
           now.sa_handler == segv_handler ? "true" : "false", (unsigned)now.sa_flags,
           sigismember(&now.sa_mask, SIGUSR2) ? "true" : "false");
    return 0;
  }
  if (strcmp(mode, "--segv-handler") == 0) {
    cpuid(1, 0, r);
    signal(SIGSEGV, segv_handler);
    /* A real SIGSEGV: a write to a page mapped without access (not through NULL, which the
     * sanitizer build's UBSan reports as a null store before the fault). */
    volatile int *none = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (none == MAP_FAILED) return 1;
    if (sigsetjmp(segv_jump, 1) == 0) *none = 1;
    cpuid(1, 0, r);
    printf("{\"handlerRan\":%s}\n", handler_ran ? "true" : "false");
    return 0;
  }
  fprintf(stderr, "hwcap-cpuid-probe: unknown mode '%s'\n", mode);
  return 2;
}
