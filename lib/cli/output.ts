// What the command writes: text or JSON on stdout, and errors on stderr as one
// line of cause (`hwcap VERB: …`) and one of hint (`hint: …`). Colour only on a
// terminal, never with NO_COLOR; FORCE_COLOR forces it either way.

export const EXIT_OK = 0;
export const EXIT_FAIL = 1;
export const EXIT_USAGE = 2;

/** A failure to report as `hwcap VERB: cause` and `hint: …`, then exit with `exitCode`. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
    readonly exitCode: number = EXIT_USAGE,
  ) {
    super(message);
  }
}

/** A usage error of `verb` (undefined: the command itself), pointing at its --help. */
export function usageError(verb: string | undefined, message: string, hint?: string): CliError {
  return new CliError(message, hint ?? `see '${verb ? `hwcap ${verb} --help` : 'hwcap --help'}'`, EXIT_USAGE);
}

/** `a`, `a or b`, `a, b or c` */
export function orList(items: readonly string[]): string {
  return items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} or ${items[items.length - 1]}`;
}

export interface Paint {
  bold(s: string): string;
  dim(s: string): string;
  red(s: string): string;
  green(s: string): string;
  yellow(s: string): string;
}

export function colourWanted(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  const force = env.FORCE_COLOR;
  if (force !== undefined) return force !== '0' && force !== 'false';
  if (env.NO_COLOR) return false;
  if (env.TERM === 'dumb') return false;
  return stream.isTTY === true;
}

export function painter(stream: { isTTY?: boolean }): Paint {
  const on = colourWanted(stream);
  const sgr = (open: number, close: number) => (s: string) => (on ? `\x1b[${open}m${s}\x1b[${close}m` : s);
  return { bold: sgr(1, 22), dim: sgr(2, 22), red: sgr(31, 39), green: sgr(32, 39), yellow: sgr(33, 39) };
}

export const out = (s: string): void => void process.stdout.write(s.endsWith('\n') ? s : `${s}\n`);
export const err = (s: string): void => void process.stderr.write(s.endsWith('\n') ? s : `${s}\n`);

const plain = (v: unknown): unknown => (typeof v === 'bigint' ? `0x${v.toString(16)}` : v);

function hasToJSON(v: object): v is { toJSON(): unknown } {
  return typeof (v as { toJSON?: unknown }).toJSON === 'function';
}

/** JSON text with bigints as 0x hex strings; objects one key per line, arrays of plain values on one line. */
export function jsonText(value: unknown, indent = ''): string {
  let v = plain(value);
  if (v !== null && typeof v === 'object' && hasToJSON(v)) v = v.toJSON();
  if (Array.isArray(v)) {
    if (v.every((x) => x === null || typeof x !== 'object')) return JSON.stringify(v.map(plain));
    return v.length ? `[\n${v.map((x) => `${indent}  ${jsonText(x, `${indent}  `)}`).join(',\n')}\n${indent}]` : '[]';
  }
  if (v !== null && typeof v === 'object') {
    const entries = Object.entries(v).filter(([, x]) => x !== undefined);
    return entries.length ? `{\n${entries.map(([k, x]) => `${indent}  ${JSON.stringify(k)}: ${jsonText(x, `${indent}  `)}`).join(',\n')}\n${indent}}` : '{}';
  }
  return JSON.stringify(v) ?? 'null';
}

/** Prints JSON on stdout, the way feature words are written everywhere in hwcap. */
export function printJson(value: unknown): void {
  out(jsonText(value));
}

/** One line of JSON (bigints as 0x hex strings), for a status line on stderr. */
export function jsonLine(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => plain(v));
}

/** Rows as aligned columns; the last column is not padded. */
export function columns(rows: string[][], visible: (s: string) => number = (s) => s.length): string[] {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, visible(c))));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c + ' '.repeat((widths[i] ?? 0) - visible(c)))).join('  ').trimEnd());
}

// An SGR colour sequence starts with ESC, a control character on purpose.
// eslint-disable-next-line no-control-regex
export const stripSgr = (s: string): number => s.replace(/\x1b\[[0-9;]*m/g, '').length;

/** Prints an error as `hwcap[ VERB]: cause` and `hint: …`; returns the exit status. */
export function printError(e: unknown, verbName: string | undefined): number {
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
  const [first = '', ...rest] = message.split('\n');
  err(`${p.bold(prefix)} ${p.red(first)}${rest.length ? `\n${rest.join('\n')}` : ''}`);
  if (hint) err(`${p.dim('hint:')} ${hint}`);
  return status;
}
