/*
 * Taking over an existing tree, as `hwcap exec` follows one (after a CRIU
 * restore, whose tree nobody follows):
 *
 *   hwcap-exec --adopt PID [--hwcap W] [--hwcap2 W] [--hwcap3 W] [--hwcap4 W]
 *              [--cpuid LEAF[.SUBLEAF]:REG=KEEP]... [--allow-security-masking]
 *
 * The words to keep are those of the tree's saved auxv (/proc/PID/auxv, which
 * CRIU restores byte for byte), ANDed with each W given: a mask can be kept or
 * narrowed, never widened, so a W with a bit the saved auxv lacks is an error
 * (reason "wider"). --cpuid rules (x86-64: those a release handed over, and
 * those of the caller's own keep set; rules for one register AND together, so
 * the mask only narrows) make a CPUID mask: security features in CPUID are
 * kept unless allowed (reason "security"), and CPUID faulting must trap here
 * (cpuid_fault_probe; reason "cpuid-fault", the tree untouched). A detached
 * helper then
 *   1. seizes every thread of every process under PID (without EXITKILL, so a
 *      failure leaves the tree as it was), walking /proc again until a walk
 *      finds nothing new: a fork that races the walk is either traced already
 *      (TRACEFORK on its parent) or found by the next walk;
 *   2. holds the tree stopped (handover/hold.h), adds EXITKILL to every task (the tree
 *      dies with its helper rather than run unmasked), and sends SIGCONT to the
 *      processes that were stopped (a tree released with its default stop);
 *      with a CPUID mask, first arms CPUID faulting in every held thread
 *      (arch_prctl(ARCH_SET_CPUID, 0) injected): if that fails in any thread
 *      nothing is continued, every process is left stopped (SIGSTOP) and
 *      untraced, and the answer is reason "cpuid-arm";
 *   3. answers, opens its control channel (so the tree can be released again)
 *      and follows the tree as exec's helper does (follow.c).
 * The views the tree already read stay as CRIU restored them; from here on
 * every exec in the tree is masked with the words kept.
 *
 * The command prints one JSON line on stdout and exits 0, or 2 on failure:
 *   {"adopted":PID,"helper":H,"tasks":N,"processes":M,"continued":K,"words":["0x..",...],
 *    "cpuid":["7.0:ebx=..",...]}
 * reasons: usage, no-such-process, permission, traced, wider, security, helper,
 * cpuid-fault, cpuid-arm.
 */
#ifndef HWCAP_LAUNCHER_ADOPT_H
#define HWCAP_LAUNCHER_ADOPT_H

#include "../exec/follow_config.h"

/*
 * `hwcap-exec --adopt ...`; returns the exit status. The helper it starts, once the tree is its
 * own, runs `follow` (the launcher's follow loop, follow.h: a room above this one) and never returns.
 */
int adopt_main(int argc, char **argv, void (*follow)(const struct follow_config *c));

#endif
