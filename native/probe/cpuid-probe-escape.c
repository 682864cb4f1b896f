/*
 * The CPUID probe's escape modes (--escape, --escape-wide, --escape-compat; cpuid-probe.c says what
 * each prints): the system calls a masked program must not get through, tried through every entry
 * point, each followed by a CPUID.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cpuid-probe.h"

int mode_escape(void) {
  errno = 0;
  long set = syscall(SYS_arch_prctl, 0x1012, 1);
  int set_errno = set ? errno : 0;
  long get = syscall(SYS_arch_prctl, 0x1011, 0);
  uint32_t r[4];
  cpuid(7, 0, r);
  /* clone(CLONE_UNTRACED | SIGCHLD): a child would exit at once. */
  long c = syscall(SYS_clone, 0x00800000 | SIGCHLD, 0, 0, 0, 0);
  if (c == 0) _exit(0);
  int clone_errno = c < 0 ? errno : 0;
  if (c > 0) waitpid((pid_t)c, NULL, 0);
  struct {
    uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
  } args = {0, 0, 0, 0, SIGCHLD, 0, 0, 0};
  long c3 = syscall(435 /* clone3 */, &args, sizeof args);
  if (c3 == 0) _exit(0);
  int clone3_errno = c3 < 0 ? errno : 0;
  if (c3 > 0) waitpid((pid_t)c3, NULL, 0);
  printf(
      "{\"setCpuid\":%ld,\"setCpuidErrno\":%d,\"getCpuid\":%ld,\"leaf7ebx\":\"%08x\",\"clone\":%ld,\"cloneErrno\":%d,\"clone3\":%"
      "ld,\"clone3Errno\":%d}\n",
      set, set_errno, get, r[1], c, clone_errno, c3, clone3_errno);
  return 0;
}

int mode_escape_wide(void) {
  errno = 0;
  long set = syscall(SYS_arch_prctl, 0x1012, 1UL << 32);
  int set_errno = set ? errno : 0;
  uint32_t r[4];
  cpuid(7, 0, r);
  printf("{\"setCpuidWide\":%ld,\"setCpuidWideErrno\":%d,\"leaf7ebx\":\"%08x\"}\n", set, set_errno, r[1]);
  return 0;
}

/*
 * A system call through int $0x80 from 64-bit code: the kernel takes it as an i386 call (its
 * numbers, its argument registers, AUDIT_ARCH_I386 for seccomp). Pointer arguments would have to
 * be below 4 GiB; these calls take none. Returns the raw result (-errno on failure). r8-r11 are
 * listed as clobbered: kernels before 4.17 zeroed them on return from int $0x80.
 */
static long int80(long nr, long a, long b, long c, long d, long e) {
  long ret;
  __asm__ volatile("int $0x80"
                   : "=a"(ret)
                   : "a"(nr), "b"(a), "c"(b), "d"(c), "S"(d), "D"(e)
                   : "memory", "r8", "r9", "r10", "r11");
  return ret;
}

#define X32_BIT 0x40000000L

/* Whether int $0x80 works here: a kernel without IA32 emulation (or booted with ia32_emulation=0)
 * kills it with SIGSEGV. Tried in a child, with getpid (i386 20). */
