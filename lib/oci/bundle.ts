// The edit of an OCI bundle (config.json) that masks a container, and of a process spec for
// exec: what hwcap-runtime does on create, run and exec, and what a launcher written in
// TypeScript can call itself.
//
// The container gets (docs/containers.md):
//   - the static launcher, bind-mounted read-only at MaskRecord.launcher, in front of
//     process.args: it execs the workload, which stays pid 1 with its argv, env, cwd, user and
//     rlimits, and its helper (a second process, comm hwcap-exec-helper) follows the tree;
//   - /proc/cpuinfo: a read-only bind mount of the host's text with the feature line filtered;
//   - with runtime-env, the runtime knobs merged into process.env (AND only: mergeRuntimeEnv);
//   - the annotation io.hwcap.mask: the mask applied (MaskRecord), for exec, checkpoint, restore.
// Without a policy, nothing is written: config.json stays byte for byte as it was.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FeatureSet, hostArch, mergeRuntimeEnv } from '../core/features';
import { launcherPath } from '../launcher/paths';
import { filterCpuinfo } from './cpuinfo';
import { containerMask, type MaskRecord } from './plan';
import { decidePolicy, MASK_ANNOTATION, OciError, type NodeConfig, type Policy } from './policy';

export type { MaskRecord };

/** Where the launcher is mounted in the container unless the node's configuration says otherwise. */
export const DEFAULT_LAUNCHER_PATH = '/.hwcap-exec';
/** The filtered cpuinfo, written into the bundle directory (the engine removes it with the bundle). */
export const CPUINFO_FILE = 'hwcap-cpuinfo';

/** The parts of an OCI process spec the edit touches (runtime-spec config.md "process"). */
export interface ProcessSpec {
  args?: string[];
  env?: string[];
  [k: string]: unknown;
}

interface Mount {
  destination: string;
  type?: string;
  source?: string;
  options?: string[];
}

/** The parts of config.json the edit touches. */
export interface OciConfig {
  process?: ProcessSpec;
  mounts?: Mount[];
  annotations?: Record<string, string>;
  [k: string]: unknown;
}

export interface EditOptions {
  /** The node's configuration (its default policy, the launcher's path in the container). */
  node?: NodeConfig;
  /** The launcher on the host to mount; default launcherPath(). */
  launcher?: string;
  /** The host's /proc/cpuinfo text; default read from /proc/cpuinfo. */
  cpuinfo?: string;
  /** This node's features; default FeatureSet.current(). */
  here?: FeatureSet;
}

export interface EditResult {
  /** False: no policy, nothing written. */
  masked: boolean;
  policy?: Policy;
  mask?: MaskRecord;
}

function envRecord(env: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const kv of env) {
    const i = kv.indexOf('=');
    if (i > 0) out[kv.slice(0, i)] = kv.slice(i + 1);
  }
  return out;
}

/** process.env (an array of K=V) with the knobs merged AND only; the order kept, new names appended. */
export function mergeEnvList(env: readonly string[] | undefined, knobs: Readonly<Record<string, string>>, source = 'process.env'): string[] {
  const list = [...(env ?? [])];
  if (Object.keys(knobs).length === 0) return list;
  let merged: Record<string, string | undefined>;
  try {
    merged = mergeRuntimeEnv(envRecord(list), knobs);
  } catch (e) {
    throw new OciError('policy', { message: `io.hwcap.runtime-env: ${source}: ${(e as Error).message}`, hint: 'fix or unset that variable', source: 'io.hwcap.runtime-env' });
  }
  const seen = new Set<string>();
  const out = list.map((kv) => {
    const k = kv.slice(0, Math.max(0, kv.indexOf('=')));
    if (k in knobs) {
      seen.add(k);
      return `${k}=${merged[k]!}`;
    }
    return kv;
  });
  for (const k of Object.keys(knobs)) if (!seen.has(k)) out.push(`${k}=${merged[k]!}`);
  return out;
}

/** The command as the launcher runs it: the launcher, its flags, `--`, then the command itself. */
export function maskedArgs(mask: MaskRecord, args: readonly string[]): string[] {
  return [mask.launcher, ...mask.flags, '--', ...args];
}

/** A process spec (config.json's process, or runc exec --process FILE's) masked as the container is. */
export function editProcess(spec: ProcessSpec, mask: MaskRecord): ProcessSpec {
  const args = spec.args;
  if (!Array.isArray(args) || args.length === 0 || args.some((a) => typeof a !== 'string')) {
    throw new OciError('bundle', { message: 'process.args must be a non-empty array of strings', source: 'process.args' });
  }
  if (spec.env !== undefined && (!Array.isArray(spec.env) || spec.env.some((e) => typeof e !== 'string'))) {
    throw new OciError('bundle', { message: 'process.env must be an array of strings', source: 'process.env' });
  }
  return { ...spec, args: maskedArgs(mask, args), env: mergeEnvList(spec.env, mask.env) };
}

