/*
 * cpuid_trace: see cpuid/trace.h.
 *
 * Kernel interfaces: kernel/signal.c force_sig_info_to_task() (what a forced
 * signal changes; a single step's SIGTRAP is one too, so nothing here steps),
 * kernel/signal.c handle_signal()/signal_delivered() (a handler runs with its
 * sa_mask, and its own signal unless SA_NODEFER, added), include/uapi/linux/ptrace.h
 * (PTRACE_GETSIGMASK/SETSIGMASK, PTRACE_EVENT_SECCOMP), arch/x86/include/uapi/
 * asm/signal.h (struct sigaction as the kernel takes it: handler, flags,
 * restorer, mask), proc(5) (SigBlk/SigIgn/SigCgt, field 39 "processor").
 */
#include "trace.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../exec/remote_syscall.h"
#include "../exec/seccomp_filter.h"
#include "../exec/tracee.h"
#include "../faults.h"
#include "../report.h"
#include "mask.h"
#include "tasks.h"

struct cpuid_trace_stats cpuid_trace_stats;
int cpuid_trace_simulate;

#if defined(__x86_64__)

/* ---- the tracee ---------------------------------------------------------------------------- */

/* The outputs are cleared first: memcheck does not know every ptrace request's output. */
static int regs_get(pid_t pid, struct user_regs_struct *r) {
  memset(r, 0, sizeof *r);
  return ptrace(PTRACE_GETREGS, pid, 0, r) == 0 ? 0 : -errno;
}
static int regs_set(pid_t pid, const struct user_regs_struct *r) {
  return ptrace(PTRACE_SETREGS, pid, 0, (void *)r) == 0 ? 0 : -errno;
}

/*
 * rt_sigaction(SIGSEGV, act) run in the stopped tracee through the remote-call object
 * (exec/remote_syscall.h) at `site` (0: over the instruction at its pc, patched and put back), then its
 * registers set to `after`. Signals sent to it meanwhile are held and sent again. The call's
 * result, or -errno (-EFAULT: the site faults).
 */
static long inject_sigaction(pid_t pid, uint64_t site, const struct user_regs_struct *regs, const struct user_regs_struct *after,
                             const uint64_t act[4]) {
  static struct remote_syscall rs;
  struct pending h = {{0}, 0};
  long ret = 0;
  struct step_error e = remote_begin_at(&rs, pid, regs, site, &h, 4 * sizeof act[0]);
  if (!e.err) e = remote_scratch_write(&rs, act, 4 * sizeof act[0]);
  uint64_t args[5] = {SIGSEGV, rs.scratch, 0, 8 /* the kernel's sigset_t */, 0};
  if (!e.err) e = remote_call(&rs, SYS_rt_sigaction, args, &ret);
  struct step_error end = remote_end(&rs);
  if (e.err || end.err) ret = -(e.err ? e.err : end.err);
  int r;
  if (ret != -ESRCH && (r = regs_set(pid, after)) && ret >= 0) ret = r;
  tracee_send_pending(pid, &h);
  return ret;
}

/* p->site if it still holds a `syscall`, else another one (remote_mapped_site), remembered; 0 without one. */
static uint64_t usable_site(pid_t pid, struct proc *p) {
  unsigned char insn[2] = {0, 0};
  if (p->site && tracee_read(pid, p->site, insn, 2) == 0 && insn[0] == 0x0f && insn[1] == 0x05) return p->site;
  p->site = FAULT_IS("no-vdso-site") ? 0 : remote_mapped_site(pid);
  return p->site;
}

/* The process has one thread (/proc/<pid>/task links: ".", ".." and one per thread). */
static int single_threaded(pid_t pid) {
  char path[64];
  struct stat st;
  snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
  return stat(path, &st) == 0 && st.st_nlink == 3;
}

const char *cpuid_trace_failed_step;

/*
 * rt_sigaction(SIGSEGV, act) injected at a trap, then the registers set to `ans`. Where the
 * syscall instruction it runs at faults (an unmapped, replaced or non-executable vDSO: the
 * remembered site's bytes are checked first, and tracee_resume_until says EFAULT when the jump
 * there faults again), another is found in the executable mappings; without any, the call runs
 * at the trap's own instruction, patched, in a process of one thread only (another thread could
 * run the patched bytes). Never resumes a faulting site: the caller fails closed.
 */
