/*
 * The seccomp and classic-BPF ABI the filter needs. From the kernel's uapi headers
 * where the C library has them (glibc with linux-libc-dev); musl-gcc, which builds
 * the static launcher, has no <linux/...> headers, so the same stable values are given here:
 * include/uapi/linux/filter.h and bpf_common.h (struct sock_filter, BPF_* codes),
 * include/uapi/linux/seccomp.h (struct seccomp_data, SECCOMP_RET_*, SECCOMP_MODE_FILTER),
 * include/uapi/linux/audit.h and elf-em.h (AUDIT_ARCH_*), Linux 6.18.
 */
#ifndef HWCAP_LAUNCHER_SECCOMP_ABI_H
#define HWCAP_LAUNCHER_SECCOMP_ABI_H

#if __has_include(<linux/seccomp.h>) && __has_include(<linux/filter.h>) && __has_include(<linux/audit.h>)
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#else
#include <stdint.h>

struct sock_filter {
  uint16_t code;
  uint8_t jt;
  uint8_t jf;
  uint32_t k;
};
struct sock_fprog {
  unsigned short len;
  struct sock_filter *filter;
};
struct seccomp_data {
  int nr;
  uint32_t arch;
  uint64_t instruction_pointer;
  uint64_t args[6];
};

#define BPF_LD 0x00
#define BPF_ALU 0x04
#define BPF_JMP 0x05
#define BPF_RET 0x06
#define BPF_W 0x00
#define BPF_ABS 0x20
#define BPF_K 0x00
#define BPF_AND 0x50
#define BPF_JA 0x00
#define BPF_JEQ 0x10
#define BPF_JSET 0x40
#define BPF_STMT(code, k) \
  { (unsigned short)(code), 0, 0, k }
#define BPF_JUMP(code, k, jt, jf) \
  { (unsigned short)(code), jt, jf, k }

#define SECCOMP_MODE_FILTER 2
#define SECCOMP_RET_KILL_PROCESS 0x80000000U
#define SECCOMP_RET_ERRNO 0x00050000U
#define SECCOMP_RET_TRACE 0x7ff00000U
#define SECCOMP_RET_ALLOW 0x7fff0000U
#define SECCOMP_RET_DATA 0x0000ffffU

#define AUDIT_ARCH_X86_64 0xc000003eU  /* EM_X86_64 | __AUDIT_ARCH_64BIT | __AUDIT_ARCH_LE */
#define AUDIT_ARCH_I386 0x40000003U    /* EM_386 | __AUDIT_ARCH_LE */
#define AUDIT_ARCH_AARCH64 0xc00000b7U /* EM_AARCH64 | __AUDIT_ARCH_64BIT | __AUDIT_ARCH_LE */
#endif

#endif
