// The one mask plan: a caller's `hwcaps` and mask options become, in one place, everything a
// masked start needs: the kept FeatureSet, the auxv keep words, the CPUID rules (and their
// --cpuid form), the mode, the runtime knobs and V8's flags, what is lost and what stays
// unmasked, and the launcher's argv. spawn, fork, the exec family, adopt, `hwcap exec`,
// `hwcap env`, `hwcap adopt` and the container runtime take a plan and derive none of it again.
//
// Pure but for three reads of this machine, each done once per plan: FeatureSet.current() (its
// auxv and CPUID words), and, only when `resolvedMode` is asked for with mode 'auto', the
// inheritance probe. A plan only removes: every word it hands the launcher is ANDed with what
// the program would see (docs/cpuid.md), and a plan that asks for nothing to go keeps all.
import { AMD_MIRROR_MASK, BASELINE_FLOOR, catalog, FeatureSet, hostArch, mergeRuntimeEnv, runtimeEnv, v8Flags, type Arch } from '../core/features';
import { type HwcapMask, type HwcapWords } from '../core/words';
import { invalidArgType, invalidArgValue } from '../errors';
import { checkMode, resolveMode, type SpawnMode } from '../host';
import { launcherArgv, type LauncherOptions } from './argv';
import { cpuidKeepOf, cpuidRuleArg, type CpuidKeep } from './cpuid';
import { probeInheritance } from './probes';
import { about, readHwcaps, setOfWords } from './plan-hwcaps';
import { LIBRARY_NAMES, type OptionNamer } from './stages';

/** The features to keep: a FeatureSet, an array of feature names, a carrier of words, or words of bits to keep. */
export type PlanHwcaps = { readonly words: HwcapWords; readonly arch?: string } | readonly string[] | HwcapMask;

export interface MaskPlanOptions {
  /** 'auto' (default), 'kernel' or 'ptrace'; a CPUID mask needs 'ptrace' (or 'auto'). */
  mode?: SpawnMode;
  /** Mask every exec of the tree (default true). */
  follow?: boolean;
  /** Allow removing security features (lib/core/tables/security.json). */
  allowSecurityMasking?: boolean;
  /** x86-64: mask the auxv words only; CPUID stays the CPU's. */
  auxvOnly?: boolean;
  /** x86-64: work out the runtime knobs (runtimeEnv) and V8's flags (v8Flags) for what is removed. */
  runtimeEnv?: boolean;
  /** The environment the knobs are merged into (default process.env). */
  env?: Readonly<Record<string, string | undefined>>;
  /**
   * x86-64: allow a CPUID mask that removes an x86-64 baseline feature (BASELINE_FLOOR: what
   * glibc's ISA-level check and the psABI baseline need). Default false: refused with a
   * BelowBaselineError, since every dynamic glibc program stops at such a CPUID ("CPU ISA level
   * is lower than required"). Only for a static program that does not check.
   */
  allowBelowBaseline?: boolean;
}

/** A feature the target still sees, and why the launcher cannot hide it. */
export interface Unmasked {
  readonly name: string;
  /** auxv-only: --auxv-only leaves CPUID alone; cpuid-leaf-0xd: leaf 0xD stays the CPU's; cpuid-osxsave: OSXSAVE stays true to the OS. */
  readonly why: 'auxv-only' | 'cpuid-leaf-0xd' | 'cpuid-osxsave';
}

/** What the launcher needs per call, besides the plan. */
export type LauncherExtras = Partial<Pick<LauncherOptions, 'statusFd' | 'pdeathsig' | 'noNewPrivs' | 'argv0' | 'execFd' | 'noVerify'>>;