static long restore_disposition(pid_t pid, struct proc *p, const struct user_regs_struct *regs,
                                const struct user_regs_struct *ans, const uint64_t act[4]) {
  for (int attempt = 0; attempt < 3; attempt++) {
    uint64_t site = usable_site(pid, p);
    if (!site && !single_threaded(pid)) {
      cpuid_trace_failed_step =
          "rt_sigaction(SIGSEGV) to put back its disposition: no syscall instruction to run it at "
          "(no executable mapping holds one) and other threads run the code at the trap";
      return -EFAULT;
    }
    long ret = inject_sigaction(pid, site, regs, ans, act);
    if (ret != -EFAULT || !site) {
      if (ret < 0)
        cpuid_trace_failed_step =
            site ? "rt_sigaction(SIGSEGV) injected to put back its disposition"
                 : "rt_sigaction(SIGSEGV) injected to put back its disposition, at the trap's own instruction";
      return ret;
    }
    p->site = 0; /* that one faults: find another */
  }
  cpuid_trace_failed_step = "rt_sigaction(SIGSEGV) to put back its disposition: every syscall instruction tried faults";
  return -EFAULT;
}

/*
 * The length of the CPUID at the start of b (n bytes read), or 0: `0f a2` (under cpuid-simulate
 * also `0f 32`, rdmsr, which stands in for it, prefixes and all) behind any legacy prefixes
 * (operand and address size, REP/REPNE, the segment overrides) and REX bytes, within the
 * architectural limit of 15 bytes; a longer one raises #GP, which is the program's. LOCK is no
 * prefix here: LOCK CPUID raises #UD. Intel SDM vol. 2, 2.1 (instruction format) and 2.2.1 (REX).
 */
static int cpuid_length(const unsigned char *b, size_t n) {
  for (size_t i = 0; i + 1 < n && i + 2 <= 15; i++) {
    unsigned char c = b[i];
    if (c == 0x0f) return b[i + 1] == 0xa2 || (cpuid_trace_simulate && b[i + 1] == 0x32) ? (int)i + 2 : 0;
    int prefix = c == 0x66 || c == 0x67 || c == 0xf2 || c == 0xf3 || c == 0x2e || c == 0x36 || c == 0x3e || c == 0x26 ||
                 c == 0x64 || c == 0x65 || (c & 0xf0) == 0x40;
    if (!prefix) return 0;
  }
  return 0;
}

/* Up to len bytes at addr, fewer where the mapping ends: the count read, or 0. */
static size_t read_code(pid_t pid, uint64_t addr, unsigned char *buf, size_t len) {
  struct iovec local = {buf, len}, remote = {(void *)(uintptr_t)addr, len};
  ssize_t r = process_vm_readv(pid, &local, 1, &remote, 1, 0);
  if (r > 0) return (size_t)r;
  /* An execute-only page: by PTRACE_PEEKDATA, which reads it, two words (or one where the mapping ends). */
  if (tracee_read(pid, addr, buf, len) == 0) return len;
  return tracee_read(pid, addr, buf, 8) == 0 ? 8 : 0;
}

/*
 * Resumes pid (PTRACE_CONT) until a signal of its own instruction stops it (si_code > 0): *sig,
 * *si and its registers *out. Signals sent to it meanwhile are held in *h; event stops (a group
 * stop, an interrupt, a seccomp stop of a filter of the program's own, whose call then runs) are
 * passed. STEP_OK, or the step error (stage cpuid-arm).
 */
static struct step_error run_to_own_signal(pid_t pid, struct pending *h, int *sig, siginfo_t *si, struct user_regs_struct *out) {
  for (int resume = 1;;) {
    int st, r;
    if (resume && ptrace(PTRACE_CONT, pid, 0, 0) != 0) return STEP_ERROR(STAGE_CPUID_ARM, "ptrace(PTRACE_CONT)", errno);
    pid_t w = waitpid(pid, &st, __WALL);
    resume = !(w < 0 && errno == EINTR);
    if (!resume) continue;
    if (w < 0 || !WIFSTOPPED(st)) return STEP_ERROR(STAGE_CPUID_ARM, "waitpid", w < 0 ? errno : ESRCH);
    *sig = WSTOPSIG(st);
    if ((unsigned)st >> 16) continue; /* an event stop: on to the instructions */
    memset(si, 0, sizeof *si);
    if (ptrace(PTRACE_GETSIGINFO, pid, 0, si) != 0) return STEP_ERROR(STAGE_CPUID_ARM, "ptrace(PTRACE_GETSIGINFO)", errno);
    if (si->si_code <= 0) { /* sent to it (kill, tkill, sigqueue): held until it runs, as at every exec stop */
      tracee_hold_signal(pid, h, *sig);
      continue;
    }
    if ((r = regs_get(pid, out))) return STEP_ERROR(STAGE_CPUID_ARM, "ptrace(PTRACE_GETREGS)", -r);
    return STEP_OK;
  }
}

