// Every stage the launcher reports on its status fd, with the hint a user gets when it fails and
// the spawn option that concerns it, where one does. The C side keeps its own list
// (`hwcap-exec --list-stages`); test/launcher/stages.test.ts compares the two.
//
// Source: the failure()/fail() calls, the status_line() events and the stages mask_exec()
// sets, in native/launcher/.
//
// A hint that names an option names it through an OptionNamer: the library's says
// `auxvOnly: true`, the CLI's says `--auxv-only` (lib/cli/flags.ts), from one text.

/** How a hint names an option (and the value to give it). */
export type OptionNamer = (option: string, value?: string | boolean) => string;

/** The library's names: `auxvOnly: true`, `mode 'ptrace'`, `hwcaps: ['x86-64', …]`. */
export const LIBRARY_NAMES: OptionNamer = (option, value) => {
  if (value === undefined) return `options.${option}`;
  if (typeof value !== 'string') return `${option}: ${String(value)}`;
  return option === 'hwcaps' ? `hwcaps: ['${value}', …]` : `${option} '${value}'`;
};

export interface LauncherStage {
  readonly name: string;
  /** 'setup': a step before exec that may fail; 'event': a line that reports progress ('exec' is both). */
  readonly kind: 'setup' | 'event';
  /** Who emits it: the launcher, or this package when the launcher's lines cannot be read. */
  readonly source: 'launcher' | 'lib';
  readonly hint: string;
  /** The spawn option that decides or avoids this failure. */
  readonly option?: string;
}

/** A row: its hint as text, or as a text naming options through a namer. */
type Row = Omit<LauncherStage, 'hint'> & ({ hint: string; say?: undefined } | { say: (n: OptionNamer) => string; hint?: undefined });

const ROWS: readonly Row[] = [
  { name: 'args', kind: 'setup', source: 'launcher', hint: "the launcher refused its command line; this is a bug in hwcap's argv (lib/launcher/argv.ts) or a launcher of another version" },
  { name: 'pdeathsig', kind: 'setup', source: 'launcher', hint: 'prctl(PR_SET_PDEATHSIG) failed: the signal number is not valid here', option: 'pdeathsig' },
  { name: 'read-auxv', kind: 'setup', source: 'launcher', hint: "the launcher could not read its own auxv from /proc/self/auxv; is /proc mounted?" },
  {
    name: 'security',
    kind: 'setup',
    source: 'launcher',
    say: (n) => `the mask removes a security feature (lib/core/tables/security.json lists them, such as arm64 paca, pacg, bti, mte, gcs); pass ${n('allowSecurityMasking', true)} to allow it`,
    option: 'allowSecurityMasking',
  },
  { name: 'kernel-mask', kind: 'setup', source: 'launcher', say: (n) => `the kernel refused the new auxv (PR_SET_MM_MAP needs CONFIG_CHECKPOINT_RESTORE); use ${n('mode', 'ptrace')}`, option: 'mode' },
  { name: 'kernel-verify', kind: 'setup', source: 'launcher', say: (n) => `this kernel does not pass a masked auxv across execve; use ${n('mode', 'ptrace')} or ${n('mode', 'auto')}`, option: 'mode' },
  { name: 'helper', kind: 'setup', source: 'launcher', hint: 'the masking helper could not be started (pipe2 or fork failed: a process or fd limit?)' },
  {
    name: 'seize',
    kind: 'setup',
    source: 'launcher',
    say: (n) => `ptrace is denied here (Yama ptrace_scope 2 or 3, seccomp, a LSM), the process is already traced, or the helper died before it seized the launcher; ${n('mode', 'kernel')} needs no ptrace where the kernel inherits`,
    option: 'mode',
  },
  {
    name: 'check-target',
    kind: 'setup',
    source: 'launcher',
    hint: 'set-user-ID, set-group-ID and file-capability programs are refused in ptrace mode, where the kernel would run them without their privileges',
    option: 'mode',
  },
  { name: 'no-new-privs', kind: 'setup', source: 'launcher', hint: 'prctl(PR_SET_NO_NEW_PRIVS) failed', option: 'noNewPrivs' },
  { name: 'exec', kind: 'setup', source: 'launcher', hint: 'execve of the program failed: is it there, executable, and a format this kernel runs?' },
  { name: 'exec-stop', kind: 'setup', source: 'launcher', hint: "the helper could not read the new image's registers or stack at its exec stop; the program was killed before it ran" },
  { name: 'patch-stack', kind: 'setup', source: 'launcher', hint: "the helper could not write the masked auxv into the new image's stack; the program was killed before it ran" },
  { name: 'inject', kind: 'setup', source: 'launcher', hint: "the helper could not make the new image call prctl(PR_SET_MM_MAP) for its kernel copy; the program was killed before it ran" },
  { name: 'verify', kind: 'setup', source: 'launcher', hint: "the new image's auxv did not read back as masked; the program was killed before it ran (fail closed)" },
  {
    name: 'cpuid-fault',
    kind: 'setup',
    source: 'launcher',
    say: (n) =>
      `the mask removes CPUID features, and CPUID faulting is unavailable here (ENODEV: the CPU or hypervisor lacks it; EOPNOTSUPP: advertised but CPUID did not trap); pass ${n('auxvOnly', true)} to mask only the auxv words (a program that executes CPUID then sees this CPU's features), or run on a host with faulting (Intel Ivy Bridge on, AMD with CpuidUserDis on Linux 6.17+, KVM)`,
    option: 'hwcaps',
  },
  { name: 'seccomp', kind: 'setup', source: 'launcher', hint: "the launcher could not install the seccomp filter that keeps the tree traced (no seccomp in this kernel, or no-new-privs refused)", option: 'follow' },
  { name: 'signal-state', kind: 'setup', source: 'launcher', hint: "the helper could not read the new image's signal state (/proc/<pid>/status, PTRACE_GETSIGMASK); the program was killed before it ran" },
  { name: 'cpuid-arm', kind: 'setup', source: 'launcher', hint: 'the helper could not arm CPUID faulting in the new image (arch_prctl(ARCH_SET_CPUID) failed, or said 0 and the CPUID after it did not trap: a seccomp filter of the program\'s own can answer it without arming anything); the program was killed before it ran' },
  { name: 'masked', kind: 'event', source: 'launcher', hint: 'the program was masked at its exec stop and runs' },
  { name: 'stats', kind: 'event', source: 'launcher', hint: "the helper's counters (--stats-fd), written when the tree has ended" },
  { name: 'status', kind: 'setup', source: 'lib', hint: 'the launcher wrote a status line that is not JSON: a launcher of another version, or a corrupted status fd' },
];

export const LAUNCHER_STAGES: readonly LauncherStage[] = Object.freeze(
  ROWS.map(({ say, hint, ...row }) => Object.freeze({ ...row, hint: say ? say(LIBRARY_NAMES) : hint! })),
);

const BY_NAME: ReadonlyMap<string, LauncherStage> = new Map(LAUNCHER_STAGES.map((s) => [s.name, s]));
const ROW_BY_NAME: ReadonlyMap<string, Row> = new Map(ROWS.map((r) => [r.name, r]));

/** A stage's hint with its options named by `names` (the CLI's flags); undefined for an unknown stage. */
export function stageHint(name: string, names: OptionNamer): string | undefined {
  const r = ROW_BY_NAME.get(name);
  return r === undefined ? undefined : r.say ? r.say(names) : r.hint;
}

/** The stage of that name, or undefined for a name the launcher does not report. */
export function stageOf(name: string): LauncherStage | undefined {
  return BY_NAME.get(name);
}
