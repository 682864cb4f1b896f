// hwcap diff: the features only in A and those only in B. With B it reads files
// only; without, B is this node, from the host.
import { loadDocument, oneArch, type Loaded } from '../documents';
import { host } from '../host';
import { EXIT_FAIL, EXIT_OK, out, painter, printJson } from '../output';
import { defineVerb, jsonOption } from '../verb';

export const diff = defineVerb({
  name: 'diff',
  summary: 'the features only in A and those only in B',
  args: 'A [B]',
  description:
    'A and B are node reports or feature sets of one architecture; without B, A is\n' +
    'compared with this node. Exits 0 when they have the same features, 1 when they\n' +
    'differ, as diff(1) does.',
  options: {
    json: jsonOption('print {a, b, onlyInA, onlyInB} as JSON'),
  },
  positionals: { min: 1, max: 2, name: 'A' },
  examples: ['hwcap diff node1.json node2.json', 'hwcap diff baseline.json'],
  run({ values, positionals }) {
    const [fileA = '', fileB] = positionals;
    const a = loadDocument(fileA, 'A');
    const b: Loaded = fileB !== undefined ? loadDocument(fileB, 'B') : { file: '', label: 'this node', set: host().FeatureSet.current('process') };
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
});