/*
 * Arms faulting in the new image at its exec stop and proves it, in one round trip: over the
 * entry point go `syscall` (arch_prctl(ARCH_SET_CPUID, 0)), `mov %rax, %rdi` (its result kept),
 * `cpuid` and `int3`, 8 bytes, run with PTRACE_CONT. Armed, the CPUID stops with the forced
 * SIGSEGV at it; not armed, it runs and the int3 stops with SIGTRAP. The result of the call alone
 * proves nothing: a seccomp filter of the program's own answers it with 0 (SECCOMP_RET_ERRNO
 * and 0) and arms nothing, and ARCH_GET_CPUID is as easily faked; a CPUID that traps cannot be.
 * Under cpuid-simulate the call is ARCH_GET_CPUID and the instruction rdmsr (test build:
 * arm-not-trapping runs a real CPUID there, which nothing armed traps).
 * Signals sent to the tracee meanwhile are held in *h. 0, or the step error; the memory and the
 * registers are put back either way, and SIGSEGV's state as the forced signal found it (p, t).
 */
static struct step_error arm_and_prove(pid_t pid, const struct user_regs_struct *regs, struct proc *p, struct task *t,
                                       struct pending *h) {
  const char *sc = "arch_prctl(ARCH_SET_CPUID)";
  errno = 0;
  long code = ptrace(PTRACE_PEEKTEXT, pid, (void *)(uintptr_t)regs->rip, NULL);
  if (errno) return STEP_ERROR(STAGE_CPUID_ARM, "ptrace(PTRACE_PEEKTEXT)", errno);
  long patched;
  int simulated_insn = cpuid_trace_simulate && !FAULT_IS("arm-not-trapping");
  memcpy(&patched, simulated_insn ? "\x0f\x05\x48\x89\xc7\x0f\x32\xcc" : "\x0f\x05\x48\x89\xc7\x0f\xa2\xcc", 8);
  if (ptrace(PTRACE_POKETEXT, pid, (void *)(uintptr_t)regs->rip, (void *)patched) != 0)
    return STEP_ERROR(STAGE_CPUID_ARM, "ptrace(PTRACE_POKETEXT)", errno);
  struct user_regs_struct inj = *regs, out;
  inj.rax = SYS_arch_prctl;
  inj.orig_rax = (uint64_t)-1;
  inj.rdi = cpuid_trace_simulate ? ARCH_GET_CPUID : ARCH_SET_CPUID;
  inj.rsi = 0;
  inj.rcx = 0;
  struct step_error e = STEP_OK;
  int r = regs_set(pid, &inj), sig = 0;
  siginfo_t si;
  if (r) e = STEP_ERROR(STAGE_CPUID_ARM, "ptrace(PTRACE_SETREGS)", -r);
  if (!e.err) e = run_to_own_signal(pid, h, &sig, &si, &out);
  if (!e.err) {
    long ret = (long)out.rdi, want = cpuid_trace_simulate ? 1 : 0;
    int trapped = sig == SIGSEGV && si.si_code == 0x80 /* SI_KERNEL */ && out.rip == regs->rip + 5;
    if (sig == SIGSYS || ret != want)
      e = STEP_ERROR(STAGE_CPUID_ARM, sc, sig == SIGSYS ? EPERM : ret < 0 && ret > -4096 ? (int)-ret : EPROTO);
    else if (!trapped) e = STEP_ERROR(STAGE_CPUID_ARM, "cpuid", ENOTSUP); /* the call said 0; nothing was armed */
  }
  ptrace(PTRACE_POKETEXT, pid, (void *)(uintptr_t)regs->rip, (void *)code);
  if (e.err) return e;
  /* The forced SIGSEGV unblocked SIGSEGV and reset an ignored one: what execve left is put back. */
  if (p->disp == DISP_IGN) {
    uint64_t act[4] = {(uint64_t)(uintptr_t)SIG_IGN, 0, 0, 0}; /* execve keeps SIG_IGN, clears flags and mask */
    long ret = inject_sigaction(pid, p->site, regs, regs, act);
    if (ret != 0) return STEP_ERROR(STAGE_CPUID_ARM, "rt_sigaction", ret < 0 && ret > -4096 ? (int)-ret : EPROTO);
    cpuid_trace_stats.restores++;
  } else if ((r = regs_set(pid, regs))) {
    return STEP_ERROR(STAGE_CPUID_ARM, "ptrace(PTRACE_SETREGS)", -r);
  }
  if (t->segv_blocked) {
    uint64_t mask;
    if ((r = task_sigmask(pid, &mask))) return STEP_ERROR(STAGE_CPUID_ARM, "ptrace(PTRACE_GETSIGMASK)", -r);
    mask |= SEGV_BIT;
    if (ptrace(PTRACE_SETSIGMASK, pid, (void *)sizeof mask, &mask) != 0)
      return STEP_ERROR(STAGE_CPUID_ARM, "ptrace(PTRACE_SETSIGMASK)", errno);
    cpuid_trace_stats.restores++;
  }
  return STEP_OK;
}

