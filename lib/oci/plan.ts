// A policy made into what the container gets: the kept set, the launcher's flags, the runtime
// knobs. The one place the OCI side derives a mask; it takes hwcap exec's rules
// (lib/cli/verbs/exec.ts: maskable names, the security refusal) and the spawn family's
// (lib/spawn/options.ts resolveHwcapOptions: the keep words, the CPUID rules, the mode).
import { FeatureSet, catalog, runtimeEnv } from '../core/features';
import { probeCpuidFault } from '../launcher/probes';
import { cpuidRuleArg } from '../launcher/cpuid';
import { launcherArgv } from '../launcher/argv';
import { resolveHwcapOptions } from '../spawn/options';
import { OciError, type Policy } from './policy';

/** The mask applied to a container, as the bundle edit records it (annotation io.hwcap.mask). */
export interface MaskRecord {
  v: 1;
  /** Where the launcher is in the container. */
  launcher: string;
  /** The launcher's flags, up to and without `--`. */
  flags: string[];
  /** The runtime knobs merged into the environment ({} without runtime-env). */
  env: Record<string, string>;
  /** The features the container keeps (and so needs on a node it is restored on). */
  keep: string[];
  /** The keep set's features this node lacks (never kept). */
  absent: string[];
  /** The CPUID rules (x86-64), in --cpuid syntax; empty: CPUID not masked. */
  cpuid: string[];
  auxvOnly: boolean;
  allowSecurityMasking: boolean;
  arch: string;
}

/** What the launcher can hide (exec.ts maskableNames): every word but CPUID leaf 0xD's; with auxv-only, the auxv words. */
function maskable(arch: string, auxvOnly: boolean): (name: string) => boolean {
  const rows = catalog(arch);
  const fixed = new Set(rows.filter((r) => r.word === 'CPUID.D.1:EAX').map((r) => r.name));
  const inAuxv = new Set(rows.filter((r) => r.word.startsWith('AT_HWCAP') || r.also?.word.startsWith('AT_HWCAP')).map((r) => r.name));
  if (auxvOnly) return (name) => inAuxv.has(name) || /@AT_HWCAP\d?$/.test(name);
  return (name) => !fixed.has(name) && !name.endsWith('@CPUID.D.1:EAX');
}

function keepSetOf(p: Policy, here: FeatureSet): FeatureSet {
  let keep = p.baseline ? p.baseline.set : p.features ? FeatureSet.fromNames(here.arch, p.features.names) : here;
  if (p.drop) keep = keep.without(p.drop.names);
  if (p.floor) keep = keep.intersect(keepSetOf(p.floor, here));
  return keep;
}

/**
 * The mask of a container on this node: refused (OciError) where this node lacks a feature the
 * policy requires, where it would drop a security feature without allow-security-masking, and
 * where it masks CPUID on a node whose CPUID does not fault.
 */
export function containerMask(p: Policy, launcher: string, here: FeatureSet = FeatureSet.current('process')): MaskRecord {
  const keep = keepSetOf(p, here);
  for (const r of requiredOf(p, here.arch)) {
    const lacks = r.set.diff(here).extra.filter((n) => !n.includes('@'));
    if (lacks.length) {
      throw new OciError('node-lacks', {
        message: `this node lacks ${lacks.join(' ')} of ${r.source}: the container would find ${lacks.length === 1 ? 'it' : 'them'} missing (SIGILL)`,
        hint: 'run it on a node that has the baseline (hwcap check --baseline FILE), or lower the baseline',
        source: r.source,
        value: lacks.join(','),
        errno: 'ENOTSUP',
      });
    }
  }
  const masked = maskable(here.arch, p.auxvOnly);
  const lost = here.securityNames().filter((n) => !keep.has(n) && masked(n));
  if (lost.length && !p.allowSecurityMasking) {
    throw new OciError('security', {
      message: `${p.from}: masking would drop security feature${lost.length === 1 ? '' : 's'} ${lost.join(' ')}, which protect${lost.length === 1 ? 's' : ''} the container`,
      hint: 'set io.hwcap.allow-security-masking=true if that is what you want',
      source: p.from,
      value: lost.join(','),
      errno: 'EPERM',
    });
  }
  const kept = keep.intersect(here);
  const absent = keep.diff(here).extra.filter(masked);
  const resolved = resolveHwcapOptions({ hwcaps: keep, auxvOnly: p.auxvOnly, allowSecurityMasking: p.allowSecurityMasking, follow: true, mode: 'ptrace' });
  if (!resolved) throw new Error('unreachable: hwcaps given');
  const cpuid = (resolved.cpuid ?? []).map(cpuidRuleArg);
  if (cpuid.length) {
    const f = probeCpuidFault();
    if (!f.ok) {
      throw new OciError('cpuid-fault', {
        message: `${p.from}: the mask removes CPUID features, and CPUID faulting does not work on this node (${f.reason})`,
        hint: 'set io.hwcap.auxv-only=true (and io.hwcap.runtime-env=true) to mask the auxv words alone, or run it on a node with CPUID faulting',
        source: p.from,
        errno: f.code === 'EOPNOTSUPP' ? 'EOPNOTSUPP' : 'ENODEV',
      });
    }
  }
  const flags = launcherArgv({ ...resolved, noNewPrivs: false }, '', []).slice(0, -2);
  const env = p.runtimeEnv ? runtimeEnv(keep, { relativeTo: here, allowSecurityMasking: p.allowSecurityMasking }) : {};
  return { v: 1, launcher, flags, env, keep: kept.names(), absent, cpuid, auxvOnly: p.auxvOnly, allowSecurityMasking: p.allowSecurityMasking, arch: here.arch };
}

/** What the policy requires of the node: the baseline's or the feature list's features (and the node default's). */
function requiredOf(p: Policy, arch: string): { source: string; set: FeatureSet }[] {
  const own = p.baseline ? [p.baseline] : p.features ? [{ source: p.features.source, set: FeatureSet.fromNames(arch, p.features.names) }] : [];
  return [...own, ...(p.floor ? requiredOf(p.floor, arch) : [])];
}
