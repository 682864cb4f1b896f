/*
 * The helper's answers to trapped CPUIDs (see cpuid/mask.h): the hardware's CPUID read once into a
 * table at the helper's start (per CPU for the leaves that describe the calling CPU), each answer
 * ANDed with the --cpuid rules (cpuid/mask.c); and the probe of whether CPUID faulting traps here.
 *
 * Sources: Intel SDM vol. 2A "CPUID" (leaf layout, out-of-range leaves answer as the highest basic
 * leaf, invalid 0xD subleaves answer zeros); AMD APM vol. 3 appendix E; arch/x86/include/uapi/asm/prctl.h
 * (ARCH_GET_CPUID, ARCH_SET_CPUID).
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

#if defined(__x86_64__)

void cpuid_raw(uint32_t leaf, uint32_t subleaf, uint32_t out[4]) {
  uint32_t a = leaf, b, c = subleaf, d;
  __asm__ volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
  out[0] = a;
  out[1] = b;
  out[2] = c;
  out[3] = d;
  /*
   * Test builds: an Intel-style CPU whose highest basic leaf is not all zeros (it is on many CPUs,
   * and then no test can see its mask reach the out-of-range leaves). That leaf and every basic
   * leaf above it answer the same synthetic words, as Intel's out-of-range leaves answer the
   * highest basic leaf's.
   */
  if (FAULT_IS("cpuid-synthetic-top") && leaf != 0 && leaf < 0x40000000) {
    uint32_t top = 0, z1 = 0, z2 = 0, z3 = 0;
    __asm__ volatile("cpuid" : "+a"(top), "=b"(z1), "+c"(z2), "=d"(z3));
    if (leaf >= top) {
      out[0] = 0x5a5a5a5a;
      out[1] = 0xa5a5a5a5;
      out[2] = 0x0f0f0f0f;
      out[3] = 0xf0f0f0f0;
    }
  }
}

/* ---- the fault probe ---------------------------------------------------------------------- */

static volatile sig_atomic_t probe_trapped;

static void probe_handler(int sig, siginfo_t *si, void *uc_) {
  (void)sig;
  ucontext_t *uc = uc_;
  if (si->si_code == 0x80 /* SI_KERNEL */) probe_trapped = 1;
  uc->uc_mcontext.gregs[REG_RIP] += 2; /* over the CPUID */
}

int cpuid_fault_probe(const char **syscall_name) {
  *syscall_name = "arch_prctl(ARCH_GET_CPUID)";
  if (syscall(SYS_arch_prctl, ARCH_GET_CPUID, 0) < 0) return errno == EINVAL ? ENODEV : errno;
  /* Unblocked and handled: a forced SIGSEGV then changes neither mask nor disposition. */
  sigset_t segv, old_mask;
  sigemptyset(&segv);
  sigaddset(&segv, SIGSEGV);
  struct sigaction sa, old_sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = probe_handler;
  sa.sa_flags = SA_SIGINFO;
  sigfillset(&sa.sa_mask);
  *syscall_name = "sigaction(SIGSEGV)";
  if (sigprocmask(SIG_UNBLOCK, &segv, &old_mask) != 0 || sigaction(SIGSEGV, &sa, &old_sa) != 0) return errno;
  probe_trapped = 0;
  int e = 0;
  *syscall_name = "arch_prctl(ARCH_SET_CPUID)";
  if (syscall(SYS_arch_prctl, ARCH_SET_CPUID, 0) != 0) {
    e = errno;
  } else {
    uint32_t r[4];
    cpuid_raw(0, 0, r);
    if (syscall(SYS_arch_prctl, ARCH_SET_CPUID, 1) != 0) e = errno;
    else if (!probe_trapped) e = ENOTSUP;
  }
  sigaction(SIGSEGV, &old_sa, NULL);
  sigprocmask(SIG_SETMASK, &old_mask, NULL);
  if (e == ENOTSUP) *syscall_name = "cpuid";
  return e;
}

/* ---- the table ---------------------------------------------------------------------------- */

#define TABLE_SIZE 1024 /* open addressing; the prefill uses about 100 */
struct entry {
  uint32_t leaf, subleaf, used;
  int32_t cpu; /* -1, or the CPU a per-CPU answer came from */
  uint32_t regs[4];
};
static struct entry table[TABLE_SIZE];
static uint32_t max_basic, max_ext, max_hv;
static cpu_set_t helper_cpus;
static int helper_cpus_ok;

static struct entry *slot_on(uint32_t leaf, uint32_t subleaf, int32_t cpu) {
  uint32_t h = (leaf * 0x9e3779b1u) ^ (subleaf * 0x85ebca6bu) ^ ((uint32_t)cpu * 0xc2b2ae35u);
  for (uint32_t i = 0; i < TABLE_SIZE; i++) {
    struct entry *e = &table[(h + i) % TABLE_SIZE];
    if (!e->used || (e->leaf == leaf && e->subleaf == subleaf && e->cpu == cpu)) return e;
  }
  return NULL;
}
static struct entry *slot(uint32_t leaf, uint32_t subleaf) { return slot_on(leaf, subleaf, -1); }

