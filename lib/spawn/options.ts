// The hwcap options of the spawn family, their types, and their validation into what the
// launcher needs (lib/launcher/argv.ts). child_process's own options are checked in normalize.ts.
import type * as cp from 'node:child_process';
import * as os from 'node:os';
import type { HwcapMask, HwcapWords } from '../core/words';
import { checkMode, resolveMode, type SpawnMode } from '../host';
import { invalidArgType, invalidArgValue } from '../errors';
import { keepCpuid, keepFeatureSet, keepWords, probeInheritance, type LauncherOptions } from '../launcher';
import { FeatureSet, hostArch, mergeRuntimeEnv, runtimeEnv, v8Flags } from '../core/features';

export type { SpawnMode };

/** Anything with the words of a FeatureSet (lib/core/features.ts); a FeatureSet also carries its arch, which must be this machine's. */
export interface WordsCarrier {
  readonly words: HwcapWords;
  readonly arch?: string;
}

/** The features to keep: a FeatureSet, an array of feature names, or words of bits to keep. */
export type HwcapsOption = WordsCarrier | readonly string[] | HwcapMask;

export interface HwcapSpawnOptions {
  /** What the child may see. Without it nothing is masked and the call is child_process's own. */
  hwcaps?: HwcapsOption;
  /** 'auto' (default): resolveMode() — 'kernel' where probeInheritance() shows the kernel inherits, else 'ptrace'. */
  mode?: SpawnMode;
  /** Mask every exec in the child's process tree (default true); false masks only the first exec. */
  follow?: boolean;
  /** Allow masking security features (lib/core/tables/security.json lists them). */
  allowSecurityMasking?: boolean;
  /**
   * x86-64: mask only the auxv words, not CPUID (default false). Without it, a set that removes
   * a CPUID feature of this CPU masks CPUID too, which needs CPUID faulting (probe().cpuidFault);
   * where there is none the spawn fails closed (stage 'cpuid-fault'). With it, a program that
   * executes CPUID sees this CPU's features: only for programs known to read the auxv alone.
   */
  auxvOnly?: boolean;
  /**
   * x86-64: also set the runtime knobs (runtimeEnv: GLIBC_TUNABLES, OPENSSL_ia32cap, GODEBUG,
   * DOTNET_*, NPY_DISABLE_CPU_FEATURES) for what hwcaps removes from this CPU, merged AND only
   * into options.env (or process.env) by mergeRuntimeEnv. Default false. A second layer, with or
   * without a CPUID mask: it binds the runtimes that read the knobs, as with auxvOnly on a host
   * without CPUID faulting. fork also appends V8's flags (v8Flags: --no-enable-avx2 …) to the
   * child's execArgv, after the caller's. Off x86-64 it changes nothing.
   */
  runtimeEnv?: boolean;
  /** A signal the child gets when its parent (this process's spawning thread) dies. */
  pdeathsig?: NodeJS.Signals | number;
  /** Set PR_SET_NO_NEW_PRIVS in the child before it execs. */
  noNewPrivs?: boolean;
}

export type SpawnOptions = cp.SpawnOptions & HwcapSpawnOptions;
export type SpawnSyncOptions = cp.SpawnSyncOptions & HwcapSpawnOptions;
export type ExecFileOptions = cp.ExecFileOptions & HwcapSpawnOptions & { encoding?: BufferEncoding | 'buffer' | null };
export type ExecFileSyncOptions = cp.ExecFileSyncOptions & HwcapSpawnOptions;
export type ExecOptions = cp.ExecOptions & HwcapSpawnOptions & { encoding?: BufferEncoding | 'buffer' | null };
export type ExecSyncOptions = cp.ExecSyncOptions & HwcapSpawnOptions;
export type ForkOptions = cp.ForkOptions & HwcapSpawnOptions;
export type ExecFileCallback = (error: cp.ExecFileException | null, stdout: string | Buffer, stderr: string | Buffer) => void;

export const HWCAP_KEYS = ['hwcaps', 'mode', 'follow', 'allowSecurityMasking', 'auxvOnly', 'runtimeEnv', 'pdeathsig', 'noNewPrivs'] as const;

/** Near misses that would silently mask nothing. */
const NEAR_MISSES: Record<string, string> = {
  hwcap: 'hwcaps',
  hwcap2: 'hwcaps',
  hwcap3: 'hwcaps',
  hwcap4: 'hwcaps',
  mask: 'hwcaps',
  features: 'hwcaps',
  keep: 'hwcaps',
  follows: 'follow',
  allowSecurity: 'allowSecurityMasking',
  auxv: 'auxvOnly',
  auxvonly: 'auxvOnly',
  noCpuid: 'auxvOnly',
  runtimeenv: 'runtimeEnv',
  runtimeEnvs: 'runtimeEnv',
  runtimeKnobs: 'runtimeEnv',
  knobs: 'runtimeEnv',
  allowSecurityMask: 'allowSecurityMasking',
  pdeathSig: 'pdeathsig',
  noNewPrivileges: 'noNewPrivs',
};

