/* A stopped tracee: its registers, its memory, and resuming it to the next stop of a kind. */
#ifndef HWCAP_LAUNCHER_TRACEE_H
#define HWCAP_LAUNCHER_TRACEE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "ptrace_arch.h"

/* NT_PRSTATUS through GETREGSET: a task of another ABI (ia32, AArch32) gives -ENOEXEC. 0 or -errno. */
int tracee_get_regs(pid_t pid, regs_t *r);
int tracee_set_regs(pid_t pid, const regs_t *r);

/* process_vm_readv/writev, falling back to PEEKDATA/POKEDATA (those may be filtered by seccomp). 0 or -errno. */
int tracee_read(pid_t pid, uint64_t addr, void *buf, size_t len);
int tracee_write(pid_t pid, uint64_t addr, const void *buf, size_t len);

/*
 * Reads a tracee's words through a window filled by one process_vm_readv: the
 * argv, envp and auxv pointers of a new image take one system call, not one
 * each. The remote range is split into 64-byte pieces because the kernel
 * transfers whole pieces only, so a window that runs past the end of the stack
 * still returns what lies before it. Falls back to tracee_read word by word.
 */
struct word_reader {
  pid_t pid;
  uint64_t base;
  size_t n;
  uint64_t buf[512];
};
void word_reader_init(struct word_reader *wr, pid_t pid);
int word_reader_get(struct word_reader *wr, uint64_t addr, uint64_t *out);

/* Signals that arrive while the helper works on a stopped tracee; delivered when it resumes. */
struct pending {
  int sigs[64];
  int n;
};

/*
 * Holds sig back for tid. A standard signal already held is not held twice: sent again while the
 * thread is stopped, the two would be one pending signal anyway; it moves to the end, where its
 * last arrival stands against SIGCONT and the stop signals. So every standard signal fits, with
 * room for 33 real-time ones; past that a signal is dropped, and the helper says so on stderr.
 */
void tracee_hold_signal(pid_t tid, struct pending *pend, int sig);

int is_stop_signal(int sig);

/*
 * Resumes with `request` until the tracee stops with `want` (event 0), holding
 * back the signals that arrive meanwhile: PTRACE_SYSCALL to the next syscall
 * stop (SIGTRAP | 0x80), PTRACE_SINGLESTEP over one instruction (SIGTRAP).
 */
int tracee_resume_until(pid_t pid, int request, int want, struct pending *pend);

/*
 * From any ptrace stop of a seized tracee, on to a PTRACE_EVENT_STOP in its signal path
 * (PTRACE_INTERRUPT, then PTRACE_CONT: kernel/signal.c get_signal takes the trap before it
 * dequeues a signal), holding back the signals that arrive meanwhile. 0, or -errno (-ESRCH: gone).
 */
int tracee_interrupt_stop(pid_t pid, struct pending *pend);

/*
 * At a PTRACE_EVENT_SECCOMP stop (r: the tracee's registers there): the call is skipped and
 * returns ret (a -errno). x86-64: orig_rax -1, the return value in rax; arm64: the syscall
 * number -1 through NT_ARM_SYSTEM_CALL, the return value in x0. 0 or -errno.
 */
int tracee_skip_call(pid_t pid, regs_t *r, long ret);

/*
 * The tid the helper is running an injected system call in (exec/remote_syscall.c remote_call), 0
 * when none: a stop of the filter's arch_prctl(ARCH_SET_CPUID, on != 0) rule there is the
 * helper's own call (release's disarm), and runs.
 */
extern pid_t tracee_own_call;

/*
 * At a PTRACE_EVENT_SECCOMP stop of pid, seen by any of the helper's loops (follow, hold,
 * tracee_resume_until): if it is the filter's arch_prctl(ARCH_SET_CPUID, on != 0) stop
 * (SECCOMP_TAG_CPUID_SET) and pid is not tracee_own_call, the tree's own attempt to turn CPUID
 * faulting off: the call is skipped and returns -EPERM, what the tree saw when the filter
 * refused it outright. If that cannot be done the process is killed (fail closed: the call would
 * run). 0: another stop, or the helper's own call (resume it and it runs); 1: refused (resume
 * it); -errno: killed, or gone.
 */
int tracee_cpuid_set_stop(pid_t pid);

/*
 * kernel/signal.c prepare_signal: a SIGCONT, when it is sent, discards the stop signals pending
 * then, and a stop signal discards a pending SIGCONT. A held-back signal was pending as far as the
 * program can tell, so a held stop signal with a SIGCONT after it, or a held SIGCONT with a stop
 * signal after it (held back too, or pending for tid now), is dropped: sent again, it would undo
 * what came after it.
 */
void tracee_settle_pending(pid_t tid, struct pending *pend);

/* Sends the held-back signals, settled, to the stopped thread tid by tkill in their order; empties pend. */
void tracee_send_pending(pid_t tid, struct pending *pend);

/* Resumes with the held-back signals, settled: one alone through ptrace, more by tkill in their order. */
void tracee_deliver_pending(pid_t pid, const struct pending *pend, int detach);

#endif
