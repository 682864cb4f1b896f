// Kubernetes Node Feature Discovery (NFD) import: the CPUID/hwcap flags NFD publishes per node,
// mapped to hwcap's names.
//
// Accepted input (a JSON string or the parsed value):
// - `kubectl get nodefeatures -A -o json`: NodeFeature objects (nfd.k8s-sigs.io/v1alpha1); the
//   flags are the keys of spec.features.flags["cpu.cpuid"].elements, the node is the
//   `nfd.node.kubernetes.io/node-name` label (metadata.name when it is missing);
// - `kubectl get nodes -o json`: labels `feature.node.kubernetes.io/cpu-cpuid.<NAME>: "true"`,
//   the node is metadata.name and the architecture the `kubernetes.io/arch` label.
// A List, a single object, or an array of objects.
//
// NFD's names: on x86 the feature IDs of the Go cpuid library (SSE2, HTT, CMPXCHG8, X87 …);
// on arm64, ppc64le and s390x the upper-cased kernel/glibc hwcap names (ASIMD, VSX, VXE2 …),
// with a few of the Go library's arm64 IDs (AESARM, ARMCPUID, FHM, GPA, RNDR, TS) on newer NFD.
// On x86-64 every flag with a CPUID bit maps to its catalogue name (tables/nfd-x86.ts), the
// X86_64_V<n> flags to the psABI levels; a flag without a bit is reported as unmapped, not dropped.
//
// NFD's default label blacklist hides BMI1, BMI2, CMOV, CX16, POPCNT, SSE … from node labels (the
// NodeFeature objects keep them). A node known only from its labels therefore gets a warning that
// names what its set may lack; X86_64_V<n> labels restore the level's features.
import { invalidArgType, inspectValue } from '../errors';
import { FeatureSet, HwcapSchemaError, catalog, normalizeArch, parseDocument, type Arch } from './features';
import { NFD_LABEL_BLACKLIST, NFD_X86 } from './tables/nfd-x86';

const NODE_NAME_LABEL = 'nfd.node.kubernetes.io/node-name';
const CPUID_LABEL = 'feature.node.kubernetes.io/cpu-cpuid.';
const ARCH_LABEL = 'kubernetes.io/arch';

/** Names that are not just the upper-cased table name. */
const ALIASES: Partial<Record<Arch, Record<string, string>>> = {
  aarch64: { AESARM: 'aes', ARMCPUID: 'cpuid', FHM: 'asimdfhm', GPA: 'pacg', RNDR: 'rng', TS: 'flagm' },
  ppc64le: { EFPFLOAT: 'efpsingle' },
};

const lowerNames = new Map<Arch, Set<string>>();

/** Our name for an NFD flag on an architecture, or undefined. */
export function mapNfdFlag(arch: Arch, flag: string): string | undefined {
  if (arch === 'x86_64') return Object.hasOwn(NFD_X86, flag) ? NFD_X86[flag] : undefined;
  const alias = ALIASES[arch]?.[flag];
  if (alias) return alias;
  let names = lowerNames.get(arch);
  if (!names) lowerNames.set(arch, (names = new Set(catalog(arch).map((f) => f.name))));
  const lower = flag.toLowerCase();
  return names.has(lower) ? lower : undefined;
}

export interface NfdNode {
  node: string;
  /** Undefined when neither a label, the option nor the flags tell the architecture. */
  arch?: Arch;
  archSource?: 'label' | 'option' | 'flags';
  /** Every cpuid flag NFD reported, as NFD spells it. */
  flags: string[];
  /** hwcap names of the flags that correspond to an auxv feature. */
  names: string[];
  /** Flags with no auxv feature on this architecture (or all flags when the arch is unknown). */
  unmapped: string[];
  /** The mapped names as a set; undefined when the arch is unknown. */
  features?: FeatureSet;
  /** What may be missing from `features` and why (x86-64 nodes known only from labels). */
  warnings: string[];
}

export interface NfdOptions {
  /** The architecture to assume where the input does not say (NodeFeature objects do not). */
  arch?: Arch | string;
}

interface Raw {
  flags: Set<string>;
  archLabel?: string;
  /** Whether a NodeFeature object (not only labels) described the node. */
  fromCr: boolean;
}

function objects(doc: unknown): Record<string, unknown>[] {
  if (Array.isArray(doc)) return doc as Record<string, unknown>[];
  const d = doc as Record<string, unknown>;
  if (Array.isArray(d.items)) return d.items as Record<string, unknown>[];
  return [d];
}

function labelsOf(o: Record<string, unknown>): Record<string, unknown> {
  const md = o.metadata as Record<string, unknown> | undefined;
  const labels = md?.labels;
  return typeof labels === 'object' && labels !== null ? (labels as Record<string, unknown>) : {};
}