export interface MaskPlan {
  readonly arch: Arch;
  /** This machine's features the plan was made against (FeatureSet.current(), read once). */
  readonly here: FeatureSet;
  /** The set the caller asked to keep (a word list: this machine's features less what the words remove). */
  readonly keepSet: FeatureSet;
  /** What the target sees: keepSet ∩ here. */
  readonly kept: FeatureSet;
  /** The auxv words of bits to keep (a word left out is not masked). */
  readonly keep: Readonly<HwcapMask>;
  /** x86-64: the CPUID rules (empty: CPUID is not masked). */
  readonly cpuid: readonly CpuidKeep[];
  /** The same rules in the launcher's --cpuid form ('7.0:ebx=ffffffdf'). */
  readonly cpuidArgs: readonly string[];
  /** The mode asked for. */
  readonly mode: SpawnMode;
  /** The mode the launcher runs in: 'ptrace' for a CPUID mask, else resolveMode (which may probe, once). */
  readonly resolvedMode: 'kernel' | 'ptrace';
  readonly follow: boolean;
  readonly auxvOnly: boolean;
  readonly allowSecurityMasking: boolean;
  readonly allowBelowBaseline: boolean;
  /** With options.runtimeEnv: the knobs for what is removed, as merged with options.env (name → value); {} otherwise. */
  readonly runtimeEnv: Readonly<Record<string, string>>;
  /** With options.runtimeEnv: the child's environment (options.env with the knobs merged); undefined when nothing is added. */
  readonly env: Readonly<Record<string, string | undefined>> | undefined;
  /** With options.runtimeEnv: V8's flags for what is removed (--no-enable-avx2 …), for a node child after its execArgv. */
  readonly v8Flags: readonly string[];
  /** Features of this machine the target will not see (the launcher hides them). */
  readonly lost: readonly string[];
  /** Features of the keep set this machine lacks: the target does not see them either. */
  readonly absent: readonly string[];
  /** Security features among `lost`. */
  readonly security: readonly string[];
  /** Features removed from the keep set that the target still sees, and why. */
  readonly unmasked: readonly Unmasked[];
  /** The launcher's options for this plan and one call's extras. */
  launcherOptions(extra?: LauncherExtras): LauncherOptions;
  /** hwcap-exec's flags for this plan, the argv prefix before `--` (what `hwcap exec` passes). */
  launcherPrefix(extra?: LauncherExtras): string[];
  /** hwcap-exec's argv after its own name: the prefix, `--`, the program and its arguments. */
  launcherArgv(file: string, args: readonly string[], extra?: LauncherExtras): string[];
  toJSON(): MaskPlanJSON;
}

export interface MaskPlanJSON {
  arch: Arch;
  mode: SpawnMode;
  resolvedMode: 'kernel' | 'ptrace';
  follow: boolean;
  auxvOnly: boolean;
  keep: string[];
  lost: string[];
  absent: string[];
  words: Record<string, string>;
  cpuid: string[];
  unmasked: Unmasked[];
  runtimeEnv: Record<string, string>;
  v8Flags: string[];
}

/**
 * A mask below the x86-64 baseline: the CPUID mask removes a feature every dynamic glibc program
 * checks for before it runs (glibc sysdeps/x86/get-isa-level.h; the psABI's baseline level).
 * Thrown before anything runs. `option` is 'hwcaps'; `features` names what would go.
 */
export class BelowBaselineError extends RangeError {
  readonly code = 'ERR_HWCAP_BELOW_BASELINE';
  readonly option = 'hwcaps';
  readonly features: readonly string[];
  readonly hint: string;
  constructor(features: readonly string[]) {
    const s = features.length === 1 ? '' : 's';
    super(
      `The mask removes the x86-64 baseline feature${s} ${features.join(' ')} from CPUID; every dynamic glibc program refuses to start ` +
        `under it ("CPU ISA level is lower than required")`,
    );
    this.name = 'BelowBaselineError';
    this.features = Object.freeze([...features]);
    this.hint = belowBaselineHint(LIBRARY_NAMES);
  }
}

/** What to do about a mask below the baseline, the options named by `n` (the CLI names its flags). */
export function belowBaselineHint(n: OptionNamer): string {
  return (
    `keep the baseline: the psABI level x86-64 keeps it (${n('hwcaps', 'x86-64')}); or mask the auxv alone (${n('auxvOnly', true)}), ` +
    `as glibc's check reads CPUID; or, for a static program that runs no such check, ${n('allowBelowBaseline', true)}`
  );
}

