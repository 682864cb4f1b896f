// Node reports (what one machine offers) and cluster baselines (what every machine offers).
import { inspectValue, invalidArgType, invalidArgValue } from '../errors';
import {
  FeatureSet,
  HwcapSchemaError,
  checkSchema,
  cpuidToJSON,
  featureSetFromDoc,
  parseDocument,
  wordsToJSON,
  type Arch,
  type CpuInfo,
  type WordName,
} from './features';

/** Version 2 adds the x86-64 CPUID words, the CPU (vendor, family, model) and the psABI level; /1 is still read. */
export const NODE_REPORT_SCHEMA = 'hwcap.node-report/2';

export interface LibcInfo {
  family: 'glibc' | 'musl' | 'unknown';
  /** glibc's runtime version, e.g. '2.39'; absent where it cannot be read honestly. */
  version?: string;
}

export interface NodeReport {
  schema: typeof NODE_REPORT_SCHEMA;
  hostname: string;
  arch: Arch;
  kernel: { release: string; version: string };
  libc: LibcInfo;
  /** The auxv view the words come from: the startup stack copy that libc and runtimes read. */
  view: 'process';
  words: Record<WordName, string>;
  /** x86-64: the CPUID words as a program may use them (gated by XCR0), CPUID.1:EDX = AT_HWCAP. */
  cpuid?: Record<string, string>;
  /** x86-64: the CPU's vendor string, display family, model and stepping (from leaves 0 and 1). */
  cpu?: CpuInfo;
  /** x86-64: the highest psABI level the node meets (FeatureSet#level()). */
  level?: string;
  names: string[];
  /** Whether this kernel passes a masked auxv on across exec; 'unknown' until probed. */
  inheritance: boolean | 'unknown';
  inheritanceReason?: string;
  createdAt: string;
}

export interface NodeReportOptions {
  /** Filled from the launcher's probeInheritance(); default 'unknown'. */
  inheritance?: boolean | 'unknown';
  inheritanceReason?: string;
  /** Override the node name (default os.hostname()), e.g. the Kubernetes node name. */
  hostname?: string;
}

/** Validates a report read from JSON (string or parsed) and returns it typed. */
export function parseReport(json: unknown): NodeReport {
  const doc = parseDocument(json, 'the node report');
  checkSchema(doc, NODE_REPORT_SCHEMA, 'schema', [1]);
  if (typeof doc.hostname !== 'string' || doc.hostname === '') {
    throw new HwcapSchemaError('ERR_HWCAP_SCHEMA', 'hostname', 'must be a non-empty string');
  }
  const set = featureSetFromDoc(doc, '');
  const inh = doc.inheritance ?? 'unknown';
  if (inh !== true && inh !== false && inh !== 'unknown') {
    throw new HwcapSchemaError('ERR_HWCAP_SCHEMA', 'inheritance', `must be true, false or 'unknown', got ${inspectValue(inh)}`);
  }
  const kernel = (doc.kernel ?? {}) as Record<string, unknown>;
  const libc = (doc.libc ?? {}) as Record<string, unknown>;
  const family = libc.family === 'glibc' || libc.family === 'musl' ? libc.family : 'unknown';
  const report: NodeReport = {
    schema: NODE_REPORT_SCHEMA,
    hostname: doc.hostname,
    arch: set.arch,
    kernel: { release: String(kernel.release ?? ''), version: String(kernel.version ?? '') },
    libc: typeof libc.version === 'string' ? { family, version: libc.version } : { family },
    view: 'process',
    words: wordsToJSON(set.words),
    ...(set.arch === 'x86_64' ? { cpuid: cpuidToJSON(set.cpuid) } : {}),
    ...(doc.cpu !== undefined ? { cpu: cpuOf(doc.cpu) } : {}),
    ...(set.level() !== undefined ? { level: set.level() } : {}),
    names: set.names(),
    inheritance: inh,
    createdAt: typeof doc.createdAt === 'string' ? doc.createdAt : '',
  };
  if (typeof doc.inheritanceReason === 'string') report.inheritanceReason = doc.inheritanceReason;
  return report;
}

