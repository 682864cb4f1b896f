/* A stopped tracee; see exec/tracee.h. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "tracee.h"

#include <elf.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../common/procfs.h"
#include "../faults.h"
#include "../report.h"
#include "seccomp_filter.h"

#if defined(__aarch64__) && !defined(NT_ARM_SYSTEM_CALL)
#define NT_ARM_SYSTEM_CALL 0x404 /* include/uapi/linux/elf.h */
#endif

pid_t tracee_own_call;

int tracee_get_regs(pid_t pid, regs_t *r) {
  struct iovec iov = {r, sizeof *r};
  if (ptrace(PTRACE_GETREGSET, pid, (void *)NT_PRSTATUS, &iov) != 0) return -errno;
  return iov.iov_len == sizeof *r ? 0 : -ENOEXEC;
}

int tracee_set_regs(pid_t pid, const regs_t *r) {
#if defined(__x86_64__)
  /*
   * PTRACE_SETREGS takes the tracer's layout (arch/x86/kernel/ptrace.c: the view of current);
   * SETREGSET takes the tracee's, which is the ia32 one while a 64-bit thread runs in compat mode
   * (cs 0x23: task_user_regset_view reads the mode from its registers), so 64-bit registers put
   * back after a call injected there would be refused with EIO.
   */
  return ptrace(PTRACE_SETREGS, pid, 0, (void *)r) == 0 ? 0 : -errno;
#else
  struct iovec iov = {(void *)r, sizeof *r};
  return ptrace(PTRACE_SETREGSET, pid, (void *)NT_PRSTATUS, &iov) == 0 ? 0 : -errno;
#endif
}

int tracee_read(pid_t pid, uint64_t addr, void *buf, size_t len) {
  struct iovec local = {buf, len}, remote = {(void *)(uintptr_t)addr, len};
  ssize_t r = process_vm_readv(pid, &local, 1, &remote, 1, 0);
  if (r == (ssize_t)len) return 0;
  for (size_t off = 0; off < len; off += 8) {
    errno = 0;
    long w = ptrace(PTRACE_PEEKDATA, pid, (void *)(uintptr_t)(addr + off), NULL);
    if (errno) return -errno;
    memcpy((char *)buf + off, &w, len - off < 8 ? len - off : 8);
  }
  return 0;
}

int tracee_write(pid_t pid, uint64_t addr, const void *buf, size_t len) {
  struct iovec local = {(void *)buf, len}, remote = {(void *)(uintptr_t)addr, len};
  ssize_t r = process_vm_writev(pid, &local, 1, &remote, 1, 0);
  if (r == (ssize_t)len) return 0;
  for (size_t off = 0; off < len; off += 8) {
    long w = 0;
    size_t n = len - off < 8 ? len - off : 8;
    if (n < 8) {
      errno = 0;
      w = ptrace(PTRACE_PEEKDATA, pid, (void *)(uintptr_t)(addr + off), NULL);
      if (errno) return -errno;
    }
    memcpy(&w, (const char *)buf + off, n);
    if (ptrace(PTRACE_POKEDATA, pid, (void *)(uintptr_t)(addr + off), (void *)w) != 0) return -errno;
  }
  return 0;
}

void word_reader_init(struct word_reader *wr, pid_t pid) {
  wr->pid = pid;
  wr->n = 0;
}

int word_reader_get(struct word_reader *wr, uint64_t addr, uint64_t *out) {
  if (wr->n && addr >= wr->base && addr - wr->base < wr->n * 8) {
    *out = wr->buf[(addr - wr->base) / 8];
    return 0;
  }
  struct iovec local = {wr->buf, sizeof wr->buf}, remote[64];
  for (int i = 0; i < 64; i++) {
    remote[i].iov_base = (void *)(uintptr_t)(addr + 64 * (uint64_t)i);
    remote[i].iov_len = 64;
  }
  ssize_t r = process_vm_readv(wr->pid, &local, 1, remote, 64, 0);
  if (r >= 8) {
    wr->base = addr;
    wr->n = (size_t)r / 8;
    *out = wr->buf[0];
    return 0;
  }
  wr->n = 0;
  return tracee_read(wr->pid, addr, out, 8);
}

int is_stop_signal(int sig) { return sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU; }

/*
 * kernel/seccomp.c __seccomp_filter (Linux 6.18), SECCOMP_RET_TRACE: after the tracer's
 * PTRACE_EVENT_SECCOMP stop a syscall number of -1 skips the call with the return register as the
 * tracer left it; any other number is checked again, and a RET_TRACE in that recheck allows it.
 * x86-64: orig_rax, arch/x86/entry/syscall_64.c (nr -1 leaves rax alone); arm64:
 * NT_ARM_SYSTEM_CALL, arch/arm64/kernel/syscall.c el0_svc_common.
 */
int tracee_skip_call(pid_t pid, regs_t *r, long ret) {
#if defined(__x86_64__)
  r->orig_rax = (uint64_t)-1;
  r->rax = (uint64_t)ret;
  return tracee_set_regs(pid, r);
#else
  r->regs[0] = (uint64_t)ret;
  int e = tracee_set_regs(pid, r);
  if (e) return e;
  int nr = -1;
  struct iovec io = {&nr, sizeof nr};
  return ptrace(PTRACE_SETREGSET, pid, (void *)(long)NT_ARM_SYSTEM_CALL, &io) == 0 ? 0 : -errno;
#endif
}

