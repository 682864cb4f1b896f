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
// prints it decodes to exactly the model's extensions.
// Checked against a kernel too (npm run test:arches, test/arches/riscv64-system.arches.ts):
// Debian 13's riscv64 kernel (6.12) booted under qemu-system-riscv64 7.2 on rv64, rv64 with v on,
// and sifive-u54 (3 to 7 s a boot on an idle machine). AT_HWCAP as the kernel gives it decodes to
// exactly the single letters of /proc/cpuinfo's "isa" line (rv64imafdch, rv64imafdcvh,
// rv64imafdc) less H, and to the kernel's own "riscv: ELF capabilities" boot line. H, which the
// kernel prints in "isa", is not in AT_HWCAP: its isa2hwcap maps only I M A F D C and V, and it
// has no row here. Only V varies between the models that boot: without D the kernel panics in
// __fstate_restore, without F and D busybox (built for RV64GC) dies as init, and without C or A
// qemu's OpenSBI (also RV64GC) stops before its banner. So the kernel tells V apart from the
// rest; the qemu-user models tell A, D and F apart. No difference was found.
//
// No row is marked `security`.
import type { Feature } from '../row';

const letter = (c: string): Feature => ({ name: c, word: 'AT_HWCAP', bit: c.charCodeAt(0) - 'a'.charCodeAt(0) });

export const FEATURES: readonly Feature[] = ['a', 'c', 'd', 'f', 'i', 'm', 'v'].map(letter);
