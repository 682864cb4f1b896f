/*
 * cpuid_mask: the --cpuid rules (the answer table and the fault probe: cpuid/table.c).
 *
 * Sources: Intel SDM vol. 2A "CPUID" (leaf layout, out-of-range leaves answer
 * as the highest basic leaf, invalid 0xD subleaves answer zeros); AMD APM vol. 3
 * appendix E; Linux arch/x86/include/asm/cpuid/api.h cpuid_function_is_indexed()
 * (the leaves whose answer depends on ECX); arch/x86/include/uapi/asm/prctl.h
 * (ARCH_GET_CPUID 0x1011, ARCH_SET_CPUID 0x1012).
 */
#include "mask.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#include "../faults.h"

#define MAX_RULES 128

struct rule {
  uint32_t leaf, subleaf;
  int has_subleaf, reg;
  uint32_t keep;
};
static struct rule rules[MAX_RULES];
static int n_rules;
static uint32_t leaf1_edx_keep = ~0u; /* the AT_HWCAP mask, kept in agreement with CPUID.1:EDX */

static const char *const reg_names[4] = {"eax", "ebx", "ecx", "edx"};
#define OSXSAVE_BIT (1u << 27) /* CPUID.1:ECX; glibc gates AVX by it and XCR0: never masked */

/* Leaves whose answer depends on ECX (the kernel's list, plus 0x20, 0x23, 0x80000020, 0x80000026 from the SDM/APM). */
int cpuid_leaf_is_indexed(uint32_t leaf) {
  switch (leaf) {
    case 0x4:
    case 0x7:
    case 0xb:
    case 0xd:
    case 0xf:
    case 0x10:
    case 0x12:
    case 0x14:
    case 0x17:
    case 0x18:
    case 0x1d:
    case 0x1e:
    case 0x1f:
    case 0x20:
    case 0x23:
    case 0x24:
    case 0x8000001d:
    case 0x80000020:
    case 0x80000026:
      return 1;
  }
  return 0;
}

/* Leaves that describe the calling CPU: APIC ids, topology, hybrid core type, per-core caches. */
static int leaf_is_per_cpu(uint32_t leaf) {
  return leaf == 0x1 || leaf == 0x4 || leaf == 0xb || leaf == 0x1a || leaf == 0x1f || leaf == 0x8000001e || leaf == 0x80000026;
}

int cpuid_leaf_is_per_cpu(uint32_t leaf) { return leaf_is_per_cpu(leaf); }

/* Why a rule may not touch (leaf, reg), or NULL. Sizes, topology and identity stay real. */
static const char *refused(uint32_t leaf, int reg) {
  if (leaf == 0xd) return "leaf 0xd gives the XSAVE sizes for the XCR0 the kernel enabled; changing it corrupts save areas";
  if (leaf == 0x0 || leaf == 0x80000000) return "leaf 0 and 0x80000000 give the vendor and the highest leaf";
  if (leaf == 0x1 && (reg == CPUID_EAX || reg == CPUID_EBX)) return "leaf 1 EAX/EBX give the signature, APIC id and CLFLUSH size";
  if (leaf == 0x2 || leaf == 0x4 || leaf == 0xb || leaf == 0x1f || leaf == 0x1a || leaf == 0x8000001d || leaf == 0x8000001e ||
      leaf == 0x80000026 || leaf == 0x80000005 || leaf == 0x80000006)
    return "cache and topology leaves describe the calling CPU";
  if (leaf >= 0x80000002 && leaf <= 0x80000004) return "the brand string is not a feature";
  if (leaf == 0x80000008 && reg != CPUID_EBX) return "leaf 0x80000008 EAX/ECX give address sizes and core counts";
  if (leaf >= 0x40000000 && leaf <= 0x4fffffff) return "hypervisor leaves are not masked";
  return NULL;
}

/* 1 to 8 hex digits, an optional 0x; stops at `stop` (or the end when stop is 0). */
static const char *parse_hex32(const char *s, char stop, uint32_t *out) {
  if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) s += 2;
  uint32_t v = 0;
  int digits = 0;
  for (; *s && *s != stop; s++) {
    int d;
    if (*s >= '0' && *s <= '9') d = *s - '0';
    else if (*s >= 'a' && *s <= 'f') d = *s - 'a' + 10;
    else if (*s >= 'A' && *s <= 'F') d = *s - 'A' + 10;
    else return NULL;
    if (++digits > 8) return NULL;
    v = v << 4 | (uint32_t)d;
  }
  if (!digits || (stop && *s != stop)) return NULL;
  *out = v;
  return s;
}