/** Each plan maskPlan made, with the options it settled. */
const PLANS = new WeakMap<object, Readonly<Record<string, boolean | string>>>();

/** Whether v is a plan maskPlan made (spawn takes one as options.hwcaps). */
export function isMaskPlan(v: unknown): v is MaskPlan {
  return typeof v === 'object' && v !== null && PLANS.has(v);
}

/**
 * Options given beside a plan (options.hwcaps = a plan): each mask option a caller gives must
 * be what the plan was made with; a typed error naming the first that is not.
 */
export function checkPlanOptions(plan: MaskPlan, o: Readonly<Record<string, unknown>>): void {
  const settled = PLANS.get(plan)!;
  for (const [k, v] of Object.entries(settled)) {
    if (o[k] !== undefined && o[k] !== v) {
      throw about(invalidArgValue(`options.${k}`, `disagrees with the plan in options.hwcaps (${String(v)}); give it to maskPlan, or leave it out`, o[k]), k);
    }
  }
}

function checkBoolean(o: MaskPlanOptions, key: keyof MaskPlanOptions, dflt: boolean): boolean {
  const v = o[key];
  if (v === undefined) return dflt;
  if (typeof v !== 'boolean') throw about(invalidArgType(`options.${key}`, 'of type boolean', v), key);
  return v;
}

/**
 * x86-64: the launcher's CPUID rules, one for each CPUID word that removes a bit this machine's
 * CPUID has; none for a set that keeps all of them (no CPUID faulting is needed then).
 * CPUID.1:EDX counts as any word: it is AT_HWCAP, and the launcher masks both with one keep word.
 */
function rulesOf(words: Readonly<Record<string, number>>, here: FeatureSet): CpuidKeep[] {
  if (Object.keys(words).length === 0) return [];
  const has = here.cpuid as Readonly<Record<string, number>>;
  const needed: Record<string, number> = {};
  for (const [name, keep] of Object.entries(words)) {
    const h = has[name];
    if (h === undefined || ((h & ~keep) >>> 0) !== 0) needed[name] = keep >>> 0;
  }
  if (Object.keys(needed).length === 0) return [];
  const edx1 = needed['CPUID.1:EDX'];
  // The AMD mirror of CPUID.1:EDX in CPUID.80000001:EDX follows CPUID.1:EDX as the set keeps it.
  // A feature set holds no mirror bits (they are CPUID.1:EDX's), so a drop of a mirrored bit
  // (vme, pse, mtrr …) alone needs an 80000001:EDX rule too, or AMD's copy still shows it. On
  // Intel those bits read 0 and the rule changes nothing.
  if (edx1 !== undefined && ((~edx1 & AMD_MIRROR_MASK) >>> 0) !== 0 && needed['CPUID.80000001:EDX'] === undefined) {
    needed['CPUID.80000001:EDX'] = (words['CPUID.80000001:EDX'] ?? 0xffffffff) >>> 0;
  }
  if (edx1 === undefined && words['CPUID.1:EDX'] !== undefined && needed['CPUID.80000001:EDX'] !== undefined) needed['CPUID.1:EDX'] = words['CPUID.1:EDX'];
  const rules = cpuidKeepOf(needed).rules;
  if (edx1 !== undefined) rules.unshift({ leaf: 1, reg: 'edx', keep: edx1 });
  return rules;
}

/** maskableNames per arch and auxvOnly: the tables do not change in a process, and a spawn asks it each time. */
const MASKABLE = new Map<string, (name: string) => boolean>();

/**
 * What the launcher can hide: the auxv words and, on x86-64, every CPUID word but leaf 0xD's
 * (CPUID.D.1:EAX stays the CPU's, as the XSAVE sizes must: docs/cpuid.md). With auxvOnly, the
 * auxv words alone.
 */