static int ia32_works(void) {
  pid_t pid = fork();
  if (pid == 0) _exit(int80(20, 0, 0, 0, 0, 0) > 0 ? 0 : 1);
  int st = 0;
  if (pid < 0 || waitpid(pid, &st, 0) != pid) return 0;
  return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

/* Whether this thread blocks SIGSEGV now, from /proc/thread-self/status. */
static int segv_blocked(void) { return (status_field("SigBlk:") >> (SIGSEGV - 1)) & 1; }

/*
 * SIGSEGV blocked through an i386 mask call (nr 175 rt_sigprocmask, or 126 sigprocmask, whose set is
 * one 32-bit word), then a CPUID: out[0] whether the call blocked it, out[1] whether it is still
 * blocked after the CPUID. `set` is below 4 GiB. Unblocked again after.
 */
static void i386_block_segv(long nr, uint32_t *set, int out[2]) {
  set[0] = 1u << (SIGSEGV - 1);
  set[1] = 0;
  long ret =
      nr == 175 ? int80(175, SIG_BLOCK, (long)(uintptr_t)set, 0, 8, 0) : int80(126, SIG_BLOCK, (long)(uintptr_t)set, 0, 0, 0);
  out[0] = ret == 0 && segv_blocked();
  uint32_t r[4];
  cpuid(1, 0, r);
  out[1] = segv_blocked();
  sigset_t segv;
  sigemptyset(&segv);
  sigaddset(&segv, SIGSEGV);
  sigprocmask(SIG_UNBLOCK, &segv, NULL);
}

int mode_escape_compat(void) {
  /* i386: clone 120 (flags in ebx; stack 0 is the parent's, as fork), clone3 435 (struct clone_args,
   * below 4 GiB), arch_prctl 384, signal 48; the mask calls rt_sigprocmask 175 and sigprocmask 126. */
  int ia32 = ia32_works();
  long c = 0, c3 = 0, set = 0, sig = 0;
  int rt[2] = {0, 0}, old[2] = {0, 0};
  uint64_t *low = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
  if (low == MAP_FAILED) return 2;
  if (ia32) {
    c = int80(120, 0x00800000 | SIGCHLD, 0, 0, 0, 0);
    if (c == 0) _exit(0);
    if (c > 0) waitpid((pid_t)c, NULL, 0);
    /* clone_args (include/uapi/linux/sched.h, CLONE_ARGS_SIZE_VER0 64): flags CLONE_UNTRACED, exit_signal SIGCHLD. */
    memset(low, 0, 64);
    low[0] = 0x00800000;
    low[4] = SIGCHLD;
    c3 = int80(435, (long)(uintptr_t)low, 64, 0, 0, 0);
    if (c3 == 0) _exit(0);
    if (c3 > 0) waitpid((pid_t)c3, NULL, 0);
    set = int80(384, 0x1012, 1, 0, 0, 0);
    sig = int80(48, SIGSEGV, 1 /* SIG_IGN */, 0, 0, 0);
    if (sig >= 0) int80(48, SIGSEGV, 0 /* SIG_DFL */, 0, 0, 0);
    i386_block_segv(175, (uint32_t *)(low + 8), rt);
    i386_block_segv(126, (uint32_t *)(low + 8), old);
  }
  /* x32: getpid 39 tells whether the kernel takes x32 calls at all; clone 56, arch_prctl 158. */
  long x32 = syscall(X32_BIT | 39);
  int x32_errno = x32 < 0 ? errno : 0;
  long xc = syscall(X32_BIT | 56, 0x00800000 | SIGCHLD, 0, 0, 0, 0);
  if (xc == 0) _exit(0);
  int xc_errno = xc < 0 ? errno : 0;
  if (xc > 0) waitpid((pid_t)xc, NULL, 0);
  long xset = syscall(X32_BIT | 158, 0x1012, 1);
  int xset_errno = xset < 0 ? errno : 0;
  uint32_t r[4];
  cpuid(7, 0, r);
  printf(
      "{\"i386\":%s,\"i386Clone\":%ld,\"i386Clone3\":%ld,\"i386SetCpuid\":%ld,\"i386SignalSegv\":%ld,"
      "\"i386RtSigprocmask\":[%s,%s],\"i386Sigprocmask\":[%s,%s],\"x32Getpid\":%ld,\"x32GetpidErrno\":%d,"
      "\"x32Clone\":%ld,\"x32CloneErrno\":%d,\"x32SetCpuid\":%ld,\"x32SetCpuidErrno\":%d,\"leaf7ebx\":\"%08x\"}\n",
      ia32 ? "true" : "false", c, c3, set, sig, rt[0] ? "true" : "false", rt[1] ? "true" : "false", old[0] ? "true" : "false",
      old[1] ? "true" : "false", x32, x32_errno, xc, xc_errno, xset, xset_errno, r[1]);
  return 0;
}
