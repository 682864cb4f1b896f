// hwcap release: hand a followed process tree over for a checkpoint (docs/checkpoint.md).
import { host } from '../host';
import { EXIT_OK, jsonLine, out, usageError } from '../output';
import { defineVerb, jsonOption } from '../verb';

/** A PID positional: digits only, 1 and up. */
export function pidArg(verb: string, s: string | undefined): number {
  if (s === undefined || !/^[0-9]{1,7}$/.test(s) || Number(s) < 1) throw usageError(verb, `PID must be a process id, not '${s ?? ''}'`);
  return Number(s);
}

export const release = defineVerb({
  name: 'release',
  summary: "hand a masked process tree over for a checkpoint: its helper lets go (then 'criu dump')",
  args: 'PID',
  description:
    'The helper that follows PID\'s tree (hwcap exec, hwcap adopt) disarms CPUID\n' +
    'faulting in every thread, clears the parent-death signal hwcap exec gave the\n' +
    'program (CRIU would restore it, and it would kill the restored program),\n' +
    'stops every process (SIGSTOP) unless --no-stop, detaches from every task and\n' +
    'exits. Then a checkpointer such as CRIU can seize the tree; after the restore,\n' +
    "'hwcap adopt' follows it again. Only a user who may ptrace the tree may ask.\n" +
    'A CPUID-masked tree (x86-64): the rules in force are printed (JSON: cpuid);\n' +
    "pass them to 'hwcap adopt --cpuid RULE ...', which arms faulting again. Such a\n" +
    'tree is not released running (--no-stop) unless --allow-unmasked-cpuid: with\n' +
    'faulting disarmed it would run CPUID unmasked until the adopt.\n' +
    'Exit status: 0 released; 2 no such pid, no hwcap helper follows it, no\n' +
    'permission, or the helper could not let go (the tree is then as it was).',
  options: {
    'no-stop': { type: 'boolean', help: 'leave the tree running (default: stopped, so nothing runs before the dump)' },
    'allow-unmasked-cpuid': { type: 'boolean', help: 'with --no-stop, accept that a CPUID-masked tree runs CPUID unmasked while released' },
    json: jsonOption('print the result as one line of JSON'),
  },
  positionals: { min: 1, max: 1, name: 'PID' },
  examples: ['hwcap release "$PID" && criu dump -t "$PID" -D img --shell-job', 'hwcap release --no-stop "$PID"'],
  async run({ values, positionals }) {
    const pid = pidArg('release', positionals[0]);
    const r = await host().release(pid, { stop: !values['no-stop'], allowUnmaskedCpuid: values['allow-unmasked-cpuid'] === true });
    if (values.json) out(jsonLine(r));
    else {
      out(
        `released pid ${pid}: ${r.tasks} task${r.tasks === 1 ? '' : 's'} in ${r.processes} process${r.processes === 1 ? '' : 'es'}, ` +
          `${r.stopped ? 'stopped' : 'running'}; nothing traces it now`,
      );
      if (r.cpuid.length) out(`CPUID masked by ${r.cpuid.join(' ')}; faulting is disarmed: take it back with hwcap adopt ${r.cpuid.map((c) => `--cpuid ${c}`).join(' ')} PID`);
      else if (host().hostArch() === 'x86_64') out('CPUID not masked: take it back with hwcap adopt --auxv-only PID (or the keep set it was started with)');
    }
    return EXIT_OK;
  },
});
