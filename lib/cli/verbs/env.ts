// hwcap env: the runtime knobs (GLIBC_TUNABLES, OPENSSL_ia32cap, GODEBUG, DOTNET_*, NPY_*) that
// make x86-64 runtimes leave alone what a feature set lacks, as shell export lines, and V8's
// flags for node's command line as a comment line after them.
import type * as Launcher from '../../launcher';
import { keepSetOf } from '../documents';
import { host } from '../host';
import { planFailure } from '../flags';
import { CliError, EXIT_OK, EXIT_USAGE, err, out, printJson } from '../output';
import { defineVerb, jsonOption } from '../verb';

/** A value quoted for sh: single quotes, with ' written as '\''. */
function shellQuote(v: string): string {
  return /^[A-Za-z0-9_.,:=+/-]*$/.test(v) ? v : `'${v.replace(/'/g, `'\\''`)}'`;
}

export const env = defineVerb({
  name: 'env',
  summary: 'the runtime knobs that keep glibc, OpenSSL, Go, .NET and numpy to a feature set (x86-64)',
  exclusive: [['baseline', 'features']],
  description:
    'Prints `export NAME=VALUE` lines for the features this node has and the set lacks:\n' +
    '  --baseline FILE  the set of a feature set or report (hwcap baseline)\n' +
    '  --features LIST  only these features (psABI levels x86-64-v2 … v4 expand)\n' +
    '  --drop LIST      drop these from that set (or from this node)\n' +
    'Use as `eval "$(hwcap env --baseline b.json)"`. These knobs are a second layer: they\n' +
    'bind runtimes that read them, not code that runs CPUID itself. Each value is merged\n' +
    "with the variable's value in this environment (mergeRuntimeEnv), so that it only\n" +
    'turns more off: GLIBC_TUNABLES and GODEBUG keep your other settings, OPENSSL_ia32cap\n' +
    'your cleared bits, NPY_DISABLE_CPU_FEATURES your names; DOTNET_* are set to 0.\n' +
    "V8 takes no variable: its flags follow as a comment, `# node: --no-enable-avx2 …`,\n" +
    "for node's command line (NODE_OPTIONS refuses them); --node-flags prints them alone,\n" +
    'as `node $(hwcap env --node-flags …) app.js` wants them (--json: an array).\n' +
    "'hwcap exec --runtime-env' sets the same for one command. Protections\n" +
    '(CET shadow stacks, IBT) stay on unless --allow-security-masking. Off x86-64 there\n' +
    'is nothing to print: runtimes there read the auxv, which hwcap exec masks.',
  options: {
    baseline: { type: 'string', value: 'FILE', help: 'keep only the features of this baseline or report' },
    features: { type: 'string', multiple: true, value: 'LIST', help: 'keep only these features (comma-separated, repeatable)' },
    drop: { type: 'string', multiple: true, value: 'LIST', help: 'drop these features (comma-separated, repeatable)' },
    'allow-security-masking': { type: 'boolean', help: 'also turn off protections (glibc IBT and SHSTK)' },
    'node-flags': { type: 'boolean', help: "print only V8's flags for node's command line, on one line" },
    json: jsonOption('print the variables as one JSON object (with --node-flags: the flags as an array)'),
  },
  positionals: { min: 0, max: 0, name: '' },
  examples: [
    'eval "$(hwcap env --baseline baseline.json)"',
    'node $(hwcap env --node-flags --baseline baseline.json) app.js',
    'hwcap env --features x86-64-v3   # x86-64',
    'hwcap env --drop avx512f --json   # x86-64',
  ],
  run({ values }) {
    const here = host().FeatureSet.current('process');
    const keep = keepSetOf('env', values, here, 'nothing to keep from');
    // The knobs and V8's flags of the one plan (lib/launcher/plan.ts), as 'hwcap exec --runtime-env'
    // sets them. env masks nothing: the CPUID floor (a mask below the x86-64 baseline) is exec's.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const lc = require('../../launcher') as typeof Launcher;
    let plan: Launcher.MaskPlan;
    try {
      plan = lc.maskPlan(keep, { runtimeEnv: true, allowSecurityMasking: values['allow-security-masking'] === true, allowBelowBaseline: true }, here);
    } catch (e) {
      if ((e as { option?: unknown }).option === 'env') throw new CliError((e as Error).message, 'fix or unset that variable');
      throw planFailure(e, EXIT_USAGE) ?? e;
    }
    const vars = plan.runtimeEnv;
    const nodeFlags = plan.v8Flags;
    if (values['node-flags']) {
      if (values.json) printJson(nodeFlags);
      else if (nodeFlags.length) out(nodeFlags.join(' '));
      return EXIT_OK;
    }
    if (values.json) {
      printJson(vars);
      return EXIT_OK;
    }
    if (here.arch !== 'x86_64') err(`hwcap env: note: ${here.arch} runtimes read the auxv, not these knobs; use 'hwcap exec' to mask it`);
    const lines = Object.entries(vars).map(([k, v]) => `export ${k}=${shellQuote(v)}`);
    // A comment, so that `eval` of the output is unchanged by it.
    if (nodeFlags.length) lines.push(`# node: ${nodeFlags.join(' ')}`);
    if (lines.length) out(lines.join('\n'));
    return EXIT_OK;
  },
});
