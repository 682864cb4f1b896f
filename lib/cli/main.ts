// The hwcap command: show, report, baseline, check, diff, exec and probe.
//
// Every verb parses its arguments with node:util parseArgs from one table of
// options, which also writes its --help. Results go to stdout (text, or JSON
// with --json); errors go to stderr as one line of cause and one of hint.
// Exit status: 0 ok; 1 a check failed or a diff found differences; 2 a usage
// or input error; exec passes the command's own status through.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as util from 'node:util';
import type * as Index from '../index';
import type * as Errors from '../errors';
import type { FeatureSet } from '../core/features';
import type { NodeReport } from '../core/report';
import { ADDON_HINT } from '../errors';
import { closestNames as closeMatches } from '../core/suggest';
import type * as Auxv from '../host/auxv';
import type * as Features from '../core/features';
import type * as Report from '../core/report';
type Probe = typeof Index;
type Spawn = typeof Index;

const EXIT_OK = 0;
const EXIT_FAIL = 1;
const EXIT_USAGE = 2;

// ---------------------------------------------------------------------------------------------
// Errors

/** A failure to report as `hwcap VERB: cause` and `hint: …`, then exit with `exitCode`. */
class CliError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
    readonly exitCode: number = EXIT_USAGE,
  ) {
    super(message);
  }
}

function usageError(verb: Verb | undefined, message: string, hint?: string): CliError {
  return new CliError(message, hint ?? `see '${verb ? `hwcap ${verb.name} --help` : 'hwcap --help'}'`, EXIT_USAGE);
}

