/*
 * kernel mode: PR_SET_MM_AUXV (privileged) or PR_SET_MM_MAP on this process,
 * then execve. Correct only on kernels that pass a masked auxv across exec; a
 * fork+exec of this binary (--check-inherited) checks that first.
 */
#ifndef HWCAP_LAUNCHER_KERNEL_MODE_H
#define HWCAP_LAUNCHER_KERNEL_MODE_H

#include <stdint.h>

#include "../error.h"

/* Masks this process's saved auxv with keep; masked gets the resulting words. */
struct step_error kernel_mask_own(const uint64_t keep[4], uint64_t masked[4]);

/* 1 when a child exec'd from here sees `want` (or fewer bits) on its stack, 0 when not, -errno. */
int kernel_inherits(const uint64_t want[4]);

/* `hwcap-exec --check-inherited W W W W`: the child side of kernel_inherits(). */
int kernel_check_inherited_main(int argc, char **argv, char **envp);

#endif
