#!/usr/bin/env node
// The hwcap command: show, report, baseline, check, diff, exec and probe.
//
// Every verb parses its arguments with node:util parseArgs from one table of
// options, which also writes its --help. Results go to stdout (text, or JSON
// with --json); errors go to stderr as one line of cause and one of hint.
// Exit status: 0 ok; 1 a check failed or a diff found differences; 2 a usage
// or input error; exec passes the command's own status through.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as util from 'node:util';
import type * as Auxv from './auxv';
import type * as Errors from './errors';
import type * as Probe from './probe';

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

/** The few Levenshtein-close candidates to `word`, best first. */
function closeMatches(word: string, candidates: readonly string[]): string[] {
  const dist = (a: string, b: string): number => {
    let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i++) {
      const cur = [i];
      for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
    return prev[b.length];
  };
  const limit = Math.max(1, Math.floor(word.length / 3));
  return candidates
    .map((c) => ({ c, d: c.startsWith(word) ? 1 : dist(word, c) }))
    .filter((x) => x.d <= limit)
    .sort((x, y) => x.d - y.d)
    .map((x) => x.c)
    .slice(0, 3);
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
  out(JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? `0x${v.toString(16)}` : v), 2));
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
  auxv: typeof Auxv;
  errors: typeof Errors;
  probe: typeof Probe;
}

let library: Library | undefined;

function lib(): Library {
  if (!library) {
    try {
      /* eslint-disable @typescript-eslint/no-require-imports */
      library = {
        errors: require('./errors') as typeof Errors,
        auxv: require('./auxv') as typeof Auxv,
        probe: require('./probe') as typeof Probe,
      };
      /* eslint-enable @typescript-eslint/no-require-imports */
    } catch (e) {
      const first = String((e as Error).message).split('\n')[0];
      throw new CliError(`cannot load the native addon: ${first}`, "run 'npm rebuild hwcap' (or 'npm install' in a checkout) to build it for this Node and machine");
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
  run(ctx: Context): number | Promise<number>;
}

const HELP: OptionSpec = { type: 'boolean', short: 'h', help: 'show this help and exit' };
const JSON_OPT: OptionSpec = { type: 'boolean', help: 'print JSON instead of text' };

function verbs(): Verb[] {
  return [probeVerb];
}

const probeVerb: Verb = {
  name: 'probe',
  summary: "what this machine allows: auxv reads and writes, and the PR_USER_HWCAP_ENABLED state",
  usage: 'hwcap probe [--json]',
  description:
    'Tries each interface for real and reports what it answered:\n' +
    "  PR_GET_AUXV       read the kernel's saved copy of the auxv (Linux >= 6.4)\n" +
    '  PR_SET_MM_AUXV    write it; needs CAP_SYS_RESOURCE\n' +
    '  PR_SET_MM_MAP     write it with all mm fields; needs CONFIG_CHECKPOINT_RESTORE, no capability\n' +
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
  const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8')) as { version: string };
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
    '2 usage or input error.',
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
  let parsed: ReturnType<typeof util.parseArgs>;
  try {
    parsed = util.parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (e) {
    throw usageFromParseArgs(helpVerb ?? undefined, e as Error & { code?: string }, Object.keys(specs));
  }
  return { verb, values: parsed.values as Context['values'], positionals: parsed.positionals };
}

function usageFromParseArgs(verb: Verb | undefined, e: Error & { code?: string }, known: string[]): CliError {
  if (e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    const m = /'(-[^']*)'/.exec(e.message);
    const opt = m ? m[1] : '';
    const near = closeMatches(opt.replace(/^-+/, ''), known).map((k) => `--${k}`);
    return usageError(verb, `unknown option '${opt}'${near.length ? `; did you mean ${near.join(' or ')}?` : ''}`);
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
    const ctx = parseFor(verb, argv.slice(1));
    if (ctx.values.help) {
      out(verbHelp(verb));
      return EXIT_OK;
    }
    checkPositionals(ctx);
    return verb.run(ctx);
  }
  // No command: the default one, `show`, with --version as an extra option.
  const dflt = byName.get('show') ?? vs[0];
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
    `unknown command '${name}'${near.length ? `; did you mean '${near.join("' or '")}'?` : ''}`,
    `the commands are ${vs.map((v) => v.name).join(', ')}; see 'hwcap --help'`,
  );
}

/** Prints an error as `hwcap[ VERB]: cause` and `hint: …`; returns the exit status. */
function report(e: unknown, verbName: string | undefined): number {
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
    return report(e, verbName);
  }
}

if (require.main === module) {
  void run(process.argv.slice(2)).then((status) => {
    process.exitCode = status;
  });
}
