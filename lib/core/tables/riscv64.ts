// RISC-V HWCAP feature table.
//
// Source: arch/riscv/include/uapi/asm/hwcap.h (torvalds/linux mainline; COMPAT_HWCAP_ISA_V
// added in Linux 6.5). Each bit is 1 << (letter - 'A') for the single-letter base ISA
// extensions the kernel reports in AT_HWCAP: I, M, A, F, D, C and V. The names are the
// lower-case letters as the /proc/cpuinfo "isa" line spells them (rv64imafdcv…).
// Multi-letter extensions (Zba, Zicbom …) are not in the auxv; the kernel reports them
// through the riscv_hwprobe syscall instead.
//
// No row is marked `security`.
import type { Feature } from '../row';

const letter = (c: string): Feature => ({ name: c, word: 'AT_HWCAP', bit: c.charCodeAt(0) - 'a'.charCodeAt(0) });

export const FEATURES: readonly Feature[] = ['a', 'c', 'd', 'f', 'i', 'm', 'v'].map(letter);
