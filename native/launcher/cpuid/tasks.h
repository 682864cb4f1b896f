/*
 * cpuid_tasks: what the CPUID helper knows of each process and thread it traces (x86-64):
 * SIGSEGV's disposition and handler, the vDSO's syscall site and whether faulting is armed per
 * process; the blocked SIGSEGV, arming and the open /proc/<tid>/stat per thread. Learned from
 * /proc/<tid>/status the first time a task is seen; a fork copies its parent's record.
 * Used by the CPUID room only (trace.c, signals.c, held.c).
 */
#ifndef HWCAP_CPUID_TASKS_H
#define HWCAP_CPUID_TASKS_H

#if defined(__x86_64__)
#include <stdint.h>
#include <sys/types.h>

#define SEGV_BIT (1ULL << (SIGSEGV - 1))

enum disposition { DISP_DFL, DISP_IGN, DISP_HANDLER, DISP_HANDLER_UNKNOWN };

struct proc {
  pid_t tgid;
  int disp, armed;
  uint64_t act[4]; /* SIGSEGV's: handler, flags, restorer, mask, as the kernel takes struct sigaction */
  uint64_t site;   /* a syscall instruction in its vDSO, or 0 */
  /* Per signal (bit sig-1): has a handler; its sa_mask holds SIGSEGV; SA_RESETHAND. */
  uint64_t handled, blocks_segv, resethand;
};
struct task {
  pid_t tid, tgid;
  int segv_blocked;
  /*
   * Faulting armed in this thread, as the helper armed it. The kernel keeps it per thread
   * (TIF_NOCPUID) and copies it to a clone or fork from the creating thread; the helper arms
   * every thread of a process alike (at exec, at adopt), so a new thread takes its process's.
   * Only an armed thread's trap is answered: in the test build's simulation, where nothing
   * really arms, a thread the helper did not arm dies at its rdmsr as an untraced one would.
   */
  int armed;
  int stat_fd; /* /proc/<tid>/stat, kept open once a per-CPU leaf asked for its CPU; -1 */
};

/* /proc/<tid>/status: Tgid, PPid, SigBlk, SigIgn, SigCgt. */
struct status {
  pid_t tgid, ppid;
  uint64_t blk, ign, cgt;
};
int read_status(pid_t tid, struct status *s);

struct task *find_task(pid_t tid);
struct proc *find_proc(pid_t tgid);
struct proc *add_proc(pid_t tgid);
/* A fresh record for tid (a reused one is cleared, its stat fd closed). */
struct task *add_task(pid_t tid, pid_t tgid);
/* Forgets a thread, and its process with its last thread. */
void drop_task(pid_t tid);
/* At an exec: every thread of the process is forgotten (the exec'ing one becomes the process). */
void drop_process_tasks(pid_t tgid);
/* Whether any thread of the process has faulting armed. */
int process_any_armed(pid_t tgid);
/* The record of a task seen for the first time: a thread of a known process, or a new process forked from a known one. */
struct task *learn(pid_t tid);
/* A new task's record from its creator's record (its fork or clone event), not from its PPid. */
struct task *learn_from(pid_t tid, pid_t creator);
/* How many tasks the helper knows. */
size_t known_tasks(void);
/* Whether a known process has ppid for its parent (/proc/<pid>/status of each). */
int any_child_of(pid_t ppid);
/* The CPU the task last ran on: field 39 of /proc/<tid>/stat, or -1. */
int last_cpu(struct task *t);
/* The thread's signal mask (PTRACE_GETSIGMASK); 0 or -errno. */
int task_sigmask(pid_t pid, uint64_t *mask);
#endif

#endif
