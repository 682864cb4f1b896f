// hwcap check: does this node (or a report) have every feature of a baseline?
// With --report it reads files only; without, it asks the host for this node.
import * as os from 'node:os';
import { FeatureSet } from '../../core/features';
import { check as checkSets } from '../../core/report';
import { featureNames, loadDocument, oneArch, type Loaded } from '../documents';
import { host } from '../host';
import { EXIT_FAIL, EXIT_OK, out, painter, printJson, usageError } from '../output';
import { defineVerb, jsonOption } from '../verb';

export const check = defineVerb({
  name: 'check',
  summary: 'exit 0 if this node (or a report) has every feature of a baseline, else 1',
  args: '[BASELINE]',
  description:
    "BASELINE is a feature set ('hwcap baseline', 'hwcap show --json') or a node report;\n" +
    '--features names the required features instead. Lists the missing features and\n' +
    'exits 1 when any is missing. A baseline of another architecture than the node\n' +
    'is an input error (exit 2): feature names differ per architecture.\n' +
    'Without --report the node is this machine (the process view).',
  options: {
    features: { type: 'string', multiple: true, value: 'LIST', help: 'require these features (comma-separated, repeatable) instead of a BASELINE' },
    report: { type: 'string', value: 'FILE', help: 'check the node of this report instead of this machine' },
    json: jsonOption('print {ok, node, arch, missing} as JSON'),
    quiet: { type: 'boolean', short: 'q', help: 'print nothing; the exit status tells' },
  },
  positionals: { min: 0, max: 1, name: 'BASELINE' },
  examples: ['hwcap check baseline.json', 'hwcap check baseline.json --report node7.json', 'hwcap check --features sse2,ht   # x86-64', 'hwcap check --features asimd,sve   # arm64'],
  run({ values, positionals }) {
    const byName = values.features;
    const [baselineFile] = positionals;
    if (baselineFile === undefined && byName === undefined) throw usageError('check', 'missing BASELINE (or --features LIST)');
    if (baselineFile !== undefined && byName !== undefined) throw usageError('check', 'give a BASELINE or --features, not both');
    const node: Loaded = values.report !== undefined ? loadDocument(values.report, 'report') : { file: '', label: 'this node', set: host().FeatureSet.current('process') };
    let required: Loaded;
    if (baselineFile !== undefined) {
      required = loadDocument(baselineFile, 'baseline');
    } else {
      const names = featureNames('check', byName, 'features', node.set.arch);
      required = { file: '', label: names.join(','), set: FeatureSet.fromNames(node.set.arch, names) };
    }
    oneArch([node, required], 'check');
    const r = checkSets(required.set, node.set);
    if (values.json) {
      const name = node.report?.hostname ?? (values.report !== undefined ? node.file : os.hostname());
      printJson({ ok: r.ok, node: name, arch: node.set.arch, required: required.set.arch, missing: r.missing });
    } else if (!values.quiet) {
      const p = painter(process.stdout);
      const n = required.set.size;
      const what = `${n} ${byName !== undefined ? 'required ' : ''}feature${n === 1 ? '' : 's'}${byName !== undefined ? '' : ` of ${required.label}`}`;
      if (r.ok) out(`${p.green('ok')}: ${node.label} has ${n === 1 ? 'the' : 'all'} ${what}`);
      else out(`${node.label} ${p.red(`lacks ${r.missing.length}`)} of the ${what}: ${p.red(r.missing.join(' '))}`);
    }
    return r.ok ? EXIT_OK : EXIT_FAIL;
  },
});
