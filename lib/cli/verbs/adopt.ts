// hwcap adopt: follow an existing process tree (a restored checkpoint) as hwcap exec does.
import * as fs from 'node:fs';
import type { FeatureSet } from '../../core/features';
import type * as Launcher from '../../launcher';
import { featureNames, loadDocument } from '../documents';
import { host } from '../host';
import { planFailure } from '../flags';
import { CliError, EXIT_OK, EXIT_USAGE, jsonLine, out, usageError } from '../output';
import { defineVerb, jsonOption } from '../verb';
import { pidArg } from './release';

export const adopt = defineVerb({
  name: 'adopt',
  summary: 'follow an existing process tree (a restored checkpoint) as exec does, masking what it execs',
  args: 'PID',
  exclusive: [['baseline', 'features']],
  description:
    'A new helper seizes every thread of every process under PID, continues the\n' +
    'processes that are stopped, and masks every exec in the tree from then on.\n' +
    'The keep set is what the tree\'s saved auxv shows (/proc/PID/auxv, which CRIU\n' +
    'restores as it was), or narrower: --baseline, --features and --drop can keep\n' +
    'or drop features, never add one the saved auxv lacks (that is an error naming\n' +
    'them). What the tree has already read stays as restored.\n' +
    "CPUID (x86-64): --cpuid RULE (repeatable) gives the rules 'hwcap release'\n" +
    'printed; a keep set that drops CPUID features adds its own (--auxv-only: not):\n' +
    "the rules 'hwcap exec' makes of the same --baseline, --features or --drop.\n" +
    'A checkpoint keeps no CPUID rule, so on x86-64 adopt needs --cpuid, --baseline,\n' +
    "--features or --drop (the tree's own keep set), or --auxv-only when 'hwcap\n" +
    "release' printed no rule; without one it refuses rather than leave CPUID unmasked.\n" +
    'With any rule, faulting is armed in every thread before the tree runs again;\n' +
    'where that fails (no CPUID faulting here) the adopt fails and the tree is\n' +
    'not continued.\n' +
    'Exit status: 0 adopted; 2 no such pid, another tracer holds a task, no\n' +
    'permission, a wider keep set, CPUID rules not given (x86-64), or the helper\n' +
    'could not seize the tree.',
  options: {
    baseline: { type: 'string', value: 'FILE', help: 'keep only the features of this baseline or report' },
    features: { type: 'string', multiple: true, value: 'LIST', help: 'keep only these features (comma-separated, repeatable)' },
    drop: { type: 'string', multiple: true, value: 'LIST', help: 'drop these features from the keep set (comma-separated, repeatable)' },
    'allow-security-masking': { type: 'boolean', help: 'allow dropping security features the saved auxv shows' },
    cpuid: { type: 'string', multiple: true, value: 'RULE', help: "a CPUID rule LEAF[.SUBLEAF]:REG=KEEP, as 'hwcap release' printed it (repeatable)" },
    'auxv-only': { type: 'boolean', help: 'the keep set masks only the auxv words (no CPUID rules of its own)' },
    'allow-below-baseline': { type: 'boolean', help: 'x86-64: allow CPUID rules below the x86-64 baseline (static programs only)' },
    json: jsonOption('print the result as one line of JSON'),
  },
  positionals: { min: 1, max: 1, name: 'PID' },
  examples: [
    'criu restore -D img -d --shell-job && hwcap adopt --baseline baseline.json "$PID"',
    'hwcap adopt --auxv-only "$PID"',
    'hwcap adopt --cpuid 7.0:ebx=ffffffdf "$PID"   # x86-64, CPUID faulting',
    'hwcap adopt --drop ht,avx2 "$PID"   # x86-64, CPUID faulting',
  ],
  async run({ values, positionals }) {
    const pid = pidArg('adopt', positionals[0]);
    const { baseline: baselineFile, features: keepNames, drop: dropNames } = values;
    if (baselineFile !== undefined && keepNames !== undefined) throw usageError('adopt', 'give --baseline or --features, not both');
    const h = host();
    const arch = h.hostArch();
    if (arch === 'x86_64' && baselineFile === undefined && keepNames === undefined && dropNames === undefined && values.cpuid === undefined && values['auxv-only'] !== true) {
      throw new CliError(
        `pid ${pid}'s CPUID rules are not known: a checkpoint keeps neither them nor the faulting state, so adopt cannot tell whether the tree's CPUID was masked`,
        "pass the rules 'hwcap release' printed (--cpuid RULE ...), or the keep set the tree was started with (--baseline FILE, --features LIST, --drop LIST), or --auxv-only where release printed none",
      );
    }
    let keep: FeatureSet | undefined;
    if (baselineFile !== undefined) {
      const doc = loadDocument(baselineFile, 'baseline');
      if (doc.set.arch !== arch) throw new CliError(`baseline ${doc.label} is for ${doc.set.arch}; this machine is ${arch}`, 'make a baseline from reports of this architecture');
      keep = doc.set;
    } else if (keepNames !== undefined) {
      keep = h.FeatureSet.fromNames(arch, featureNames('adopt', keepNames, 'features', arch));
    }
    if (dropNames !== undefined) {
      // Dropping from what the tree shows when no keep set is given: its saved auxv words and, on
      // x86-64, this CPU's CPUID words (the --cpuid rules given narrow those further), as
      // 'hwcap exec --drop' drops from this node's features.
      keep ??= shownBy(h, pid);
      keep = keep.without(featureNames('adopt', dropNames, 'drop', arch));
    }
    // The one plan of the keep set (lib/launcher/plan.ts): its auxv words and the CPUID rules it implies.
    let plan: Launcher.MaskPlan | undefined;
    if (keep) {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const lc = require('../../launcher') as typeof Launcher;
      try {
        plan = lc.maskPlan(keep, {
          auxvOnly: values['auxv-only'] === true,
          allowSecurityMasking: values['allow-security-masking'] === true,
          allowBelowBaseline: values['allow-below-baseline'] === true,
        });
      } catch (e) {
        throw planFailure(e, EXIT_USAGE, e instanceof lc.BelowBaselineError ? lc.belowBaselineHint : undefined) ?? e;
      }
    }
    const r = await h.adopt(pid, {
      ...(plan ? { hwcaps: plan } : { allowSecurityMasking: values['allow-security-masking'], auxvOnly: values['auxv-only'] === true }),
      ...(values.cpuid ? { cpuid: values.cpuid } : {}),
    });
    if (values.json) out(jsonLine(r));
    else {
      const kept = h.decodeWords(arch, r.words);
      out(
        `adopted pid ${pid}: ${r.tasks} task${r.tasks === 1 ? '' : 's'} in ${r.processes} process${r.processes === 1 ? '' : 'es'}` +
          `${r.continued ? `, ${r.continued} continued` : ''}; every exec keeps ${kept.length} feature${kept.length === 1 ? '' : 's'} (helper ${r.helper})`,
      );
      if (r.cpuid.length) out(`CPUID masked by ${r.cpuid.join(' ')}, faulting armed in every thread`);
    }
    return EXIT_OK;
  },
});

/** What pid's tree shows: its saved auxv words and, on x86-64, this CPU's CPUID words. */
function shownBy(h: ReturnType<typeof host>, pid: number): FeatureSet {
  let buf: Buffer;
  try {
    buf = fs.readFileSync(`/proc/${pid}/auxv`);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new CliError(`no process has pid ${pid}`, 'check the pid (after a restore, the pid CRIU restored)');
    throw new CliError(`cannot read /proc/${pid}/auxv: ${code}`, 'only a user who may ptrace the tree may adopt it');
  }
  const cpuid: Record<string, number> = { ...h.FeatureSet.current().cpuid };
  delete cpuid['CPUID.1:EDX']; // AT_HWCAP, the saved word
  return h.FeatureSet.fromWords(h.hostArch(), h.wordsOf(h.parseAuxvBytes(buf)), cpuid);
}