function maskableNames(arch: Arch, auxvOnly: boolean): (name: string) => boolean {
  const key = `${arch}/${auxvOnly}`;
  const known = MASKABLE.get(key);
  if (known) return known;
  const rows = catalog(arch);
  // Leaf 0xD stays the CPU's, and CPUID.1:ECX OSXSAVE stays true to the OS (the launcher keeps it:
  // it reports the XCR0 that xgetbv reads, and xgetbv cannot be trapped; docs/cpuid.md).
  const fixed = new Set(rows.filter((r) => r.word === 'CPUID.D.1:EAX' || r.name === 'osxsave').map((r) => r.name));
  const inAuxv = new Set(rows.filter((r) => r.word.startsWith('AT_HWCAP') || r.also?.word.startsWith('AT_HWCAP')).map((r) => r.name));
  const test = auxvOnly ? (name: string) => inAuxv.has(name) || /@AT_HWCAP\d?$/.test(name) : (name: string) => !fixed.has(name) && !name.endsWith('@CPUID.D.1:EAX');
  MASKABLE.set(key, test);
  return test;
}

/** A value computed on its first read, then kept (the plan's report-only fields: a spawn never reads them). */
function once<T>(f: () => T): () => T {
  let done = false;
  let v: T;
  return () => {
    if (!done) {
      v = f();
      done = true;
    }
    return v;
  };
}

/** An optional object option (options.env). */
function checkEnv(v: unknown): Readonly<Record<string, string | undefined>> | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'object' || Array.isArray(v)) throw about(invalidArgType('options.env', 'of type object', v), 'env');
  return v as Record<string, string | undefined>;
}

/**
 * The one mask plan for `hwcaps` and the mask options; a bad value is a typed error naming the
 * option (`error.option`), and a CPUID mask below the x86-64 baseline a BelowBaselineError,
 * before anything runs. `here` is what the plan is relative to: FeatureSet.current() unless given.
 */
