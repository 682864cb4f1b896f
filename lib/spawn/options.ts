// The hwcap options of the spawn family, their types, and their validation into the one mask
// plan (lib/launcher/plan.ts) and the launcher's options. child_process's own options are
// checked in normalize.ts.
import type * as cp from 'node:child_process';
import * as os from 'node:os';
import type { HwcapMask, HwcapWords } from '../core/words';
import { checkMode, type SpawnMode } from '../host';
import { invalidArgType, invalidArgValue } from '../errors';
import { checkPlanOptions, isMaskPlan, maskPlan, type LauncherOptions, type MaskPlan, type PlanHwcaps } from '../launcher';

export type { SpawnMode };

/** Anything with the words of a FeatureSet (lib/core/features.ts); a FeatureSet also carries its arch, which must be this machine's. */
export interface WordsCarrier {
  readonly words: HwcapWords;
  readonly arch?: string;
}

/** The features to keep: a FeatureSet, an array of feature names, words of bits to keep, or a plan (maskPlan). */
export type HwcapsOption = WordsCarrier | readonly string[] | HwcapMask | MaskPlan;

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
  /**
   * x86-64: allow a CPUID mask that removes an x86-64 baseline feature (fpu, cmov, cx8, fxsr, mmx,
   * sse, sse2, syscall). Default false: such a mask is refused before anything runs (a
   * BelowBaselineError), since every dynamic glibc program stops under it. For static programs.
   */
  allowBelowBaseline?: boolean;
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

export const HWCAP_KEYS = ['hwcaps', 'mode', 'follow', 'allowSecurityMasking', 'auxvOnly', 'runtimeEnv', 'allowBelowBaseline', 'pdeathsig', 'noNewPrivs'] as const;

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
  allowBelow: 'allowBelowBaseline',
  allowBelowFloor: 'allowBelowBaseline',
  pdeathSig: 'pdeathsig',
  noNewPrivileges: 'noNewPrivs',
};

/** A near miss of a hwcap option (`hwcap`, `mask` …) would mask nothing: a typed error naming it. */
export function checkNearMisses(o: Record<string, unknown>): void {
  for (const [k, v] of Object.entries(NEAR_MISSES)) {
    if (k in o) throw invalidArgValue(`options.${k}`, `is not an option; did you mean options.${v}?`);
  }
}

/** The launcher's options less the per-call ones (status fd, argv0, exec fd); with hwcaps, the plan they come from. */
export interface Resolved {
  plan?: MaskPlan;
  launcher: Omit<LauncherOptions, 'statusFd' | 'argv0' | 'execFd'>;
}

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

/**
 * The mask plan of the options (options.hwcaps given): the plan itself when options.hwcaps is
 * one (maskPlan; the mask options given beside it must agree with it), else maskPlan of
 * options.hwcaps and the mask options.
 */
export function planOf(o: Record<string, unknown>): MaskPlan {
  const h = o.hwcaps;
  if (isMaskPlan(h)) {
    checkPlanOptions(h, o);
    return h;
  }
  return maskPlan(o.hwcaps as PlanHwcaps, {
    mode: o.mode as SpawnMode | undefined,
    follow: o.follow as boolean | undefined,
    allowSecurityMasking: o.allowSecurityMasking as boolean | undefined,
    auxvOnly: o.auxvOnly as boolean | undefined,
    runtimeEnv: o.runtimeEnv as boolean | undefined,
    allowBelowBaseline: o.allowBelowBaseline as boolean | undefined,
    env: (o.env || undefined) as Record<string, string | undefined> | undefined,
  });
}

/** Validates the hwcap options; undefined when nothing is to be masked (the call is child_process's own). */
export function resolveHwcapOptions(o: Record<string, unknown>): Resolved | undefined {
  checkNearMisses(o);
  // Checked before any probe runs: a bad mode is a typed error even without hwcaps.
  checkMode(o.mode, 'options.mode');
  checkBoolean(o, 'follow', true);
  const allowSecurityMasking = checkBoolean(o, 'allowSecurityMasking', false);
  checkBoolean(o, 'auxvOnly', false);
  checkBoolean(o, 'runtimeEnv', false);
  checkBoolean(o, 'allowBelowBaseline', false);
  const noNewPrivs = checkBoolean(o, 'noNewPrivs', false);
  const pdeathsig = checkSignal(o.pdeathsig);
  if (o.hwcaps === undefined) {
    if (pdeathsig !== undefined || noNewPrivs) {
      // Still go through the launcher for its setup steps, masking nothing.
      return { launcher: { keep: {}, mode: 'kernel', follow: false, allowSecurityMasking, pdeathsig, noNewPrivs } };
    }
    return undefined;
  }
  const plan = planOf(o);
  return { plan, launcher: plan.launcherOptions({ pdeathsig, noNewPrivs }) };
}

/** The options without hwcap's own keys and argv0 (the launcher passes argv0 on to the program). */
export function withoutHwcapKeys(options: Record<string, unknown>): Record<string, unknown> {
  const o = { ...options };
  for (const k of HWCAP_KEYS) delete o[k];
  delete o.argv0;
  return o;
}
