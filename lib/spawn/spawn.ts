// spawn and spawnSync like node:child_process, with the child's AT_HWCAP* words masked by the
// hwcap-exec launcher (native/hwcap-exec.c).
//
// The launcher is the child Node spawns; the program replaces it by execve and
// keeps its pid, so `child.pid`, stdio, signals and the exit status are the
// program's own. The launcher reports setup over an extra close-on-exec pipe
// (lib/launcher/status.ts); a failure there becomes the same asynchronous
// 'error' that child_process gives, and otherwise 'spawn', 'exit' and 'close'
// are held back only until the program is known to be masked.
import * as cp from 'node:child_process';
import { launcherArgv, launcherPath, execError, outcomeOf, parseStatus, setupError } from '../launcher';
import {
  normalizeSpawnArguments,
  sanitizeKillSignal,
  validateAbortSignal,
  validateMaxBuffer,
  validateSerialization,
  validateStdio,
  validateTimeout,
  type Normalized,
} from './normalize';
import { HWCAP_KEYS, resolveHwcapOptions, withoutHwcapKeys, type SpawnOptions, type SpawnSyncOptions } from './options';

type Plan =
  | { launcher?: undefined; file: string; args: string[]; options: Record<string, unknown> }
  | { launcher: string; launcherArgs: string[]; options: Record<string, unknown>; index: number; n: Normalized };

/**
 * child_process's checks in its order, then hwcap's: child_process's own call
 * when nothing is masked, otherwise the launcher, its arguments and the status fd.
 */
function plan(file: unknown, args: unknown, options: unknown, sync: boolean): Plan {
  const n = normalizeSpawnArguments(file, args, options);
  const o = n.options;
  validateTimeout(o.timeout);
  if (sync) validateMaxBuffer(o.maxBuffer);
  else validateAbortSignal(o.signal, 'options.signal');
  sanitizeKillSignal(o.killSignal);
  const stdio = validateStdio(o.stdio);
  if (!sync) validateSerialization(o.serialization);
  const r = resolveHwcapOptions(o);
  if (!r) {
    const plain = { ...o };
    for (const k of HWCAP_KEYS) delete plain[k];
    const list = Array.isArray(args) ? (args as string[]) : [];
    return { file: file as string, args: list, options: plain };
  }
  const launcher = launcherPath();
  while (stdio.length < 3) stdio.push(undefined);
  const index = stdio.length;
  stdio.push('pipe');
  const launcherOptions = withoutHwcapKeys(o);
  delete launcherOptions.shell;
  const argv0 = typeof o.argv0 === 'string' ? o.argv0 : undefined;
  return {
    launcher,
    launcherArgs: launcherArgv({ ...r, statusFd: index, argv0 }, n.file, n.args),
    options: { ...launcherOptions, stdio },
    index,
    n,
  };
}

/**
 * child_process.spawn with the child's AT_HWCAP* words masked. Same arguments,
 * same ChildProcess, plus options.hwcaps, mode, follow, allowSecurityMasking,
 * pdeathsig and noNewPrivs. Without options.hwcaps (and without pdeathsig or
 * noNewPrivs) it is child_process.spawn itself.
 */
export function spawn(file: string, args?: readonly string[] | SpawnOptions, options?: SpawnOptions): cp.ChildProcess {
  const p = plan(file, args, options, false);
  if (p.launcher === undefined) return cp.spawn(p.file, p.args, p.options as cp.SpawnOptions);
  const { n, index } = p;
  const child = cp.spawn(p.launcher, p.launcherArgs, p.options as cp.SpawnOptions);
  // spawnargs and spawnfile as child_process would show them.
  Object.defineProperty(child, 'spawnfile', { value: n.file, writable: true, configurable: true, enumerable: true });
  Object.defineProperty(child, 'spawnargs', { value: [n.argv0, ...n.args], writable: true, configurable: true, enumerable: true });
  const status = child.stdio[index] as NodeJS.ReadableStream | null | undefined;
  (child.stdio as unknown[]).length = index;
  if (!status) return child; // the launcher itself failed to start: child_process already reports it

  const emit = child.emit.bind(child) as (event: string | symbol, ...a: unknown[]) => boolean;
  let state: 'pending' | 'ok' | 'failed' = 'pending';
  let failErrno = 0;
  const held: [string | symbol, unknown[]][] = [];
  (child as unknown as { emit: typeof emit }).emit = (event, ...a) => {
    if (event === 'spawn' || event === 'exit' || event === 'close') {
      if (state === 'pending') {
        held.push([event, a]);
        return true;
      }
      if (state === 'failed') {
        // As child_process does when execve fails: no 'spawn', no 'exit', 'close' with -errno.
        if (event === 'close') return emit('close', -failErrno, null);
        return false;
      }
    }
    return emit(event, ...a);
  };

  let text = '';
  status.setEncoding('utf8');
  status.on('data', (chunk: string) => {
    text += chunk;
  });
  status.on('error', () => {});
  status.on('end', () => {
    const outcome = outcomeOf(parseStatus(text));
    if (outcome.ok) {
      state = 'ok';
    } else {
      state = 'failed';
      failErrno = outcome.errno;
      (child as { pid?: number }).pid = undefined;
      const err = outcome.execFailed ? execError(outcome.errno, 'spawn', n.file, n.args) : setupError(outcome, n.file);
      emit('error', err);
    }
    for (const [event, a] of held.splice(0)) child.emit(event as string, ...a);
  });
  return child;
}

/** child_process.spawnSync with the child's AT_HWCAP* words masked; the same return shape. */
export function spawnSync(file: string, args?: readonly string[] | SpawnSyncOptions, options?: SpawnSyncOptions): cp.SpawnSyncReturns<string | Buffer> {
  const p = plan(file, args, options, true);
  if (p.launcher === undefined) return cp.spawnSync(p.file, p.args, p.options as cp.SpawnSyncOptions);
  const { n, index } = p;
  const res = cp.spawnSync(p.launcher, p.launcherArgs, p.options as cp.SpawnSyncOptions);
  if (res.error) return res;
  const raw = res.output?.[index];
  const text = raw === null || raw === undefined ? '' : raw.toString();
  const output = res.output ? res.output.slice(0, index) : res.output;
  const outcome = outcomeOf(parseStatus(text));
  if (!outcome.ok) {
    const error = outcome.execFailed ? execError(outcome.errno, 'spawnSync', n.file, n.args) : setupError(outcome, n.file);
    return { error, status: null, signal: null, output: null, pid: 0, stdout: null, stderr: null } as unknown as cp.SpawnSyncReturns<string | Buffer>;
  }
  return { ...res, output, stdout: output?.[1] ?? null, stderr: output?.[2] ?? null } as cp.SpawnSyncReturns<string | Buffer>;
}
