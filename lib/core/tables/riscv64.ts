// RISC-V HWCAP feature table.
//
// Source: arch/riscv/include/uapi/asm/hwcap.h (torvalds/linux mainline; COMPAT_HWCAP_ISA_V
// added in Linux 6.5). Each bit is 1 << (letter - 'A') for the single-letter base ISA
// extensions the kernel reports in AT_HWCAP: I, M, A, F, D, C and V. The names are the
// lower-case letters as the /proc/cpuinfo "isa" line spells them (rv64imafdcv…).
// Multi-letter extensions (Zba, Zicbom …) are not in the auxv; the kernel reports them
// through the riscv_hwprobe syscall instead.
//
// Checked (npm run test:arches; test/core/arch-oracles.test.ts on every npm test): the rows give
// each letter of <asm/hwcap.h> of Linux 6.1 (Debian 12's linux-libc-dev-riscv64-cross: I M A F D
// C) its bit, and V, which that header predates, follows the same rule; under qemu-riscv64 7.2
// (rv64 with v on, or a, d, or f and d off, and sifive-u54), AT_HWCAP as Debian's riscv64 glibc
// prints it decodes to exactly the model's extensions. No difference was found. Not checked: the
// names against a kernel's /proc/cpuinfo "isa" line. Debian 12 has no riscv64 port and so no
// riscv64 kernel to boot under qemu-system-riscv64, and qemu-user 7.2 passes the host's
// /proc/cpuinfo through (it emulates a riscv64 one from qemu 8.1 on).
//
// No row is marked `security`.
import type { Feature } from '../row';

const letter = (c: string): Feature => ({ name: c, word: 'AT_HWCAP', bit: c.charCodeAt(0) - 'a'.charCodeAt(0) });

export const FEATURES: readonly Feature[] = ['a', 'c', 'd', 'f', 'i', 'm', 'v'].map(letter);
