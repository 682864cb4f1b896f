/* A system call run inside a stopped tracee; see exec/remote_syscall.h. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "remote_syscall.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ptrace.h>

#include "../../common/auxv_words.h"
#include "../../common/procfs.h"
#include "../faults.h"

/*
 * The address of a system call instruction in the tracee's vDSO, or 0. Any
 * occurrence will do: the tracee jumps straight to it and stops at the
 * syscall's exit, so what the bytes around it mean does not matter.
 */
static uint64_t vdso_syscall_site(pid_t pid, const uint64_t *auxv, int n) {
  uint64_t vdso = 0;
  for (int k = 0; k < n; k += 2)
    if (auxv[k] == HWCAP_AT_SYSINFO_EHDR) vdso = auxv[k + 1];
  if (!vdso) return 0;
  static struct word_reader wr;
  word_reader_init(&wr, pid);
  for (uint64_t off = 0; off < 4 * sizeof wr.buf; off += 8) {
    uint64_t w, next = 0;
    if (word_reader_get(&wr, vdso + off, &w)) return 0;
    if (word_reader_get(&wr, vdso + off + 8, &next)) next = 0;
    unsigned char b[16];
    memcpy(b, &w, 8);
    memcpy(b + 8, &next, 8);
    for (size_t i = 0; i < 8; i += SYSCALL_INSN_ALIGN)
      if (memcmp(b + i, syscall_insn, sizeof syscall_insn) == 0) return vdso + off + i;
  }
  return 0;
}

uint64_t remote_vdso_site(pid_t pid) {
  char pidstr[16];
  snprintf(pidstr, sizeof pidstr, "%d", (int)pid);
  uint64_t auxv[HWCAP_MAX_AUXV_WORDS];
  int n = hwcap_read_proc_auxv(pidstr, auxv, HWCAP_MAX_AUXV_WORDS);
  return n > 0 ? vdso_syscall_site(pid, auxv, n) : 0;
}

/*
 * A system call instruction in any executable mapping of the tracee but [vsyscall]
 * (/proc/<pid>/maps), the vDSO's first, or 0. Nothing of the program is written, so this is
 * sound with other threads running (rr maps a page of its own for this; libc's text serves).
 */
uint64_t remote_mapped_site(pid_t pid) {
  char path[64], line[512];
  snprintf(path, sizeof path, "/proc/%d/maps", (int)pid);
  FILE *f = fopen(path, "re");
  if (!f) return 0;
  uint64_t found = 0;
  static unsigned char buf[65536];
  for (int pass = 0; pass < 2 && !found; pass++) { /* the vDSO, then the rest */
    rewind(f);
    while (!found && fgets(line, sizeof line, f)) {
      unsigned long a, b;
      char perms[8];
      if (sscanf(line, "%lx-%lx %7s", &a, &b, perms) != 3 || perms[2] != 'x' || strstr(line, "[vsyscall]")) continue;
      if ((strstr(line, "[vdso]") != NULL) != (pass == 0)) continue;
      for (uint64_t at = a; at < b && !found; at += sizeof buf - sizeof syscall_insn) {
        size_t len = b - at < sizeof buf ? b - at : sizeof buf;
        if (tracee_read(pid, at, buf, len)) break;
        for (size_t i = 0; i + sizeof syscall_insn <= len; i += SYSCALL_INSN_ALIGN)
          if (memcmp(buf + i, syscall_insn, sizeof syscall_insn) == 0) {
            found = at + i;
            break;
          }
      }
    }
  }
  fclose(f);
  return found;
}

struct step_error remote_begin(struct remote_syscall *rs, pid_t pid, const regs_t *regs, const uint64_t *auxv, int n,
                               struct pending *pend, size_t scratch_len) {
  /*
   * A system call instruction to run: one in the vDSO (AT_SYSINFO_EHDR) leaves the
   * program's own code untouched; without a vDSO one is written over the entry
   * point and put back afterwards (the test build's fault no-vdso-site forces that).
   */
  return remote_begin_at(rs, pid, regs, FAULT_IS("no-vdso-site") ? 0 : vdso_syscall_site(pid, auxv, n), pend, scratch_len);
}

