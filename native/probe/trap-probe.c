/*
 * hwcap-trap-probe: a program that makes the CPUID helper's life hard, for the tests of issue 21
 * (test/launcher/cpuid-remote-call.test.ts, test/launcher/adopt-restart.test.ts) and the bench.
 *
 * Options, applied in this order, then the CPUIDs (leaves 1, 7.0, 80000001), printed as
 * {"main":{"1":[eax,ebx,ecx,edx],"7.0":[...],"80000001":[...]},"ignored":BOOL,"blocked":BOOL}:
 *   --thread          a second thread that sleeps (the process is multi-threaded)
 *   --unmap-vdso      munmap the vDSO (AT_SYSINFO_EHDR, its extent from /proc/self/maps)
 *   --replace-vdso    map anonymous memory of int3 (cc) over the vDSO, read and execute, with
 *                     `jmp .` (eb fe) where the vDSO's first `syscall` (0f 05) was
 *   --noexec-vdso     mprotect the vDSO read-only: its bytes stay, nothing there can run
 *   --ignore-segv     SIGSEGV ignored
 *   --block-segv      a SIGSEGV handler, SIGSEGV blocked
 *   --compat          run each CPUID in compat mode (a 32-bit code segment, 0x23)
 *   --simulate        rdmsr (0f 32) where CPUID would be: the test launcher's cpuid-simulate
 *   --pause           after printing, wait for a signal (pause): for the tests that end the tree
 *
 * Other modes:
 *   --segv-loop N     take N SIGSEGVs of its own (a load from address 0, a handler that steps over
 *                     it), then print {"segvs":N}: the bench's handled-SIGSEGV row
 *   --block CALL      print "ready" and block in CALL (nanosleep 2 s, poll 2 s, futex 2 s, read of
 *                     stdin, waitpid of a child that exits after 2 s, pause... ): prints
 *                     {"call":CALL,"ret":R,"errno":E,"elapsedMs":T,"data":"..."} when it returns
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <linux/futex.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

static int simulate;

/* ---- the vDSO -------------------------------------------------------------------------------- */

/* The vDSO's start (AT_SYSINFO_EHDR) and its extent, from the [vdso] line of /proc/self/maps. */
static int vdso_range(uintptr_t *start, uintptr_t *end) {
  uintptr_t ehdr = (uintptr_t)getauxval(AT_SYSINFO_EHDR);
  FILE *f = fopen("/proc/self/maps", "r");
  if (!f) return -1;
  char line[512];
  int found = -1;
  while (fgets(line, sizeof line, f)) {
    unsigned long a, b;
    if (strstr(line, "[vdso]") && sscanf(line, "%lx-%lx", &a, &b) == 2) {
      *start = a;
      *end = b;
      found = a == ehdr ? 0 : -1;
    }
  }
  fclose(f);
  return found;
}

static void vdso_change(const char *how) {
  uintptr_t a, b;
  if (vdso_range(&a, &b)) {
    fprintf(stderr, "trap-probe: no [vdso] at AT_SYSINFO_EHDR\n");
    exit(3);
  }
  int r;
  if (strcmp(how, "unmap") == 0) {
    r = munmap((void *)a, b - a);
  } else if (strcmp(how, "replace") == 0) {
    /* Where the vDSO's first `syscall` was (the helper's site), `jmp .`: a call run there would never stop. */
    size_t site = 0;
    for (const unsigned char *v = (const unsigned char *)a; site + 1 < b - a; site++)
      if (v[site] == 0x0f && v[site + 1] == 0x05) break;
    void *p = mmap((void *)a, b - a, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    r = p == MAP_FAILED ? -1 : 0;
    if (!r) memset(p, 0xcc, b - a);
    if (!r && site + 1 < b - a) memcpy((char *)p + site, "\xeb\xfe", 2);
  } else {
    r = mprotect((void *)a, b - a, PROT_READ);
  }
  if (r) {
    fprintf(stderr, "trap-probe: %s vdso: %s\n", how, strerror(errno));
    exit(3);
  }
}

/* ---- CPUID, in 64-bit and in compat mode ---------------------------------------------------- */

static void cpuid64(uint32_t leaf, uint32_t sub, uint32_t r[4]) {
  if (simulate) __asm__ volatile(".byte 0x0f, 0x32" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(sub));
  else __asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(sub));
}

/*
 * Compat mode: a page below 4 GiB holds a 64-bit entry that far-returns to 32-bit code (selector
 * 0x23), which runs CPUID and far-jumps back to 64-bit code (0x33) there. Nothing in 32-bit mode
 * touches memory (ds is 0 in a 64-bit process); the 32-bit code runs on a stack at the page's end, as
 * 32-bit code would, and the 64-bit stack pointer and the out pointer are kept in the page. void entry(uint32_t out[4] (rdi),
 * uint32_t leaf (esi), uint32_t sub (edx)).
 */
