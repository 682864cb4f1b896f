/*
 * seccomp_filter: see exec/seccomp_filter.h.
 *
 * Numbers: arch/x86/entry/syscalls/syscall_64.tbl and syscall_32.tbl,
 * include/uapi/asm-generic/unistd.h (aarch64), include/uapi/linux/audit.h
 * (AUDIT_ARCH_*), include/uapi/linux/seccomp.h, include/uapi/linux/sched.h
 * (CLONE_UNTRACED 0x00800000), arch/x86/include/uapi/asm/prctl.h (Linux 6.18).
 */
#include "seccomp_filter.h"

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../../common/prctl_compat.h" /* ARCH_SET_CPUID */
#include "seccomp_abi.h"

#define CLONE_UNTRACED_FLAG 0x00800000u
#define X32_SYSCALL_BIT 0x40000000u
#define SIGSEGV_NR 11
#define CAP_SYS_ADMIN_BIT 21

#define LD_NR BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr))
#define LD_ARCH BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch))
#define LD_ARG0_LO BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0]))
#define LD_ARG1_LO BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[1]))
#define LD_ARG1_HI BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[1]) + 4)
#define RET(v) BPF_STMT(BPF_RET | BPF_K, (v))
#define ALLOW RET(SECCOMP_RET_ALLOW)
#define ERRNO(e) RET(SECCOMP_RET_ERRNO | ((e)&SECCOMP_RET_DATA))
#define TRACE(tag) RET(SECCOMP_RET_TRACE | (tag))
/* if A == k: fall through to the next statement, else skip it */
#define IF_EQ(k) BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (k), 0, 1)

struct prog {
  struct sock_filter f[160];
  int n;
};

static void emit(struct prog *p, struct sock_filter s) {
  if (p->n < (int)(sizeof p->f / sizeof p->f[0])) p->f[p->n] = s;
  p->n++;
}

/*
 * One architecture's rules, for a syscall number in A. Each rule is
 * "if nr == N { ...; return X }", so every block is self-contained and the
 * jump offsets stay small and local. Ends with ALLOW.
 */
struct numbers {
  int clone, clone3, arch_prctl;
  int prctl;           /* prctl(NEST_PRCTL_OPTION) traced with SECCOMP_TAG_NEST; -1 not on this ABI */
  int sigaction[3];    /* taking (sig, ...): SIGSEGV's disposition; -1 unused */
  int sig_trace_entry; /* rt_sigaction whose act the helper reads at entry, -1: refuse SIGSEGV instead */
  int sigprocmask_entry;
  int mask_exit[4]; /* calls after which the helper reads the mask */
};

/* if nr == N: traced with `tag` unless arg1 (act, set) is NULL, a query that changes nothing. */
static void trace_unless_arg1_null(struct prog *p, int nr, int tag) {
  emit(p, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)nr, 0, 6));
  emit(p, (struct sock_filter)LD_ARG1_LO);
  emit(p, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 3));
  emit(p, (struct sock_filter)LD_ARG1_HI);
  emit(p, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 1));
  emit(p, (struct sock_filter)ALLOW);
  emit(p, (struct sock_filter)TRACE(tag));
}

static void rules(struct prog *p, const struct numbers *n, int track) {
  /* clone(flags, ...): CLONE_UNTRACED refused. A keeps nr when the block is skipped. */
  emit(p, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)n->clone, 0, 4));
  emit(p, (struct sock_filter)LD_ARG0_LO);
  emit(p, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, CLONE_UNTRACED_FLAG, 0, 1));
  emit(p, (struct sock_filter)ERRNO(EPERM));
  emit(p, (struct sock_filter)ALLOW);

  emit(p, (struct sock_filter)IF_EQ((uint32_t)n->clone3));
  emit(p, (struct sock_filter)ERRNO(ENOSYS));

  if (n->arch_prctl >= 0) {
    /*
     * arch_prctl(ARCH_SET_CPUID, on): any nonzero `on` turns faulting off. Traced, not refused
     * here: the filter cannot tell the helper's own injected call (release disarms every thread
     * with it) from the tree's, the helper can (tracee_cpuid_set_stop), and refuses the tree's
     * with EPERM. Untraced, SECCOMP_RET_TRACE fails the call with ENOSYS (kernel/seccomp.c
     * __seccomp_filter). ARCH_SET_CPUID(0) arms faulting, which only narrows: it is how the
     * helper arms each image, and it is allowed.
     */
    emit(p, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)n->arch_prctl, 0, 8));
    emit(p, (struct sock_filter)LD_ARG0_LO);
    emit(p, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ARCH_SET_CPUID, 0, 5));
    emit(p, (struct sock_filter)LD_ARG1_LO);
    emit(p, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 2));
    emit(p, (struct sock_filter)LD_ARG1_HI);
    emit(p, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 1, 0));
    emit(p, (struct sock_filter)TRACE(SECCOMP_TAG_CPUID_SET));
    emit(p, (struct sock_filter)ALLOW);
  }
  if (n->prctl >= 0) {
    /* prctl(NEST_PRCTL_OPTION, ...): the tree's helper answers it (nest/nest.h). Any other prctl is allowed. */
    emit(p, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)n->prctl, 0, 4));
    emit(p, (struct sock_filter)LD_ARG0_LO);
    emit(p, (struct sock_filter)IF_EQ((uint32_t)NEST_PRCTL_OPTION));
    emit(p, (struct sock_filter)TRACE(SECCOMP_TAG_NEST));
    emit(p, (struct sock_filter)ALLOW);
  }
  if (!track) {
    emit(p, (struct sock_filter)ALLOW);
    return;
  }
  for (int i = 0; i < 3; i++) {
    if (n->sigaction[i] < 0) continue;
    if (n->sigaction[i] == n->sig_trace_entry) {
      /* Every signal: a handler's sa_mask decides whether SIGSEGV is blocked while it runs. */
      trace_unless_arg1_null(p, n->sigaction[i], SECCOMP_TAG_SIGACTION);
      continue;
    }
    /* A SIGSEGV disposition the helper cannot read (compat layouts) is refused: it could not be restored. */
    emit(p, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)n->sigaction[i], 0, 4));
    emit(p, (struct sock_filter)LD_ARG0_LO);
    emit(p, (struct sock_filter)IF_EQ(SIGSEGV_NR));
    emit(p, (struct sock_filter)ERRNO(ENOSYS));
    emit(p, (struct sock_filter)ALLOW);
  }
  if (n->sigprocmask_entry >= 0) trace_unless_arg1_null(p, n->sigprocmask_entry, SECCOMP_TAG_SIGPROCMASK);
  for (int i = 0; i < 4; i++) {
    if (n->mask_exit[i] < 0) continue;
    emit(p, (struct sock_filter)IF_EQ((uint32_t)n->mask_exit[i]));
    emit(p, (struct sock_filter)TRACE(SECCOMP_TAG_MASK_AT_EXIT));
  }
  emit(p, (struct sock_filter)ALLOW);
}

