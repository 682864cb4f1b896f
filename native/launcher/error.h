/*
 * A step's result: 0 or the stage, system call and errno that failed. Steps
 * return one instead of setting error context by hand:
 *
 *   TRY(STAGE_INJECT, "process_vm_writev", mem_write(...));   expr gives 0 or -errno
 *   TRY_SYS(STAGE_HELPER, "pipe2", pipe2(go, O_CLOEXEC));     expr gives 0 or -1 with errno
 */
#ifndef HWCAP_LAUNCHER_ERROR_H
#define HWCAP_LAUNCHER_ERROR_H

#include <errno.h>

#include "stages.h"

struct step_error {
  int err; /* 0: no error */
  enum stage stage;
  const char *syscall;
};

#define STEP_OK ((struct step_error){0, STAGE_ARGS, ""})
#define STEP_ERROR(st, sc, e) ((struct step_error){(e), (st), (sc)})

#define TRY(st, sc, expr)                                        \
  do {                                                           \
    long try_r_ = (expr);                                        \
    if (try_r_ < 0) return STEP_ERROR((st), (sc), (int)-try_r_); \
  } while (0)

#define TRY_SYS(st, sc, expr)                             \
  do {                                                    \
    if ((expr) < 0) return STEP_ERROR((st), (sc), errno); \
  } while (0)

/* Propagates a failed step's error from a callee. */
#define TRY_STEP(expr)                 \
  do {                                 \
    struct step_error try_e_ = (expr); \
    if (try_e_.err) return try_e_;     \
  } while (0)

#endif