int tracee_cpuid_set_stop(pid_t pid) {
  unsigned long tag = 0;
  if (ptrace(PTRACE_GETEVENTMSG, pid, 0, &tag) != 0) return errno == ESRCH ? -ESRCH : 0;
  if (tag != SECCOMP_TAG_CPUID_SET || pid == tracee_own_call) return 0;
  regs_t r;
  int e = tracee_get_regs(pid, &r);
  if (!e) e = tracee_skip_call(pid, &r, -EPERM);
  if (!e) return 1;
  if (e != -ESRCH) kill(pid, SIGKILL); /* ESRCH: gone (another thread's exec or exit); its pid may be the new image's */
  return e;
}

/* A signal the kernel raised for the thread's own instruction (si_code > 0: SI_KERNEL, SEGV_*), not one sent to it. */
static int synchronous_fault(pid_t pid) {
  siginfo_t si;
  memset(&si, 0, sizeof si);
  return ptrace(PTRACE_GETSIGINFO, pid, 0, &si) == 0 && si.si_code > 0;
}

/*
 * Test build: the signals a fault sends the program while the helper works on it, each one once
 * the one before it is held back; 0 ends the list. The first goes at the first resume.
 */
static const int *fault_signals(void) {
  static const int stop[] = {SIGSTOP, 0}, cont[] = {SIGCONT, 0}, stop_cont[] = {SIGSTOP, SIGCONT, 0},
                   stop_cont_stop[] = {SIGSTOP, SIGCONT, SIGSTOP, 0};
  if (FAULT_IS("cont-held-stop-pending")) return cont;
  if (FAULT_IS("stop-held") || FAULT_IS("stop-held-cont-pending")) return stop;
  if (FAULT_IS("stop-cont-held")) return stop_cont;
  if (FAULT_IS("stop-cont-stop-held")) return stop_cont_stop;
  return NULL;
}
static int fault_sent; /* how many of them went */

static void fault_send_next(pid_t pid, int held) {
  const int *seq = fault_signals();
  if (seq && seq[fault_sent] && (fault_sent == 0 || seq[fault_sent - 1] == held)) syscall(SYS_tkill, pid, seq[fault_sent++]);
}

/* The signals an instruction raises for itself (a fault, or a trap such as int3). */
static int fault_signal(int sig) { return sig == SIGSEGV || sig == SIGBUS || sig == SIGILL || sig == SIGFPE || sig == SIGTRAP; }

/* Waits for pid's next stop: 0 and *st, or -errno (-ESRCH: it ended). */
static int next_stop(pid_t pid, int *st) {
  for (;;) {
    pid_t r = waitpid(pid, st, __WALL);
    if (r >= 0) return WIFSTOPPED(*st) ? 0 : -ESRCH; /* killed */
    if (errno != EINTR) return -errno;
  }
}

int tracee_interrupt_stop(pid_t pid, struct pending *pend) {
  if (ptrace(PTRACE_INTERRUPT, pid, 0, 0) != 0 || ptrace(PTRACE_CONT, pid, 0, 0) != 0) return -errno;
  for (;;) {
    int st, r = next_stop(pid, &st);
    if (r) return r;
    int sig = WSTOPSIG(st), event = (unsigned)st >> 16;
    if (event == PTRACE_EVENT_STOP) return 0;
    if (event == PTRACE_EVENT_SECCOMP) {
      int c = tracee_cpuid_set_stop(pid);
      if (c < 0) return c;
    } else if (event == 0 && sig != (SIGTRAP | 0x80)) {
      tracee_hold_signal(pid, pend, sig);
    }
    if (ptrace(PTRACE_CONT, pid, 0, 0) != 0) return -errno;
  }
}