/** The mask a config.json records (annotation io.hwcap.mask), or undefined; a malformed record is an error. */
export function maskOf(annotations: Readonly<Record<string, unknown>> | undefined): MaskRecord | undefined {
  const v = annotations?.[MASK_ANNOTATION];
  if (v === undefined) return undefined;
  let r: MaskRecord;
  try {
    r = JSON.parse(String(v)) as MaskRecord;
  } catch (e) {
    throw new OciError('bundle', { message: `${MASK_ANNOTATION}: not JSON: ${(e as Error).message}`, source: MASK_ANNOTATION });
  }
  const strings = (a: unknown) => Array.isArray(a) && a.every((x) => typeof x === 'string');
  if (r?.v !== 1 || typeof r.launcher !== 'string' || !r.launcher.startsWith('/') || !strings(r.flags) || !strings(r.keep) || !strings(r.cpuid) || typeof r.env !== 'object' || r.env === null) {
    throw new OciError('bundle', { message: `${MASK_ANNOTATION}: not a mask record of this hwcap (v 1)`, source: MASK_ANNOTATION });
  }
  return r;
}

/**
 * config.json (parsed) masked by the policy: a new object, the argument untouched. Throws an
 * OciError for a bad policy or a node that lacks the baseline. `undefined` without a policy.
 */
export function editConfig(config: OciConfig, options: EditOptions & { cpuinfoSource: string }): { config: OciConfig; mask: MaskRecord; policy: Policy; cpuinfo: string } | undefined {
  const arch = options.here?.arch ?? hostArch();
  const policy = decidePolicy(config.annotations, options.node, arch);
  if (!policy) return undefined;
  if (typeof config.process !== 'object' || config.process === null) throw new OciError('bundle', { message: 'config.json has no process', source: 'process' });
  const base = unedit(config);
  const launcher = options.node?.launcherPath ?? DEFAULT_LAUNCHER_PATH;
  const mask = containerMask(policy, launcher, options.here);
  const text = options.cpuinfo ?? fs.readFileSync('/proc/cpuinfo', 'utf8');
  const mounts = (base.mounts ?? []).filter((m) => m.destination !== '/proc/cpuinfo' && m.destination !== launcher);
  mounts.push({ destination: launcher, type: 'bind', source: options.launcher ?? fs.realpathSync(launcherPath()), options: ['bind', 'ro', 'nosuid', 'nodev'] });
  mounts.push({ destination: '/proc/cpuinfo', type: 'bind', source: options.cpuinfoSource, options: ['bind', 'ro', 'nosuid', 'nodev', 'noexec'] });
  return {
    config: { ...base, process: editProcess(base.process!, mask), mounts, annotations: { ...(base.annotations ?? {}), [MASK_ANNOTATION]: JSON.stringify(mask) } },
    mask,
    policy,
    cpuinfo: filterCpuinfo(text, mask.arch, mask.keep),
  };
}

/** A config.json that an earlier edit masked, as it was before (so that a second create does not mask twice). */
function unedit(config: OciConfig): OciConfig {
  const prior = maskOf(config.annotations);
  if (!prior) return config;
  const args = config.process?.args ?? [];
  const n = prior.flags.length + 2;
  const restored = args[0] === prior.launcher && args[n - 1] === '--' ? args.slice(n) : args;
  const annotations = { ...(config.annotations ?? {}) };
  delete annotations[MASK_ANNOTATION];
  return {
    ...config,
    process: { ...config.process, args: restored },
    mounts: (config.mounts ?? []).filter((m) => m.destination !== prior.launcher && !(m.destination === '/proc/cpuinfo' && m.source?.endsWith(`/${CPUINFO_FILE}`))),
    annotations,
  };
}

/**
 * Masks the bundle in `dir` by its annotations and the node's default policy: writes the
 * filtered cpuinfo beside config.json, then config.json (through a rename). Without a policy
 * nothing is written. A bad policy throws before anything is written.
 */
export function editBundle(dir: string, options: EditOptions = {}): EditResult {
  const file = path.join(dir, 'config.json');
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new OciError('bundle', { message: `cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, source: file, errno: 'ENOENT' });
  }
  let config: OciConfig;
  try {
    config = JSON.parse(text) as OciConfig;
  } catch (e) {
    throw new OciError('bundle', { message: `${file}: not JSON: ${(e as Error).message}`, source: file });
  }
  if (typeof config !== 'object' || config === null || Array.isArray(config)) throw new OciError('bundle', { message: `${file}: not a JSON object`, source: file });
  const cpuinfoSource = path.join(path.resolve(dir), CPUINFO_FILE);
  const edit = editConfig(config, { ...options, cpuinfoSource });
  if (!edit) return { masked: false };
  writeFileAtomic(cpuinfoSource, edit.cpuinfo, 0o444);
  const mode = fs.statSync(file).mode & 0o7777;
  writeFileAtomic(file, `${JSON.stringify(edit.config)}\n`, mode);
  return { masked: true, policy: edit.policy, mask: edit.mask };
}

function writeFileAtomic(file: string, data: string, mode: number): void {
  const tmp = `${file}.hwcap-${process.pid}`;
  try {
    fs.writeFileSync(tmp, data, { mode });
    fs.chmodSync(tmp, mode);
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
}
