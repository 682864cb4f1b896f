/*
 * Per-arch registers of a tracee for ptrace mode: the program counter, stack
 * pointer, return value, the system call instruction and how to set up a call.
 * x86-64: arch/x86/entry/entry_64.S (rax = nr, rdi rsi rdx r10 r8 r9).
 * arm64: arch/arm64/kernel/syscall.c (x8 = nr, x0..x5).
 */
#ifndef HWCAP_LAUNCHER_PTRACE_ARCH_H
#define HWCAP_LAUNCHER_PTRACE_ARCH_H

#include <stdint.h>
#include <sys/user.h>

#if defined(__x86_64__)
typedef struct user_regs_struct regs_t;
#define REG_PC(r) ((r).rip)
#define REG_SP(r) ((r).rsp)
#define REG_RET(r) ((r).rax)
static const unsigned char syscall_insn[] = {0x0f, 0x05}; /* syscall */
#define SYSCALL_INSN_ALIGN 1
#define RED_ZONE 128
#define USER_CS64 0x33 /* arch/x86/include/asm/segment.h __USER_CS */
static inline void set_syscall(regs_t *r, uint64_t pc, long nr, const uint64_t a[5]) {
  /*
   * In 64-bit mode, whatever mode the thread was stopped in: a thread in compat mode (cs 0x23)
   * would otherwise jump to a 64-bit address it cannot reach, and `syscall` is no 32-bit
   * instruction on Intel. remote_end puts the thread's own code segment back.
   */
  r->cs = USER_CS64;
  r->rip = pc;
  r->rax = (uint64_t)nr;
  r->orig_rax = (uint64_t)-1;
  r->rdi = a[0];
  r->rsi = a[1];
  r->rdx = a[2];
  r->r10 = a[3];
  r->r8 = a[4];
  r->r9 = 0;
}
/*
 * A system call that a stop interrupted, which the kernel restarts when the thread leaves the
 * stop through its signal path (arch/x86/kernel/signal.c arch_do_signal_or_restart, on the
 * registers as they are then): the call's number in orig_rax, and in rax ERESTARTSYS (512),
 * ERESTARTNOINTR (513), ERESTARTNOHAND (514) or ERESTART_RESTARTBLOCK (516)
 * (include/linux/errno.h), codes a program must never see.
 */
static inline int interrupted_call(const regs_t *r) {
  long ret = (long)r->rax;
  return (int64_t)r->orig_rax >= 0 && (ret == -512 || ret == -513 || ret == -514 || ret == -516);
}
#elif defined(__aarch64__)
typedef struct user_regs_struct regs_t;                               /* regs[31], sp, pc, pstate */
#define REG_PC(r) ((r).pc)
#define REG_SP(r) ((r).sp)
#define REG_RET(r) ((r).regs[0])
static const unsigned char syscall_insn[] = {0x01, 0x00, 0x00, 0xd4}; /* svc #0 */
#define SYSCALL_INSN_ALIGN 4
#define RED_ZONE 0
static inline void set_syscall(regs_t *r, uint64_t pc, long nr, const uint64_t a[5]) {
  r->pc = pc;
  r->regs[8] = (uint64_t)nr;
  for (int i = 0; i < 5; i++) r->regs[i] = a[i];
  r->regs[5] = 0;
}
/*
 * arm64 restarts an interrupted call with x0 from orig_x0, which no regset sets and which an
 * injected call overwrites (arch/arm64/kernel/signal.c do_signal): a restart through the signal
 * path would run the call with the injected first argument. Not attempted; see remote_end.
 */
static inline int interrupted_call(const regs_t *r) {
  (void)r;
  return 0;
}
#else
#error "hwcap-exec: ptrace mode supports x86-64 and arm64"
#endif

#endif