/*
 * adopt's proof, after arch_prctl(ARCH_SET_CPUID, 0) ran in a held thread: its answer proves
 * nothing (a seccomp filter of the program's own fakes a 0), a CPUID that traps does. `cpuid`
 * and `int3` go over the thread's pc and run from its stop with PTRACE_CONT: armed, the CPUID
 * stops with the forced SIGSEGV at the pc; not armed, the int3 stops with SIGTRAP after it. Under
 * cpuid-simulate the instruction is rdmsr, which traps the same way (the test build's
 * arm-not-trapping runs a real CPUID there). The code and the registers are put back; the thread
 * stays at that signal-delivery stop and leaves it with no signal, the SIGSEGV discarded, through
 * its signal path (a call it was blocked in restarts). What the forced SIGSEGV did to a blocked
 * or ignored SIGSEGV is the caller's to undo. Signals sent meanwhile are held in *h.
 */
struct step_error cpuid_trace_prove_armed(pid_t pid, struct pending *h) {
  struct user_regs_struct regs, run, out;
  int r = regs_get(pid, &regs);
  if (r) return STEP_ERROR(STAGE_CPUID_ARM, "ptrace(PTRACE_GETREGS)", -r);
  errno = 0;
  long code = ptrace(PTRACE_PEEKTEXT, pid, (void *)(uintptr_t)regs.rip, NULL);
  if (errno) return STEP_ERROR(STAGE_CPUID_ARM, "ptrace(PTRACE_PEEKTEXT)", errno);
  long patched = code;
  memcpy(&patched, cpuid_trace_simulate && !FAULT_IS("arm-not-trapping") ? "\x0f\x32\xcc" : "\x0f\xa2\xcc", 3);
  if (ptrace(PTRACE_POKETEXT, pid, (void *)(uintptr_t)regs.rip, (void *)patched) != 0)
    return STEP_ERROR(STAGE_CPUID_ARM, "ptrace(PTRACE_POKETEXT)", errno);
  run = regs;
  run.orig_rax = (uint64_t)-1; /* no restart of an interrupted call on the way out of the stop */
  run.rax = run.rcx = 0;
  run.cs = USER_CS64;
  struct step_error e = STEP_OK;
  int sig = 0;
  siginfo_t si;
  if ((r = regs_set(pid, &run))) e = STEP_ERROR(STAGE_CPUID_ARM, "ptrace(PTRACE_SETREGS)", -r);
  if (!e.err) e = run_to_own_signal(pid, h, &sig, &si, &out);
  if (!e.err && !(sig == SIGSEGV && si.si_code == 0x80 /* SI_KERNEL */ && out.rip == regs.rip))
    e = STEP_ERROR(STAGE_CPUID_ARM, "cpuid", ENOTSUP); /* the call said 0; nothing was armed */
  if (ptrace(PTRACE_POKETEXT, pid, (void *)(uintptr_t)regs.rip, (void *)code) != 0 && !e.err)
    e = STEP_ERROR(STAGE_CPUID_ARM, "ptrace(PTRACE_POKETEXT)", errno);
  if ((r = regs_set(pid, &regs)) && !e.err) e = STEP_ERROR(STAGE_CPUID_ARM, "ptrace(PTRACE_SETREGS)", -r);
  return e;
}

