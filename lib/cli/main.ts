// The hwcap command: dispatch to a verb (lib/cli/verbs/), --version and the top help.
//
// Every verb parses its arguments with node:util parseArgs from one typed table of
// options (verb.ts), which also writes its usage line and --help. Results go to
// stdout (text, or JSON with --json); errors go to stderr as one line of cause and
// one of hint (output.ts). Exit status: 0 ok; 1 a check failed or a diff found
// differences; 2 a usage or input error; exec passes the command's own status through.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { closestNames } from '../core/suggest';
import { EXIT_OK, columns, orList, out, printError, usageError, type CliError } from './output';
import { parseTable } from './verb';
import { VERBS } from './verbs';
import { runShow, showOptions } from './verbs/show';

function version(): string {
  const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string };
  return pkg.version;
}

function globalHelp(): string {
  return [
    'Usage: hwcap [COMMAND] [OPTIONS] [ARGS]',
    '',
    'Read, decode, baseline and mask the CPU feature words (AT_HWCAP*) of the ELF',
    'auxiliary vector, and run commands that see only the features a cluster shares.',
    '',
    'Commands:',
    ...columns(VERBS.map((v) => [`  ${v.name}`, v.summary])),
    '',
    'Options:',
    "  -h, --help     show this help (or a command's, after the command)",
    '      --version  print the version and exit',
    '',
    "Run 'hwcap COMMAND --help' for the options of a command.",
    '',
    'Exit status: 0 ok; 1 check found missing features, or diff found differences;',
    "2 usage, input or system error. exec: the command's own status (128+N for signal N),",
    '125 when it could not be run masked, 126 not executable, 127 not found.',
    '',
    'Environment: NO_COLOR turns colour off, FORCE_COLOR turns it on (otherwise colour',
    'is used on a terminal only).',
    '',
  ].join('\n');
}

function unknownCommand(name: string): CliError {
  const names = VERBS.map((v) => v.name);
  const near = closestNames(name, names);
  return usageError(
    undefined,
    `unknown command '${name}'${near.length ? `; did you mean ${orList(near.map((x) => `'${x}'`))}?` : ''}`,
    `the commands are ${names.join(', ')}; see 'hwcap --help'`,
  );
}

/** Without a command: `show`'s options, plus --version; errors point at `hwcap --help`. */
const topOptions = { ...showOptions, version: { type: 'boolean', help: 'print the version' } } as const;

async function main(argv: string[]): Promise<number> {
  const [first, second] = argv;
  if (first === 'help') {
    const v = second === undefined ? undefined : VERBS.find((x) => x.name === second);
    if (second !== undefined && !v) throw unknownCommand(second);
    out(v ? v.help() : globalHelp());
    return EXIT_OK;
  }
  const verb = VERBS.find((v) => v.name === first);
  if (verb) return verb.main(argv.slice(1));
  const { values, help, positionals } = parseTable(topOptions, argv, undefined);
  if (values.version) {
    out(`hwcap ${version()}`);
    return EXIT_OK;
  }
  if (help) {
    out(globalHelp());
    return EXIT_OK;
  }
  if (positionals[0] !== undefined) throw unknownCommand(positionals[0]);
  return runShow(values);
}

export async function run(argv: string[]): Promise<number> {
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    // `hwcap show | head -1`: the reader left; nothing is wrong.
    if (e.code === 'EPIPE') process.exit(EXIT_OK);
    throw e;
  });
  const verbName = VERBS.some((v) => v.name === argv[0]) ? argv[0] : undefined;
  try {
    return await main(argv);
  } catch (e) {
    return printError(e, verbName);
  }
}
