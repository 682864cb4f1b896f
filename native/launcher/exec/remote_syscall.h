/*
 * A system call run inside a stopped tracee, as one object (after rr's
 * AutoRemoteSyscalls): save its registers, take scratch memory below its stack
 * pointer, find a system call instruction, call, and put everything back.
 *
 *   struct remote_syscall rs;
 *   TRY_STEP(remote_begin(&rs, pid, &regs, auxv, n, pend, scratch_len));
 *   TRY_STEP(remote_scratch_write(&rs, buf, len));    // rs.scratch is its address
 *   TRY_STEP(remote_call(&rs, SYS_prctl, args, &ret));
 *   TRY_STEP(remote_end(&rs));                         // always, also after a failed call
 *
 * Errors carry STAGE_INJECT. The seccomp filter, the hand-over (handover/hold.c) and the
 * CPUID trap's rt_sigaction (cpuid/trace.c) all run their calls through it.
 */
#ifndef HWCAP_LAUNCHER_REMOTE_SYSCALL_H
#define HWCAP_LAUNCHER_REMOTE_SYSCALL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "../error.h"
#include "tracee.h"

#define REMOTE_SCRATCH_MAX 9216

struct remote_syscall {
  pid_t pid;
  regs_t saved;         /* the registers to put back */
  struct pending *pend; /* signals held back while it runs */
  uint64_t scratch;     /* tracee address of the scratch area */
  size_t scratch_len;
  unsigned char saved_scratch[REMOTE_SCRATCH_MAX];
  uint64_t site;   /* the syscall instruction: in the vDSO, or the patched pc */
  long saved_code; /* the word under the patch at pc, when there is no vDSO site */
  int patched;
  int active;
};

/* A system call instruction in the tracee's vDSO (read through /proc/<pid>/auxv), or 0. */
uint64_t remote_vdso_site(pid_t pid);

/* One in any executable mapping but [vsyscall], the vDSO's first (/proc/<pid>/maps), or 0. */
uint64_t remote_mapped_site(pid_t pid);

/*
 * remote_begin with the site given: a system call instruction of the tracee's (the caller checked
 * it still is one), or 0 to patch one over the pc (a process of one thread only: another thread
 * could run the patched bytes).
 */
struct step_error remote_begin_at(struct remote_syscall *rs, pid_t pid, const regs_t *regs, uint64_t site, struct pending *pend,
                                  size_t scratch_len);

/* Saves the scratch area (scratch_len bytes below sp and its red zone) and picks a syscall site. */
struct step_error remote_begin(struct remote_syscall *rs, pid_t pid, const regs_t *regs, const uint64_t *auxv, int n,
                               struct pending *pend, size_t scratch_len);

struct step_error remote_scratch_write(struct remote_syscall *rs, const void *buf, size_t len);

/* Runs nr(args) at the site, between its syscall-entry and -exit stops; *ret is what the kernel returned (-errno on failure). */
struct step_error remote_call(struct remote_syscall *rs, long nr, const uint64_t args[5], long *ret);

/* Puts back the code, the scratch area and the registers. */
struct step_error remote_end(struct remote_syscall *rs);

#endif