int cpuid_mask_add_rule(const char *arg, char *err, size_t errlen) {
#if !defined(__x86_64__)
  snprintf(err, errlen, "--cpuid is for x86-64 only, not '%s'", arg);
  return -1;
#else
  struct rule r = {0};
  const char *p = arg, *colon = strchr(arg, ':'), *dot = strchr(arg, '.');
  if (!colon) goto bad;
  if (dot && dot < colon) {
    if (!(p = parse_hex32(p, '.', &r.leaf)) || !(p = parse_hex32(p + 1, ':', &r.subleaf))) goto bad;
    r.has_subleaf = 1;
  } else if (!(p = parse_hex32(p, ':', &r.leaf))) {
    goto bad;
  }
  p++;
  r.reg = -1;
  for (int i = 0; i < 4; i++)
    if (strncasecmp(p, reg_names[i], 3) == 0 && p[3] == '=') r.reg = i;
  if (r.reg < 0 || !parse_hex32(p + 4, 0, &r.keep)) goto bad;
  if (cpuid_leaf_is_indexed(r.leaf) && !r.has_subleaf) {
    snprintf(err, errlen, "--cpuid '%s': leaf %x takes a subleaf (LEAF.SUBLEAF:REG=KEEP)", arg, r.leaf);
    return -1;
  }
  if (!cpuid_leaf_is_indexed(r.leaf) && r.has_subleaf) {
    snprintf(err, errlen, "--cpuid '%s': leaf %x takes no subleaf", arg, r.leaf);
    return -1;
  }
  const char *why = refused(r.leaf, r.reg);
  if (why) {
    snprintf(err, errlen, "--cpuid '%s': never masked: %s", arg, why);
    return -1;
  }
  if (n_rules >= MAX_RULES) {
    snprintf(err, errlen, "--cpuid '%s': more than %d rules", arg, MAX_RULES);
    return -1;
  }
  if (r.leaf == 1 && r.reg == CPUID_ECX) r.keep |= OSXSAVE_BIT;
  rules[n_rules++] = r;
  return 0;
bad:
  snprintf(err, errlen, "--cpuid must be LEAF[.SUBLEAF]:REG=KEEP in hex (e.g. 7.0:ebx=ffffffdf), not '%s'", arg);
  return -1;
#endif
}

int cpuid_mask_active(void) {
  for (int i = 0; i < n_rules; i++)
    if (rules[i].keep != ~0u) return 1;
  return 0;
}

uint32_t cpuid_mask_keep(uint32_t leaf, uint32_t subleaf, int reg) {
  uint32_t k = ~0u;
  for (int i = 0; i < n_rules; i++)
    if (rules[i].leaf == leaf && rules[i].reg == reg && (!rules[i].has_subleaf || rules[i].subleaf == subleaf))
      k &= rules[i].keep;
  if (leaf == 1 && reg == CPUID_EDX) k &= leaf1_edx_keep;
  return k;
}

void cpuid_mask_and_leaf1_edx(uint32_t keep) { leaf1_edx_keep &= keep; }

int cpuid_mask_export(struct cpuid_keep_rule *out, int max) {
  int n = 0;
  for (int i = 0; i < n_rules && n < max; i++)
    if (rules[i].keep != ~0u)
      out[n++] = (struct cpuid_keep_rule){
          rules[i].leaf, rules[i].subleaf, (uint8_t)rules[i].has_subleaf, (uint8_t)rules[i].reg, 0, rules[i].keep};
  if (leaf1_edx_keep != ~0u && n < max) out[n++] = (struct cpuid_keep_rule){1, 0, 0, CPUID_EDX, 0, leaf1_edx_keep};
  return n;
}

uint32_t cpuid_rules_keep(const struct cpuid_keep_rule *r, int n, uint32_t leaf, uint32_t subleaf, int reg) {
  uint32_t k = ~0u;
  for (int i = 0; i < n; i++)
    if (r[i].leaf == leaf && r[i].reg == reg && (!r[i].has_subleaf || r[i].subleaf == subleaf)) k &= r[i].keep;
  return k;
}

/* Each distinct (leaf, subleaf, reg) once, with its whole keep, as LEAF[.SUB]:REG=KEEP joined by sep;
 * *edx1 tells whether one of them is CPUID.1:EDX. Returns the length written. */
static size_t write_rules(char *buf, size_t len, const char *sep, int *edx1) {
  size_t n = 0;
  buf[0] = 0;
  *edx1 = 0;
  for (int i = 0; i < n_rules && n + 40 < len; i++) {
    int dup = 0;
    for (int j = 0; j < i; j++)
      if (rules[j].leaf == rules[i].leaf && rules[j].reg == rules[i].reg && rules[j].has_subleaf == rules[i].has_subleaf &&
          rules[j].subleaf == rules[i].subleaf)
        dup = 1;
    if (dup) continue;
    uint32_t k = cpuid_mask_keep(rules[i].leaf, rules[i].subleaf, rules[i].reg);
    *edx1 |= rules[i].leaf == 1 && rules[i].reg == CPUID_EDX;
    if (rules[i].has_subleaf)
      n += (size_t)snprintf(buf + n, len - n, "%s%x.%x:%s=%08x", n ? sep : "", rules[i].leaf, rules[i].subleaf,
                            reg_names[rules[i].reg], k);
    else n += (size_t)snprintf(buf + n, len - n, "%s%x:%s=%08x", n ? sep : "", rules[i].leaf, reg_names[rules[i].reg], k);
  }
  return n;
}

void cpuid_mask_describe(char *buf, size_t len) {
  int edx1;
  size_t n = write_rules(buf, len, " ", &edx1);
  if (leaf1_edx_keep != ~0u && n + 20 < len) snprintf(buf + n, len - n, "%s1:edx&=%08x", n ? " " : "", leaf1_edx_keep);
}

void cpuid_mask_rules(char *buf, size_t len) {
  int edx1;
  size_t n = write_rules(buf, len, ",", &edx1);
  /* AT_HWCAP's word given to CPUID.1:EDX: a rule only where it removes a bit this CPU has. */
  uint32_t real[4];
  cpuid_raw(1, 0, real);
  if (!edx1 && (real[CPUID_EDX] & ~leaf1_edx_keep) && n + 20 < len)
    snprintf(buf + n, len - n, "%s1:edx=%08x", n ? "," : "", leaf1_edx_keep);
}