export function maskPlan(hwcaps: PlanHwcaps, options: MaskPlanOptions = {}, here?: FeatureSet): MaskPlan {
  if (typeof options !== 'object' || options === null) throw invalidArgType('options', 'of type object', options);
  const mode = (() => {
    try {
      return checkMode(options.mode, 'options.mode');
    } catch (e) {
      throw about(e as Error, 'mode');
    }
  })();
  const follow = checkBoolean(options, 'follow', true);
  const allowSecurityMasking = checkBoolean(options, 'allowSecurityMasking', false);
  const auxvOnly = checkBoolean(options, 'auxvOnly', false);
  const withKnobs = checkBoolean(options, 'runtimeEnv', false);
  const allowBelowBaseline = checkBoolean(options, 'allowBelowBaseline', false);
  const envBase = checkEnv(options.env);
  const arch = hostArch();
  const r = readHwcaps(hwcaps, arch);
  const now = here ?? FeatureSet.current();
  const x86 = arch === 'x86_64';

  const cpuid = x86 && !auxvOnly ? rulesOf(r.cpuidWords, now) : [];
  // Only the ptrace helper answers a trapped CPUID; the launcher fails closed (cpuid-fault) where CPUID does not fault.
  if (cpuid.length > 0 && mode === 'kernel') {
    throw about(invalidArgValue('options.mode', "cannot mask CPUID: only mode 'ptrace' (or 'auto') answers a trapped CPUID", mode), 'mode');
  }
  // The set words stand for is built on first need (a spawn of words without CPUID rules or knobs
  // needs none); readHwcaps checked every value it is built from.
  const keepSet = once(() => r.set ?? setOfWords(r, now));
  // The floor: glibc's ISA-level check reads CPUID (the auxv alone does not reach it).
  if (cpuid.length > 0 && !allowBelowBaseline) {
    const below = BASELINE_FLOOR.filter((n) => now.has(n) && !keepSet().has(n));
    if (below.length) throw new BelowBaselineError(below);
  }
  // What the plan reports (kept, lost, unmasked, absent, security) is worked out on its first
  // read: a spawn reads none of it, and it is most of what a plan costs.
  const masked = maskableNames(arch, auxvOnly);
  const kept = once(() => keepSet().intersect(now));
  const removed = once(() => now.diff(kept()).extra);
  const lost = once(() => Object.freeze(removed().filter(masked)));
  const unmasked = once(() =>
    Object.freeze(
      auxvOnly && x86
        ? removed().map((name) => ({ name, why: 'auxv-only' as const }))
        : removed()
            .filter((n) => !masked(n))
            .map((name) => ({ name, why: name === 'osxsave' ? ('cpuid-osxsave' as const) : ('cpuid-leaf-0xd' as const) })),
    ),
  );
  const absent = once(() => Object.freeze(keepSet().diff(now).extra.filter(masked)));
  const security = once(() => Object.freeze(now.securityNames().filter((n) => !kept().has(n) && masked(n))));

  let knobs: Record<string, string> = {};
  let env: Record<string, string | undefined> | undefined;
  let flags: string[] = [];
  if (withKnobs && x86) {
    const raw = runtimeEnv(keepSet(), { relativeTo: now, allowSecurityMasking });
    if (Object.keys(raw).length > 0) {
      try {
        env = mergeRuntimeEnv((envBase ?? process.env) as Record<string, string | undefined>, raw);
      } catch (e) {
        throw about(e as Error, 'env');
      }
      knobs = Object.fromEntries(Object.keys(raw).map((k) => [k, env![k]!]));
    }
    flags = v8Flags(keepSet(), { relativeTo: now, allowSecurityMasking });
  }

  let resolved: 'kernel' | 'ptrace' | undefined;
  const resolvedMode = (): 'kernel' | 'ptrace' => {
    // Without ptrace facts resolveMode never answers null: ptrace mode fails closed with its own error.
    resolved ??= cpuid.length > 0 ? 'ptrace' : (resolveMode(mode, { inheritance: probeInheritance }, 'options.mode') ?? 'ptrace');
    return resolved;
  };
  const cpuidArgs = cpuid.map(cpuidRuleArg);
  const keep = Object.freeze({ ...r.keep });
  const launcherOptions = (extra: LauncherExtras = {}): LauncherOptions => ({
    keep,
    ...(cpuid.length ? { cpuid } : {}),
    mode: resolvedMode(),
    follow,
    allowSecurityMasking,
    noNewPrivs: false,
    ...extra,
  });
  const plan: MaskPlan = {
    arch,
    here: now,
    get keepSet() {
      return keepSet();
    },
    get kept() {
      return kept();
    },
    keep,
    cpuid: Object.freeze(cpuid),
    cpuidArgs: Object.freeze(cpuidArgs),
    mode,
    get resolvedMode() {
      return resolvedMode();
    },
    follow,
    auxvOnly,
    allowSecurityMasking,
    allowBelowBaseline,
    runtimeEnv: Object.freeze(knobs),
    env: env && Object.freeze(env),
    v8Flags: Object.freeze(flags),
    get lost() {
      return lost();
    },
    get absent() {
      return absent();
    },
    get security() {
      return security();
    },
    get unmasked() {
      return unmasked();
    },
    launcherOptions,
    launcherPrefix(extra) {
      const argv = launcherArgv(launcherOptions(extra), '', []);
      return argv.slice(0, argv.lastIndexOf('--'));
    },
    launcherArgv(file, args, extra) {
      return launcherArgv(launcherOptions(extra), file, args);
    },
    toJSON() {
      return {
        arch,
        mode,
        resolvedMode: resolvedMode(),
        follow,
        auxvOnly,
        keep: kept().names(),
        lost: [...lost()],
        absent: [...absent()],
        words: kept().toJSON().words as unknown as Record<string, string>,
        cpuid: [...cpuidArgs],
        unmasked: [...unmasked()],
        runtimeEnv: { ...knobs },
        v8Flags: [...flags],
      };
    },
  };
  PLANS.set(Object.freeze(plan), Object.freeze({ mode, follow, allowSecurityMasking, auxvOnly, runtimeEnv: withKnobs, allowBelowBaseline }));
  return plan;
}