/* ---- the interface ------------------------------------------------------------------------- */

void cpuid_trace_init(void) {
  cpuid_trace_simulate = FAULT_IS("cpuid-simulate");
  cpuid_table_init();
}

struct step_error cpuid_trace_exec(pid_t pid, int arm) {
  /* The exec'ing thread is the whole process now: forget the old image. */
  drop_process_tasks(pid);
  struct status s;
  TRY(STAGE_SIGNAL_STATE, "open(/proc/<pid>/status)", read_status(pid, &s));
  struct proc *p = add_proc(pid);
  struct task *t = add_task(pid, pid);
  if (!p || !t) return STEP_ERROR(STAGE_SIGNAL_STATE, "realloc", ENOMEM);
  memset(p, 0, sizeof *p);
  p->tgid = pid;
  p->disp = (s.ign & SEGV_BIT) ? DISP_IGN : DISP_DFL; /* execve resets handlers, keeps SIG_IGN */
  p->handled = p->blocks_segv = p->resethand = 0;
  uint64_t mask;
  TRY(STAGE_SIGNAL_STATE, "ptrace(PTRACE_GETSIGMASK)", task_sigmask(pid, &mask));
  t->segv_blocked = (mask & SEGV_BIT) ? 1 : 0;
  p->site = FAULT_IS("no-vdso-site") ? 0 : remote_vdso_site(pid);
  if (!arm) return STEP_OK;

  FAULT_POINT("helper-at-cpuid-arm");
  /*
   * Under cpuid-simulate the same call is injected at the same stop, as ARCH_GET_CPUID: nothing
   * arms for the kernel, which answers 1 (CPUID runs natively), but the injection into the new
   * image, the trap that proves it (rdmsr), and the image's start after it, are the real path's.
   */
  struct user_regs_struct regs;
  TRY(STAGE_CPUID_ARM, "ptrace(PTRACE_GETREGS)", regs_get(pid, &regs));
  struct pending h = {{0}, 0};
  struct step_error e = arm_and_prove(pid, &regs, p, t, &h);
  tracee_send_pending(pid, &h);
  if (e.err) return e;
  p->armed = 1;
  if ((t = find_task(pid))) t->armed = 1;
  cpuid_trace_stats.arms++;
  return STEP_OK;
}

int cpuid_trace_set_armed(pid_t tid, int armed) {
  struct task *t = learn(tid);
  struct proc *p = t ? find_proc(t->tgid) : NULL;
  if (!t || !p) return -ESRCH;
  t->armed = armed;
  if (armed) {
    p->armed = 1;
    cpuid_trace_stats.arms++;
  } else {
    p->armed = process_any_armed(t->tgid);
  }
  return 0;
}

int cpuid_trace_armed(pid_t tid) {
  struct task *t = find_task(tid);
  return t ? t->armed : 0;
}

int cpuid_trace_stop(pid_t pid, int status) {
  (void)status;
  learn(pid);
  return 0;
}

