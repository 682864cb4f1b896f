// The documents the verbs read (node reports, feature sets, NFD objects) and the
// feature names they take on the command line. Pure: only the core and files.
import { FEATURESET_SCHEMA, FeatureSet, HwcapSchemaError, firstUnknownName } from '../core/features';
import { NODE_REPORT_SCHEMA, parseReport, reportFeatures, type NodeReport } from '../core/report';
import { fromNodeFeatureDiscovery, type NfdNode } from '../core/nfd';
import { NFD_CAP, readJsonFile, shownName } from './input';
import { CliError, err, orList, usageError } from './output';

export const REPORT_HINT = "write node reports with 'hwcap report > NODE.json' and baselines with 'hwcap baseline'";
const NFD_HINT = "expected the output of 'kubectl get nodefeatures -A -o json' or 'kubectl get nodes -o json'";

/** A feature set read from a file (or this node's), with what to call it in messages. */
export interface Loaded {
  file: string;
  /** `file` or `file (hostname)` */
  label: string;
  set: FeatureSet;
  report?: NodeReport;
}

/** Reads a node report or a feature set (what `hwcap report`, `show --json` and `baseline` write). */
export function loadDocument(file: string, what: string): Loaded {
  const doc = readJsonFile(file, what, REPORT_HINT);
  const schema = typeof doc === 'object' && doc !== null && !Array.isArray(doc) ? (doc as { schema?: unknown }).schema : undefined;
  try {
    if (typeof schema === 'string' && schema.startsWith(`${NODE_REPORT_SCHEMA.split('/')[0]}/`)) {
      const r = parseReport(doc);
      return { file, label: `${file} (${r.hostname})`, set: reportFeatures(r), report: r };
    }
    if (typeof schema === 'string' && schema.startsWith(`${FEATURESET_SCHEMA.split('/')[0]}/`)) {
      return { file, label: file, set: FeatureSet.fromJSON(doc as object) };
    }
  } catch (e) {
    if (e instanceof HwcapSchemaError) throw new CliError(`${what} ${shownName(file)} is not a valid hwcap document: ${e.message}`, REPORT_HINT);
    throw e;
  }
  const got =
    typeof doc !== 'object' || doc === null
      ? `a JSON ${doc === null ? 'null' : typeof doc}`
      : Array.isArray(doc)
        ? 'a JSON array'
        : schema === undefined
          ? 'an object without a "schema" field'
          : `schema ${JSON.stringify(schema)}`;
  throw new CliError(
    `${what} ${shownName(file)} is not a hwcap node report or feature set (${got}); expected schema '${NODE_REPORT_SCHEMA}' or '${FEATURESET_SCHEMA}'`,
    REPORT_HINT,
  );
}

/** The nodes of an NFD document; nodes that do not tell their architecture are taken to be `arch`. */
export function nfdNodes(file: string, arch: string | undefined): Loaded[] {
  const doc = readJsonFile(file, 'NFD document', NFD_HINT, NFD_CAP);
  let nodes: NfdNode[];
  try {
    nodes = fromNodeFeatureDiscovery(doc);
    if (arch && nodes.some((n) => !n.features)) {
      const assumed = new Map(fromNodeFeatureDiscovery(doc, { arch }).map((n) => [n.node, n]));
      nodes = nodes.map((n) => (n.features ? n : (assumed.get(n.node) ?? n)));
    }
  } catch (e) {
    if (e instanceof HwcapSchemaError) throw new CliError(`NFD document '${file}' is not usable: ${e.message}`, NFD_HINT);
    throw e;
  }
  if (nodes.length === 0) throw new CliError(`NFD document '${file}' holds no nodes`, NFD_HINT);
  for (const n of nodes) for (const w of n.warnings) err(`hwcap: warning: ${w}`);
  return nodes.map((n) => {
    if (!n.features) throw new CliError(`NFD node '${n.node}' in '${file}' does not tell its architecture`, 'give it with --arch ARCH');
    return { file, label: `${n.node} (NFD)`, set: n.features };
  });
}

/**
 * Refuses sets of more than one architecture, naming the files of each: feature
 * names differ per architecture, so a baseline, a check or a diff across them means
 * nothing (exit 2, as the core's MixedArchError does for a library caller).
 */
export function oneArch(docs: readonly { label: string; set: FeatureSet }[], doing: 'baseline' | 'check' | 'diff'): void {
  const byArch = new Map<string, string[]>();
  for (const d of docs) byArch.set(d.set.arch, [...(byArch.get(d.set.arch) ?? []), d.label]);
  if (byArch.size > 1) {
    const groups = [...byArch].sort((a, b) => b[1].length - a[1].length).map(([arch, labels]) => `${arch}: ${labels.join(', ')}`);
    const fix =
      doing === 'baseline'
        ? `make one baseline per architecture with --arch ${[...byArch.keys()].join(' or --arch ')}`
        : doing === 'check'
          ? 'check a node against a baseline of its own architecture'
          : 'compare files of one architecture';
    throw new CliError(`cannot ${doing} across architectures (${groups.join('; ')})`, `feature names differ per architecture; ${fix}`);
  }
}

/** `a,b c` and repeated options → names; an unknown one is an error with the close matches. */
export function featureNames(verb: string, values: string[] | undefined, option: string, arch: string): string[] {
  const names = (values ?? []).flatMap((v) => v.split(/[\s,]+/)).filter((n) => n !== '');
  if (values !== undefined && names.length === 0) throw usageError(verb, `--${option} needs at least one feature name`);
  const u = firstUnknownName(arch, names);
  if (u) {
    throw new CliError(
      `--${option}: unknown feature '${u.name}' on ${arch}${u.near.length ? `; did you mean ${orList(u.near.map((x) => `'${x}'`))}?` : ''}`,
      arch === 'x86_64'
        ? "x86-64 names are the kernel's /proc/cpuinfo flags (CPUID bits) and the psABI levels x86-64, x86-64-v2, x86-64-v3, x86-64-v4; 'hwcap show --all' lists them"
        : `'hwcap show --all' lists every feature name of ${arch}`,
    );
  }
  return names;
}

/**
 * The keep set that --baseline FILE, --features LIST and --drop LIST say, for a verb that runs
 * on this machine (`here`): a baseline of another architecture, or none of the three, is an
 * error naming the verb.
 */
export function keepSetOf(verb: string, values: { baseline?: string; features?: string[]; drop?: string[] }, here: FeatureSet, nothing: string): FeatureSet {
  const { baseline: baselineFile, features: keepNames, drop: dropNames } = values;
  if (baselineFile !== undefined && keepNames !== undefined) throw usageError(verb, 'give --baseline or --features, not both');
  if (baselineFile === undefined && keepNames === undefined && dropNames === undefined) {
    throw usageError(verb, `${nothing}: give --baseline FILE, --features LIST or --drop LIST`);
  }
  let keep: FeatureSet;
  if (baselineFile !== undefined) {
    const doc = loadDocument(baselineFile, 'baseline');
    if (doc.set.arch !== here.arch) {
      throw new CliError(`baseline ${doc.label} is for ${doc.set.arch}; this machine is ${here.arch}`, 'make a baseline from reports of this architecture');
    }
    keep = doc.set;
  } else if (keepNames !== undefined) {
    keep = FeatureSet.fromNames(here.arch, featureNames(verb, keepNames, 'features', here.arch));
  } else {
    keep = here;
  }
  if (dropNames !== undefined) keep = keep.without(featureNames(verb, dropNames, 'drop', here.arch));
  return keep;
}
