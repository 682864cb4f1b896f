/*
 * cpuid_mask: the --cpuid rules, the answer table and the fault probe (x86-64).
 *
 * A rule `--cpuid LEAF[.SUBLEAF]:REG=KEEP` ANDs KEEP into REG of what the CPU
 * answers for LEAF (and SUBLEAF, for the leaves that take one). Numbers are
 * hexadecimal, always: "7.0:ebx=fffeffff", "80000001:ecx=ffffffdf". An optional
 * "0x" prefix is accepted and means nothing more; no sign, no decimal, at most
 * 8 digits. Repeated rules for the same register AND together. See docs/cpuid.md.
 *
 * The helper computes a table of real answers once, at its start, and answers
 * every trapped CPUID from it; only the leaves that describe the calling CPU
 * (APIC ids and topology) are run for real at trap time, on the tracee's CPU.
 */
#ifndef HWCAP_CPUID_MASK_H
#define HWCAP_CPUID_MASK_H

#include <stddef.h>
#include <stdint.h>

enum { CPUID_EAX, CPUID_EBX, CPUID_ECX, CPUID_EDX };

#include "../../common/prctl_compat.h" /* ARCH_GET_CPUID, ARCH_SET_CPUID */

/* Parses and records one rule. 0, or -1 with a message in err. */
int cpuid_mask_add_rule(const char *arg, char *err, size_t errlen);

/* Some rule removes a bit. */
int cpuid_mask_active(void);

/* The keep word for CPUID.1:EDX (all ones without a rule), to keep AT_HWCAP in agreement. */
uint32_t cpuid_mask_keep(uint32_t leaf, uint32_t subleaf, int reg);

/* Also AND `keep` into CPUID.1:EDX (the AT_HWCAP word). */
void cpuid_mask_and_leaf1_edx(uint32_t keep);

/* The hardware's CPUID (the helper's own, on the CPU it runs on). */
void cpuid_raw(uint32_t leaf, uint32_t subleaf, uint32_t out[4]);

/*
 * Can this thread's CPUID be made to fault, and does it then trap? Arms
 * faulting, runs CPUID under a SIGSEGV handler, disarms, and puts back the
 * handler and the signal mask exactly. 0, or an errno: ENODEV (no faulting),
 * ENOTSUP (faulting advertised but CPUID did not trap), ENOSYS (not x86-64).
 * *syscall_name names the step.
 */
int cpuid_fault_probe(const char **syscall_name);

/* Fills the table of real answers (the helper, once, at its start). */
void cpuid_table_init(void);

/*
 * The masked answer for one trapped CPUID. `cpu` is the CPU the tracee last
 * ran on (-1: unknown), for the leaves that describe the calling CPU.
 * Returns 1 when a real CPUID ran for it (a per-CPU leaf or a table miss).
 */
int cpuid_answer(uint32_t leaf, uint32_t subleaf, int cpu, uint32_t out[4]);

/* The leaf describes the calling CPU (its answer needs the tracee's CPU). */
int cpuid_leaf_is_per_cpu(uint32_t leaf);

/* The leaf's answer depends on ECX (its subleaf). */
int cpuid_leaf_is_indexed(uint32_t leaf);

/*
 * 1 when a per-CPU (leaf, subleaf) has been answered on every CPU this machine can have, all
 * alike (leaf 4's caches on most machines): cpuid_answer then needs no CPU for it (cpu -1), and a
 * trap need not read which CPU its thread ran on. 0 otherwise, and always where CPUs are offline
 * (one coming online could answer otherwise) or more than 64.
 */
int cpuid_same_on_every_cpu(uint32_t leaf, uint32_t subleaf);

/* One rule as a nested spawn hands it to the tree's helper (nest/nest.h): AND `keep` into `reg` of that leaf. */
struct cpuid_keep_rule {
  uint32_t leaf, subleaf;
  uint8_t has_subleaf, reg;
  uint16_t pad;
  uint32_t keep;
};

/* The rules in effect (the leaf 1 EDX agreement with AT_HWCAP included) into out; their count, at most max. */
int cpuid_mask_export(struct cpuid_keep_rule *out, int max);

/* The keep word a list of rules gives for (leaf, subleaf, reg): all ones without a rule for it. */
uint32_t cpuid_rules_keep(const struct cpuid_keep_rule *r, int n, uint32_t leaf, uint32_t subleaf, int reg);

/* "1:ecx=fffffffe 7.0:ebx=ffffffdf" (the effective keep words), for status lines. */
void cpuid_mask_describe(char *buf, size_t len);

/*
 * The effective keep words as rules again, comma-separated ("7.0:ebx=ffffffdf,1:edx=fffffffe"):
 * each one is --cpuid syntax, and the set of them masks as the rules in force do (the hand-over
 * carries them from a release to the adopt).
 */
void cpuid_mask_rules(char *buf, size_t len);

#endif