/** A near miss of a hwcap option (`hwcap`, `mask` …) would mask nothing: a typed error naming it. */
export function checkNearMisses(o: Record<string, unknown>): void {
  for (const [k, v] of Object.entries(NEAR_MISSES)) {
    if (k in o) throw invalidArgValue(`options.${k}`, `is not an option; did you mean options.${v}?`);
  }
}

/** The launcher's options less the per-call ones (status fd, argv0). */
export type Resolved = Omit<LauncherOptions, 'statusFd' | 'argv0'>;


function checkBoolean(options: Record<string, unknown>, key: string, dflt: boolean): boolean {
  const v = options[key];
  if (v === undefined) return dflt;
  if (typeof v !== 'boolean') throw invalidArgType(`options.${key}`, 'of type boolean', v);
  return v;
}

function checkSignal(v: unknown): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v === 'number') {
    if (!Number.isInteger(v) || v < 1 || v > 64) throw invalidArgValue('options.pdeathsig', 'must be a signal number from 1 to 64 or a signal name', v);
    return v;
  }
  if (typeof v !== 'string') throw invalidArgType('options.pdeathsig', 'of type string or number', v);
  const n = (os.constants.signals as Record<string, number>)[v];
  if (n === undefined) throw invalidArgValue('options.pdeathsig', "must be a signal name such as 'SIGTERM'", v);
  return n;
}

/** Validates the hwcap options; undefined when nothing is to be masked (the call is child_process's own). */
export function resolveHwcapOptions(o: Record<string, unknown>): Resolved | undefined {
  checkNearMisses(o);
  // Checked before any probe runs: a bad mode is a typed error even without hwcaps.
  const mode = checkMode(o.mode, 'options.mode');
  const follow = checkBoolean(o, 'follow', true);
  const allowSecurityMasking = checkBoolean(o, 'allowSecurityMasking', false);
  const auxvOnly = checkBoolean(o, 'auxvOnly', false);
  checkBoolean(o, 'runtimeEnv', false);
  const noNewPrivs = checkBoolean(o, 'noNewPrivs', false);
  const pdeathsig = checkSignal(o.pdeathsig);
  if (o.hwcaps === undefined) {
    if (pdeathsig !== undefined || noNewPrivs) {
      // Still go through the launcher for its setup steps, masking nothing.
      return { keep: {}, mode: 'kernel', follow: false, allowSecurityMasking, pdeathsig, noNewPrivs };
    }
    return undefined;
  }
  const keep = keepWords(o.hwcaps);
  const cpuid = auxvOnly ? [] : keepCpuid(o.hwcaps);
  if (cpuid.length > 0) {
    // Only the ptrace helper answers a trapped CPUID; the launcher fails closed (cpuid-fault) where CPUID does not fault.
    if (mode === 'kernel') throw invalidArgValue('options.mode', "cannot mask CPUID: only mode 'ptrace' (or 'auto') answers a trapped CPUID", mode);
    return { keep, cpuid, mode: 'ptrace', follow, allowSecurityMasking, pdeathsig, noNewPrivs };
  }
  // Without ptrace facts resolveMode never answers null: ptrace mode fails closed with its own error.
  const resolved = resolveMode(mode, { inheritance: probeInheritance }, 'options.mode') ?? 'ptrace';
  return { keep, mode: resolved, follow, allowSecurityMasking, pdeathsig, noNewPrivs };
}

/**
 * With options.runtimeEnv (x86-64, hwcaps given): the child's environment, options.env (or
 * process.env) with the knobs for what hwcaps removes from this CPU merged in AND only;
 * undefined when there is nothing to add. Call after resolveHwcapOptions (it checks the options).
 */
export function runtimeEnvOf(o: Record<string, unknown>): Record<string, string | undefined> | undefined {
  if (o.runtimeEnv !== true || o.hwcaps === undefined || hostArch() !== 'x86_64') return undefined;
  const here = FeatureSet.current();
  const knobs = runtimeEnv(keepFeatureSet(o.hwcaps), { relativeTo: here, allowSecurityMasking: o.allowSecurityMasking === true });
  if (Object.keys(knobs).length === 0) return undefined;
  return mergeRuntimeEnv((o.env || process.env) as Record<string, string | undefined>, knobs);
}

/**
 * With options.runtimeEnv (x86-64, hwcaps given): V8's flags (v8Flags) for what hwcaps removes
 * from this CPU, for a Node child's command line after its other execArgv; [] otherwise. Checks
 * options.hwcaps (keepWords) itself: fork calls it before spawn checks the options.
 */
export function v8FlagsOf(o: Record<string, unknown>): string[] {
  if (o.runtimeEnv !== true || o.hwcaps === undefined || hostArch() !== 'x86_64') return [];
  keepWords(o.hwcaps);
  return v8Flags(keepFeatureSet(o.hwcaps), { relativeTo: FeatureSet.current(), allowSecurityMasking: o.allowSecurityMasking === true });
}

/** The options without hwcap's own keys and argv0 (the launcher passes argv0 on to the program). */
export function withoutHwcapKeys(options: Record<string, unknown>): Record<string, unknown> {
  const o = { ...options };
  for (const k of HWCAP_KEYS) delete o[k];
  delete o.argv0;
  return o;
}