function guessArch(flags: Iterable<string>): Arch | undefined {
  let best: Arch | undefined;
  let bestCount = 0;
  for (const a of ['x86_64', 'aarch64', 'ppc64le', 's390x'] as Arch[]) {
    let n = 0;
    for (const f of flags) if (mapNfdFlag(a, f)) n++;
    if (n > bestCount) [best, bestCount] = [a, n];
  }
  return best;
}

/** Per-node feature names from NFD's NodeFeature objects or node labels. */
export function fromNodeFeatureDiscovery(json: unknown, options: NfdOptions = {}): NfdNode[] {
  if (typeof options !== 'object' || options === null) throw invalidArgType('options', 'an object', options);
  const defaultArch = options.arch === undefined ? undefined : normalizeArch(options.arch, 'options.arch');
  let doc: unknown = json;
  if (typeof json === 'string' && json.trimStart().startsWith('[')) {
    try {
      doc = JSON.parse(json);
    } catch (err) {
      throw new HwcapSchemaError('ERR_HWCAP_BAD_JSON', '', `the NFD document is not valid JSON (${(err as Error).message})`, { cause: err });
    }
  }
  if (!Array.isArray(doc)) doc = parseDocument(doc, 'the NFD document');
  const raw = new Map<string, Raw>();
  objects(doc).forEach((o, i) => {
    if (typeof o !== 'object' || o === null) {
      throw new HwcapSchemaError('ERR_HWCAP_SCHEMA', `items[${i}]`, 'must be a Kubernetes object');
    }
    const labels = labelsOf(o);
    const name = (labels[NODE_NAME_LABEL] ?? (o.metadata as Record<string, unknown> | undefined)?.name) as unknown;
    if (typeof name !== 'string' || name === '') {
      throw new HwcapSchemaError('ERR_HWCAP_SCHEMA', `items[${i}].metadata`, `has no node name (label ${NODE_NAME_LABEL} or metadata.name)`);
    }
    let entry = raw.get(name);
    if (!entry) raw.set(name, (entry = { flags: new Set(), fromCr: false }));
    if (o.kind === 'NodeFeature') {
      entry.fromCr = true;
      const elements = ((((o.spec as Record<string, unknown> | undefined)?.features as Record<string, unknown> | undefined)?.flags as Record<string, unknown> | undefined)?.['cpu.cpuid'] as Record<string, unknown> | undefined)?.elements;
      if (elements !== undefined) {
        if (typeof elements !== 'object' || elements === null || Array.isArray(elements)) {
          throw new HwcapSchemaError('ERR_HWCAP_SCHEMA', `items[${i}].spec.features.flags["cpu.cpuid"].elements`, 'must be an object whose keys are the flags');
        }
        for (const f of Object.keys(elements)) entry.flags.add(f);
      }
    } else if (o.kind === 'Node') {
      for (const [k, v] of Object.entries(labels)) {
        if (k.startsWith(CPUID_LABEL) && v === 'true') entry.flags.add(k.slice(CPUID_LABEL.length));
      }
      if (typeof labels[ARCH_LABEL] === 'string') entry.archLabel = labels[ARCH_LABEL] as string;
    } else {
      throw new HwcapSchemaError('ERR_HWCAP_SCHEMA', `items[${i}].kind`, `is ${inspectValue(o.kind)}; expected NodeFeature (kubectl get nodefeatures -A -o json) or Node (kubectl get nodes -o json)`);
    }
  });

  const out: NfdNode[] = [];
  for (const [node, r] of raw) {
    const flags = [...r.flags].sort();
    let arch: Arch | undefined;
    let archSource: NfdNode['archSource'];
    if (r.archLabel) {
      try {
        arch = normalizeArch(r.archLabel);
        archSource = 'label';
      } catch {
        // an architecture without HWCAP names (arm, 386 …): fall through
      }
    }
    if (!arch && defaultArch) [arch, archSource] = [defaultArch, 'option'];
    if (!arch) {
      arch = guessArch(flags);
      if (arch) archSource = 'flags';
    }
    const names: string[] = [];
    const unmapped: string[] = [];
    for (const f of flags) {
      const n = arch && mapNfdFlag(arch, f);
      if (n) names.push(n);
      else unmapped.push(f);
    }
    const result: NfdNode = { node, flags, names: [], unmapped, warnings: [] };
    if (arch) {
      const features = FeatureSet.fromNames(arch, names);
      Object.assign(result, { arch, archSource, names: features.names(), features });
      if (arch === 'x86_64' && !r.fromCr) {
        const hidden = NFD_LABEL_BLACKLIST.filter((f) => Object.hasOwn(NFD_X86, f) && !r.flags.has(f) && !features.has(NFD_X86[f] as string));
        if (hidden.length) {
          result.warnings.push(
            `${node}: only node labels describe this node, and NFD's default label blacklist hides ${hidden.join(', ')}; ` +
              'the set lacks those features unless a label shows them. Read the NodeFeature objects instead (kubectl get nodefeatures -A -o json)',
          );
        }
      }
    }
    out.push(result);
  }
  return out;
}
