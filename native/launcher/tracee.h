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
  int sigs[8];
  int n;
};

int is_stop_signal(int sig);

/*
 * Resumes with `request` until the tracee stops with `want` (event 0), holding
 * back the signals that arrive meanwhile: PTRACE_SYSCALL to the next syscall
 * stop (SIGTRAP | 0x80), PTRACE_SINGLESTEP over one instruction (SIGTRAP).
 */
int tracee_resume_until(pid_t pid, int request, int want, struct pending *pend);

/* Resumes with the held-back signals: the first through ptrace, the rest by kill. */
void tracee_deliver_pending(pid_t pid, const struct pending *pend, int detach);

#endif