struct step_error remote_begin_at(struct remote_syscall *rs, pid_t pid, const regs_t *regs, uint64_t site, struct pending *pend,
                                  size_t scratch_len) {
  rs->pid = pid;
  rs->saved = *regs;
  rs->pend = pend;
  rs->patched = 0;
  rs->active = 0;
  if (scratch_len > sizeof rs->saved_scratch) return STEP_ERROR(STAGE_INJECT, "process_vm_readv", E2BIG);
  rs->scratch_len = scratch_len;
  rs->scratch = (REG_SP(*regs) - RED_ZONE - 64 - scratch_len) & ~(uint64_t)15;
  TRY(STAGE_INJECT, "process_vm_readv", tracee_read(pid, rs->scratch, rs->saved_scratch, scratch_len));
  rs->active = 1;
  rs->site = site;
  if (!rs->site) {
    uint64_t pc = REG_PC(*regs);
    errno = 0;
    rs->saved_code = ptrace(PTRACE_PEEKTEXT, pid, (void *)(uintptr_t)pc, NULL);
    if (errno) return STEP_ERROR(STAGE_INJECT, "ptrace(PTRACE_PEEKTEXT)", errno);
    long patched = rs->saved_code;
    memcpy(&patched, syscall_insn, sizeof syscall_insn);
    TRY_SYS(STAGE_INJECT, "ptrace(PTRACE_POKETEXT)", ptrace(PTRACE_POKETEXT, pid, (void *)(uintptr_t)pc, (void *)patched));
    rs->patched = 1;
    rs->site = pc;
  }
  return STEP_OK;
}

struct step_error remote_scratch_write(struct remote_syscall *rs, const void *buf, size_t len) {
  if (len > rs->scratch_len) return STEP_ERROR(STAGE_INJECT, "process_vm_writev", E2BIG);
  TRY(STAGE_INJECT, "process_vm_writev", tracee_write(rs->pid, rs->scratch, buf, len));
  return STEP_OK;
}

struct step_error remote_call(struct remote_syscall *rs, long nr, const uint64_t args[5], long *ret) {
  regs_t inj = rs->saved, after;
  set_syscall(&inj, rs->site, nr, args);
  TRY(STAGE_INJECT, "ptrace(PTRACE_SETREGSET)", tracee_set_regs(rs->pid, &inj));
  /*
   * To the call's entry stop, then its exit stop. Not one PTRACE_SINGLESTEP: a
   * step's SIGTRAP is a forced signal, which unblocks a blocked SIGTRAP and
   * resets an ignored one to SIG_DFL in the program (kernel/signal.c
   * force_sig_info_to_task).
   *
   * Between the two, a call the filter traces stops at PTRACE_EVENT_SECCOMP (after the entry
   * stop: kernel/entry/common.c syscall_trace_enter runs seccomp after ptrace). The only call this
   * task can make from here is the injected one (a signal that arrives is held back, never
   * delivered), so an arch_prctl(ARCH_SET_CPUID, 1) stop there is the helper's own and runs
   * (tracee_own_call); the filter's recheck after the stop allows it.
   */
  tracee_own_call = rs->pid;
  int r = tracee_resume_until(rs->pid, PTRACE_SYSCALL, SIGTRAP | 0x80, rs->pend);
  if (!r) r = tracee_resume_until(rs->pid, PTRACE_SYSCALL, SIGTRAP | 0x80, rs->pend);
  tracee_own_call = 0;
  if (r) return STEP_ERROR(STAGE_INJECT, "ptrace(PTRACE_SYSCALL)", -r);
  TRY(STAGE_INJECT, "ptrace(PTRACE_GETREGSET)", tracee_get_regs(rs->pid, &after));
  *ret = (long)REG_RET(after);
  return STEP_OK;
}

struct step_error remote_end(struct remote_syscall *rs) {
  if (!rs->active) return STEP_OK;
  rs->active = 0;
  if (rs->patched)
    TRY_SYS(STAGE_INJECT, "ptrace(PTRACE_POKETEXT)",
            ptrace(PTRACE_POKETEXT, rs->pid, (void *)(uintptr_t)REG_PC(rs->saved), (void *)rs->saved_code));
  TRY(STAGE_INJECT, "process_vm_writev", tracee_write(rs->pid, rs->scratch, rs->saved_scratch, rs->scratch_len));
  TRY(STAGE_INJECT, "ptrace(PTRACE_SETREGSET)", tracee_set_regs(rs->pid, &rs->saved));
  /*
   * The thread now sits at the injected call's exit stop, and leaves it straight to user mode:
   * a call of its own that the stop interrupted would return its restart code to the program
   * (read 512, nanosleep 516). Taken back through its signal path to an interrupt stop, as the
   * stop it was in when the helper took it, the kernel restarts the call when it runs on, or
   * ends it with EINTR if a signal's handler without SA_RESTART runs first.
   */
  if (interrupted_call(&rs->saved)) TRY(STAGE_INJECT, "ptrace(PTRACE_INTERRUPT)", tracee_interrupt_stop(rs->pid, rs->pend));
  return STEP_OK;
}