function cpuOf(v: unknown): CpuInfo {
  const c = v as Record<string, unknown>;
  const int = (k: string) => typeof c[k] === 'number' && Number.isInteger(c[k]) && (c[k] as number) >= 0;
  if (typeof v !== 'object' || v === null || typeof c.vendor !== 'string' || !int('family') || !int('model') || !int('stepping')) {
    throw new HwcapSchemaError('ERR_HWCAP_SCHEMA', 'cpu', `must be { vendor: string, family, model, stepping: integers >= 0 }, got ${inspectValue(v)}`);
  }
  return { vendor: c.vendor, family: c.family as number, model: c.model as number, stepping: c.stepping as number };
}

/** The FeatureSet of a report (or the set itself). */
export function reportFeatures(report: NodeReport | FeatureSet, argName = 'report'): FeatureSet {
  if (report instanceof FeatureSet) return report;
  if (typeof report !== 'object' || report === null) throw invalidArgType(argName, 'a NodeReport or a FeatureSet', report);
  try {
    return featureSetFromDoc(report as unknown as Record<string, unknown>, '');
  } catch (err) {
    if (err instanceof HwcapSchemaError) {
      throw new HwcapSchemaError(err.code, err.path ? `${argName}.${err.path}` : argName, err.message.replace(/^[^:]*: /, ''), { cause: err });
    }
    throw err;
  }
}

/** Reports of more than one architecture cannot have a common baseline. */
export class MixedArchError extends RangeError {
  readonly code = 'ERR_HWCAP_MIXED_ARCH';
  /** arch → the nodes of that arch */
  readonly byArch: Record<string, string[]>;
  /** The nodes outside the most common architecture. */
  readonly odd: string[];
  constructor(byArch: Record<string, string[]>) {
    const groups = Object.entries(byArch).sort((a, b) => b[1].length - a[1].length);
    const odd = groups.slice(1).flatMap(([, nodes]) => nodes);
    const list = groups.map(([arch, nodes]) => `${nodes.length} × ${arch} (${nodes.join(', ')})`).join(', ');
    super(`reports mix architectures: ${list}; a baseline needs one architecture. The odd nodes: ${odd.join(', ')}`);
    this.name = 'MixedArchError';
    this.byArch = byArch;
    this.odd = odd;
  }
}

function nodeName(r: NodeReport | FeatureSet, i: number): string {
  return r instanceof FeatureSet ? `reports[${i}]` : typeof r.hostname === 'string' && r.hostname ? r.hostname : `reports[${i}]`;
}

/** The features every report has: the intersection. All reports must be of one architecture. */
export function baseline(reports: Iterable<NodeReport | FeatureSet>): FeatureSet {
  if (reports === null || typeof reports !== 'object' || typeof (reports as Iterable<unknown>)[Symbol.iterator] !== 'function') {
    throw invalidArgType('reports', 'an array of NodeReport or FeatureSet', reports);
  }
  const list = [...reports];
  if (list.length === 0) throw invalidArgValue('reports', 'must hold at least one report; the baseline of no nodes is undefined', list);
  const sets = list.map((r, i) => reportFeatures(r, `reports[${i}]`));
  const byArch: Record<string, string[]> = {};
  sets.forEach((s, i) => (byArch[s.arch] ??= []).push(nodeName(list[i] as NodeReport | FeatureSet, i)));
  if (Object.keys(byArch).length > 1) throw new MixedArchError(byArch);
  return sets.reduce((a, b) => a.intersect(b));
}

export interface CheckResult {
  ok: boolean;
  /** Required features the node lacks (all of them when the architecture differs). */
  missing: string[];
  /** Set when the node is of another architecture than the requirement. */
  archMismatch?: { required: Arch; node: Arch };
}

/** Whether a node offers every required feature. */
export function check(required: FeatureSet, report: NodeReport | FeatureSet): CheckResult {
  if (!(required instanceof FeatureSet)) throw invalidArgType('required', 'an instance of FeatureSet', required);
  const node = reportFeatures(report, 'report');
  if (node.arch !== required.arch) {
    return { ok: false, missing: required.names(), archMismatch: { required: required.arch, node: node.arch } };
  }
  const { missing } = node.diff(required);
  return { ok: missing.length === 0, missing };
}

export { fromNodeFeatureDiscovery } from './nfd';
export type { NfdNode, NfdOptions } from './nfd';
