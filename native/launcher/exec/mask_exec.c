/* Masking a new image at its exec stop; see exec/mask_exec.h. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "mask_exec.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>

#include "../../common/auxv_words.h"
#include "../../common/mm_map.h"
#include "../../common/prctl_compat.h"
#include "../../common/procfs.h"
#include "../faults.h"
#include "remote_syscall.h"

/* The new image's startup auxv: where it lies and its words. */
struct new_stack {
  uint64_t auxv_addr;
  uint64_t auxv[HWCAP_MAX_AUXV_WORDS];
  int n;
};

static struct step_error to_exec_exit(pid_t pid, struct pending *pend, regs_t *regs) {
  TRY(STAGE_EXEC_STOP, "ptrace(PTRACE_SYSCALL)", tracee_resume_until(pid, PTRACE_SYSCALL, SIGTRAP | 0x80, pend));
  TRY(STAGE_EXEC_STOP, "ptrace(PTRACE_GETREGSET)", tracee_get_regs(pid, regs));
  return STEP_OK;
}

/* The new stack: argc, argv[], NULL, envp[], NULL, auxv pairs through AT_NULL. */
static struct step_error read_new_stack(pid_t pid, uint64_t sp, struct new_stack *ns) {
  static struct word_reader wr;
  word_reader_init(&wr, pid);
  uint64_t argc, w, a;
  TRY(STAGE_PATCH_STACK, "process_vm_readv", word_reader_get(&wr, sp, &argc));
  if (argc > (1u << 20)) return STEP_ERROR(STAGE_PATCH_STACK, "process_vm_readv", EPROTO);
  a = sp + 8 * (argc + 2); /* past argv and its NULL */
  for (int k = 0;; k++) {
    if (k > (1 << 20)) return STEP_ERROR(STAGE_PATCH_STACK, "process_vm_readv", EPROTO);
    TRY(STAGE_PATCH_STACK, "process_vm_readv", word_reader_get(&wr, a, &w));
    a += 8;
    if (w == 0) break;
  }
  ns->auxv_addr = a;
  ns->n = 0;
  for (;;) {
    if (ns->n + 2 > HWCAP_MAX_AUXV_WORDS) return STEP_ERROR(STAGE_PATCH_STACK, "process_vm_readv", E2BIG);
    TRY(STAGE_PATCH_STACK, "process_vm_readv", word_reader_get(&wr, a, &ns->auxv[ns->n]));
    TRY(STAGE_PATCH_STACK, "process_vm_readv", word_reader_get(&wr, a + 8, &ns->auxv[ns->n + 1]));
    a += 16;
    ns->n += 2;
    if (ns->auxv[ns->n - 2] == HWCAP_AT_NULL) break;
  }
  return STEP_OK;
}

/* The whole vector in one write: only the AT_HWCAP* words differ from what is there. */
static struct step_error patch_stack(pid_t pid, struct new_stack *ns, const uint64_t keep[4]) {
  hwcap_apply_keep(ns->auxv, ns->n, keep);
  TRY(STAGE_PATCH_STACK, "process_vm_writev", tracee_write(pid, ns->auxv_addr, ns->auxv, (size_t)ns->n * 8));
  return STEP_OK;
}

/* The kernel's saved copy: prctl(PR_SET_MM, PR_SET_MM_MAP, &map, sizeof map) run in the tracee. */
static struct step_error inject_saved_copy(pid_t pid, const char *pidstr, const regs_t *regs, const struct new_stack *ns,
                                           int first, struct pending *pend) {
  struct hwcap_mm_map m;
  TRY(STAGE_INJECT, "open(/proc/<pid>/stat)", hwcap_mm_map_from_stat(pidstr, &m)); /* brk = start_brk: a fresh image */
  size_t len = sizeof m + (size_t)ns->n * 8;
  static struct remote_syscall rs;
  TRY_STEP(remote_begin(&rs, pid, regs, ns->auxv, ns->n, pend, len));
  m.auxv = rs.scratch + sizeof m;
  m.auxv_size = (uint32_t)ns->n * 8;
  static unsigned char fresh[REMOTE_SCRATCH_MAX];
  memcpy(fresh, &m, sizeof m);
  memcpy(fresh + sizeof m, ns->auxv, (size_t)ns->n * 8);
  struct step_error e = remote_scratch_write(&rs, fresh, len);
  if (first) FAULT_POINT("helper-during-inject");
  long ret = 0;
  /* Test build: the kernel refuses the injected call (EPERM), the helper alive, the program stopped. */
  if (!e.err && first && FAULT_IS("inject-fails")) ret = -EPERM;
  else if (!e.err) e = remote_call(&rs, SYS_prctl, (const uint64_t[5]){PR_SET_MM, PR_SET_MM_MAP, rs.scratch, sizeof m, 0}, &ret);
  struct step_error restored = remote_end(&rs); /* also after a failed call */
  if (e.err) return e;
  if (restored.err) return restored;
  if (ret != 0) return STEP_ERROR(STAGE_INJECT, "prctl(PR_SET_MM_MAP)", ret < 0 && ret > -4096 ? (int)-ret : EPROTO);
  return STEP_OK;
}

static struct step_error verify_saved_copy(const char *pidstr, const uint64_t masked[4], int first) {
  static uint64_t back[HWCAP_MAX_AUXV_WORDS];
  uint64_t got[4];
  int nb = hwcap_read_proc_auxv(pidstr, back, HWCAP_MAX_AUXV_WORDS);
  TRY(STAGE_VERIFY, "open(/proc/<pid>/auxv)", nb);
  hwcap_words_of(back, nb, got);
  /*
   * Test build: the kernel's copy reads back with one bit of AT_HWCAP2 other than it was
   * written (at the first image, or at a later one), the helper alive, the program stopped.
   */
  if (first ? FAULT_IS("readback-mismatch") : FAULT_IS("readback-mismatch-later")) got[1] ^= 1;
  if (memcmp(got, masked, sizeof got) != 0) return STEP_ERROR(STAGE_VERIFY, "open(/proc/<pid>/auxv)", EPROTO);
  return STEP_OK;
}

struct step_error mask_exec(pid_t pid, const uint64_t keep[4], int first, struct pending *pend) {
  char pidstr[16];
  snprintf(pidstr, sizeof pidstr, "%d", (int)pid);
  regs_t regs;
  static struct new_stack ns;
  uint64_t masked[4];
  TRY_STEP(to_exec_exit(pid, pend, &regs));
  TRY_STEP(read_new_stack(pid, REG_SP(regs), &ns));
  if (!first && FAULT_IS("descendant-mask-fails")) return STEP_ERROR(STAGE_PATCH_STACK, "process_vm_writev", EIO);
  TRY_STEP(patch_stack(pid, &ns, keep));
  hwcap_words_of(ns.auxv, ns.n, masked);
  if (first) FAULT_POINT("helper-during-patch");
  TRY_STEP(inject_saved_copy(pid, pidstr, &regs, &ns, first, pend));
  TRY_STEP(verify_saved_copy(pidstr, masked, first));
  return STEP_OK;
}
