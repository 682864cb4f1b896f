/*
 * hwcap-inherit-selftest: the guest's kernel-level check of HWCAP inheritance, in the manner of
 * the series' selftest (tools/testing/selftests/exec/hwcap_inherit.c, described in issue 15; its
 * code is not used here). Independent of hwcap's own code, so that a broken kernel patch and a
 * broken launcher cannot hide each other.
 *
 *   hwcap-inherit-selftest
 *     Reads this process's saved auxv (/proc/self/auxv), clears the highest set bit of the last
 *     non-zero AT_HWCAP* word, writes the vector back with PR_SET_MM_AUXV (or, on EPERM,
 *     PR_SET_MM_MAP), forks, and execs itself as the child below. Prints one line
 *     "method=auxv|map type=N word=0x.. expect=0x.." and exits with the child's status.
 *   hwcap-inherit-selftest --child TYPE EXPECT DEPTH
 *     Checks getauxval(TYPE) and /proc/self/auxv's TYPE against EXPECT (glibc on x86-64 answers
 *     getauxval(AT_HWCAP) with its own bits, so for AT_HWCAP there only /proc/self/auxv is
 *     compared). At DEPTH 1 it forks and execs itself again (DEPTH 2): the grandchild, whose
 *     parent never called prctl, must see the mask too. Exit 0 when every check holds.
 * Built statically by scripts/kernel/initramfs.sh.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/prctl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAXW 128 /* words; the kernel's saved_auxv is smaller */

static int read_saved_auxv(unsigned long *v, size_t *n) {
  int fd = open("/proc/self/auxv", O_RDONLY);
  if (fd < 0) return -errno;
  ssize_t r = read(fd, v, MAXW * sizeof *v);
  int e = errno;
  close(fd);
  if (r < 0) return -e;
  *n = (size_t)r / sizeof *v;
  return 0;
}

static int saved_word(unsigned long type, unsigned long *out) {
  unsigned long v[MAXW];
  size_t n;
  int r = read_saved_auxv(v, &n);
  if (r) return r;
  for (size_t i = 0; i + 1 < n && v[i] != AT_NULL; i += 2)
    if (v[i] == type) {
      *out = v[i + 1];
      return 0;
    }
  return -ENOENT;
}

/* PR_SET_MM_MAP needs every field as the kernel has it: from /proc/self/stat, brk from brk(0). */
static int set_by_map(unsigned long *v, size_t n) {
  char buf[4096];
  int fd = open("/proc/self/stat", O_RDONLY);
  if (fd < 0) return -errno;
  ssize_t r = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (r <= 0) return -EIO;
  buf[r] = 0;
  char *p = strrchr(buf, ')'); /* comm may hold spaces */
  if (!p) return -EIO;
  unsigned long long f[53] = {0};
  int field = 3;
  for (char *tok = strtok(p + 2, " "); tok && field < 53; tok = strtok(NULL, " ")) f[field++] = strtoull(tok, NULL, 10);
  struct prctl_mm_map m;
  memset(&m, 0, sizeof m);
  m.start_code = f[26], m.end_code = f[27], m.start_stack = f[28];
  m.start_data = f[45], m.end_data = f[46], m.start_brk = f[47];
  m.arg_start = f[48], m.arg_end = f[49], m.env_start = f[50], m.env_end = f[51];
  m.brk = (unsigned long)syscall(SYS_brk, 0);
  m.auxv = (__u64 *)v;
  m.auxv_size = (unsigned)(n * sizeof *v);
  m.exe_fd = (unsigned)-1;
  return prctl(PR_SET_MM, PR_SET_MM_MAP, (unsigned long)&m, sizeof m, 0) ? -errno : 0;
}

static int run_self(const char *type, const char *expect, const char *depth) {
  pid_t pid = fork();
  if (pid < 0) return -errno;
  if (pid == 0) {
    execl("/proc/self/exe", "hwcap-inherit-selftest", "--child", type, expect, depth, (char *)NULL);
    _exit(127);
  }
  int st;
  if (waitpid(pid, &st, 0) < 0) return -errno;
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static int child(unsigned long type, unsigned long expect, int depth) {
  unsigned long saved = 0;
  int r = saved_word(type, &saved);
  if (r) {
    printf("depth %d: /proc/self/auxv has no type %lu (%s)\n", depth, type, strerror(-r));
    return 1;
  }
  int bad = 0;
  if (saved != expect) printf("depth %d: /proc/self/auxv type %lu is 0x%lx, expected 0x%lx\n", depth, type, saved, expect), bad = 1;
#if defined(__x86_64__)
  int libc_comparable = type != AT_HWCAP;
#else
  int libc_comparable = 1;
#endif
  if (libc_comparable && getauxval(type) != expect)
    printf("depth %d: getauxval(%lu) is 0x%lx, expected 0x%lx\n", depth, type, getauxval(type), expect), bad = 1;
  if (bad) return 1;
  if (depth == 1) {
    char t[32], e[32];
    snprintf(t, sizeof t, "%lu", type);
    snprintf(e, sizeof e, "0x%lx", expect);
    r = run_self(t, e, "2");
    if (r) printf("depth 2 (grandchild) failed with status %d\n", r);
    return r ? 1 : 0;
  }
  return 0;
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IONBF, 0);
  if (argc == 5 && strcmp(argv[1], "--child") == 0)
    return child(strtoul(argv[2], NULL, 0), strtoul(argv[3], NULL, 0), atoi(argv[4]));
  if (argc != 1) {
    fprintf(stderr, "usage: hwcap-inherit-selftest\n");
    return 2;
  }
  unsigned long v[MAXW];
  size_t n;
  int r = read_saved_auxv(v, &n);
  if (r) return printf("reading /proc/self/auxv: %s\n", strerror(-r)), 1;
  static const unsigned long types[] = {AT_HWCAP, AT_HWCAP2, 29 /* AT_HWCAP3 */, 30 /* AT_HWCAP4 */};
  size_t at = 0;
  for (size_t t = 0; t < sizeof types / sizeof *types; t++)
    for (size_t i = 0; i + 1 < n && v[i] != AT_NULL; i += 2)
      if (v[i] == types[t] && v[i + 1] != 0) at = i;
  if (v[at] != AT_HWCAP && v[at] != AT_HWCAP2 && v[at] != 29 && v[at] != 30) return printf("no non-zero AT_HWCAP* word\n"), 1;
  unsigned long word = v[at + 1];
  unsigned long high = 1UL << (63 - __builtin_clzl(word));
  unsigned long expect = word & ~high;
  v[at + 1] = expect;
  const char *method = "auxv";
  if (prctl(PR_SET_MM, PR_SET_MM_AUXV, (unsigned long)v, n * sizeof *v, 0) != 0) {
    if (errno != EPERM) return printf("PR_SET_MM_AUXV: %s\n", strerror(errno)), 1;
    method = "map";
    r = set_by_map(v, n);
    if (r) return printf("PR_SET_MM_AUXV: EPERM; PR_SET_MM_MAP: %s\n", strerror(-r)), 1;
  }
  printf("method=%s type=%lu word=0x%lx expect=0x%lx\n", method, v[at], word, expect);
  char t[32], e[32];
  snprintf(t, sizeof t, "%lu", v[at]);
  snprintf(e, sizeof e, "0x%lx", expect);
  r = run_self(t, e, "1");
  return r ? 1 : 0;
}
