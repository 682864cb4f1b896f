// hwcap baseline: the features every given node has. Pure: it reads files only.
import { ARCHES, normalizeArch, type Arch } from '../../core/features';
import { baseline as common } from '../../core/report';
import { loadDocument, nfdNodes, oneArch, type Loaded } from '../documents';
import { CliError, EXIT_OK, err, painter, printJson, usageError } from '../output';
import { defineVerb, jsonOption } from '../verb';

export const baseline = defineVerb({
  name: 'baseline',
  summary: 'the features every given node has, as a JSON feature set',
  args: 'REPORT...',
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
    json: jsonOption('JSON output (always: the baseline is a feature set; accepted for symmetry)'),
  },
  positionals: { min: 0, max: Infinity, name: 'REPORT' },
  examples: ['hwcap baseline node-*.json > baseline.json', 'hwcap baseline --from-nfd nodes.json --arch aarch64 > arm64.json'],
  run({ values, positionals }) {
    const nfdFiles = values['from-nfd'] ?? [];
    if (positionals.length === 0 && nfdFiles.length === 0) throw usageError('baseline', 'missing REPORT (or --from-nfd FILE)');
    let arch: Arch | undefined;
    if (values.arch !== undefined) {
      try {
        arch = normalizeArch(values.arch);
      } catch {
        throw usageError('baseline', `--arch: '${values.arch}' is not one of ${ARCHES.join(', ')}`);
      }
    }
    let docs: Loaded[] = [...positionals.map((f) => loadDocument(f, 'report')), ...nfdFiles.flatMap((f) => nfdNodes(f, arch))];
    const p = painter(process.stderr);
    if (arch) {
      const other = docs.filter((d) => d.set.arch !== arch);
      docs = docs.filter((d) => d.set.arch === arch);
      if (other.length && !values.quiet) {
        err(`hwcap baseline: skipping ${other.length} node${other.length === 1 ? '' : 's'} of other architectures: ${other.map((d) => `${d.label} is ${d.set.arch}`).join(', ')}`);
      }
      if (docs.length === 0) throw new CliError(`no input is of architecture ${arch}`, `the inputs are ${[...new Set(other.map((d) => d.set.arch))].join(', ')}`);
    }
    oneArch(docs, 'baseline');
    const sets = docs.map((d) => d.set);
    const result = common(sets);
    const all = sets.reduce((a, b) => a.union(b));
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
          ? `hwcap baseline: all ${docs.length} node${docs.length === 1 ? ' has' : 's have'} the same ${result.size} features`
          : `hwcap baseline: ${result.size} features common to ${docs.length} nodes; ${all.size - result.size} left out`,
      );
    }
    printJson(result.toJSON());
    return EXIT_OK;
  },
});
