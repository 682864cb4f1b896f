// A verb is one table of options (name, type, short flag, default, choices, help
// text). From that table come the node:util parseArgs configuration, the typed
// `values` a verb's run() receives, the usage line and the --help text, so
// that a flag cannot be parsed without being documented, or the reverse.
import * as util from 'node:util';
import { closestNames } from '../core/suggest';
import { columns, orList, usageError, type CliError } from './output';

interface OptionBase {
  /** One letter: `-v` for `--verbose`. */
  short?: string;
  help: string;
}

export interface FlagOption extends OptionBase {
  type: 'boolean';
}

export interface StringOption extends OptionBase {
  type: 'string';
  multiple?: false;
  /** The placeholder in usage and --help. */
  value: string;
  /** The value when the option is not given. */
  default?: string;
  /** The only values accepted; usage shows them as `a|b|c`. */
  choices?: readonly string[];
}

export interface ListOption extends OptionBase {
  type: 'string';
  /** Repeatable; each value is kept. */
  multiple: true;
  value: string;
}

export type OptionSpec = FlagOption | StringOption | ListOption;
export type OptionTable = Readonly<Record<string, OptionSpec>>;

/** The type of one option's value after parsing. */
export type ValueOf<O extends OptionSpec> = O extends FlagOption
  ? boolean
  : O extends ListOption
    ? string[] | undefined
    : O extends { choices: readonly (infer C)[] }
      ? O extends { default: string }
        ? C
        : C | undefined
      : O extends { default: string }
        ? string
        : string | undefined;

/** The typed result of parsing a table: one key per option. */
export type Values<T extends OptionTable> = { -readonly [K in keyof T]: ValueOf<T[K]> };

export interface Context<T extends OptionTable> {
  values: Values<T>;
  positionals: string[];
}

export interface VerbSpec<T extends OptionTable> {
  name: string;
  /** How the verb is named in its usage line (`[show]` for the default verb); default `name`. */
  invocation?: string;
  summary: string;
  /** The positionals in the usage line, e.g. `A [B]`, `REPORT...`; they follow the options. */
  args?: string;
  /** Options that exclude each other, shown as `[--a X | --b Y]`. */
  exclusive?: readonly (readonly (keyof T & string)[])[];
  description?: string;
  options: T;
  /** Accepted number of positionals. */
  positionals: { min: number; max: number; name: string };
  examples: readonly string[];
  /** Options end at the first positional (CMD), as for env(1) and nice(1). */
  stopAtCommand?: boolean;
  run(ctx: Context<T>): number | Promise<number>;
}

/** A verb with its table's types erased, for the list of verbs. */
export interface Verb {
  readonly name: string;
  readonly summary: string;
  readonly options: OptionTable;
  usage(): string;
  help(): string;
  /** Parses `args` (after the verb's name) and runs it. */
  main(args: string[]): Promise<number>;
}

export const HELP: FlagOption = { type: 'boolean', short: 'h', help: 'show this help and exit' };

/** The usual `--json` of a verb whose output is data. */
export function jsonOption(help = 'print JSON instead of text'): FlagOption {
  return { type: 'boolean', help };
}

// ---------------------------------------------------------------------------------------------
// Parsing

type ParseConfig = NonNullable<Parameters<typeof util.parseArgs>[0]>['options'];

function parseConfig(table: OptionTable): ParseConfig {
  const config: NonNullable<ParseConfig> = {};
  for (const [name, o] of Object.entries(table)) {
    if (o.type === 'boolean') config[name] = { type: 'boolean', default: false, ...(o.short ? { short: o.short } : {}) };
    else if (o.multiple) config[name] = { type: 'string', multiple: true, ...(o.short ? { short: o.short } : {}) };
    else config[name] = { type: 'string', ...(o.short ? { short: o.short } : {}), ...(o.default !== undefined ? { default: o.default } : {}) };
  }
  return config;
}

function fromParseArgs(helpRef: string | undefined, e: Error & { code?: string }, known: string[]): CliError {
  if (e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    const opt = /'(-[^']*)'/.exec(e.message)?.[1] ?? '';
    const near = closestNames(opt.replace(/^-+/, ''), known).map((k) => `--${k}`);
    return usageError(helpRef, `unknown option '${opt}'${near.length ? `; did you mean ${orList(near)}?` : ''}`);
  }
  if (e.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    return usageError(helpRef, e.message.replace(/^Option '([^']*)' argument missing$/, "option '$1' needs a value").replace(/^Option/, 'option'));
  }
  return usageError(helpRef, e.message);
}

/**
 * Parses `args` against `table` plus --help; `helpRef` is the verb its errors point at
 * (undefined: `hwcap --help`). Choices are checked here; the one cast from parseArgs'
 * loosely typed result to the table's type is here too.
 */