typedef void (*compat_fn)(uint32_t *, uint32_t, uint32_t);
static compat_fn compat_entry;

static void put32(unsigned char *p, uint32_t v) { memcpy(p, &v, 4); }

static void compat_init(void) {
  unsigned char *pg = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
  if (pg == MAP_FAILED) {
    perror("trap-probe: mmap(MAP_32BIT)");
    exit(3);
  }
  uint32_t base = (uint32_t)(uintptr_t)pg, saved_rsp = base + 0x800, saved_out = base + 0x808;
  unsigned char *c = pg;
  static const unsigned char push[] = {0x53, 0x55, 0x41, 0x54, 0x41, 0x55, 0x41, 0x56, 0x41, 0x57};
  memcpy(c, push, sizeof push), c += sizeof push;
  memcpy(c, "\x48\x89\x24\x25", 4), put32(c + 4, saved_rsp), c += 8; /* mov [saved_rsp], rsp */
  memcpy(c, "\x48\x89\x3c\x25", 4), put32(c + 4, saved_out), c += 8; /* mov [saved_out], rdi */
  memcpy(c, "\x89\xf0\x89\xd1", 4), c += 4;                          /* mov eax, esi; mov ecx, edx */
  *c++ = 0xbc, put32(c, base + 0xff0), c += 4;                       /* mov esp, a stack below 4 GiB */
  memcpy(c, "\x6a\x23\x68", 3), c += 3;                              /* push 0x23; push label32 */
  unsigned char *label32_ref = c;
  c += 4;
  memcpy(c, "\x48\xcb", 2), c += 2; /* lretq */
  put32(label32_ref, base + (uint32_t)(c - pg));
  memcpy(c, simulate ? "\x0f\x32" : "\x0f\xa2", 2), c += 2; /* cpuid (or rdmsr) in compat mode */
  *c++ = 0xea;                                              /* ljmp 0x33:label64 */
  unsigned char *label64_ref = c;
  c += 4;
  memcpy(c, "\x33\x00", 2), c += 2;
  put32(label64_ref, base + (uint32_t)(c - pg));
  memcpy(c, "\x48\x8b\x24\x25", 4), put32(c + 4, saved_rsp), c += 8; /* mov rsp, [saved_rsp] */
  memcpy(c, "\x48\x8b\x3c\x25", 4), put32(c + 4, saved_out), c += 8; /* mov rdi, [saved_out] */
  static const unsigned char store[] = {0x89, 0x07, 0x89, 0x5f, 0x04, 0x89, 0x4f, 0x08, 0x89, 0x57, 0x0c};
  memcpy(c, store, sizeof store), c += sizeof store;
  static const unsigned char pop[] = {0x41, 0x5f, 0x41, 0x5e, 0x41, 0x5d, 0x41, 0x5c, 0x5d, 0x5b, 0xc3};
  memcpy(c, pop, sizeof pop);
  compat_entry = (compat_fn)(void *)pg;
}

static void cpuid_any(uint32_t leaf, uint32_t sub, uint32_t r[4]) {
  if (compat_entry) compat_entry(r, leaf, sub);
  else cpuid64(leaf, sub, r);
}

/* ---- signals ---------------------------------------------------------------------------------- */

static volatile sig_atomic_t segvs;
static void step_over(int sig, siginfo_t *si, void *ctx) {
  (void)sig;
  (void)si;
  ucontext_t *uc = ctx;
  uc->uc_mcontext.gregs[REG_RIP] += 2; /* mov (%rax), %eax: 8b 00 */
  segvs++;
}
static void never(int sig) { (void)sig; }

static void *sleeper(void *arg) {
  (void)arg;
  for (;;) pause();
  return NULL;
}

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

/* ---- blocking calls ---------------------------------------------------------------------------- */

