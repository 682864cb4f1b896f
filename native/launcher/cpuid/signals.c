/*
 * The program's signal state, as the CPUID helper keeps it (see cpuid/trace.h): the seccomp stops
 * of rt_sigaction, rt_sigprocmask and rt_sigreturn (exec/seccomp_filter.h's tags), and what a
 * handler's entry adds to the mask. cpuid/trace.c puts back what a trapped CPUID's forced SIGSEGV
 * changed from this. Kernel interfaces: kernel/signal.c handle_signal()/signal_delivered(),
 * arch/x86/kernel/signal_64.c sys_rt_sigreturn, arch/x86/include/uapi/asm/signal.h.
 */
#include "trace.h"

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <unistd.h>

#include "../exec/seccomp_filter.h"
#include "../exec/tracee.h"
#include "tasks.h"

#if defined(__x86_64__)

/*
 * At rt_sigreturn's entry, sp + 296 holds the frame's uc_sigmask: the frame starts at sp - 8 with
 * pretcode (8), so struct ucontext starts at sp: uc_flags (8), uc_link (8), uc_stack (24),
 * uc_mcontext (struct sigcontext, 256), uc_sigmask (arch/x86/include/uapi/asm/sigcontext.h, asm/ucontext.h).
 */
#define RT_SIGFRAME_SIGMASK (8 + 8 + 24 + 256)

int cpuid_trace_deliver_request(pid_t pid, int sig) {
  struct task *t = find_task(pid);
  struct proc *p = t ? find_proc(t->tgid) : NULL;
  if (!p || sig < 1 || sig > 64) return PTRACE_CONT;
  uint64_t bit = 1ULL << (sig - 1);
  if (!(p->handled & bit)) return PTRACE_CONT;
  /* Its handler runs with sa_mask (and the signal itself, unless SA_NODEFER) added to the mask. */
  cpuid_trace_stats.handler_entries++;
  if (p->blocks_segv & bit) t->segv_blocked = 1;
  if (sig == SIGSEGV && !(p->act[1] & SA_NODEFER)) t->segv_blocked = 1;
  if (p->resethand & bit) {
    p->handled &= ~bit;
    if (sig == SIGSEGV) p->disp = DISP_DFL;
  }
  return PTRACE_CONT;
}

int cpuid_trace_seccomp(pid_t pid) {
  unsigned long tag = 0; /* PTRACE_GETEVENTMSG */
  cpuid_trace_stats.seccomp_stops++;
  struct task *t = learn(pid);
  struct proc *p = t ? find_proc(t->tgid) : NULL;
  if (!t || !p || ptrace(PTRACE_GETEVENTMSG, pid, 0, &tag) != 0) return 0;
  struct user_regs_struct regs;
  int r;
  memset(&regs, 0, sizeof regs); /* memcheck does not know PTRACE_GETREGS's output */
  if (ptrace(PTRACE_GETREGS, pid, 0, &regs) != 0) return -errno;
  uint64_t mask, set;
  switch (tag) {
    case SECCOMP_TAG_SIGACTION: {
      /*
       * The kernel sets the action when the signal may be caught, the size is
       * right and it can read act; it reads what we read.
       */
      uint64_t act[4], sig = regs.rdi;
      if (sig < 1 || sig > 64 || sig == SIGKILL || sig == SIGSTOP || !regs.rsi || regs.r10 != 8 ||
          tracee_read(pid, regs.rsi, act, sizeof act))
        return 0;
      uint64_t bit = 1ULL << (sig - 1);
      int handler = act[0] != (uint64_t)(uintptr_t)SIG_DFL && act[0] != (uint64_t)(uintptr_t)SIG_IGN;
      p->handled = handler ? p->handled | bit : p->handled & ~bit;
      p->blocks_segv = handler && (act[3] & SEGV_BIT) ? p->blocks_segv | bit : p->blocks_segv & ~bit;
      p->resethand = handler && (act[1] & SA_RESETHAND) ? p->resethand | bit : p->resethand & ~bit;
      if (sig == SIGSEGV) {
        memcpy(p->act, act, sizeof act);
        p->disp = act[0] == (uint64_t)(uintptr_t)SIG_DFL   ? DISP_DFL
                  : act[0] == (uint64_t)(uintptr_t)SIG_IGN ? DISP_IGN
                                                           : DISP_HANDLER;
      }
      return 0;
    }
    case SECCOMP_TAG_SIGPROCMASK:
      if (!regs.rsi || regs.r10 != 8 || tracee_read(pid, regs.rsi, &set, 8) || task_sigmask(pid, &mask)) return 0;
      if (regs.rdi == SIG_BLOCK) mask |= set;
      else if (regs.rdi == SIG_UNBLOCK) mask &= ~set;
      else if (regs.rdi == SIG_SETMASK) mask = set;
      else return 0; /* EINVAL: unchanged */
      t->segv_blocked = (mask & SEGV_BIT) ? 1 : 0;
      return 0;
    case SECCOMP_TAG_MASK_AT_EXIT: {
      /*
       * A 64-bit rt_sigreturn sets the mask to its frame's uc_sigmask (arch/x86/kernel/signal_64.c
       * sys_rt_sigreturn: the frame is at sp - 8, struct rt_sigframe in asm/sigframe.h), so it is read
       * here, at entry: no stop at the exit, where the cost of every handled signal went. A frame
       * the helper cannot read (the kernel then cannot either, and raises SIGSEGV) and the compat
       * forms go to the exit stop as before.
       */
      if (regs.orig_rax == SYS_rt_sigreturn && regs.cs == USER_CS64 &&
          tracee_read(pid, regs.rsp + RT_SIGFRAME_SIGMASK, &set, 8) == 0) {
        t->segv_blocked = (set & SEGV_BIT) ? 1 : 0;
        return 0;
      }
      struct pending h = {{0}, 0};
      if ((r = tracee_resume_until(pid, PTRACE_SYSCALL, SIGTRAP | 0x80, &h))) return r;
      if (task_sigmask(pid, &mask) == 0) t->segv_blocked = (mask & SEGV_BIT) ? 1 : 0;
      tracee_send_pending(pid, &h);
      return 0;
    }
  }
  return 0;
}

#else /* !__x86_64__: nothing traps */

int cpuid_trace_deliver_request(pid_t pid, int sig) {
  (void)pid;
  (void)sig;
  return PTRACE_CONT;
}
int cpuid_trace_seccomp(pid_t pid) {
  (void)pid;
  return 0;
}

#endif
