// runtimeEnv(set): the environment that makes x86-64 runtimes leave alone the features a set
// lacks, for machines without CPUID faulting and as a second layer under it. Pure: the knobs are
// data (tables/runtime-knobs.ts); the caller merges the result into its environment.
import { invalidArgType } from '../errors';
import { FeatureSet } from './feature-set';
import { table } from './decode';
import { RUNTIME_KNOBS } from './tables/runtime-knobs';

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
 * GLIBC_TUNABLES, OPENSSL_ia32cap, GODEBUG, DOTNET_Enable* and NPY_DISABLE_CPU_FEATURES for the
 * features `set` lacks. Empty off x86-64 (those runtimes read the auxv there). Variables that
 * already hold other settings (GLIBC_TUNABLES, GODEBUG) must be merged by the caller.
 */
export function runtimeEnv(set: FeatureSet, options: RuntimeEnvOptions = {}): Record<string, string> {
  if (!(set instanceof FeatureSet)) throw invalidArgType('set', 'an instance of FeatureSet', set);
  if (typeof options !== 'object' || options === null) throw invalidArgType('options', 'an object', options);
  const { relativeTo, allowSecurityMasking = false } = options;
  if (relativeTo !== undefined && !(relativeTo instanceof FeatureSet)) throw invalidArgType('options.relativeTo', 'an instance of FeatureSet', relativeTo);
  if (typeof allowSecurityMasking !== 'boolean') throw invalidArgType('options.allowSecurityMasking', 'of type boolean', allowSecurityMasking);
  if (relativeTo !== undefined && relativeTo.arch !== set.arch) throw invalidArgType('options.relativeTo', `a ${set.arch} FeatureSet`, relativeTo);
  if (set.arch !== 'x86_64') return {};
  const t = table(set.arch);
  const lacks = (name: string): boolean => {
    if (set.has(name)) return false;
    if (relativeTo && !relativeTo.has(name)) return false;
    return allowSecurityMasking || t.byName.get(name)?.security !== true;
  };
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
