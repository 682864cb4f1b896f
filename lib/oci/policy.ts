// The mask policy of a container: from its bundle's annotations (io.hwcap.*), from the node's
// default policy file (a RuntimeClass handler names only a binary, so the node says what its
// containers keep), or both. Validation only: what the policy becomes is plan.ts's.
//
// Each value means what `hwcap exec`'s option of the same name means (lib/cli/verbs/exec.ts):
//   io.hwcap.baseline                 a FeatureSet or node report: a path on the host, or inline JSON
//   io.hwcap.features                 keep only these (comma or space separated)
//   io.hwcap.drop                     drop these from the keep set
//   io.hwcap.auxv-only                "true": mask the auxv words only (x86-64: CPUID stays the CPU's)
//   io.hwcap.runtime-env              "true": merge the runtime knobs into process.env
//   io.hwcap.allow-security-masking   "true": allow dropping security features
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FeatureSet, firstUnknownName, hostArch } from '../core/features';
import { NODE_REPORT_SCHEMA, parseReport, reportFeatures } from '../core/report';
import { errnoOf, HwcapError } from '../errors';

export const ANNOTATION = {
  baseline: 'io.hwcap.baseline',
  features: 'io.hwcap.features',
  drop: 'io.hwcap.drop',
  auxvOnly: 'io.hwcap.auxv-only',
  runtimeEnv: 'io.hwcap.runtime-env',
  allowSecurityMasking: 'io.hwcap.allow-security-masking',
} as const;

/** The annotation the bundle edit writes: the mask applied (MaskRecord, JSON), for exec, checkpoint and restore. */
export const MASK_ANNOTATION = 'io.hwcap.mask';

/** The node's default policy file when HWCAP_RUNTIME_CONFIG does not name one. */
export const DEFAULT_CONFIG = '/etc/hwcap/runtime.json';
export const CONFIG_SCHEMA = 'hwcap.runtime-config/1';

export type OciErrorReason = 'policy' | 'config' | 'node-lacks' | 'security' | 'cpuid-fault' | 'bundle' | 'usage' | 'checkpoint' | 'restore' | 'adopt';

/**
 * A container hwcap-runtime refuses: an errno-shaped HwcapError whose `source` names the
 * annotation or file and `value` the bad value. Thrown before the real runtime runs.
 */
export class OciError extends HwcapError {
  readonly reason: OciErrorReason;
  readonly source?: string;
  readonly value?: string;
  constructor(reason: OciErrorReason, init: { message: string; hint?: string; source?: string; value?: string; errno?: string; syscall?: string }) {
    super({ errno: errnoOf(init.errno ?? 'EINVAL'), syscall: init.syscall ?? 'hwcap-runtime', message: init.message, ...(init.hint ? { hint: init.hint } : {}) });
    this.name = 'OciError';
    this.reason = reason;
    if (init.source !== undefined) this.source = init.source;
    if (init.value !== undefined) this.value = init.value;
  }
}

/** One container's policy, validated: the keep set's parts, as `hwcap exec` takes them. */
export interface Policy {
  /** Where it came from: 'annotations', the node file, or both ('annotations + FILE'). */
  from: string;
  baseline?: { source: string; set: FeatureSet };
  features?: { source: string; names: string[] };
  drop?: { source: string; names: string[] };
  auxvOnly: boolean;
  runtimeEnv: boolean;
  allowSecurityMasking: boolean;
  /** A node default that the annotations narrowed: its keep set (the annotations' keep set is ANDed with it). */
  floor?: Policy;
}

/** The node's configuration: the real runtime, the default policy, where the launcher is mounted. */
export interface NodeConfig {
  file: string;
  /** The OCI runtime to delegate to (a path, or a name on PATH); default runc. */
  runtime?: string;
  policy?: Policy;
  /** Where the launcher is bind-mounted in the container; default /.hwcap-exec. */
  launcherPath?: string;
}

const shown = (v: string): string => (v.length > 120 ? `${JSON.stringify(v.slice(0, 117))}…` : JSON.stringify(v));

function bad(source: string, value: string, why: string, hint?: string): OciError {
  return new OciError('policy', { message: `${source}=${shown(value)}: ${why}`, source, value, ...(hint ? { hint } : {}) });
}

function boolValue(source: string, v: unknown): boolean {
  if (v === undefined) return false;
  if (v === true || v === 'true') return true;
  if (v === false || v === 'false') return false;
  throw bad(source, String(v), "must be 'true' or 'false'");
}