int tracee_resume_until(pid_t pid, int request, int want, struct pending *pend) {
  if (!fault_sent) fault_send_next(pid, 0);
  if (ptrace(request, pid, 0, 0) != 0) return -errno;
  int faults = 0, held_fault = 0; /* synchronous faults seen; the one held, if it was */
  for (;;) {
    int st, r = next_stop(pid, &st);
    if (r) return r;
    int sig = WSTOPSIG(st), event = (unsigned)st >> 16;
    if (event == 0 && sig == want) return 0;
    int sync = event == 0 && fault_signal(sig) && synchronous_fault(pid);
    if (sync && ++faults > 1) {
      /*
       * A second fault of the thread's own: one raised before the helper took the thread can be
       * pending once (a signal number is queued once), so this one is the instruction the helper
       * set it at (an injected call's site that no longer runs: an unmapped, replaced or
       * non-executable vDSO, a 64-bit address in compat mode). Resumed, it would fault forever:
       * the call failed. The faults held on the way are the helper's, never the program's.
       */
      for (int i = pend->n - 1; held_fault && i >= 0; i--)
        if (pend->sigs[i] == held_fault) {
          memmove(&pend->sigs[i], &pend->sigs[i + 1], (size_t)(pend->n - i - 1) * sizeof pend->sigs[0]);
          pend->n--;
          break;
        }
      return -EFAULT;
    }
    if (sync && sig == SIGSEGV) {
      /*
       * A fault the thread's own instruction raised (a trapped CPUID among them) before the helper
       * took it: not held back, as the instruction runs again once the thread's registers are put
       * back, and faults again then, to be answered or delivered by whoever traces it. Held and sent
       * again by tgkill after a release, it would kill the thread with a SIGSEGV nothing answers.
       */
    } else if (event == 0 && sig != (SIGTRAP | 0x80)) {
      int n = pend->n;
      tracee_hold_signal(pid, pend, sig);
      if (sync && pend->n > n) held_fault = sig;
      fault_send_next(pid, sig);
    }
    /* The helper's own injected ARCH_SET_CPUID runs on; anything else of that rule is refused. */
    if (event == PTRACE_EVENT_SECCOMP) {
      int c = tracee_cpuid_set_stop(pid);
      if (c < 0) return c;
    }
    if (ptrace(request, pid, 0, 0) != 0) return -errno;
  }
}

void tracee_hold_signal(pid_t tid, struct pending *pend, int sig) {
  if (sig < 32) /* a standard signal: below the kernel's SIGRTMIN */
    for (int i = 0; i < pend->n; i++)
      if (pend->sigs[i] == sig) { /* moved to the end: where it stands against SIGCONT and the stops is its last */
        memmove(&pend->sigs[i], &pend->sigs[i + 1], (size_t)(pend->n - i - 1) * sizeof pend->sigs[0]);
        pend->sigs[pend->n - 1] = sig;
        return;
      }
  if (pend->n < (int)(sizeof pend->sigs / sizeof pend->sigs[0])) pend->sigs[pend->n++] = sig;
  else report_message("pid %d: signal %d dropped: %d signals came while the helper held it", (int)tid, sig, pend->n + 1);
}

/* The signals pending for tid, to the thread or to its process (SigPnd | ShdPnd of /proc/<tid>/status); 0 when unreadable. */
static uint64_t pending_now(pid_t tid) {
  char path[64], *buf;
  snprintf(path, sizeof path, "/proc/%d/status", (int)tid);
  if (hwcap_read_file_all(path, &buf) < 0) return 0;
  uint64_t set = 0;
  const char *keys[] = {"\nSigPnd:", "\nShdPnd:"};
  for (int k = 0; k < 2; k++) {
    const char *p = strstr(buf, keys[k]);
    if (p) set |= strtoull(p + 8, NULL, 16);
  }
  free(buf);
  return set;
}

#define SIG_BIT(s) (1ULL << ((s)-1))

void tracee_settle_pending(pid_t tid, struct pending *pend) {
  int stop_or_cont = 0;
  for (int i = 0; i < pend->n; i++) stop_or_cont |= pend->sigs[i] == SIGCONT || is_stop_signal(pend->sigs[i]);
  if (!stop_or_cont) return; /* the common case: no /proc read at each exec */
  uint64_t now = pending_now(tid);
  /* From the last one back: whether a SIGCONT, or a stop signal, came after this one. */
  int cont_after = (now & SIG_BIT(SIGCONT)) != 0;
  int stop_after = (now & (SIG_BIT(SIGSTOP) | SIG_BIT(SIGTSTP) | SIG_BIT(SIGTTIN) | SIG_BIT(SIGTTOU))) != 0;
  int n = 0, kept[sizeof pend->sigs / sizeof pend->sigs[0]];
  for (int i = pend->n - 1; i >= 0; i--) {
    int sig = pend->sigs[i], drop = 0;
    if (sig == SIGCONT) drop = stop_after, cont_after = 1;
    else if (is_stop_signal(sig)) drop = cont_after, stop_after = 1;
    if (!drop) kept[n++] = sig;
  }
  pend->n = n;
  for (int i = 0; i < n; i++) pend->sigs[i] = kept[n - 1 - i];
}

void tracee_send_pending(pid_t tid, struct pending *pend) {
  tracee_settle_pending(tid, pend);
  for (int i = 0; i < pend->n; i++) syscall(SYS_tkill, tid, pend->sigs[i]);
  pend->n = 0;
}

void tracee_deliver_pending(pid_t pid, const struct pending *held, int detach) {
  struct pending pend = *held;
  if (pend.n && (FAULT_IS("stop-held-cont-pending") || FAULT_IS("cont-held-stop-pending")))
    syscall(SYS_tkill, pid, pend.sigs[pend.n - 1] == SIGCONT ? SIGSTOP : SIGCONT); /* pending now, after the held */
  tracee_settle_pending(pid, &pend);
  /* One goes through ptrace (its siginfo kept); more go by tkill in the order they came, then none through ptrace. */
  int one = pend.n == 1 ? pend.sigs[0] : 0;
  if (pend.n > 1) tracee_send_pending(pid, &pend);
  ptrace(detach ? PTRACE_DETACH : PTRACE_CONT, pid, 0, (void *)(long)one);
}