/*
 * Per-CPU answers compared across CPUs (cpuid_same_on_every_cpu): for each per-CPU (leaf, key)
 * seen, the CPUs it was answered on and whether any two differed. Learned from the answers the
 * table keeps anyway (each the CPU's own, put_on), so it costs no system call per trap.
 */
#define SAME_MAX 64
static struct same {
  uint32_t leaf, subleaf, used, differ;
  uint64_t seen; /* bit per CPU answered on */
  uint32_t regs[4];
} same[SAME_MAX];
static int all_cpus_read;
static uint64_t all_cpus; /* bit per CPU of the machine: /sys possible, all online, at most 64; else 0 */

/* "0-N" or "0" in a /sys/devices/system/cpu list file, as N + 1 CPUs; 0 for anything else. */
static int cpu_range(const char *path) {
  char buf[64];
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return 0;
  buf[n] = 0;
  unsigned last = 0;
  char nl;
  if (strcmp(buf, "0\n") == 0) return 1;
  if (sscanf(buf, "0-%u%c", &last, &nl) != 2 || nl != '\n' || last > 1000000) return 0;
  return (int)last + 1;
}

static uint64_t machine_cpus(void) {
  if (!all_cpus_read) {
    all_cpus_read = 1;
    int possible = cpu_range("/sys/devices/system/cpu/possible");
    if (possible > 0 && possible <= 64 && cpu_range("/sys/devices/system/cpu/online") == possible)
      all_cpus = possible == 64 ? ~0ULL : (1ULL << possible) - 1;
  }
  return all_cpus;
}

static struct same *same_of(uint32_t leaf, uint32_t key, int add) {
  for (int i = 0; i < SAME_MAX; i++) {
    struct same *s = &same[i];
    if (s->used && s->leaf == leaf && s->subleaf == key) return s;
    if (!s->used) {
      if (!add) return NULL;
      s->used = 1;
      s->leaf = leaf;
      s->subleaf = key;
      return s;
    }
  }
  return NULL;
}

static void same_learn(uint32_t leaf, uint32_t key, int32_t cpu, const uint32_t regs[4]) {
  struct same *s = same_of(leaf, key, 1);
  if (!s) return;
  if (cpu < 0 || cpu >= 64) {
    s->differ = 1; /* not one of the CPUs counted */
  } else if (!s->seen) {
    memcpy(s->regs, regs, sizeof s->regs);
  } else if (memcmp(s->regs, regs, sizeof s->regs) != 0) {
    s->differ = 1;
  }
  if (cpu >= 0 && cpu < 64) s->seen |= 1ULL << cpu;
}

/* The answer of a per-CPU (leaf, key) that every CPU gives alike, or NULL. */
static const uint32_t *same_answer(uint32_t leaf, uint32_t key) {
  uint64_t all = machine_cpus();
  struct same *s = all ? same_of(leaf, key, 0) : NULL;
  return s && !s->differ && (s->seen & all) == all ? s->regs : NULL;
}

int cpuid_same_on_every_cpu(uint32_t leaf, uint32_t subleaf) {
  return cpuid_leaf_is_per_cpu(leaf) && same_answer(leaf, cpuid_leaf_is_indexed(leaf) ? subleaf : 0) != NULL;
}

static void put_on(uint32_t leaf, uint32_t subleaf, int32_t cpu, const uint32_t regs[4]) {
  struct entry *e = slot_on(leaf, subleaf, cpu);
  if (cpu >= 0) same_learn(leaf, subleaf, cpu, regs);
  if (!e) return;
  e->leaf = leaf;
  e->subleaf = subleaf;
  e->cpu = cpu;
  e->used = 1;
  memcpy(e->regs, regs, sizeof e->regs);
}
static void put(uint32_t leaf, uint32_t subleaf, const uint32_t regs[4]) { put_on(leaf, subleaf, -1, regs); }

static int in_range(uint32_t leaf) {
  return leaf <= max_basic || (leaf >= 0x80000000 && leaf <= max_ext) || (max_hv && leaf >= 0x40000000 && leaf <= max_hv);
}

static void fill_leaf(uint32_t leaf) {
  uint32_t r[4];
  if (cpuid_leaf_is_per_cpu(leaf)) return;
  if (leaf == 0x7) {
    cpuid_raw(7, 0, r);
    put(7, 0, r);
    for (uint32_t s = 1; s <= r[0] && s < 16; s++) {
      uint32_t q[4];
      cpuid_raw(7, s, q);
      put(7, s, q);
    }
  } else if (leaf == 0xd) {
    uint32_t s0[4], s1[4], zero[4] = {0, 0, 0, 0};
    cpuid_raw(0xd, 0, s0);
    cpuid_raw(0xd, 1, s1);
    put(0xd, 0, s0);
    put(0xd, 1, s1);
    uint64_t valid = ((uint64_t)s0[3] << 32 | s0[0]) | ((uint64_t)s1[3] << 32 | s1[2]);
    for (uint32_t s = 2; s < 64; s++) {
      if (valid >> s & 1) {
        cpuid_raw(0xd, s, r);
        put(0xd, s, r);
      } else {
        put(0xd, s, zero); /* SDM: an invalid subleaf answers zeros */
      }
    }
  } else {
    cpuid_raw(leaf, 0, r);
    put(leaf, 0, r); /* other indexed leaves: subleaf 0 now, the rest on first use */
  }
}

