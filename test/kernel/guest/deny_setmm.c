/*
 * deny-setmm MODE CMD [ARGS...]: runs CMD under a seccomp filter that refuses prctl(PR_SET_MM)
 * writes, to give the guest kernel-mode checks a process where they fail, without building a
 * second kernel:
 *   map   PR_SET_MM_MAP and PR_SET_MM_MAP_SIZE fail with EINVAL, as they do on a kernel built
 *         without CONFIG_CHECKPOINT_RESTORE (kernel/sys.c, prctl_set_mm);
 *   auxv  PR_SET_MM_AUXV fails with EPERM, as it does without CAP_SYS_RESOURCE;
 *   both  both of the above.
 * Everything else is allowed. The filter is inherited by every descendant and cannot be removed;
 * PR_SET_NO_NEW_PRIVS is set first, as an unprivileged filter needs. Built statically by
 * scripts/kernel/initramfs.sh.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/prctl.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#define ARG_LO(n) (offsetof(struct seccomp_data, args) + (n) * sizeof(__u64))

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: deny-setmm map|auxv|both CMD [ARGS...]\n");
    return 2;
  }
  int map = !strcmp(argv[1], "map") || !strcmp(argv[1], "both");
  int auxv = !strcmp(argv[1], "auxv") || !strcmp(argv[1], "both");
  if (!map && !auxv) {
    fprintf(stderr, "deny-setmm: MODE must be map, auxv or both, not '%s'\n", argv[1]);
    return 2;
  }
  /* x86-64 is little-endian: an argument's low 32 bits are at its offset. Jumps count the
   * instructions skipped: 13 is the last (allow). */
  struct sock_filter f[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_prctl, 0, 8),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG_LO(0)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, PR_SET_MM, 0, 6),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG_LO(1)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, PR_SET_MM_MAP, 2, 0),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, PR_SET_MM_MAP_SIZE, 1, 0),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, PR_SET_MM_AUXV, 1, 2),
      BPF_STMT(BPF_RET | BPF_K, map ? SECCOMP_RET_ERRNO | EINVAL : SECCOMP_RET_ALLOW),
      BPF_STMT(BPF_RET | BPF_K, auxv ? SECCOMP_RET_ERRNO | EPERM : SECCOMP_RET_ALLOW),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  struct sock_fprog prog = {.len = sizeof f / sizeof *f, .filter = f};
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) || prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog)) {
    fprintf(stderr, "deny-setmm: installing the filter: %s\n", strerror(errno));
    return 125;
  }
  execvp(argv[2], argv + 2);
  fprintf(stderr, "deny-setmm: %s: %s\n", argv[2], strerror(errno));
  return 127;
}
