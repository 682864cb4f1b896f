// runtimeEnv(set): the environment that makes x86-64 runtimes leave alone the features a set
// lacks, for machines without CPUID faulting and as a second layer under it. Pure: the knobs are
// data (tables/runtime-knobs.ts). mergeRuntimeEnv(base, knobs) merges them into an environment
// that may already hold settings of the user's, AND only: it never re-enables a feature.
import { invalidArgType, invalidArgValue } from '../errors';
import { FeatureSet } from './feature-set';
import { table } from './decode';
import { RUNTIME_KNOBS, V8_FLAG_NAMES } from './tables/runtime-knobs';

export interface RuntimeEnvOptions {
  /**
   * Name only what this set has and `set` lacks (say, FeatureSet.current()), for a shorter
   * environment; by default every feature a knob knows and `set` lacks is named.
   */
  relativeTo?: FeatureSet;
  /** Also turn off protections (CET shadow stacks and IBT in glibc); default false. */
  allowSecurityMasking?: boolean;
}

/**
 * The checks runtimeEnv and v8Flags share; off x86-64 undefined, else whether a feature is one
 * to name: `set` lacks it, relativeTo (if given) has it, and it is not a protection unless
 * allowSecurityMasking.
 */
function lacksOf(set: FeatureSet, options: RuntimeEnvOptions): ((name: string) => boolean) | undefined {
  if (!(set instanceof FeatureSet)) throw invalidArgType('set', 'an instance of FeatureSet', set);
  if (typeof options !== 'object' || options === null) throw invalidArgType('options', 'an object', options);
  const { relativeTo, allowSecurityMasking = false } = options;
  if (relativeTo !== undefined && !(relativeTo instanceof FeatureSet)) throw invalidArgType('options.relativeTo', 'an instance of FeatureSet', relativeTo);
  if (typeof allowSecurityMasking !== 'boolean') throw invalidArgType('options.allowSecurityMasking', 'of type boolean', allowSecurityMasking);
  if (relativeTo !== undefined && relativeTo.arch !== set.arch) throw invalidArgType('options.relativeTo', `a ${set.arch} FeatureSet`, relativeTo);
  if (set.arch !== 'x86_64') return undefined;
  const t = table(set.arch);
  return (name: string): boolean => {
    if (set.has(name)) return false;
    if (relativeTo && !relativeTo.has(name)) return false;
    return allowSecurityMasking || t.byName.get(name)?.security !== true;
  };
}

/**
 * GLIBC_TUNABLES, OPENSSL_ia32cap, GODEBUG, DOTNET_Enable* and NPY_DISABLE_CPU_FEATURES for the
 * features `set` lacks. Empty off x86-64 (those runtimes read the auxv there). Variables that
 * may already hold other settings (GLIBC_TUNABLES, GODEBUG …): merge with mergeRuntimeEnv.
 */
export function runtimeEnv(set: FeatureSet, options: RuntimeEnvOptions = {}): Record<string, string> {
  const lacks = lacksOf(set, options);
  if (!lacks) return {};
  const env: Record<string, string> = {};
  for (const knob of RUNTIME_KNOBS) {
    const off = [...new Set(Object.entries(knob.names).filter(([n]) => lacks(n)).flatMap(([, v]) => v))];
    if (off.length === 0) continue;
    switch (knob.runtime) {
      case 'glibc':
        env.GLIBC_TUNABLES = `glibc.cpu.hwcaps=${off.map((n) => `-${n}`).join(',')}`;
        break;
      case 'openssl': {
        const v = [0n, 0n];
        for (const p of off) {
          const [word, bit] = p.split(':');
          v[word === 'v1' ? 0 : 1] = (v[word === 'v1' ? 0 : 1] ?? 0n) | (1n << BigInt(bit ?? 0));
        }
        env.OPENSSL_ia32cap = `~0x${(v[0] ?? 0n).toString(16)}:~0x${(v[1] ?? 0n).toString(16)}`;
        break;
      }
      case 'go':
        env.GODEBUG = off.map((n) => `cpu.${n}=off`).join(',');
        break;
      case 'dotnet':
        for (const n of off) env[`DOTNET_${n}`] = '0';
        break;
      case 'numpy':
        env.NPY_DISABLE_CPU_FEATURES = off.join(' ');
        break;
    }
  }
  return env;
}