void cpuid_table_init(void) {
  uint32_t r[4];
  helper_cpus_ok = sched_getaffinity(0, sizeof helper_cpus, &helper_cpus) == 0;
  cpuid_raw(0, 0, r);
  max_basic = r[0];
  cpuid_raw(0x80000000, 0, r);
  max_ext = r[0] >= 0x80000000 && r[0] < 0x80000100 ? r[0] : 0x80000000;
  cpuid_raw(1, 0, r);
  if (r[2] >> 31 & 1) { /* a hypervisor: its leaves are deterministic too */
    cpuid_raw(0x40000000, 0, r);
    max_hv = r[0] >= 0x40000000 && r[0] < 0x40000100 ? r[0] : 0x40000000;
  }
  for (uint32_t l = 0; l <= max_basic && l < 0x40; l++) fill_leaf(l);
  for (uint32_t l = 0x80000000; l <= max_ext; l++) fill_leaf(l);
  for (uint32_t l = 0x40000000; max_hv && l <= max_hv; l++) fill_leaf(l);
}

/*
 * A real CPUID on `cpu`, for the leaves that describe the calling CPU. Returns
 * 1 when it ran there (the answer may be kept for that CPU), 0 when it ran
 * wherever the helper was (cpu unknown, or the pin failed).
 */
static int cpuid_on(int cpu, uint32_t leaf, uint32_t subleaf, uint32_t out[4]) {
  int pinned = 0, here = cpu >= 0 && sched_getcpu() == cpu;
  if (!here && cpu >= 0 && cpu < CPU_SETSIZE && helper_cpus_ok) {
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(cpu, &one);
    pinned = sched_setaffinity(0, sizeof one, &one) == 0;
    here = pinned && sched_getcpu() == cpu;
  }
  cpuid_raw(leaf, subleaf, out);
  if (pinned) sched_setaffinity(0, sizeof helper_cpus, &helper_cpus);
  return here;
}

int cpuid_answer(uint32_t leaf, uint32_t subleaf, int cpu, uint32_t out[4]) {
  uint32_t key = cpuid_leaf_is_indexed(leaf) ? subleaf : 0, raw[4], mask_leaf = leaf, mask_key = key;
  int ran = 0;
  const uint32_t *everywhere = cpuid_leaf_is_per_cpu(leaf) ? same_answer(leaf, key) : NULL;
  if (everywhere) {
    memcpy(raw, everywhere, sizeof raw); /* every CPU's own answer is this one */
  } else if (cpuid_leaf_is_per_cpu(leaf)) {
    /* Per CPU, once: the first answer on each CPU is kept for it. */
    struct entry *e = cpu >= 0 ? slot_on(leaf, key, cpu) : NULL;
    if (e && e->used) {
      memcpy(raw, e->regs, sizeof raw);
    } else {
      if (cpuid_on(cpu, leaf, subleaf, raw)) put_on(leaf, key, cpu, raw);
      ran = 1;
    }
  } else if (in_range(leaf)) {
    struct entry *e = slot(leaf, key);
    if (e && e->used) {
      memcpy(raw, e->regs, sizeof raw);
    } else {
      cpuid_raw(leaf, subleaf, raw);
      put(leaf, key, raw);
      ran = 1;
    }
  } else {
    /* Out of range: the hardware's own answer; where that is the highest basic leaf (Intel), its mask too. */
    cpuid_raw(leaf, subleaf, raw);
    ran = 1;
    uint32_t top[4], top_key = cpuid_leaf_is_indexed(max_basic) ? subleaf : 0;
    struct entry *e = slot(max_basic, top_key);
    if (e && e->used) memcpy(top, e->regs, sizeof top);
    else cpuid_raw(max_basic, subleaf, top);
    if (memcmp(top, raw, sizeof top) == 0) {
      mask_leaf = max_basic;
      mask_key = top_key;
    }
  }
  for (int r = 0; r < 4; r++) out[r] = raw[r] & cpuid_mask_keep(mask_leaf, mask_key, r);
  return ran;
}

#else /* !__x86_64__ */

void cpuid_raw(uint32_t leaf, uint32_t subleaf, uint32_t out[4]) {
  (void)leaf;
  (void)subleaf;
  memset(out, 0, 4 * sizeof out[0]);
}
int cpuid_fault_probe(const char **syscall_name) {
  *syscall_name = "arch_prctl(ARCH_SET_CPUID)";
  return ENOSYS;
}
void cpuid_table_init(void) {}
int cpuid_same_on_every_cpu(uint32_t leaf, uint32_t subleaf) {
  (void)leaf;
  (void)subleaf;
  return 0;
}

int cpuid_answer(uint32_t leaf, uint32_t subleaf, int cpu, uint32_t out[4]) {
  (void)leaf;
  (void)subleaf;
  (void)cpu;
  memset(out, 0, 4 * sizeof out[0]);
  return 0;
}

#endif
