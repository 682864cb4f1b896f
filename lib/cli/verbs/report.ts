// hwcap report: this node's report as JSON, to collect from every node.
import { host } from '../host';
import { EXIT_OK, printJson, usageError } from '../output';
import { defineVerb, jsonOption } from '../verb';

export const report = defineVerb({
  name: 'report',
  summary: "this node's report as JSON, for collecting from many nodes",
  description:
    'Writes hostname, architecture, kernel, libc, the HWCAP words and their names\n' +
    "(schema 'hwcap.node-report/1'). Collect one per node, then run 'hwcap baseline'.",
  options: {
    hostname: { type: 'string', value: 'NAME', help: 'the node name to record (default: the hostname)' },
    json: jsonOption('JSON output (always; accepted for symmetry)'),
  },
  positionals: { min: 0, max: 0, name: '' },
  examples: ['hwcap report > "$(hostname).json"', 'ssh node7 npx hwcap report > node7.json'],
  run({ values }) {
    if (values.hostname === '') throw usageError('report', '--hostname must not be empty');
    // nodeReport() also records whether this kernel passes a masked auxv across exec.
    printJson(host().nodeReport(values.hostname ? { hostname: values.hostname } : {}));
    return EXIT_OK;
  },
});
