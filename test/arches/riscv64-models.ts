// The single-letter extensions of AT_HWCAP that qemu 7.2's riscv64 CPU models have, as qemu's
// source gives them (Debian 12's qemu 1:7.2+dfsg-7+deb12u18, that is 7.2.0 with the stable patches
// to 7.2.22; line numbers of the patched tree):
//   - target/riscv/cpu.c:244-252, rv64_base_cpu_init: the generic `rv64` starts with misa 0, so
//     riscv_cpu_realize builds misa from the CPU properties (cpu.c:712 `if (env->misa_ext == 0)`,
//     the `ext |= RVI` … `ext |= RVV` lines 826-857, set_misa at 899). Their defaults, the
//     riscv_cpu_extensions table at cpu.c:1002-1013: "i", "m", "a", "f", "d", "c" true, "v" false,
//     "h" true; `-cpu rv64,<letter>=on|off` sets one.
//   - cpu.c:254-258, rv64_sifive_u_cpu_init: `sifive-u54` is
//     `set_misa(env, MXL_RV64, RVI | RVM | RVA | RVF | RVD | RVC | RVS | RVU)`, fixed.
//   - linux-user/elfload.c:1662-1672, get_elf_hwcap: qemu-user's AT_HWCAP is misa masked to
//     I M A F D C and V (V since stable 7.2.6), so H (and S, U) never reach it.
// So both models' AT_HWCAP letters are I M A F D C. The same letters are checked against a Linux
// kernel's own /proc/cpuinfo `isa` line on these models under qemu-system-riscv64
// (riscv64-system.arches.ts), which is what makes this reading of the source more than ours.
export const RV_BASE: Record<string, string> = { rv64: 'imafdc', 'sifive-u54': 'imafdc' };

/** The AT_HWCAP letters of `-cpu <model>[,<letter>=on|off…]`, sorted. */
export function rvLetters(cpu: string): string[] {
  const [model, ...props] = cpu.split(',');
  const have = new Set((RV_BASE[model!] ?? '').split(''));
  for (const p of props) {
    const m = /^([a-z])=(on|off)$/.exec(p);
    if (!m) throw new Error(`-cpu ${cpu}: ${p} is not <letter>=on|off`);
    // H is in misa (h=on is the default) but not in AT_HWCAP, under qemu-user or a kernel.
    if (m[1] === 'h') continue;
    if (m[2] === 'on') have.add(m[1]!);
    else have.delete(m[1]!);
  }
  return [...have].sort();
}
