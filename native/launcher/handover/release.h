/*
 * Handing a followed tree over, so that CRIU (or another tracer) can seize it:
 *
 *   hwcap-exec --release PID [--no-stop [--allow-unmasked-cpuid]]
 *
 * asks the helper that follows PID's tree (handover/control.h) to:
 *   1. hold every task stopped (handover/hold.h);
 *   2. disarm CPUID faulting in every thread that has it armed (x86-64:
 *      arch_prctl(ARCH_GET_CPUID) injected, then ARCH_SET_CPUID 1 where it read 0,
 *      which the CPUID room's filter sends to this helper, who lets its own run),
 *      since a thread with faulting armed and no tracer dies at its next CPUID;
 *   3. undo what hwcap set that breaks a restore: the root's parent-death
 *      signal (prctl(PR_SET_PDEATHSIG, 0) injected), which CRIU restores and
 *      which would kill the restored root as soon as CRIU exits;
 *   4. queue SIGSTOP for every process unless --no-stop, so that nothing runs
 *      between the release and the dump;
 *   5. detach from every task, wait until each process shows state T (unless
 *      --no-stop), answer, and exit.
 * A failure at 2 or 3 puts every task back as it was and the helper goes on
 * following the tree. A CPUID-masked tree is not released running (--no-stop)
 * unless --allow-unmasked-cpuid: refused first, reason "cpuid-running". The
 * answer carries the CPUID rules in force (effective keep words, --cpuid
 * syntax), for `hwcap-exec --adopt --cpuid ...`.
 *
 * The command prints one JSON line on stdout and exits 0, or 2 on failure:
 *   {"released":PID,"helper":H,"tasks":N,"processes":M,"stopped":true,"cpuid":["7.0:ebx=..",...]}
 *   {"error":"<reason>","code":"ESRCH","syscall":"...","message":"..."}
 * reasons: no-such-process, not-followed, permission, no-channel, helper, usage,
 * cpuid-running.
 */
#ifndef HWCAP_LAUNCHER_RELEASE_H
#define HWCAP_LAUNCHER_RELEASE_H

#include "../exec/follow_config.h"

/* The follow loop calls this before each waitpid(); it returns unless a release succeeded (then the helper exits). */
void release_poll(const struct follow_config *c);

/* `hwcap-exec --release ...`; returns the exit status. */
int release_main(int argc, char **argv);

#endif