export function parseTable<T extends OptionTable>(
  table: T,
  args: string[],
  helpRef: string | undefined,
  stopAtCommand = false,
): { values: Values<T>; help: boolean; positionals: string[] } {
  const specs: OptionTable = { ...table, help: HELP };
  const options = parseConfig(specs);
  let command: string[] = [];
  if (stopAtCommand) {
    // The same table, read loosely, tells where CMD starts; what comes before is parsed strictly.
    const { tokens } = util.parseArgs({ args, options, allowPositionals: true, strict: false, tokens: true });
    const first = tokens.find((t) => t.kind === 'positional');
    if (first) {
      command = args.slice(first.index);
      args = args.slice(0, first.index);
    }
  }
  let parsed: ReturnType<typeof util.parseArgs>;
  try {
    parsed = util.parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (e) {
    throw fromParseArgs(helpRef, e as Error & { code?: string }, Object.keys(specs));
  }
  const { help, ...rest } = parsed.values;
  // --help answers even after a value that is not one of the choices.
  for (const [name, o] of help === true ? [] : Object.entries(table)) {
    const v = rest[name];
    if (o.type === 'string' && !o.multiple && o.choices && typeof v === 'string' && !o.choices.includes(v)) {
      throw usageError(helpRef, `--${name} must be ${orList(o.choices)}, not '${v}'`);
    }
  }
  return { values: rest as Values<T>, help: help === true, positionals: [...parsed.positionals, ...command] };
}

// ---------------------------------------------------------------------------------------------
// Usage and help

function flag(name: string, o: OptionSpec): string {
  return o.short ? `-${o.short}|--${name}` : `--${name}`;
}

function usageItem(name: string, o: OptionSpec): string {
  if (o.type === 'boolean') return flag(name, o);
  const value = o.multiple ? o.value : o.choices ? o.choices.join('|') : o.value;
  return `${flag(name, o)} ${value}`;
}

/** `hwcap NAME [--opt VALUE] [--list LIST]... [--a X | --b Y] ARGS`: every option of the table. */
export function usageLine<T extends OptionTable>(spec: VerbSpec<T>): string {
  const parts: string[] = [`hwcap ${spec.invocation ?? spec.name}`];
  const done = new Set<string>();
  for (const [name, o] of Object.entries(spec.options)) {
    if (done.has(name)) continue;
    const group = spec.exclusive?.find((g) => g.includes(name));
    if (group) {
      group.forEach((n) => done.add(n));
      parts.push(`[${group.map((n) => usageItem(n, spec.options[n] as OptionSpec)).join(' | ')}]`);
    } else {
      done.add(name);
      parts.push(`[${usageItem(name, o)}]${o.type === 'string' && o.multiple ? '...' : ''}`);
    }
  }
  if (spec.args) parts.push(spec.args);
  return parts.join(' ');
}

export function optionLines(options: OptionTable): string[] {
  const rows = Object.entries(options).map(([name, o]) => [
    `  ${o.short ? `-${o.short}, ` : '    '}--${name}${o.type === 'string' ? ` ${o.value}` : ''}`,
    o.help,
  ]);
  return columns(rows);
}

export function helpText<T extends OptionTable>(spec: VerbSpec<T>): string {
  const lines = [`Usage: ${usageLine(spec)}`, '', spec.summary.charAt(0).toUpperCase() + spec.summary.slice(1) + '.', ''];
  if (spec.description) lines.push(spec.description, '');
  lines.push('Options:', ...optionLines({ ...spec.options, help: HELP }), '');
  if (spec.examples.length) lines.push('Examples:', ...spec.examples.map((e) => `  ${e}`), '');
  return lines.join('\n');
}

function checkPositionals(spec: { name: string; positionals: { min: number; max: number; name: string } }, positionals: string[]): void {
  const { min, max, name } = spec.positionals;
  const n = positionals.length;
  if (n < min) throw usageError(spec.name, `missing ${name}`);
  if (n > max) {
    const extra = positionals[max];
    throw usageError(spec.name, max === 0 ? `'hwcap ${spec.name}' takes no arguments; got '${extra}'` : `too many arguments: '${extra}'`);
  }
}

/** A verb from its spec; `const T` keeps the choices' literal types for `values`. */
export function defineVerb<const T extends OptionTable>(spec: VerbSpec<T>): Verb & { spec: VerbSpec<T> } {
  for (const name of Object.keys(spec.options)) {
    if (name === 'help') throw new Error(`hwcap ${spec.name}: --help is every verb's own`);
  }
  return {
    spec,
    name: spec.name,
    summary: spec.summary,
    options: spec.options,
    usage: () => usageLine(spec),
    help: () => helpText(spec),
    async main(args) {
      const { values, help, positionals } = parseTable(spec.options, args, spec.name, spec.stopAtCommand);
      if (help) {
        process.stdout.write(helpText(spec));
        return 0;
      }
      checkPositionals(spec, positionals);
      return spec.run({ values, positionals });
    },
  };
}