static int block_in(const char *call) {
  char data[64] = "";
  long ret = 0;
  int err = 0;
  pid_t kid = 0;
  if (strcmp(call, "waitpid") == 0) {
    kid = fork();
    if (kid == 0) {
      struct timespec t = {2, 0};
      nanosleep(&t, NULL);
      _exit(7);
    }
  }
  static uint32_t futex_word;
  printf("ready\n");
  fflush(stdout);
  double t0 = now_ms();
  errno = 0;
  if (strcmp(call, "nanosleep") == 0) {
    struct timespec t = {2, 0};
    ret = syscall(SYS_nanosleep, &t, NULL);
  } else if (strcmp(call, "clock_nanosleep") == 0) {
    struct timespec t = {2, 0};
    ret = syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0, &t, NULL);
  } else if (strcmp(call, "poll") == 0) {
    ret = syscall(SYS_poll, NULL, 0, 2000);
  } else if (strcmp(call, "futex") == 0) {
    struct timespec t = {2, 0};
    ret = syscall(SYS_futex, &futex_word, FUTEX_WAIT, 0, &t, NULL, 0);
  } else if (strcmp(call, "read") == 0) {
    ret = syscall(SYS_read, 0, data, sizeof data - 1);
    if (ret > 0) data[ret] = 0;
    while (ret > 0 && (data[ret - 1] == '\n')) data[--ret] = 0;
  } else if (strcmp(call, "waitpid") == 0) {
    int st = 0;
    ret = syscall(SYS_wait4, kid, &st, 0, NULL);
    snprintf(data, sizeof data, "%d", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
  } else {
    fprintf(stderr, "trap-probe: unknown call %s\n", call);
    return 2;
  }
  if (ret < 0) err = errno;
  double t1 = now_ms();
  uint32_t r[4] = {0};
  cpuid64(7, 0, r); /* a CPUID after it: masked when the adopt armed faulting */
  printf("{\"call\":\"%s\",\"ret\":%ld,\"errno\":%d,\"elapsedMs\":%.0f,\"data\":\"%s\",\"leaf7ebx\":\"%08x\"}\n", call, ret, err,
         t1 - t0, data, r[1]);
  return 0;
}

int main(int argc, char **argv) {
  int ignore = 0, block = 0, wait_after = 0;
  for (int i = 1; i < argc; i++)
    if (strcmp(argv[i], "--simulate") == 0) simulate = 1;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (strcmp(a, "--simulate") == 0) continue;
    if (strcmp(a, "--pause") == 0) {
      wait_after = 1;
      continue;
    }
    if (strcmp(a, "--segv-loop") == 0 && i + 1 < argc) {
      long n = atol(argv[++i]);
      struct sigaction sa;
      memset(&sa, 0, sizeof sa);
      sa.sa_sigaction = step_over;
      sa.sa_flags = SA_SIGINFO;
      sigaction(SIGSEGV, &sa, NULL);
      for (long k = 0; k < n; k++) __asm__ volatile(".byte 0x8b, 0x00" : : "a"(0L) : "memory");
      printf("{\"segvs\":%ld}\n", (long)segvs);
      return segvs == n ? 0 : 1;
    }
    if (strcmp(a, "--block") == 0 && i + 1 < argc) return block_in(argv[i + 1]);
    if (strcmp(a, "--thread") == 0) {
      pthread_t t;
      pthread_create(&t, NULL, sleeper, NULL);
    } else if (strcmp(a, "--unmap-vdso") == 0) {
      vdso_change("unmap");
    } else if (strcmp(a, "--replace-vdso") == 0) {
      vdso_change("replace");
    } else if (strcmp(a, "--noexec-vdso") == 0) {
      vdso_change("noexec");
    } else if (strcmp(a, "--ignore-segv") == 0) {
      signal(SIGSEGV, SIG_IGN);
      ignore = 1;
    } else if (strcmp(a, "--block-segv") == 0) {
      signal(SIGSEGV, never);
      sigset_t s;
      sigemptyset(&s);
      sigaddset(&s, SIGSEGV);
      sigprocmask(SIG_BLOCK, &s, NULL);
      block = 1;
    } else if (strcmp(a, "--compat") == 0) {
      compat_init();
    } else {
      fprintf(stderr, "trap-probe: unknown option %s\n", a);
      return 2;
    }
  }
  uint32_t l1[4], l7[4], l81[4];
  cpuid_any(1, 0, l1);
  cpuid_any(7, 0, l7);
  cpuid_any(0x80000001, 0, l81);
  struct sigaction now;
  sigaction(SIGSEGV, NULL, &now);
  sigset_t mask;
  sigprocmask(SIG_SETMASK, NULL, &mask);
  printf(
      "{\"main\":{\"1\":[\"%08x\",\"%08x\",\"%08x\",\"%08x\"],\"7.0\":[\"%08x\",\"%08x\",\"%08x\",\"%08x\"],"
      "\"80000001\":[\"%08x\",\"%08x\",\"%08x\",\"%08x\"]},\"ignored\":%s,\"blocked\":%s}\n",
      l1[0], l1[1], l1[2], l1[3], l7[0], l7[1], l7[2], l7[3], l81[0], l81[1], l81[2], l81[3],
      ignore ? (now.sa_handler == SIG_IGN ? "true" : "false") : "null",
      block ? (sigismember(&mask, SIGSEGV) ? "true" : "false") : "null");
  fflush(stdout);
  while (wait_after) pause();
  return 0;
}
