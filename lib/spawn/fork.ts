// fork like node:child_process: a Node child with the IPC channel, exec'd by the launcher like
// any other program.
import type * as cp from 'node:child_process';
import * as url from 'node:url';
import { invalidArgType, invalidArgValue, invalidArgValueType } from '../errors';
import { validateArgumentNullCheck, validateObject } from './normalize';
import { isMaskPlan } from '../launcher';
import { planOf, type ForkOptions, type SpawnOptions } from './options';
import { spawn } from './spawn';

const STDIO_NAMES = ['pipe', 'inherit', 'ignore', 'overlapped'];

function modulePathOf(modulePath: unknown): string {
  let mod: string;
  if (modulePath instanceof URL) {
    // child_process gives ERR_INVALID_URL_SCHEME here; hwcap keeps ERR_INVALID_ARG_VALUE naming the argument.
    if (modulePath.protocol !== 'file:') throw invalidArgValue('modulePath', 'must be a string or a file: URL', modulePath.href);
    mod = url.fileURLToPath(modulePath);
  } else if (typeof modulePath === 'string') {
    mod = modulePath;
  } else {
    throw invalidArgType('modulePath', 'of type string or an instance of URL', modulePath);
  }
  if (mod.includes('\0')) throw invalidArgValueType('modulePath', 'must be a string without null bytes', mod);
  return mod;
}

/**
 * child_process.fork with the child's AT_HWCAP* words masked: a Node child
 * running `modulePath`, with the IPC channel (`send`, 'message') of
 * child_process. The child is the node binary in options.execPath (default
 * process.execPath), exec'd by the launcher like any other program. With
 * options.runtimeEnv, V8's flags for what the mask removes (v8Flags) follow the execArgv.
 */
export function fork(modulePath: string | URL, options?: ForkOptions): cp.ChildProcess;
export function fork(modulePath: string | URL, args?: readonly string[], options?: ForkOptions): cp.ChildProcess;
export function fork(modulePath: string | URL, args?: readonly string[] | ForkOptions | null, options?: ForkOptions | null): cp.ChildProcess {
  const mod = modulePathOf(modulePath);
  let list: unknown = args;
  let o: unknown = options;
  if (list == null) list = [];
  else if (typeof list === 'object' && !Array.isArray(list)) {
    o = list;
    list = [];
  } else if (!Array.isArray(list)) throw invalidArgType('args', 'an instance of Array', list);
  if (o != null) validateObject(o, 'options');
  const opts: Record<string, unknown> = { ...(o as Record<string, unknown> | undefined), shell: false };
  const execPath = opts.execPath || process.execPath;
  if (typeof execPath !== 'string') throw invalidArgType('options.execPath', 'of type string', execPath);
  validateArgumentNullCheck(execPath, 'options.execPath');
  opts.execPath = execPath;
  let execArgv = (opts.execArgv || process.execArgv) as unknown;
  if (!Array.isArray(execArgv)) throw invalidArgType('options.execArgv', 'an array', execArgv);
  execArgv.forEach((a: unknown, i: number) => {
    if (typeof a !== 'string') throw invalidArgType(`options.execArgv[${i}]`, 'of type string', a);
    validateArgumentNullCheck(a, `options.execArgv[${i}]`);
  });
  // As child_process does: a parent started with -e does not pass its script on.
  const evalScript = (process as unknown as { _eval?: string })._eval;
  if (execArgv === process.execArgv && evalScript != null) {
    const at = (execArgv as string[]).lastIndexOf(evalScript);
    if (at > 0) execArgv = [...(execArgv as string[]).slice(0, at - 1), ...(execArgv as string[]).slice(at + 1)];
  }
  // options.runtimeEnv: V8's --no-enable-X flags for what the mask removes, after the caller's
  // execArgv: V8 takes a flag's last setting, so a caller's --enable-X cannot turn one back on.
  // The plan is made here, once, and handed to spawn as options.hwcaps.
  let v8: readonly string[] = [];
  if (opts.hwcaps !== undefined && (opts.runtimeEnv === true || isMaskPlan(opts.hwcaps))) {
    const plan = planOf(opts);
    opts.hwcaps = plan;
    v8 = plan.v8Flags;
  }
  execArgv = [...(execArgv as string[]), ...v8];
  const stdio = opts.stdio;
  if (typeof stdio === 'string' || !Array.isArray(stdio)) {
    const each = typeof stdio === 'string' ? stdio : opts.silent ? 'pipe' : 'inherit';
    if (!STDIO_NAMES.includes(each)) throw invalidArgValueType('stdio', 'is invalid', each);
    opts.stdio = [each, each, each, 'ipc'];
  } else if (!stdio.includes('ipc')) {
    const err = new Error("Forked processes must have an IPC channel, missing value 'ipc' in options.stdio") as Error & { code: string };
    err.code = 'ERR_CHILD_PROCESS_IPC_REQUIRED';
    throw err;
  }
  return spawn(execPath, [...(execArgv as string[]), mod, ...(list as string[])], opts as SpawnOptions);
}
