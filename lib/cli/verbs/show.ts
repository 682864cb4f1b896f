// hwcap [show]: this process's CPU features, from one of the three auxv views.
import { catalog, type Feature } from '../../core/features';
import { host } from '../host';
import { EXIT_OK, columns, err, out, painter, printJson, stripSgr } from '../output';
import { defineVerb, jsonOption, type Values } from '../verb';

export const showOptions = {
  view: { type: 'string', value: 'VIEW', default: 'process', choices: ['process', 'kernel', 'libc'], help: 'process (default), kernel or libc' },
  all: { type: 'boolean', short: 'a', help: 'list every feature of this architecture, set or not' },
  json: jsonOption('print the feature set as JSON'),
} as const;

/** Also the command without a verb (`hwcap`, `hwcap --json`). */
export function runShow(values: Values<typeof showOptions>): number {
  const { view } = values;
  const set = host().FeatureSet.current(view);
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
  const table = catalog(set.arch);
  type Row = Pick<Feature, 'name' | 'word' | 'bit'> & { security?: boolean };
  const listed: Row[] = values.all
    ? [...table, ...set.unknownBits()]
    : set.names().flatMap((n): Row[] => {
        const f = table.find((x) => x.name === n) ?? set.unknownBits().find((u) => u.name === n);
        return f ? [f] : [];
      });
  for (const f of listed) {
    const has = set.has(f.name);
    const note = unknown.has(f.name) ? 'no name in the table' : f.security ? 'security' : '';
    const row = [has ? f.name : p.dim(f.name), f.word, String(f.bit), note];
    rows.push(values.all ? [has ? p.green('+') : p.dim('-'), ...row] : row);
  }
  if (rows.every((r) => r[r.length - 1] === '' || r === rows[0])) rows.forEach((r) => r.pop());
  out(columns(rows, stripSgr).join('\n'));
  out(`${set.size} feature${set.size === 1 ? '' : 's'}${values.all ? ` set of ${table.length} named` : ''}`);
  return EXIT_OK;
}

export const show = defineVerb({
  name: 'show',
  invocation: '[show]',
  summary: "this process's CPU features: name, word and bit (the default command)",
  description:
    'Views:\n' +
    '  process  the startup stack copy that ld.so, libc and runtimes read (default)\n' +
    "  kernel   the kernel's saved copy (PR_GET_AUXV, /proc/self/auxv), what children inherit\n" +
    '  libc     getauxval(3); on x86-64 glibc answers AT_HWCAP with its own bits\n' +
    'With --json the output is a feature set, usable wherever a baseline is.',
  options: showOptions,
  positionals: { min: 0, max: 0, name: '' },
  examples: ['hwcap', 'hwcap show --view kernel', 'hwcap show --json > this-node.json'],
  run: ({ values }) => runShow(values),
});
