// child_process's own argument handling, in its order and with its error codes (Node's
// lib/child_process.js: normalizeSpawnArguments, normalizeExecArgs, normalizeExecFileArgs and
// the small validators), so that a masked call fails where and as the plain call fails.
import * as os from 'node:os';
import * as url from 'node:url';
import { invalidArgType, invalidArgValueType, outOfRange, unknownSignal } from '../errors';

export const MAX_BUFFER = 1024 * 1024;
const STDIO_NAMES = ['pipe', 'overlapped', 'ignore', 'inherit'] as const;

export function validateString(v: unknown, name: string): asserts v is string {
  if (typeof v !== 'string') throw invalidArgType(name, 'of type string', v);
}

export function validateBoolean(v: unknown, name: string): void {
  if (typeof v !== 'boolean') throw invalidArgType(name, 'of type boolean', v);
}

export function validateFunction(v: unknown, name: string): void {
  if (typeof v !== 'function') throw invalidArgType(name, 'of type function', v);
}

/** An object, not null, not an array. */
export function validateObject(v: unknown, name: string): asserts v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw invalidArgType(name, 'of type object', v);
}

/** A string argument may not hold a NUL byte: execve would cut it there. Non-strings pass. */
export function validateArgumentNullCheck(v: unknown, name: string): void {
  if (typeof v === 'string' && v.includes('\0')) throw invalidArgValueType(name, 'must be a string without null bytes', v);
}

export function validateArgumentsNullCheck(list: readonly unknown[], name: string): void {
  for (let i = 0; i < list.length; i++) validateArgumentNullCheck(list[i], `${name}[${i}]`);
}

export function validateTimeout(timeout: unknown): void {
  if (timeout != null && !(Number.isInteger(timeout) && (timeout as number) >= 0)) throw outOfRange('timeout', 'an unsigned integer', timeout);
}

export function validateMaxBuffer(maxBuffer: unknown): void {
  if (maxBuffer != null && !(typeof maxBuffer === 'number' && maxBuffer >= 0)) throw outOfRange('options.maxBuffer', 'a positive number', maxBuffer);
}

const SIGNALS = os.constants.signals as Record<string, number>;
const SIGNAL_NUMBERS = new Set(Object.values(SIGNALS));

/** A kill signal as Node takes it: a known name (any case) or number, or a typed error. */
export function sanitizeKillSignal(killSignal: unknown): NodeJS.Signals | number | undefined {
  if (typeof killSignal === 'number') {
    if (SIGNAL_NUMBERS.has(killSignal)) return killSignal;
    throw unknownSignal(killSignal);
  }
  if (typeof killSignal === 'string') {
    const name = killSignal.toUpperCase();
    if (Object.hasOwn(SIGNALS, name)) return name as NodeJS.Signals;
    throw unknownSignal(killSignal);
  }
  if (killSignal != null) throw invalidArgType('options.killSignal', 'of type string or number', killSignal);
  return undefined;
}

export function validateAbortSignal(signal: unknown, name: string): void {
  if (signal !== undefined && (signal === null || typeof signal !== 'object' || !('aborted' in signal))) {
    throw invalidArgType(name, 'an instance of AbortSignal', signal);
  }
}

/** A path option (cwd) as Node's getValidatedPath takes it: a string, Buffer or file: URL, without NUL bytes. */
export function validatePath(v: unknown, name: string): string | Buffer {
  let p: unknown = v;
  if (p instanceof URL) {
    if (p.protocol !== 'file:') {
      const e = new TypeError('The URL must be of scheme file') as TypeError & { code: string };
      e.code = 'ERR_INVALID_URL_SCHEME';
      throw e;
    }
    p = url.fileURLToPath(p);
  }
  if (typeof p !== 'string' && !(p instanceof Uint8Array)) throw invalidArgType(name, 'of type string or an instance of Buffer or URL', v);
  const s = typeof p === 'string' ? p : Buffer.from(p).toString();
  if (s.includes('\0')) throw invalidArgValueType(name, 'must be a string, Uint8Array, or URL without null bytes', v);
  return p as string | Buffer;
}

function isInt32(v: unknown): boolean {
  return v === ((v as number) | 0);
}

/** stdio as child_process checks it before spawning: a known name or an array (its entries are child_process's to check). */
export function validateStdio(stdio: unknown): unknown[] {
  const s = stdio || 'pipe';
  if (typeof s === 'string') {
    if (!(STDIO_NAMES as readonly string[]).includes(s)) throw invalidArgValueType('stdio', 'is invalid', s);
    return [s, s, s];
  }
  if (!Array.isArray(s)) throw invalidArgValueType('stdio', 'is invalid', s);
  return [...s];
}

export function validateSerialization(v: unknown): void {
  if (v !== undefined && v !== 'json' && v !== 'advanced') {
    throw invalidArgValueType('options.serialization', "must be one of: undefined, 'json', 'advanced'", v);
  }
}