int cpuid_trace_signal(pid_t pid, int sig, cpuid_narrow_fn narrow) {
  if (sig != SIGSEGV) return 0;
  struct task *t = learn(pid);
  struct proc *p = t ? find_proc(t->tgid) : NULL;
  if (!p || !t->armed) return 0;
  siginfo_t si;
  memset(&si, 0, sizeof si);
  if (ptrace(PTRACE_GETSIGINFO, pid, 0, &si) != 0) return -errno;
  /* Not the stop that was reported: the thread is gone and its pid names the exec'ing thread, at its exec stop. */
  if (si.si_signo != SIGSEGV) return -ESRCH;
  if (si.si_code != 0x80 /* SI_KERNEL */) return 0;
  struct user_regs_struct regs;
  int r;
  if ((r = regs_get(pid, &regs))) return r;
  unsigned char insn[16] = {0};
  int length = cpuid_length(insn, read_code(pid, regs.rip, insn, 15));
  if (!length) return 0;

  FAULT_POINT("helper-during-cpuid-trap");
  uint32_t leaf = (uint32_t)regs.rax, subleaf = (uint32_t)regs.rcx, out[4];
  /* Which CPU it ran on (a /proc read, the dearest call of a trap) only where the CPUs answer differently. */
  int cpu = -1;
  if (cpuid_leaf_is_per_cpu(leaf)) {
    if (cpuid_same_on_every_cpu(leaf, subleaf)) cpuid_trace_stats.per_cpu_alike++;
    else cpu = last_cpu(t);
  }
  if (cpuid_answer(leaf, subleaf, cpu, out)) cpuid_trace_stats.real_cpuids++;
  if (narrow) narrow(pid, leaf, subleaf, out); /* a nested masked spawn's own rules, ANDed in (nest/nest.h) */
  struct user_regs_struct ans = regs;
  ans.rax = out[0];
  ans.rbx = out[1];
  ans.rcx = out[2];
  ans.rdx = out[3];
  ans.rip = regs.rip + (uint64_t)length;
  cpuid_trace_stats.traps++;

  /* Put back what the forced signal changed. */
  int blocked = t->segv_blocked;
  int reset = p->disp == DISP_IGN || (blocked && (p->disp == DISP_HANDLER || p->disp == DISP_HANDLER_UNKNOWN));
  if (reset) {
    FAULT_POINT("helper-during-signal-restore");
    if (p->disp == DISP_HANDLER_UNKNOWN) {
      report_message("pid %d: SIGSEGV was blocked with a handler the helper never saw set; it is now SIG_DFL", (int)pid);
      if ((r = regs_set(pid, &ans))) return r;
    } else {
      uint64_t act[4] = {p->disp == DISP_IGN ? (uint64_t)(uintptr_t)SIG_IGN : p->act[0], p->act[1], p->act[2], p->act[3]};
      long ret = restore_disposition(pid, p, &regs, &ans, act);
      if (ret != 0) return ret < 0 && ret > -4096 ? (int)ret : -EPROTO;
    }
    cpuid_trace_stats.restores++;
  } else if ((r = regs_set(pid, &ans))) {
    return r;
  }
  if (blocked) {
    uint64_t mask;
    if ((r = task_sigmask(pid, &mask))) return r;
    mask |= SEGV_BIT;
    if (ptrace(PTRACE_SETSIGMASK, pid, (void *)sizeof mask, &mask) != 0) return -errno;
    cpuid_trace_stats.restores++;
  }
  return 1;
}

#else /* !__x86_64__: nothing traps */

const char *cpuid_trace_failed_step;

void cpuid_trace_init(void) {}
struct step_error cpuid_trace_exec(pid_t pid, int arm) {
  (void)pid;
  return arm ? STEP_ERROR(STAGE_CPUID_ARM, "arch_prctl(ARCH_SET_CPUID)", ENOSYS) : STEP_OK;
}
int cpuid_trace_stop(pid_t pid, int status) {
  (void)pid;
  (void)status;
  return 0;
}
int cpuid_trace_signal(pid_t pid, int sig, cpuid_narrow_fn narrow) {
  (void)pid;
  (void)sig;
  (void)narrow;
  return 0;
}
int cpuid_trace_set_armed(pid_t tid, int armed) {
  (void)tid;
  (void)armed;
  return -ENOSYS;
}
int cpuid_trace_armed(pid_t tid) {
  (void)tid;
  return 0;
}
struct step_error cpuid_trace_prove_armed(pid_t pid, struct pending *h) {
  (void)pid;
  (void)h;
  return STEP_ERROR(STAGE_CPUID_ARM, "cpuid", ENOSYS);
}

#endif

void cpuid_trace_stats_json(char *buf, unsigned long len) {
  const struct cpuid_trace_stats *s = &cpuid_trace_stats;
  snprintf(buf, len,
           "{\"traps\":%lu,\"realCpuids\":%lu,\"perCpuAlike\":%lu,\"seccompStops\":%lu,\"restores\":%lu,\"arms\":%lu,"
           "\"handlerEntries\":%lu}",
           s->traps, s->real_cpuids, s->per_cpu_alike, s->seccomp_stops, s->restores, s->arms, s->handler_entries);
}
