/*
 * The helper's follow loop: every stop of every tracee of the tree, until the
 * tree is empty. An exec stop is masked (exec/mask_exec.c); a failure kills that
 * image before its first instruction. Group stops, forks and signals pass
 * through. New kinds of stop (seccomp events, CPUID faults) get their own
 * handler next to on_exec. A nested masked spawn's request (a seccomp stop with
 * SECCOMP_TAG_NEST) narrows the mask of that pid's subtree (nest/nest.h): its execs
 * are masked with that mask, and its new tasks inherit it at their creator's
 * fork event.
 */
#ifndef HWCAP_LAUNCHER_FOLLOW_H
#define HWCAP_LAUNCHER_FOLLOW_H

#include "exec/follow_config.h"

__attribute__((noreturn)) void follow_run(const struct follow_config *c);

#endif