/**
 * V8's command-line flags for the features `set` lacks: `--no-enable-avx2` and the like
 * (tables/runtime-knobs.ts V8_FLAG_NAMES), in V8's order, for node's command line before the
 * script (NODE_OPTIONS refuses them). Same options as runtimeEnv; empty off x86-64 (V8 reads the
 * auxv or its own probes there). V8 takes the last setting of a flag: put these after any of the
 * user's, or a user's `--enable-X` is overridden rather than the other way round.
 */
export function v8Flags(set: FeatureSet, options: RuntimeEnvOptions = {}): string[] {
  const lacks = lacksOf(set, options);
  if (!lacks) return [];
  const off = new Set<string>();
  for (const [name, flags] of Object.entries(V8_FLAG_NAMES)) {
    if (lacks(name)) for (const f of flags) off.add(f);
  }
  // V8's order (the table's values), not the order features were found in.
  const order = [...new Set(Object.values(V8_FLAG_NAMES).flat())];
  return order.filter((f) => off.has(f)).map((f) => `--no-enable-${f}`);
}

type Env = Record<string, string | undefined>;

const HWCAPS_TUNABLE = 'glibc.cpu.hwcaps';
const U64 = (1n << 64n) - 1n;

/** One OpenSSL_ia32cap vector as the user wrote it: absent (the detected one), `~X` (detected & ~X) or bare `X` (X). */
type Vector = { kind: 'absent' } | { kind: 'clear' | 'set'; value: bigint };

/**
 * OPENSSL_ia32cap as OpenSSL reads it (crypto/cpuid.c OPENSSL_cpuid_setup, OpenSSL 1.1.1 to 3.x,
 * read at openssl/openssl): `[~]A[:[~]B]`, each number decimal, 0-octal or 0x-hex as its
 * ossl_strtouint64 takes them. An empty first part (`:B`) keeps the detected first vector; a
 * missing second part (no `:`) sets the second vector to 0. OpenSSL stops at the first
 * character it does not expect; here such a value (or one over 64 bits, or an empty one) is refused.
 */
function parseIa32cap(v: string, name: string): [Vector, Vector | undefined] {
  const m = /^(?:(~?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*))?(?::(~?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*))?$/.exec(v);
  if (!m || v === '' || (m[2] === undefined && m[4] === undefined)) {
    throw invalidArgValue(name, "is not an OPENSSL_ia32cap value OpenSSL reads as intended ('[~]0xHEX[:[~]0xHEX]')", v);
  }
  const num = (s: string): bigint => {
    const n = /^0[0-7]+$/.test(s) ? BigInt(`0o${s.slice(1)}`) : BigInt(s.toLowerCase());
    if (n > U64) throw invalidArgValue(name, 'holds a number over 64 bits', v);
    return n;
  };
  const first: Vector = m[2] === undefined ? { kind: 'absent' } : { kind: m[1] ? 'clear' : 'set', value: num(m[2]) };
  const second: Vector | undefined = m[4] === undefined ? undefined : { kind: m[3] ? 'clear' : 'set', value: num(m[4]) };
  return [first, second];
}

/** One vector of the user's ANDed with ours (`~Y`): `~(X|Y)` for `~X`, `X & ~Y` for a bare `X`, `~Y` for absent. */
function mergeVector(user: Vector, off: bigint): string {
  const hex = (n: bigint) => `0x${n.toString(16)}`;
  if (user.kind === 'absent') return `~${hex(off)}`;
  if (user.kind === 'clear') return `~${hex(user.value | off)}`;
  return hex(user.value & ~off & U64);
}