export interface Normalized {
  /** The program to run: `file`, or the shell when options.shell is set. */
  file: string;
  /** Its arguments, without argv[0]. */
  args: string[];
  /** A copy of the options (shell still in it). */
  options: Record<string, unknown>;
  /** argv[0] as the program sees it. */
  argv0: string;
}

/** normalizeSpawnArguments: file, args, options, each option child_process checks, and the shell. */
export function normalizeSpawnArguments(file: unknown, args: unknown, options: unknown): Normalized {
  validateString(file, 'file');
  validateArgumentNullCheck(file, 'file');
  if (file.length === 0) throw invalidArgValueType('file', 'cannot be empty', file);
  let list: unknown[];
  let opts: unknown = options;
  if (Array.isArray(args)) list = [...(args as unknown[])];
  else if (args == null) list = [];
  else if (typeof args !== 'object') throw invalidArgType('args', 'of type object', args);
  else {
    opts = args;
    list = [];
  }
  validateArgumentsNullCheck(list, 'args');
  // hwcap checks the types too: a non-string argument would reach the launcher's argv.
  list.forEach((a, i) => {
    if (typeof a !== 'string') throw invalidArgType(`args[${i}]`, 'of type string', a);
  });
  if (opts === undefined) opts = {};
  else validateObject(opts, 'options');
  const o: Record<string, unknown> = { ...(opts as Record<string, unknown>) };
  if (o.cwd != null) validatePath(o.cwd, 'options.cwd');
  if (o.detached != null) validateBoolean(o.detached, 'options.detached');
  if (o.uid != null && !isInt32(o.uid)) throw invalidArgType('options.uid', 'int32', o.uid);
  if (o.gid != null && !isInt32(o.gid)) throw invalidArgType('options.gid', 'int32', o.gid);
  if (o.shell != null && typeof o.shell !== 'boolean' && typeof o.shell !== 'string') throw invalidArgType('options.shell', 'of type boolean or string', o.shell);
  if (o.argv0 != null) {
    validateString(o.argv0, 'options.argv0');
    validateArgumentNullCheck(o.argv0, 'options.argv0');
  }
  if (o.windowsHide != null) validateBoolean(o.windowsHide, 'options.windowsHide');
  if (o.windowsVerbatimArguments != null) validateBoolean(o.windowsVerbatimArguments, 'options.windowsVerbatimArguments');
  let f = file;
  let argv = list as string[];
  if (o.shell) {
    validateArgumentNullCheck(o.shell, 'options.shell');
    const command = [file, ...argv].join(' ');
    f = typeof o.shell === 'string' ? o.shell : '/bin/sh';
    argv = ['-c', command];
  }
  // process.env itself cannot hold a NUL (node cuts a key or value at one when it is set), so
  // only a caller's env is walked: the walk reads every variable through process.env's getter.
  const env = (o.env || {}) as Record<string, unknown>;
  for (const key in env) {
    const value = env[key];
    if (value !== undefined) {
      validateArgumentNullCheck(key, `options.env['${key}']`);
      validateArgumentNullCheck(value, `options.env['${key}']`);
    }
  }
  return { file: f, args: argv, options: o, argv0: typeof o.argv0 === 'string' ? o.argv0 : f };
}

/** normalizeExecArgs: the command and a copy of the options with shell true unless a shell path is given. */
export function normalizeExecArgs(command: unknown, options: unknown, callback?: unknown): { file: string; options: Record<string, unknown>; callback: unknown } {
  validateString(command, 'command');
  validateArgumentNullCheck(command, 'command');
  let o = options;
  let cb = callback;
  if (typeof o === 'function') {
    cb = o;
    o = undefined;
  }
  // Stricter than child_process, which spreads any value: a non-object is a typed error here.
  if (o != null && typeof o !== 'object') throw invalidArgType('options', 'of type object', o);
  const copy: Record<string, unknown> = { ...(o as Record<string, unknown> | undefined) };
  copy.shell = typeof copy.shell === 'string' ? copy.shell : true;
  return { file: command, options: copy, callback: cb };
}

/** normalizeExecFileArgs: optional args and options, the callback, and argv0. */
export function normalizeExecFileArgs(
  file: unknown,
  args: unknown,
  options: unknown,
  callback?: unknown,
): { file: unknown; args: unknown; options: Record<string, unknown>; callback: unknown } {
  let a = args;
  let o = options;
  let cb = callback;
  if (Array.isArray(a)) a = [...(a as unknown[])];
  else if (a != null && typeof a === 'object') {
    cb = o;
    o = a;
    a = null;
  } else if (typeof a === 'function') {
    cb = a;
    o = null;
    a = null;
  }
  if (a == null) a = [];
  if (typeof o === 'function') cb = o;
  else if (o != null) validateObject(o, 'options');
  const opts: Record<string, unknown> = o == null || typeof o === 'function' ? {} : (o as Record<string, unknown>);
  if (cb != null) validateFunction(cb, 'callback');
  if (opts.argv0 != null) {
    validateString(opts.argv0, 'options.argv0');
    validateArgumentNullCheck(opts.argv0, 'options.argv0');
  }
  return { file, args: a, options: opts, callback: cb };
}
