// The launcher's command line, built from resolved options (native/launcher/options.c parses it).
// One row per flag group, in the order the launcher documents them: a new launcher option
// (such as `--cpuid LEAF[.SUB]:REG=KEEP` for x86-64 CPUID masks) is one more field and one more row.
import { HWCAP_TYPES, type HwcapMask, type HwcapWords } from '../core/words';
import { cpuidRuleArg, type CpuidKeep } from './cpuid';

export interface LauncherOptions {
  /** Already resolved: 'auto' is decided by resolveMode before the launcher runs. */
  mode: 'kernel' | 'ptrace';
  /** Mask every exec of the tree (ptrace mode); false masks the first exec only. */
  follow: boolean;
  /** The AT_HWCAP* words of bits to keep; a word left out is not masked. */
  keep: HwcapMask;
  /** x86-64: CPUID registers of bits to keep (ptrace mode; the launcher refuses them in kernel mode). */
  cpuid?: readonly CpuidKeep[];
  /** The fd the launcher writes its status lines to, in the child's numbering. */
  statusFd?: number;
  pdeathsig?: number;
  noNewPrivs: boolean;
  allowSecurityMasking: boolean;
  /** Skip the kernel-mode check that the kernel inherits (the inheritance probe itself). */
  noVerify?: boolean;
  argv0?: string;
  /** The fd the launcher is executed through (/proc/self/fd/N), which it closes. */
  execFd?: number;
}

function hex(v: bigint): string {
  return `0x${v.toString(16)}`;
}

type Row = (o: LauncherOptions) => string[];

const ROWS: readonly Row[] = [
  (o) => ['--mode', o.mode],
  (o) => (o.follow ? [] : ['--no-follow']),
  (o) => (o.noVerify ? ['--no-verify'] : []),
  (o) =>
    (Object.keys(HWCAP_TYPES) as (keyof HwcapWords)[]).flatMap((k) => {
      const v = o.keep[k];
      return v === undefined ? [] : [`--${k}`, hex(v)];
    }),
  (o) => (o.cpuid ?? []).flatMap((r) => ['--cpuid', cpuidRuleArg(r)]),
  (o) => (o.statusFd === undefined ? [] : ['--status-fd', String(o.statusFd)]),
  (o) => (o.pdeathsig === undefined ? [] : ['--pdeathsig', String(o.pdeathsig)]),
  (o) => (o.noNewPrivs ? ['--no-new-privs'] : []),
  (o) => (o.allowSecurityMasking ? ['--allow-security-masking'] : []),
  (o) => (o.argv0 === undefined ? [] : ['--argv0', o.argv0]),
  (o) => (o.execFd === undefined ? [] : ['--exec-fd', String(o.execFd)]),
];

/** hwcap-exec's argv after its own name: the flags, `--`, then the program and its arguments. */
export function launcherArgv(o: LauncherOptions, file: string, args: readonly string[]): string[] {
  return [...ROWS.flatMap((row) => row(o)), '--', file, ...args];
}
