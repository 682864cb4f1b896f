/*
 * ptrace mode's start: this process keeps its pid and becomes the target. A
 * detached helper (double fork, its own session) PTRACE_SEIZEs it with
 * TRACEEXEC|EXITKILL (and FORK|VFORK|CLONE when following the tree); this
 * process execs only once the seize is confirmed (TracerPid).
 *
 *   target                              helper
 *   fork -> mid -> fork helper    --->  (pid on the go pipe, from mid)
 *   PR_SET_PTRACER helper (Yama)
 *   "g" on the ack pipe           --->  PTRACE_SEIZE target
 *   read {err, pid} on go         <---  {err, helper pid}
 *   TracerPid == helper ? exec          follow loop (follow.c)
 */
#ifndef HWCAP_LAUNCHER_HANDSHAKE_H
#define HWCAP_LAUNCHER_HANDSHAKE_H

#include "exec/program.h"

/* Starts the helper, waits for a confirmed seize, then execs the program. Returns only by exit. */
__attribute__((noreturn)) void handshake_run(const struct program *p, const struct options *o, const uint64_t keep[4]);

#endif
