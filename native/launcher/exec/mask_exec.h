/*
 * Masking the image a tracee has just exec'd (its PTRACE_EVENT_EXEC stop), in
 * named steps:
 *   exec-stop    step to execve's syscall-exit stop, before any user instruction
 *   patch-stack  AND the AT_HWCAP* words of the auxv on the new stack
 *   inject       prctl(PR_SET_MM, PR_SET_MM_MAP) in the tracee, so that its
 *                saved copy (/proc/<pid>/auxv, PR_GET_AUXV) agrees
 *   verify       read the saved copy back: it must show the masked words
 * On success the tracee is left in that stop with its registers as execve left
 * them. On failure the error names the step; the caller kills the tracee.
 */
#ifndef HWCAP_LAUNCHER_MASK_EXEC_H
#define HWCAP_LAUNCHER_MASK_EXEC_H

#include <stdint.h>
#include <sys/types.h>

#include "../error.h"
#include "tracee.h"

/* `first`: the program's first image (the test build's fault points fire there only). */
struct step_error mask_exec(pid_t pid, const uint64_t keep[4], int first, struct pending *pend);

#endif
