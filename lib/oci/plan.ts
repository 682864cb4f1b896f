// A policy made into what the container gets: the kept set, the launcher's flags, the runtime
// knobs. The mask itself is the one mask plan's (lib/launcher/plan.ts maskPlan); what is the
// container's own is here: the keep set of a policy (and the node default it narrows), the
// refusal of a node that lacks the baseline, of a security feature dropped, and of CPUID rules
// where CPUID does not fault, all before the real runtime runs.
import { FeatureSet } from '../core/features';
import { BelowBaselineError, maskPlan } from '../launcher/plan';
import { probeCpuidFault } from '../launcher/probes';
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
  let plan;
  try {
    plan = maskPlan(keep, { mode: 'ptrace', follow: true, auxvOnly: p.auxvOnly, allowSecurityMasking: p.allowSecurityMasking, runtimeEnv: p.runtimeEnv, env: {} }, here);
  } catch (e) {
    if (e instanceof BelowBaselineError) {
      throw new OciError('policy', { message: `${p.from}: ${e.message}`, hint: 'keep the x86-64 baseline (dynamic glibc programs stop below it), or set io.hwcap.auxv-only=true', source: p.from });
    }
    throw e;
  }
  if (plan.security.length && !p.allowSecurityMasking) {
    const lost = plan.security;
    throw new OciError('security', {
      message: `${p.from}: masking would drop security feature${lost.length === 1 ? '' : 's'} ${lost.join(' ')}, which protect${lost.length === 1 ? 's' : ''} the container`,
      hint: 'set io.hwcap.allow-security-masking=true if that is what you want',
      source: p.from,
      value: lost.join(','),
      errno: 'EPERM',
    });
  }
  const cpuid = [...plan.cpuidArgs];
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
  const flags = plan.launcherPrefix();
  const env = { ...plan.runtimeEnv };
  const kept = plan.kept;
  const absent = [...plan.absent];
  return { v: 1, launcher, flags, env, keep: kept.names(), absent, cpuid, auxvOnly: p.auxvOnly, allowSecurityMasking: p.allowSecurityMasking, arch: here.arch };
}

/** What the policy requires of the node: the baseline's or the feature list's features (and the node default's). */
function requiredOf(p: Policy, arch: string): { source: string; set: FeatureSet }[] {
  const own = p.baseline ? [p.baseline] : p.features ? [{ source: p.features.source, set: FeatureSet.fromNames(arch, p.features.names) }] : [];
  return [...own, ...(p.floor ? requiredOf(p.floor, arch) : [])];
}
