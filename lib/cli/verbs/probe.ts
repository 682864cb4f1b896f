// hwcap probe: try each interface for real and say what it answered. ("Probe"
// means that everywhere in hwcap: a real attempt, never a guess from versions.)
import type { AccessAnswer } from '../../index';
import { host } from '../host';
import { EXIT_OK, columns, out, painter, printJson, stripSgr } from '../output';
import { defineVerb, jsonOption } from '../verb';

export const probe = defineVerb({
  name: 'probe',
  summary: 'what this machine allows: auxv writes, ptrace, kernel inheritance, PR_USER_HWCAP_ENABLED',
  description:
    'Tries each interface for real and reports what it answered:\n' +
    "  PR_GET_AUXV       read the kernel's saved copy of the auxv (Linux >= 6.4)\n" +
    '  PR_SET_MM_AUXV    write it; needs CAP_SYS_RESOURCE\n' +
    '  PR_SET_MM_MAP     write it with all mm fields; needs CONFIG_CHECKPOINT_RESTORE, no capability\n' +
    "  ptrace            mask a child at exec ('hwcap exec --mode ptrace'), tried on hwcap-probe\n" +
    '  CPUID faulting    can CPUID be masked (x86-64)? armed and trapped for real by hwcap-exec\n' +
    "  kernel inheritance  does a masked auxv survive execve ('--mode kernel')? tried on hwcap-probe\n" +
    '  PR_USER_HWCAP_ENABLED  asked only with a number from the build headers or\n' +
    '                    HWCAP_PR_USER_HWCAP_ENABLED; "unknown" otherwise\n' +
    'The writes put back the vector the kernel already holds; nothing changes.\n' +
    'hwcap-probe is the helper program that prints every auxv view it sees.',
  options: { json: jsonOption() },
  positionals: { min: 0, max: 0, name: '' },
  examples: ['hwcap probe', 'hwcap probe --json'],
  run({ values }) {
    const result = host().probe();
    if (values.json) {
      printJson(result);
      return EXIT_OK;
    }
    const p = painter(process.stdout);
    const rows: string[][] = [];
    const access = (name: string, a: AccessAnswer) => rows.push(a.ok ? [name, p.green('ok'), ''] : [name, p.red(a.code), a.hint ?? '']);
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
});