function namesValue(source: string, v: unknown, arch: string): string[] {
  const list = Array.isArray(v) ? v : typeof v === 'string' ? v.split(/[\s,]+/) : undefined;
  if (!list || list.some((n) => typeof n !== 'string')) throw bad(source, JSON.stringify(v), 'must be a list of feature names (comma-separated)');
  const names = (list as string[]).filter((n) => n !== '');
  if (names.length === 0) throw bad(source, String(v), 'names no feature');
  const u = firstUnknownName(arch, names);
  if (u) {
    const near = u.near.length ? `; did you mean ${u.near.map((x) => `'${x}'`).join(' or ')}?` : '';
    throw bad(source, String(v), `unknown feature '${u.name}' on ${arch}${near}`, "'hwcap show --all' lists the feature names");
  }
  return names;
}

/** A baseline: inline JSON (a value that starts with '{') or an absolute path on the host. */
function baselineValue(source: string, v: unknown, arch: string, relativeTo?: string): { source: string; set: FeatureSet } {
  if (typeof v !== 'string' || v.trim() === '') throw bad(source, String(v), 'must be a feature set or node report: inline JSON or a path on the host');
  let text = v;
  let where = source;
  if (!v.trimStart().startsWith('{')) {
    const file = relativeTo && !path.isAbsolute(v) ? path.resolve(relativeTo, v) : v;
    if (!path.isAbsolute(file)) throw bad(source, v, 'a baseline path must be absolute (it is read on the host, not in the container)');
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (e) {
      throw bad(source, v, `cannot read it: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    where = `${source} (${file})`;
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw bad(source, v, `not JSON: ${(e as Error).message}`, "write baselines with 'hwcap baseline' and node reports with 'hwcap report'");
  }
  let set: FeatureSet;
  try {
    const schema = typeof doc === 'object' && doc !== null ? (doc as { schema?: unknown }).schema : undefined;
    set = typeof schema === 'string' && schema.startsWith(`${NODE_REPORT_SCHEMA.split('/')[0]}/`) ? reportFeatures(parseReport(doc)) : FeatureSet.fromJSON(doc as object);
  } catch (e) {
    throw bad(source, v, `not a hwcap feature set or node report: ${(e as Error).message}`, "write baselines with 'hwcap baseline' and node reports with 'hwcap report'");
  }
  if (set.arch !== arch) throw bad(source, v, `the baseline is for ${set.arch}; this node is ${arch}`, 'give a baseline of this architecture');
  return { source: where, set };
}

type Raw = Partial<Record<keyof typeof ANNOTATION, unknown>>;

function policyOf(raw: Raw, names: Record<keyof typeof ANNOTATION, string>, from: string, arch: string, relativeTo?: string): Policy | undefined {
  if (Object.values(raw).every((v) => v === undefined)) return undefined;
  const p: Policy = {
    from,
    auxvOnly: boolValue(names.auxvOnly, raw.auxvOnly),
    runtimeEnv: boolValue(names.runtimeEnv, raw.runtimeEnv),
    allowSecurityMasking: boolValue(names.allowSecurityMasking, raw.allowSecurityMasking),
  };
  if (raw.baseline !== undefined && raw.features !== undefined) {
    throw new OciError('policy', { message: `${names.baseline} and ${names.features} both given: give one`, source: names.features, value: String(raw.features) });
  }
  if (raw.baseline !== undefined) p.baseline = baselineValue(names.baseline, raw.baseline, arch, relativeTo);
  if (raw.features !== undefined) p.features = { source: names.features, names: namesValue(names.features, raw.features, arch) };
  if (raw.drop !== undefined) p.drop = { source: names.drop, names: namesValue(names.drop, raw.drop, arch) };
  if (!p.baseline && !p.features && !p.drop) {
    throw new OciError('policy', {
      message: `${from}: ${Object.entries(raw).filter(([, v]) => v !== undefined).map(([k]) => names[k as keyof typeof ANNOTATION]).join(', ')} without a keep set: nothing to mask`,
      hint: `give ${names.baseline}, ${names.features} or ${names.drop}`,
      source: from,
    });
  }
  return p;
}

/**
 * The policy the annotations give, or undefined when they hold no io.hwcap.* key. An unknown
 * io.hwcap.* key (a typo would mask nothing) and every bad value is an OciError naming it.
 */
export function policyFromAnnotations(annotations: Readonly<Record<string, unknown>> | undefined, arch: string = hostArch()): Policy | undefined {
  if (!annotations) return undefined;
  const known = new Set<string>([...Object.values(ANNOTATION), MASK_ANNOTATION]);
  for (const k of Object.keys(annotations)) {
    if (k.startsWith('io.hwcap.') && !known.has(k)) {
      throw new OciError('policy', { message: `unknown annotation ${k}`, hint: `the annotations are ${Object.values(ANNOTATION).join(', ')}`, source: k, value: String(annotations[k]) });
    }
  }
  const raw: Raw = {};
  for (const [k, a] of Object.entries(ANNOTATION) as [keyof typeof ANNOTATION, string][]) raw[k] = annotations[a];
  return policyOf(raw, ANNOTATION, 'annotations', arch);
}

const CONFIG_KEYS = { baseline: 'baseline', features: 'features', drop: 'drop', auxvOnly: 'auxv-only', runtimeEnv: 'runtime-env', allowSecurityMasking: 'allow-security-masking' } as const;

/**
 * The node's configuration file, `{"schema": "hwcap.runtime-config/1", "runtime": "/usr/sbin/runc",
 * "launcherPath": "/.hwcap-exec", "policy": {"baseline": "/etc/hwcap/b.json", "drop": "avx512f", …}}`;
 * the policy keys are the annotations' without "io.hwcap.". Undefined when the file does not exist
 * and was not named explicitly.
 */
export function readNodeConfig(file: string, required: boolean, arch: string = hostArch()): NodeConfig | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && !required) return undefined;
    throw new OciError('config', { message: `node policy ${file}: cannot read it: ${code ?? (e as Error).message}`, source: file, errno: code === 'ENOENT' ? 'ENOENT' : 'EINVAL' });
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new OciError('config', { message: `node policy ${file}: not JSON: ${(e as Error).message}`, source: file });
  }
  const fail = (why: string) => new OciError('config', { message: `node policy ${file}: ${why}`, source: file, hint: `see docs/containers.md: {"schema": "${CONFIG_SCHEMA}", "runtime": ..., "policy": {...}}` });
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw fail('must be a JSON object');
  const o = doc as Record<string, unknown>;
  if (o.schema !== CONFIG_SCHEMA) throw fail(`"schema" must be "${CONFIG_SCHEMA}", not ${JSON.stringify(o.schema)}`);
  for (const k of Object.keys(o)) if (!['schema', 'runtime', 'policy', 'launcherPath'].includes(k)) throw fail(`unknown key "${k}"`);
  const out: NodeConfig = { file };
  if (o.runtime !== undefined) {
    if (typeof o.runtime !== 'string' || o.runtime === '') throw fail('"runtime" must be a path or a command name');
    out.runtime = o.runtime;
  }
  if (o.launcherPath !== undefined) {
    if (typeof o.launcherPath !== 'string' || !/^\/[^\0]+$/.test(o.launcherPath) || o.launcherPath.split('/').includes('..')) throw fail('"launcherPath" must be an absolute path in the container');
    out.launcherPath = o.launcherPath;
  }
  if (o.policy !== undefined) {
    if (typeof o.policy !== 'object' || o.policy === null || Array.isArray(o.policy)) throw fail('"policy" must be an object');
    const pol = o.policy as Record<string, unknown>;
    const keys = Object.values(CONFIG_KEYS) as string[];
    for (const k of Object.keys(pol)) if (!keys.includes(k)) throw fail(`unknown policy key "${k}"; the keys are ${keys.join(', ')}`);
    const raw: Raw = {};
    const names = {} as Record<keyof typeof ANNOTATION, string>;
    for (const [k, c] of Object.entries(CONFIG_KEYS) as [keyof typeof ANNOTATION, string][]) {
      raw[k] = pol[c];
      names[k] = `${file}: policy.${c}`;
    }
    const p = policyOf(raw, names, file, arch, path.dirname(file));
    if (p) out.policy = p;
  }
  return out;
}

/**
 * The policy of one container: the annotations', the node's default, or, with both, the
 * annotations' keep set ANDed with the node's (a pod can narrow the node's mask, never widen it).
 */
export function decidePolicy(annotations: Readonly<Record<string, unknown>> | undefined, node: NodeConfig | undefined, arch: string = hostArch()): Policy | undefined {
  const own = policyFromAnnotations(annotations, arch);
  const dflt = node?.policy;
  if (own && dflt) return { ...own, from: `annotations + ${dflt.from}`, floor: dflt, auxvOnly: own.auxvOnly && dflt.auxvOnly };
  return own ?? dflt;
}