/** `a`, `a or b`, `a, b or c` */
function orList(items: string[]): string {
  return items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} or ${items[items.length - 1]}`;
}

// ---------------------------------------------------------------------------------------------
// Output: colour only on a TTY, and never with NO_COLOR; FORCE_COLOR forces it either way.

interface Paint {
  bold(s: string): string;
  dim(s: string): string;
  red(s: string): string;
  green(s: string): string;
  yellow(s: string): string;
}

function colourWanted(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  const force = env.FORCE_COLOR;
  if (force !== undefined) return force !== '0' && force !== 'false';
  if (env.NO_COLOR) return false;
  if (env.TERM === 'dumb') return false;
  return stream.isTTY === true;
}

function painter(stream: { isTTY?: boolean }): Paint {
  const on = colourWanted(stream);
  const sgr = (open: number, close: number) => (s: string) => (on ? `\x1b[${open}m${s}\x1b[${close}m` : s);
  return { bold: sgr(1, 22), dim: sgr(2, 22), red: sgr(31, 39), green: sgr(32, 39), yellow: sgr(33, 39) };
}

const out = (s: string): void => void process.stdout.write(s.endsWith('\n') ? s : `${s}\n`);
const err = (s: string): void => void process.stderr.write(s.endsWith('\n') ? s : `${s}\n`);

/** JSON with bigints as 0x hex strings, the way feature words are written everywhere in hwcap. */
function printJson(value: unknown): void {
  // Objects one key per line; arrays of plain values (feature names) on one line.
  const plain = (v: unknown): unknown => (typeof v === 'bigint' ? `0x${v.toString(16)}` : v);
  const text = (v: unknown, indent: string): string => {
    v = plain(v);
    if (v !== null && typeof v === 'object' && typeof (v as { toJSON?: unknown }).toJSON === 'function') v = (v as { toJSON(): unknown }).toJSON();
    if (Array.isArray(v)) {
      if (v.every((x) => x === null || typeof x !== 'object')) return JSON.stringify(v.map(plain));
      return v.length ? `[\n${v.map((x) => `${indent}  ${text(x, `${indent}  `)}`).join(',\n')}\n${indent}]` : '[]';
    }
    if (v !== null && typeof v === 'object') {
      const entries = Object.entries(v).filter(([, x]) => x !== undefined);
      return entries.length ? `{\n${entries.map(([k, x]) => `${indent}  ${JSON.stringify(k)}: ${text(x, `${indent}  `)}`).join(',\n')}\n${indent}}` : '{}';
    }
    return JSON.stringify(v) ?? 'null';
  };
  out(text(value, ''));
}

/** Rows as aligned columns; the last column is not padded. */
function columns(rows: string[][], visible: (s: string) => number = (s) => s.length): string[] {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, visible(c))));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c + ' '.repeat(widths[i] - visible(c)))).join('  ').trimEnd());
}

const stripSgr = (s: string): number => s.replace(/\x1b\[[0-9;]*m/g, '').length;

// ---------------------------------------------------------------------------------------------
// Input files

const FILE_HINTS: Record<string, string> = {
  ENOENT: 'check the path',
  EACCES: 'check the file\'s permissions',
  EISDIR: 'give a file, not a directory',
  ENOTDIR: 'a part of the path is not a directory',
};

/** Reads and parses a JSON file (`-` is stdin), naming the file in every error. */
function readJsonFile(file: string, what: string, writeHint: string): unknown {
  let text: string;
  const shown = file === '-' ? 'standard input' : `'${file}'`;
  try {
    text = fs.readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'EIO';
    const errno = (e as NodeJS.ErrnoException).errno;
    const desc = typeof errno === 'number' ? util.getSystemErrorMap().get(errno)?.[1] : undefined;
    throw new CliError(`cannot read ${what} ${shown}: ${code}${desc ? `: ${desc}` : ''}`, FILE_HINTS[code] ? `${FILE_HINTS[code]}; ${writeHint}` : writeHint);
  }
  if (text.trim() === '') throw new CliError(`${what} ${shown} is empty`, writeHint);
  try {
    return JSON.parse(text);
  } catch (e) {
    const msg = (e as Error).message;
    const pos = /at position (\d+)/.exec(msg);
    let where = '';
    if (pos) {
      const before = text.slice(0, Number(pos[1]));
      const line = before.split('\n').length;
      where = ` (line ${line}, column ${Number(pos[1]) - before.lastIndexOf('\n')})`;
    }
    throw new CliError(`${what} ${shown} is not valid JSON: ${msg.replace(/ in JSON at position \d+$/, '')}${where}`, writeHint);
  }
}

// ---------------------------------------------------------------------------------------------
// The library, loaded on first use so that --help and --version work even where the addon
// cannot load, and a failed load is one clear error.

interface Library {
  auxv: typeof Index;
  errors: typeof Errors;
  features: typeof Index;
  report: typeof Index & { reportFeatures: typeof Report.reportFeatures };
  probe: Probe;
  spawn: Spawn;
}

let library: Library | undefined;

function lib(): Library {
  if (!library) {
    try {
      /* eslint-disable @typescript-eslint/no-require-imports */
      const index = require('../index') as typeof Index;
      const report = { ...index, reportFeatures: (require('../core/report') as typeof Report).reportFeatures };
      library = { errors: require('../errors') as typeof Errors, auxv: index, features: index, report, probe: index, spawn: index };
      /* eslint-enable @typescript-eslint/no-require-imports */
    } catch (e) {
      const cause = (e as { cause?: unknown }).cause ?? e;
      const first = String((cause as Error)?.message ?? cause).split('\n')[0];
      throw new CliError(`cannot load the native addon: ${first}`, ADDON_HINT);
    }
  }
  return library;
}

// ---------------------------------------------------------------------------------------------
// Verbs

interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  multiple?: boolean;
  /** The placeholder in --help, for string options. */
  value?: string;
  help: string;
}

interface Context {
  verb: Verb;
  values: Record<string, string | boolean | string[] | boolean[] | undefined>;
  positionals: string[];
}

interface Verb {
  name: string;
  summary: string;
  usage: string;
  description: string;
  options: Record<string, OptionSpec>;
  /** Accepted number of positionals. */
  positionals: { min: number; max: number; name: string };
  examples: string[];
  /** Options end at the first positional (CMD), as for env(1) and nice(1). */
  stopAtCommand?: boolean;
  run(ctx: Context): number | Promise<number>;
}

const HELP: OptionSpec = { type: 'boolean', short: 'h', help: 'show this help and exit' };
const JSON_OPT: OptionSpec = { type: 'boolean', help: 'print JSON instead of text' };

function verbs(): Verb[] {
  return [showVerb, reportVerb, baselineVerb, checkVerb, diffVerb, execVerb, probeVerb];
}

// ---------------------------------------------------------------------------------------------
// Documents: node reports and feature sets

const REPORT_HINT = "write node reports with 'hwcap report > NODE.json' and baselines with 'hwcap baseline'";

/** A feature set read from a file, with what to call it in messages. */
interface Loaded {
  file: string;
  /** `file` or `file (hostname)` */
  label: string;
  set: FeatureSet;
  report?: NodeReport;
}

/** Reads a node report or a feature set (what `hwcap report`, `show --json` and `baseline` write). */
function loadDocument(file: string, what: string): Loaded {
  const doc = readJsonFile(file, what, REPORT_HINT);
  const shown = file === '-' ? 'standard input' : `'${file}'`;
  const { features, report } = lib();
  const schema = typeof doc === 'object' && doc !== null && !Array.isArray(doc) ? (doc as { schema?: unknown }).schema : undefined;
  try {
    if (typeof schema === 'string' && schema.startsWith(`${report.NODE_REPORT_SCHEMA.split('/')[0]}/`)) {
      const r = report.parseReport(doc);
      return { file, label: `${file} (${r.hostname})`, set: report.reportFeatures(r), report: r };
    }
    if (typeof schema === 'string' && schema.startsWith(`${features.FEATURESET_SCHEMA.split('/')[0]}/`)) {
      return { file, label: file, set: features.FeatureSet.fromJSON(doc as object) };
    }
  } catch (e) {
    if (e instanceof features.HwcapSchemaError) throw new CliError(`${what} ${shown} is not a valid hwcap document: ${e.message}`, REPORT_HINT);
    throw e;
  }
  const got = typeof doc !== 'object' || doc === null ? `a JSON ${doc === null ? 'null' : typeof doc}` : Array.isArray(doc) ? 'a JSON array' : schema === undefined ? 'an object without a "schema" field' : `schema ${JSON.stringify(schema)}`;
  throw new CliError(
    `${what} ${shown} is not a hwcap node report or feature set (${got}); expected schema '${report.NODE_REPORT_SCHEMA}' or '${features.FEATURESET_SCHEMA}'`,
    REPORT_HINT,
  );
}

/** Refuses sets of more than one architecture, naming the files of each. */
function oneArch(docs: readonly { label: string; set: FeatureSet }[], doing: string): void {
  const byArch = new Map<string, string[]>();
  for (const d of docs) byArch.set(d.set.arch, [...(byArch.get(d.set.arch) ?? []), d.label]);
  if (byArch.size > 1) {
    const groups = [...byArch].sort((a, b) => b[1].length - a[1].length).map(([arch, labels]) => `${arch}: ${labels.join(', ')}`);
    throw new CliError(`cannot ${doing} across architectures (${groups.join('; ')})`, `feature names differ per architecture; ${doing === 'baseline' ? `make one baseline per architecture with --arch ${[...byArch.keys()].join(' or --arch ')}` : 'compare files of one architecture'}`);
  }
}

/** `a,b c` and repeated options → names; an unknown one is an error with the close matches. */
function featureNames(values: string[] | undefined, option: string, arch: string): string[] {
  const names = (values ?? []).flatMap((v) => v.split(/[\s,]+/)).filter((n) => n !== '');
  if (values !== undefined && names.length === 0) throw usageError(currentVerb, `--${option} needs at least one feature name`);
  const { features } = lib();
  for (const n of names) {
    try {
      features.FeatureSet.fromNames(arch, [n]);
    } catch (e) {
      if (!(e instanceof RangeError)) throw e;
      const near = (e as RangeError & { suggestions?: string[] }).suggestions ?? features.closeMatches(arch, n);
      throw new CliError(
        `--${option}: unknown feature '${n}' on ${arch}${near.length ? `; did you mean ${orList(near.map((x) => `'${x}'`))}?` : ''}`,
        arch === 'x86_64'
          ? "on x86-64 the auxv carries only the CPUID.1:EDX bits and two AT_HWCAP2 bits (no AVX, AVX2, AVX-512 …); 'hwcap show --all' lists them"
          : `'hwcap show --all' lists every feature name of ${arch}`,
      );
    }
  }
  return names;
}

let currentVerb: Verb | undefined;

// ---------------------------------------------------------------------------------------------
// show

const VIEWS = ['process', 'kernel', 'libc'] as const;

const showVerb: Verb = {
  name: 'show',
  summary: "this process's CPU features: name, word and bit (the default command)",
  usage: 'hwcap [show] [--view process|kernel|libc] [--all] [--json]',
  description:
    'Views:\n' +
    '  process  the startup stack copy that ld.so, libc and runtimes read (default)\n' +
    "  kernel   the kernel's saved copy (PR_GET_AUXV, /proc/self/auxv), what children inherit\n" +
    '  libc     getauxval(3); on x86-64 glibc answers AT_HWCAP with its own bits\n' +
    'With --json the output is a feature set, usable wherever a baseline is.',
  options: {
    view: { type: 'string', value: 'VIEW', help: 'process (default), kernel or libc' },
    all: { type: 'boolean', short: 'a', help: 'list every feature of this architecture, set or not' },
    json: { type: 'boolean', help: 'print the feature set as JSON' },
  },
  positionals: { min: 0, max: 0, name: '' },
  examples: ['hwcap', 'hwcap show --view kernel', 'hwcap show --json > this-node.json'],
  run({ values }) {
    const view = (values.view ?? 'process') as string;
    if (!(VIEWS as readonly string[]).includes(view)) throw usageError(showVerb, `--view must be process, kernel or libc, not '${view}'`);
    const { features } = lib();
    const set = features.FeatureSet.current(view as Auxv.WordsView);
    if (view === 'libc' && set.arch === 'x86_64') {
      err("hwcap show: note: glibc on x86-64 answers AT_HWCAP with its own HWCAP_X86_* bits, not CPUID.1:EDX; the names below read them as the kernel's bits");
    }
    if (values.json) {
      printJson(set.toJSON());
      return EXIT_OK;
    }
    const p = painter(process.stdout);
    const words = Object.entries(set.toJSON().words).filter(([, v]) => v !== '0x0');
    out(`${p.bold(set.arch)}, ${view} view: ${words.map(([k, v]) => `${k} ${v}`).join('  ') || 'no HWCAP words'}`);
    const unknown = new Set(set.unknownBits().map((u) => u.name));
    const rows: string[][] = [values.all ? ['', 'NAME', 'WORD', 'BIT', 'NOTE'] : ['NAME', 'WORD', 'BIT', 'NOTE']].map((r) => r.map((c) => p.bold(c)));
    const listed = values.all
      ? [...features.catalog(set.arch), ...set.unknownBits()]
      : set.names().map((n) => features.catalog(set.arch).find((f) => f.name === n) ?? set.unknownBits().find((u) => u.name === n)!);
    for (const f of listed) {
      const has = set.has(f.name);
      const note = unknown.has(f.name) ? 'no name in the table' : (f as Features.Feature).security ? 'security' : '';
      const row = [has ? f.name : p.dim(f.name), f.word, String(f.bit), note];
      rows.push(values.all ? [has ? p.green('+') : p.dim('-'), ...row] : row);
    }
    if (rows.every((r) => r[r.length - 1] === '' || r === rows[0])) rows.forEach((r) => r.pop());
    out(columns(rows, stripSgr).join('\n'));
    out(`${set.size} feature${set.size === 1 ? '' : 's'}${values.all ? ` set of ${features.catalog(set.arch).length} named` : ''}`);
    return EXIT_OK;
  },
};

// ---------------------------------------------------------------------------------------------
// report

const reportVerb: Verb = {
  name: 'report',
  summary: "this node's report as JSON, for collecting from many nodes",
  usage: 'hwcap report [--hostname NAME] [--json]',
  description:
    'Writes hostname, architecture, kernel, libc, the HWCAP words and their names\n' +
    "(schema 'hwcap.node-report/1'). Collect one per node, then run 'hwcap baseline'.",
  options: {
    hostname: { type: 'string', value: 'NAME', help: 'the node name to record (default: the hostname)' },
    json: { type: 'boolean', help: 'JSON output (always; accepted for symmetry)' },
  },
  positionals: { min: 0, max: 0, name: '' },
  examples: ['hwcap report > "$(hostname).json"', 'ssh node7 npx hwcap report > node7.json'],
  run({ values }) {
    if (values.hostname === '') throw usageError(reportVerb, '--hostname must not be empty');
    // nodeReport() also records whether this kernel passes a masked auxv across exec.
    printJson(lib().report.nodeReport(values.hostname ? { hostname: values.hostname as string } : {}));
    return EXIT_OK;
  },
};

// ---------------------------------------------------------------------------------------------
// baseline

const NFD_HINT = "expected the output of 'kubectl get nodefeatures -A -o json' or 'kubectl get nodes -o json'";

/** The nodes of an NFD document; nodes that do not tell their architecture are taken to be `arch`. */
function nfdNodes(file: string, arch: string | undefined): Loaded[] {
  const { features, report } = lib();
  const doc = readJsonFile(file, 'NFD document', NFD_HINT);
  let nodes: Report.NfdNode[];
  try {
    nodes = report.fromNodeFeatureDiscovery(doc);
    if (arch && nodes.some((n) => !n.features)) {
      const assumed = new Map(report.fromNodeFeatureDiscovery(doc, { arch }).map((n) => [n.node, n]));
      nodes = nodes.map((n) => (n.features ? n : assumed.get(n.node) ?? n));
    }
  } catch (e) {
    if (e instanceof features.HwcapSchemaError) throw new CliError(`NFD document '${file}' is not usable: ${e.message}`, NFD_HINT);
    throw e;
  }
  if (nodes.length === 0) throw new CliError(`NFD document '${file}' holds no nodes`, NFD_HINT);
  return nodes.map((n) => {
    if (!n.features) throw new CliError(`NFD node '${n.node}' in '${file}' does not tell its architecture`, 'give it with --arch ARCH');
    return { file, label: `${n.node} (NFD)`, set: n.features };
  });
}

const baselineVerb: Verb = {
  name: 'baseline',
  summary: 'the features every given node has, as a JSON feature set',
  usage: 'hwcap baseline REPORT... [--from-nfd FILE]... [--arch ARCH] [--quiet]',
  description:
    'Prints the intersection of the reports (and feature sets) on stdout, and says on\n' +
    'stderr which nodes lack what the others have. The inputs must be of one\n' +
    'architecture, or --arch picks one and skips the others.\n' +
    '--from-nfd reads Kubernetes Node Feature Discovery objects. NFD names only some\n' +
    'auxv features (on x86-64 a few CPUID.1:EDX bits); a node from NFD counts as\n' +
    "lacking the features NFD does not name, so 'hwcap report' on the node is exact.",
  options: {
    'from-nfd': { type: 'string', multiple: true, value: 'FILE', help: "add the nodes of 'kubectl get nodefeatures|nodes -o json' (repeatable)" },
    arch: { type: 'string', value: 'ARCH', help: 'use only nodes of this architecture; NFD nodes that do not say are taken to be ARCH' },
    quiet: { type: 'boolean', short: 'q', help: 'do not list on stderr what each node lacks' },
  },
  positionals: { min: 0, max: Infinity, name: 'REPORT' },
  examples: ['hwcap baseline node-*.json > baseline.json', 'hwcap baseline --from-nfd nodes.json --arch aarch64 > arm64.json'],
  run({ values, positionals }) {
    const { features, report } = lib();
    const nfdFiles = (values['from-nfd'] as string[] | undefined) ?? [];
    if (positionals.length === 0 && nfdFiles.length === 0) throw usageError(baselineVerb, 'missing REPORT (or --from-nfd FILE)');
    let arch: string | undefined;
    if (values.arch !== undefined) {
      try {
        arch = features.normalizeArch(values.arch as string);
      } catch {
        throw usageError(baselineVerb, `--arch: '${values.arch}' is not one of ${features.ARCHES.join(', ')}`);
      }
    }
    let docs: Loaded[] = [...positionals.map((f) => loadDocument(f, 'report')), ...nfdFiles.flatMap((f) => nfdNodes(f, arch))];
    const p = painter(process.stderr);
    if (arch) {
      const other = docs.filter((d) => d.set.arch !== arch);
      docs = docs.filter((d) => d.set.arch === arch);
      if (other.length && !values.quiet) err(`hwcap baseline: skipping ${other.length} node${other.length === 1 ? '' : 's'} of other architectures: ${other.map((d) => `${d.label} is ${d.set.arch}`).join(', ')}`);
      if (docs.length === 0) throw new CliError(`no input is of architecture ${arch}`, `the inputs are ${[...new Set(other.map((d) => d.set.arch))].join(', ')}`);
    }
    oneArch(docs, 'baseline');
    const common = report.baseline(docs.map((d) => d.set));
    const all = docs.map((d) => d.set).reduce((a, b) => a.union(b));
    if (!values.quiet) {
      let lacking = 0;
      for (const d of docs) {
        const { missing } = d.set.diff(all);
        if (missing.length) {
          lacking++;
          err(`hwcap baseline: ${d.label} lacks ${p.red(missing.join(' '))}`);
        }
      }
      err(
        lacking === 0
          ? `hwcap baseline: all ${docs.length} node${docs.length === 1 ? ' has' : 's have'} the same ${common.size} features`
          : `hwcap baseline: ${common.size} features common to ${docs.length} nodes; ${all.size - common.size} left out`,
      );
    }
    printJson(common.toJSON());
    return EXIT_OK;
  },
};

// ---------------------------------------------------------------------------------------------
// check

const checkVerb: Verb = {
  name: 'check',
  summary: 'exit 0 if this node (or a report) has every feature of a baseline, else 1',
  usage: 'hwcap check BASELINE|--features a,b,c [--report FILE] [--json] [--quiet]',
  description:
    "BASELINE is a feature set ('hwcap baseline', 'hwcap show --json') or a node report;\n" +
    '--features names the required features instead. Lists the missing features and\n' +
    'exits 1 when any is missing; a node of another architecture lacks them all.\n' +
    'Without --report the node is this machine (the process view).',
  options: {
    features: { type: 'string', multiple: true, value: 'LIST', help: 'require these features (comma-separated, repeatable) instead of a BASELINE' },
    report: { type: 'string', value: 'FILE', help: 'check the node of this report instead of this machine' },
    json: { type: 'boolean', help: 'print {ok, node, arch, missing} as JSON' },
    quiet: { type: 'boolean', short: 'q', help: 'print nothing; the exit status tells' },
  },
  positionals: { min: 0, max: 1, name: 'BASELINE' },
  examples: ['hwcap check baseline.json', 'hwcap check baseline.json --report node7.json', 'hwcap check --features sse2,ht'],
  run({ values, positionals }) {
    const { features, report } = lib();
    const byName = values.features as string[] | undefined;
    if (positionals.length === 0 && byName === undefined) throw usageError(checkVerb, 'missing BASELINE (or --features LIST)');
    if (positionals.length && byName !== undefined) throw usageError(checkVerb, 'give a BASELINE or --features, not both');
    const node: Loaded = values.report
      ? loadDocument(values.report as string, 'report')
      : { file: '', label: 'this node', set: features.FeatureSet.current('process') };
    let required: Loaded;
    if (byName !== undefined) {
      const names = featureNames(byName, 'features', node.set.arch);
      required = { file: '', label: names.join(','), set: features.FeatureSet.fromNames(node.set.arch, names) };
    } else {
      required = loadDocument(positionals[0], 'baseline');
    }
    const r = report.check(required.set, node.set);
    if (values.json) {
      const name = node.report?.hostname ?? (values.report ? node.file : os.hostname());
      printJson({ ok: r.ok, node: name, arch: node.set.arch, required: required.set.arch, missing: r.missing });
    } else if (!values.quiet) {
      const p = painter(process.stdout);
      const n = required.set.size;
      const what = `${n} ${byName !== undefined ? 'required ' : ''}feature${n === 1 ? '' : 's'}${byName !== undefined ? '' : ` of ${required.label}`}`;
      if (r.archMismatch) out(`${node.label} is ${r.archMismatch.node} and ${required.label} is ${r.archMismatch.required}: ${p.red(`it lacks all ${n} features`)}`);
      else if (r.ok) out(`${p.green('ok')}: ${node.label} has ${n === 1 ? 'the' : 'all'} ${what}`);
      else out(`${node.label} ${p.red(`lacks ${r.missing.length}`)} of the ${what}: ${p.red(r.missing.join(' '))}`);
    }
    return r.ok ? EXIT_OK : EXIT_FAIL;
  },
};

// ---------------------------------------------------------------------------------------------
// diff

const diffVerb: Verb = {
  name: 'diff',
  summary: 'the features only in A and those only in B',
  usage: 'hwcap diff A [B] [--json]',
  description:
    'A and B are node reports or feature sets of one architecture; without B, A is\n' +
    'compared with this node. Exits 0 when they have the same features, 1 when they\n' +
    'differ, as diff(1) does.',
  options: {
    json: { type: 'boolean', help: 'print {a, b, onlyInA, onlyInB} as JSON' },
  },
  positionals: { min: 1, max: 2, name: 'A' },
  examples: ['hwcap diff node1.json node2.json', 'hwcap diff baseline.json'],
  run({ values, positionals }) {
    const { features } = lib();
    const a = loadDocument(positionals[0], 'A');
    const b: Loaded = positionals[1] !== undefined ? loadDocument(positionals[1], 'B') : { file: '', label: 'this node', set: features.FeatureSet.current('process') };
    oneArch([a, b], 'diff');
    const { extra: onlyInA, missing: onlyInB } = a.set.diff(b.set);
    if (values.json) {
      printJson({ a: a.label, b: b.label, arch: a.set.arch, onlyInA, onlyInB });
    } else {
      const p = painter(process.stdout);
      if (onlyInA.length === 0 && onlyInB.length === 0) out(`${a.label} and ${b.label} have the same ${a.set.size} features`);
      else {
        out(`only in ${a.label}: ${onlyInA.length ? p.red(onlyInA.join(' ')) : '(none)'}`);
        out(`only in ${b.label}: ${onlyInB.length ? p.green(onlyInB.join(' ')) : '(none)'}`);
      }
    }
    return onlyInA.length === 0 && onlyInB.length === 0 ? EXIT_OK : EXIT_FAIL;
  },
};

// ---------------------------------------------------------------------------------------------
// exec

const MODES = ['auto', 'kernel', 'ptrace'] as const;

/** Signals that reach hwcap but not, by themselves, the command: passed on. */
const FORWARDED: NodeJS.Signals[] = ['SIGTERM', 'SIGHUP', 'SIGUSR1', 'SIGUSR2'];
/** Signals a terminal sends to the whole foreground group: the command has them already. */
const FROM_TERMINAL: NodeJS.Signals[] = ['SIGINT', 'SIGQUIT'];

const execVerb: Verb = {
  name: 'exec',
  summary: 'run a command that sees only the given features, through the launcher',
  usage: 'hwcap exec [--baseline FILE | --features LIST] [--drop LIST] [--mode auto|kernel|ptrace] [--no-follow] [--allow-security-masking] [--] CMD [ARGS...]',
  description:
    "The command's AT_HWCAP* words are ANDed with the mask before its first\n" +
    'instruction; a mask can remove features, never add one. If masking fails the\n' +
    'command is killed before it runs (fail closed).\n' +
    '  --baseline FILE  keep the features of a feature set or report (hwcap baseline)\n' +
    '  --features LIST  keep only these features\n' +
    '  --drop LIST      remove these (from the baseline, the list, or this node)\n' +
    "Modes: 'kernel' masks the launcher's own auxv and execs (kernels that inherit\n" +
    "it); 'ptrace' patches the new image at exec; 'auto' (default) picks kernel\n" +
    "where 'hwcap probe' shows inheritance, else ptrace. Every exec in the command's\n" +
    'process tree is masked unless --no-follow.\n' +
    'Exit status: the command\'s own; 128+N if a signal N killed it; 127 command not\n' +
    'found; 126 not executable; 125 hwcap could not run it masked. SIGTERM, SIGHUP,\n' +
    'SIGUSR1 and SIGUSR2 sent to hwcap are passed on to the command.',
  options: {
    baseline: { type: 'string', value: 'FILE', help: 'keep only the features of this baseline or report' },
    features: { type: 'string', multiple: true, value: 'LIST', help: 'keep only these features (comma-separated, repeatable)' },
    drop: { type: 'string', multiple: true, value: 'LIST', help: 'remove these features (comma-separated, repeatable)' },
    mode: { type: 'string', value: 'MODE', help: 'auto (default), kernel or ptrace' },
    'no-follow': { type: 'boolean', help: 'mask only the first exec, not the whole process tree' },
    'allow-security-masking': { type: 'boolean', help: 'allow removing security features (arm64 paca, pacg, bti, mte, gcs …)' },
    verbose: { type: 'boolean', short: 'v', help: 'say on stderr what is kept and which mode runs' },
  },
  positionals: { min: 0, max: Infinity, name: 'CMD' },
  stopAtCommand: true,
  examples: [
    'hwcap exec --baseline baseline.json -- java -jar app.jar',
    'hwcap exec --drop sve,sve2 -- ./bench',
    'hwcap exec --features fpu,sse,sse2 -- env LD_SHOW_AUXV=1 /bin/true',
  ],
  run(ctx) {
    return runExec(ctx);
  },
};

function runExec({ values, positionals }: Context): Promise<number> {
  const { features, spawn } = lib();
  if (positionals.length === 0) throw usageError(execVerb, 'missing CMD');
  const mode = (values.mode ?? 'auto') as string;
  if (!(MODES as readonly string[]).includes(mode)) throw usageError(execVerb, `--mode must be auto, kernel or ptrace, not '${mode}'`);
  const baselineFile = values.baseline as string | undefined;
  const keepNames = values.features as string[] | undefined;
  const dropNames = values.drop as string[] | undefined;
  if (baselineFile !== undefined && keepNames !== undefined) throw usageError(execVerb, 'give --baseline or --features, not both');
  if (baselineFile === undefined && keepNames === undefined && dropNames === undefined) {
    throw usageError(execVerb, 'nothing to mask: give --baseline FILE, --features LIST or --drop LIST');
  }
  const here = features.FeatureSet.current('process');
  let mask: FeatureSet;
  if (baselineFile !== undefined) {
    const doc = loadDocument(baselineFile, 'baseline');
    if (doc.set.arch !== here.arch) {
      throw new CliError(`baseline ${doc.label} is for ${doc.set.arch}; this machine is ${here.arch}`, 'make a baseline from reports of this architecture');
    }
    mask = doc.set;
  } else if (keepNames !== undefined) {
    mask = features.FeatureSet.fromNames(here.arch, featureNames(keepNames, 'features', here.arch));
  } else {
    mask = here;
  }
  if (dropNames !== undefined) mask = mask.without(featureNames(dropNames, 'drop', here.arch));

  const lost = here.securityNames().filter((n) => !mask.has(n));
  if (lost.length && !values['allow-security-masking']) {
    throw new CliError(`the mask removes security feature${lost.length === 1 ? '' : 's'} ${lost.join(' ')}, which protect the command`, 'pass --allow-security-masking if that is what you want');
  }
  const { extra: absent } = mask.diff(here);
  if (absent.length) err(`hwcap exec: note: this node lacks ${absent.join(' ')} of the mask; the command will not see ${absent.length === 1 ? 'it' : 'them'} either`);
  const kept = mask.intersect(here);
  if (values.verbose) {
    const words = Object.entries(kept.toJSON().words).filter(([, v]) => v !== '0x0').map(([k, v]) => `${k}=${v}`);
    const removed = here.diff(kept).extra;
    err(`hwcap exec: keeping ${kept.size} of ${here.size} features (${words.join(' ') || 'all words 0'}); removing ${removed.join(' ') || 'none'}`);
    err(`hwcap exec: mode ${mode === 'auto' ? `auto → ${spawn.probeInheritance().inherits === true ? 'kernel' : 'ptrace'}` : mode}, ${values['no-follow'] ? 'first exec only' : 'following the whole process tree'}`);
  }

  const [file, ...args] = positionals;
  return new Promise<number>((resolve) => {
    let child: ReturnType<typeof spawn.spawn> | undefined;
    // Forwarding starts before the spawn: the command may be running (and a
    // signal on its way to hwcap) before spawn() returns. A signal that comes
    // first is passed on as soon as there is a child to take it.
    const early: NodeJS.Signals[] = [];
    const forward = (signal: NodeJS.Signals) => {
      if (!child) {
        early.push(signal);
        return;
      }
      try {
        child.kill(signal);
      } catch {
        // already gone
      }
    };
    const ignore = () => {};
    for (const s of FORWARDED) process.on(s, forward);
    for (const s of FROM_TERMINAL) process.on(s, ignore);
    const done = (status: number) => {
      for (const s of FORWARDED) process.off(s, forward);
      for (const s of FROM_TERMINAL) process.off(s, ignore);
      resolve(status);
    };
    try {
      child = spawn.spawn(file, args, {
        stdio: 'inherit',
        hwcaps: mask,
        mode: mode as 'auto' | 'kernel' | 'ptrace',
        follow: !values['no-follow'],
        allowSecurityMasking: values['allow-security-masking'] === true,
        // Should hwcap die, the command does not outlive it unnoticed.
        pdeathsig: 'SIGTERM',
      });
    } catch (e) {
      done(printError(execFailure(e, file), execVerb.name));
      return;
    }
    for (const s of early.splice(0)) forward(s);
    child.on('error', (e) => done(printError(execFailure(e, file), execVerb.name)));
    child.on('exit', (code, signal) => {
      if (signal) done(128 + ((os.constants.signals as Record<string, number>)[signal] ?? 0));
      else done(code ?? EXIT_EXEC);
    });
  });
}

const EXIT_EXEC = 125;

/** A failure to start CMD, with the exit status env(1) and the shells use. */
function execFailure(e: unknown, file: string): CliError {
  const x = e as Error & { code?: string; syscall?: string; hint?: string; stage?: string; detail?: string };
  if (typeof x.syscall === 'string' && x.syscall.startsWith('spawn')) {
    if (x.code === 'ENOENT') return new CliError(`${file}: command not found`, 'check the name and PATH', 127);
    if (x.code === 'EACCES' || x.code === 'ENOEXEC' || x.code === 'EISDIR') return new CliError(`${file}: cannot execute: ${x.code}`, 'is it an executable file?', 126);
  }
  // The library's hints name its options; say the command's flags instead.
  const hint = x.hint
    ?.replace(/pass allowSecurityMasking: true/, 'pass --allow-security-masking')
    .replace(/mode '(\w+)' or '(\w+)'/, '--mode $1 or --mode $2')
    .replace(/mode '(\w+)'/, '--mode $1');
  // The launcher's own words where they name what the cause does not: the file, the tracer, the feature.
  const detail = x.detail && ['check-target', 'seize', 'security'].includes(x.stage ?? '') && x.detail !== `${x.syscall}: ${x.code}` ? `: ${x.detail}` : '';
  const cause = x.stage ? `${x.syscall ?? 'setup'} failed at launcher step ${x.stage} (${x.code})${detail}` : x.message;
  return new CliError(`cannot run ${file} masked: ${cause}`, hint, EXIT_EXEC);
}

// ---------------------------------------------------------------------------------------------
// probe

const probeVerb: Verb = {
  name: 'probe',
  summary: 'what this machine allows: auxv writes, ptrace, kernel inheritance, PR_USER_HWCAP_ENABLED',
  usage: 'hwcap probe [--json]',
  description:
    'Tries each interface for real and reports what it answered:\n' +
    "  PR_GET_AUXV       read the kernel's saved copy of the auxv (Linux >= 6.4)\n" +
    '  PR_SET_MM_AUXV    write it; needs CAP_SYS_RESOURCE\n' +
    '  PR_SET_MM_MAP     write it with all mm fields; needs CONFIG_CHECKPOINT_RESTORE, no capability\n' +
    "  ptrace            mask a child at exec ('hwcap exec --mode ptrace'), tried on hwcap-probe\n" +
    "  kernel inheritance  does a masked auxv survive execve ('--mode kernel')? tried on hwcap-probe\n" +
    '  CPUID faulting    can CPUID be masked (x86-64)? armed and trapped for real by hwcap-exec\n' +
    '  PR_USER_HWCAP_ENABLED  asked only with a number from the build headers or\n' +
    '                    HWCAP_PR_USER_HWCAP_ENABLED; "unknown" otherwise\n' +
    'The writes put back the vector the kernel already holds; nothing changes.',
  options: { json: JSON_OPT },
  positionals: { min: 0, max: 0, name: '' },
  examples: ['hwcap probe', 'hwcap probe --json'],
  run({ values }) {
    const result = lib().probe.probe();
    if (values.json) {
      printJson(result);
      return EXIT_OK;
    }
    const p = painter(process.stdout);
    const rows: string[][] = [];
    const access = (name: string, a: Auxv.AccessAnswer) =>
      rows.push(a.ok ? [name, p.green('ok'), ''] : [name, p.red(a.code), a.hint ?? '']);
    access('PR_GET_AUXV', result.auxv.prGetAuxv);
    access('PR_SET_MM_AUXV', result.auxv.prSetMmAuxv);
    access('PR_SET_MM_MAP', result.auxv.prSetMmMap);
    const pt = result.ptrace;
    rows.push(pt.ok ? ['ptrace', p.green('ok'), pt.reason] : ['ptrace', p.red(pt.code), pt.hint ? `${pt.reason}; ${pt.hint}` : pt.reason]);
    const inh = result.inheritance.inherits;
    rows.push(['kernel inheritance', inh === true ? p.green('yes') : inh === false ? 'no' : p.yellow('unknown'), result.inheritance.reason]);
    const cf = result.cpuidFault;
    rows.push(cf.ok ? ['CPUID faulting', p.green('ok'), cf.reason] : ['CPUID faulting', p.red(cf.code), cf.hint ? `${cf.reason}; ${cf.hint}` : cf.reason]);
    rows.push(['exec --mode auto', result.autoMode ? p.green(result.autoMode) : p.red('none'), result.autoMode ? '' : 'neither mode works here: hwcap exec fails closed']);
    const u = result.userHwcap;
    rows.push(['PR_USER_HWCAP_ENABLED', u.state === 'enforced' ? p.green(u.state) : u.state === 'unknown' ? p.yellow(u.state) : u.state, u.reason]);
    out(`${p.bold(result.arch)}, Linux ${result.kernel}`);
    out(columns(rows, stripSgr).join('\n'));
    return EXIT_OK;
  },
};

// ---------------------------------------------------------------------------------------------
// Help

function version(): string {
  const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string };
  return pkg.version;
}

function optionLines(options: Record<string, OptionSpec>): string[] {
  const rows = Object.entries(options).map(([name, o]) => [
    `  ${o.short ? `-${o.short}, ` : '    '}--${name}${o.type === 'string' ? ` ${o.value ?? 'VALUE'}` : ''}`,
    o.help,
  ]);
  return columns(rows);
}

function verbHelp(v: Verb): string {
  const lines = [`Usage: ${v.usage}`, '', v.summary.charAt(0).toUpperCase() + v.summary.slice(1) + '.', ''];
  if (v.description) lines.push(v.description, '');
  lines.push('Options:', ...optionLines({ ...v.options, help: HELP }), '');
  if (v.examples.length) lines.push('Examples:', ...v.examples.map((e) => `  ${e}`), '');
  return lines.join('\n');
}

function globalHelp(): string {
  const vs = verbs();
  return [
    'Usage: hwcap [COMMAND] [OPTIONS] [ARGS]',
    '',
    'Read, decode, baseline and mask the CPU feature words (AT_HWCAP*) of the ELF',
    'auxiliary vector, and run commands that see only the features a cluster shares.',
    '',
    'Commands:',
    ...columns(vs.map((v) => [`  ${v.name}`, v.summary])),
    '',
    'Options:',
    '  -h, --help     show this help (or a command\'s, after the command)',
    '      --version  print the version and exit',
    '',
    "Run 'hwcap COMMAND --help' for the options of a command.",
    '',
    'Exit status: 0 ok; 1 check found missing features, or diff found differences;',
    "2 usage, input or system error. exec: the command's own status (128+N for signal N),",
    '125 when it could not be run masked, 126 not executable, 127 not found.',
    '',
    'Environment: NO_COLOR turns colour off, FORCE_COLOR turns it on (otherwise colour',
    'is used on a terminal only).',
    '',
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------
// Dispatch

function parseFor(verb: Verb, args: string[], extra: Record<string, OptionSpec> = {}, helpVerb: Verb | null = verb): Context {
  const specs = { ...verb.options, help: HELP, ...extra };
  const options = Object.fromEntries(
    Object.entries(specs).map(([name, o]) => [name, { type: o.type, ...(o.short ? { short: o.short } : {}), ...(o.multiple ? { multiple: true } : {}) }]),
  );
  let command: string[] = [];
  if (verb.stopAtCommand) {
    // The same table, read loosely, tells where CMD starts; what comes before is parsed strictly.
    const { tokens } = util.parseArgs({ args, options, allowPositionals: true, strict: false, tokens: true });
    const first = tokens.find((t) => t.kind === 'positional');
    if (first) {
      command = args.slice(first.index);
      args = args.slice(0, first.index);
    }
  }
  let parsed: ReturnType<typeof util.parseArgs>;
  try {
    parsed = util.parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (e) {
    throw usageFromParseArgs(helpVerb ?? undefined, e as Error & { code?: string }, Object.keys(specs));
  }
  return { verb, values: parsed.values as Context['values'], positionals: [...parsed.positionals, ...command] };
}

function usageFromParseArgs(verb: Verb | undefined, e: Error & { code?: string }, known: string[]): CliError {
  if (e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    const m = /'(-[^']*)'/.exec(e.message);
    const opt = m ? m[1] : '';
    const near = closeMatches(opt.replace(/^-+/, ''), known).map((k) => `--${k}`);
    return usageError(verb, `unknown option '${opt}'${near.length ? `; did you mean ${orList(near)}?` : ''}`);
  }
  if (e.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    return usageError(verb, e.message.replace(/^Option '([^']*)' argument missing$/, "option '$1' needs a value").replace(/^Option/, 'option'));
  }
  return usageError(verb, e.message);
}

function checkPositionals(ctx: Context): void {
  const { min, max, name } = ctx.verb.positionals;
  const n = ctx.positionals.length;
  if (n < min) throw usageError(ctx.verb, `missing ${name}`);
  if (n > max) {
    const extra = ctx.positionals[max];
    throw usageError(ctx.verb, max === 0 ? `'hwcap ${ctx.verb.name}' takes no arguments; got '${extra}'` : `too many arguments: '${extra}'`);
  }
}

async function main(argv: string[]): Promise<number> {
  const vs = verbs();
  const byName = new Map(vs.map((v) => [v.name, v]));
  const first = argv[0];
  if (first === 'help') {
    const v = argv[1] === undefined ? undefined : byName.get(argv[1]);
    if (argv[1] !== undefined && !v) throw unknownCommand(argv[1], vs);
    out(v ? verbHelp(v) : globalHelp());
    return EXIT_OK;
  }
  const verb = first !== undefined ? byName.get(first) : undefined;
  if (verb) {
    currentVerb = verb;
    const ctx = parseFor(verb, argv.slice(1));
    if (ctx.values.help) {
      out(verbHelp(verb));
      return EXIT_OK;
    }
    checkPositionals(ctx);
    return verb.run(ctx);
  }
  // No command: the default one, `show`, with --version as an extra option.
  const dflt = showVerb;
  currentVerb = dflt;
  const ctx = parseFor(dflt, argv, { version: { type: 'boolean', help: 'print the version' } }, null);
  if (ctx.values.version) {
    out(`hwcap ${version()}`);
    return EXIT_OK;
  }
  if (ctx.values.help) {
    out(globalHelp());
    return EXIT_OK;
  }
  if (ctx.positionals.length) throw unknownCommand(ctx.positionals[0], vs);
  return dflt.run(ctx);
}

function unknownCommand(name: string, vs: Verb[]): CliError {
  const near = closeMatches(name, vs.map((v) => v.name));
  return usageError(
    undefined,
    `unknown command '${name}'${near.length ? `; did you mean ${orList(near.map((x) => `'${x}'`))}?` : ''}`,
    `the commands are ${vs.map((v) => v.name).join(', ')}; see 'hwcap --help'`,
  );
}

/** Prints an error as `hwcap[ VERB]: cause` and `hint: …`; returns the exit status. */
function printError(e: unknown, verbName: string | undefined): number {
  const p = painter(process.stderr);
  const prefix = `hwcap${verbName ? ` ${verbName}` : ''}:`;
  let message: string;
  let hint: string | undefined;
  let status = EXIT_USAGE;
  if (e instanceof CliError) {
    ({ message, hint } = e);
    status = e.exitCode;
  } else if (e instanceof Error) {
    message = e.message;
    hint = (e as { hint?: string }).hint;
    if (process.env.HWCAP_DEBUG) message += `\n${e.stack}`;
  } else {
    message = String(e);
  }
  err(`${p.bold(prefix)} ${p.red(message.split('\n')[0])}${message.includes('\n') ? `\n${message.split('\n').slice(1).join('\n')}` : ''}`);
  if (hint) err(`${p.dim('hint:')} ${hint}`);
  return status;
}

export async function run(argv: string[]): Promise<number> {
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    // `hwcap show | head -1`: the reader left; nothing is wrong.
    if (e.code === 'EPIPE') process.exit(EXIT_OK);
    throw e;
  });
  const verbName = argv[0] !== undefined && verbs().some((v) => v.name === argv[0]) ? argv[0] : undefined;
  try {
    return await main(argv);
  } catch (e) {
    return printError(e, verbName);
  }
}