function mergeIa32cap(user: string | undefined, ours: string): string {
  const [o1, o2] = parseIa32cap(ours, 'knobs.OPENSSL_ia32cap');
  if (o1.kind !== 'clear' || o2?.kind !== 'clear') throw invalidArgValue('knobs.OPENSSL_ia32cap', "is not runtimeEnv's '~0xA:~0xB'", ours);
  if (user === undefined) return ours;
  const [u1, u2] = parseIa32cap(user, 'OPENSSL_ia32cap');
  // No second part: OpenSSL sets the second vector to 0, and 0 it stays.
  return `${mergeVector(u1, o1.value)}:${mergeVector(u2 ?? { kind: 'set', value: 0n }, o2.value)}`;
}

function mergeTunables(user: string, ours: string): string {
  const prefix = `${HWCAPS_TUNABLE}=`;
  if (!ours.startsWith(prefix) || ours.includes(':')) throw invalidArgValue('knobs.GLIBC_TUNABLES', `is not runtimeEnv's '${prefix}-NAME,…'`, ours);
  const items = ours.slice(prefix.length);
  const entries = user === '' ? [] : user.split(':');
  // glibc takes the last assignment of a tunable: add ours to that one, not a new entry after it.
  let last = -1;
  entries.forEach((e, i) => {
    if (e.startsWith(prefix)) last = i;
  });
  if (last < 0) return [...entries, ours].join(':');
  const list = entries[last]!.slice(prefix.length);
  entries[last] = `${prefix}${list === '' ? items : `${list},${items}`}`;
  return entries.join(':');
}

/**
 * `base` (an environment, say process.env) with runtimeEnv's knobs merged in, AND only: each
 * variable keeps the user's settings and only ever turns more features off.
 * - GLIBC_TUNABLES: our `-NAME` items join the user's last glibc.cpu.hwcaps entry (glibc takes
 *   the last assignment), or our entry is appended; every other tunable stays.
 * - GODEBUG: ours after the user's (Go's internal/cpu: a later setting wins, so `cpu.X=off` holds).
 * - OPENSSL_ia32cap: per vector, `~X` becomes `~(X|Y)`, a bare `X` becomes `X & ~Y`, an absent
 *   first part `~Y`; a value OpenSSL would misread is a RangeError naming it.
 * - DOTNET_*: ours (`0`) replaces the user's.
 * - NPY_DISABLE_CPU_FEATURES: the union of the user's names and ours.
 * Returns a new object; `base` is not changed.
 */
export function mergeRuntimeEnv(base: Env, knobs: Readonly<Record<string, string>>): Env {
  if (typeof base !== 'object' || base === null || Array.isArray(base)) throw invalidArgType('base', 'of type object', base);
  if (typeof knobs !== 'object' || knobs === null || Array.isArray(knobs)) throw invalidArgType('knobs', 'of type object', knobs);
  for (const [k, v] of Object.entries(base)) {
    if (v !== undefined && typeof v !== 'string') throw invalidArgType(`base.${k}`, 'of type string', v);
  }
  const env: Env = { ...base };
  for (const [k, v] of Object.entries(knobs)) {
    if (typeof v !== 'string') throw invalidArgType(`knobs.${k}`, 'of type string', v);
    const user = base[k];
    switch (k) {
      case 'GLIBC_TUNABLES':
        env[k] = mergeTunables(user ?? '', v);
        break;
      case 'GODEBUG':
        if (v === '') throw invalidArgValue(`knobs.${k}`, 'is empty', v);
        env[k] = user === undefined || user === '' ? v : `${user},${v}`;
        break;
      case 'OPENSSL_ia32cap':
        env[k] = mergeIa32cap(user, v);
        break;
      case 'NPY_DISABLE_CPU_FEATURES': {
        const names = [...(user ?? '').split(/[\s,]+/), ...v.split(/[\s,]+/)].filter(Boolean);
        env[k] = [...new Set(names)].join(' ');
        break;
      }
      default:
        if (!/^DOTNET_Enable[A-Za-z0-9_]+$/.test(k)) throw invalidArgValue(`knobs.${k}`, 'is not a variable runtimeEnv sets', k);
        if (v !== '0') throw invalidArgValue(`knobs.${k}`, "must be '0' (runtimeEnv only turns features off)", v);
        env[k] = v;
    }
  }
  return env;
}
