/*
 * auxv-probe: an arm64 test program run under qemu-aarch64 by test/arm64. It prints one line of
 * JSON with what an arm64 process sees, read without the addon, so that the addon's answers can
 * be checked against it:
 *   stack     AT_HWCAP..AT_HWCAP4 of the auxv on the startup stack, found by walking past envp;
 *   getauxval glibc's getauxval(3) of the same types;
 *   procAuxv  the words of /proc/self/auxv (the kernel view; qemu-user emulates the file);
 *   startstack /proc/self/stat field 28 and the address of argc it should equal;
 *   statFields the number of fields in /proc/self/stat;
 *   and the outcome of the calls the addon and the launcher depend on: prctl(PR_GET_AUXV),
 *   process_vm_readv on itself, ptrace(PTRACE_SEIZE) of a child, prctl(PR_SET_MM_MAP_SIZE),
 *   and execve of an arm64 program (itself) from inside the emulated process.
 * Words are printed as "0x..." strings; failed calls as {"errno": "ENOSYS", ...}.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef PR_GET_AUXV
#define PR_GET_AUXV 0x41555856
#endif
#ifndef PR_SET_MM_MAP_SIZE
#define PR_SET_MM_MAP_SIZE 15
#endif

static const unsigned long word_types[4] = {16, 26, 29, 30}; /* AT_HWCAP, AT_HWCAP2, AT_HWCAP3, AT_HWCAP4 */
static const char *const word_names[4] = {"AT_HWCAP", "AT_HWCAP2", "AT_HWCAP3", "AT_HWCAP4"};

static void print_words(const char *key, const uint64_t *pairs, size_t npairs) {
  printf("\"%s\":{", key);
  for (int w = 0; w < 4; w++) {
    uint64_t v = 0;
    for (size_t i = 0; i < npairs && pairs[2 * i] != 0; i++)
      if (pairs[2 * i] == word_types[w]) v = pairs[2 * i + 1];
    printf("%s\"%s\":\"0x%llx\"", w ? "," : "", word_names[w], (unsigned long long)v);
  }
  printf("}");
}

static void print_errno(const char *key, int err) {
  printf(",\"%s\":{\"ok\":false,\"errno\":\"%s\",\"message\":\"%s\"}", key, strerrorname_np(err) ? strerrorname_np(err) : "?",
         strerror(err));
}

/* /proc/self/stat field 28 (startstack), 0 when unreadable; *nfields gets the field count. */
static uint64_t read_startstack(int *nfields) {
  char buf[4096];
  int fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return 0;
  buf[n] = 0;
  char *p = strrchr(buf, ')'); /* field 2 (comm) may hold spaces */
  if (!p) return 0;
  int field = 2;
  uint64_t start = 0;
  for (char *tok = strtok(p + 1, " \n"); tok; tok = strtok(NULL, " \n"))
    if (++field == 28) start = strtoull(tok, NULL, 10);
  *nfields = field;
  return start;
}

int main(int argc, char **argv, char **envp) {
  if (argc == 2 && strcmp(argv[1], "--exec-probe") == 0) return 0;
  char **e = envp;
  while (*e) e++;
  const uint64_t *stack_auxv = (const uint64_t *)(e + 1);
  size_t nstack = 0;
  while (stack_auxv[2 * nstack] != 0) nstack++;

  printf("{");
  print_words("stack", stack_auxv, nstack + 1);

  printf(",\"getauxval\":{");
  for (int w = 0; w < 4; w++) {
    errno = 0;
    unsigned long v = getauxval(word_types[w]);
    if (v == 0 && errno == ENOENT)
      printf("%s\"%s\":null", w ? "," : "", word_names[w]);
    else
      printf("%s\"%s\":\"0x%lx\"", w ? "," : "", word_names[w], v);
  }
  printf("}");

  /* /proc/self/auxv */
  static uint64_t proc[1024];
  int fd = open("/proc/self/auxv", O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    print_errno("procAuxv", errno);
  } else {
    size_t got = 0;
    ssize_t r;
    while ((r = read(fd, (char *)proc + got, sizeof proc - got)) > 0) got += (size_t)r;
    close(fd);
    printf(",");
    print_words("procAuxv", proc, got / 16);
  }

  /* startstack: /proc/self/stat field 28 should be the address of argc, just below argv. */
  int nfields = 0;
  uint64_t start = read_startstack(&nfields);
  printf(",\"startstack\":{\"stat\":\"0x%llx\",\"argc\":\"0x%llx\"},\"statFields\":%d", (unsigned long long)start,
         (unsigned long long)(uintptr_t)((long *)argv - 1), nfields);

  /* prctl(PR_GET_AUXV): the kernel's saved copy, Linux >= 6.4. */
  static uint64_t kbuf[1024];
  memset(kbuf, 0, sizeof kbuf);
  long k = prctl(PR_GET_AUXV, (unsigned long)kbuf, sizeof kbuf, 0, 0);
  if (k < 0) {
    print_errno("prGetAuxv", errno);
  } else {
    printf(",\"prGetAuxv\":{\"ok\":true,\"size\":%ld,", k);
    print_words("words", kbuf, sizeof kbuf / 16);
    printf("}");
  }

  /* process_vm_readv of its own memory (the addon reads the startup stack this way). */
  uint64_t src = 0x1122334455667788ull, dst = 0;
  struct iovec local = {&dst, sizeof dst}, remote = {&src, sizeof src};
  ssize_t pr = process_vm_readv(getpid(), &local, 1, &remote, 1, 0);
  if (pr < 0)
    print_errno("processVmReadv", errno);
  else
    printf(",\"processVmReadv\":{\"ok\":%s}", pr == (ssize_t)sizeof dst && dst == src ? "true" : "false");

  /* prctl(PR_SET_MM, PR_SET_MM_MAP_SIZE): the size of struct prctl_mm_map, no change made. */
  unsigned int mm_size = 0;
  if (prctl(PR_SET_MM, PR_SET_MM_MAP_SIZE, (unsigned long)&mm_size, 0, 0) != 0)
    print_errno("prSetMmMapSize", errno);
  else
    printf(",\"prSetMmMapSize\":{\"ok\":true,\"size\":%u}", mm_size);

  /* ptrace(PTRACE_SEIZE) of a child that waits to be killed. */
  fflush(stdout);
  pid_t child = fork();
  if (child == 0) {
    pause();
    _exit(0);
  }
  if (child < 0) {
    print_errno("ptraceSeize", errno);
  } else {
    long t = ptrace(PTRACE_SEIZE, child, 0, 0);
    int err = errno;
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);
    if (t != 0)
      print_errno("ptraceSeize", err);
    else
      printf(",\"ptraceSeize\":{\"ok\":true}");
  }

  /* execve of an arm64 program from inside the emulated process: the host kernel runs it only
   * when a binfmt_misc handler for aarch64 is registered. The child reports errno as its status. */
  fflush(stdout);
  child = fork();
  if (child == 0) {
    char *args[] = {argv[0], "--exec-probe", NULL};
    execve(argv[0], args, envp);
    _exit(errno < 100 ? 100 + errno : 255);
  }
  int status = 0;
  if (child < 0 || waitpid(child, &status, 0) < 0)
    print_errno("execArm64", errno);
  else if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
    printf(",\"execArm64\":{\"ok\":true}");
  else if (WIFEXITED(status) && WEXITSTATUS(status) > 100 && WEXITSTATUS(status) < 255)
    print_errno("execArm64", WEXITSTATUS(status) - 100);
  else
    printf(",\"execArm64\":{\"ok\":false,\"status\":%d}", status);
  printf("}\n");
  return 0;
}