static int build(struct prog *p, int track) {
  p->n = 0;
  emit(p, (struct sock_filter)LD_ARCH);
#if defined(__x86_64__)
  /* x86-64 */
  int j64 = p->n;
  emit(p,
       (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 0, 0)); /* false: patched to the i386 check */
  emit(p, (struct sock_filter)LD_NR);
  /* x32: its own numbers for rt_sigaction (512) and rt_sigreturn (513), the common ones otherwise. */
  int jx32 = p->n;
  emit(p,
       (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, X32_SYSCALL_BIT, 0, 0)); /* false: patched to the 64-bit rules */
  emit(p, (struct sock_filter)BPF_STMT(BPF_ALU | BPF_AND | BPF_K, ~X32_SYSCALL_BIT));
  struct numbers x32 = {56, 435, 158, -1, {512, -1, -1}, -1, -1, {513, 14, -1, -1}};
  rules(p, &x32, track);
  p->f[jx32].jf = (uint8_t)(p->n - jx32 - 1);
  struct numbers x64 = {56, 435, 158, 157, {13, -1, -1}, 13, 14, {15, -1, -1, -1}};
  rules(p, &x64, track);
  p->f[j64].jf = (uint8_t)(p->n - j64 - 1);
  /* i386: int 0x80 from a 64-bit task (a 32-bit task is killed at its exec by the helper). */
  emit(p, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_I386, 1, 0));
  emit(p, (struct sock_filter)RET(SECCOMP_RET_KILL_PROCESS));
  emit(p, (struct sock_filter)LD_NR);
  struct numbers i386 = {120, 435, 384, -1, {174, 67, 48}, -1, -1, {175, 126, 173, 119}};
  rules(p, &i386, track);
#elif defined(__aarch64__)
  emit(p, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_AARCH64, 1, 0));
  emit(p, (struct sock_filter)RET(SECCOMP_RET_KILL_PROCESS));
  emit(p, (struct sock_filter)LD_NR);
  struct numbers a64 = {220, 435, -1, 167, {134, -1, -1}, 134, 135, {139, -1, -1, -1}};
  rules(p, &a64, track);
#else
#error "seccomp_filter: x86-64 and aarch64 only"
#endif
  return p->n <= (int)(sizeof p->f / sizeof p->f[0]) ? 0 : -1;
}

static int has_cap_sys_admin(void) {
  struct {
    uint32_t version;
    int pid;
  } hdr = {0x20080522 /* _LINUX_CAPABILITY_VERSION_3 */, 0};
  struct {
    uint32_t effective, permitted, inheritable;
  } data[2];
  memset(data, 0, sizeof data);
  if (syscall(SYS_capget, &hdr, data) != 0) return 0;
  return (data[0].effective >> CAP_SYS_ADMIN_BIT) & 1;
}

int seccomp_filter_install(int track_signals, const char **syscall_name) {
  static struct prog p;
  *syscall_name = "prctl(PR_SET_SECCOMP)";
  if (build(&p, track_signals) != 0) return E2BIG;
  if (!has_cap_sys_admin()) {
    *syscall_name = "prctl(PR_SET_NO_NEW_PRIVS)";
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return errno;
    *syscall_name = "prctl(PR_SET_SECCOMP)";
  }
  struct sock_fprog fprog = {(unsigned short)p.n, p.f};
  /* prctl rather than seccomp(2): the same filter, and valgrind knows this call. */
  if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &fprog, 0, 0) != 0) return errno;
  return 0;
}
