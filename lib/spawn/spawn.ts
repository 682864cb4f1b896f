// spawn and spawnSync like node:child_process, with the child's AT_HWCAP* words masked by the
// hwcap-exec launcher (native/launcher/), as the one mask plan (lib/launcher/plan.ts) says.
//
// The launcher is the child Node spawns; the program replaces it by execve and
// keeps its pid, so `child.pid`, stdio, signals and the exit status are the
// program's own. The launcher reports setup over an extra close-on-exec pipe
// (lib/launcher/status.ts); a failure there becomes the same asynchronous
// 'error' that child_process gives, and otherwise 'spawn', 'exit' and 'close'
// are held back only until the program is known to be masked.
import * as cp from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
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
  | { launcher: string; launcherArgs: string[]; options: Record<string, unknown>; index: number; n: Normalized; opened: number[] };

/**
 * child_process's checks in its order, then hwcap's: child_process's own call
 * when nothing is masked, otherwise the launcher, its arguments and the status fd
 * (a pipe, or for the sync calls an fd of the caller's, `status`).
 *
 * With uid or gid, the launcher is executed through /proc/self/fd/N of an fd opened on it
 * here: the user the spawn switches to may not search the package's directory, and a plain
 * spawn of the same program would run. The launcher closes that fd (--exec-fd).
 */
function plan(file: unknown, args: unknown, options: unknown, sync: boolean, status?: () => number): Plan {
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
  // options.runtimeEnv: the plan's environment, the knobs for what the mask removes merged into
  // the child's (the plan was made before any fd is opened: a user's value the merge refuses is
  // a synchronous typed error).
  const env = r.plan?.env;
  let launcher = launcherPath();
  while (stdio.length < 3) stdio.push(undefined);
  const index = stdio.length;
  const opened: number[] = [];
  if (status) {
    const fd = status();
    opened.push(fd);
    stdio.push(fd);
  } else {
    stdio.push('pipe');
  }
  let execFd: number | undefined;
  if (o.uid != null || o.gid != null) {
    const fd = fs.openSync(launcher, 'r');
    opened.push(fd);
    execFd = stdio.length;
    stdio.push(fd);
    launcher = `/proc/self/fd/${execFd}`;
  }
  const launcherOptions = withoutHwcapKeys(o);
  delete launcherOptions.shell;
  if (env) launcherOptions.env = env;
  const argv0 = typeof o.argv0 === 'string' ? o.argv0 : undefined;
  return {
    launcher,
    launcherArgs: launcherArgv({ ...r.launcher, statusFd: index, argv0, execFd }, n.file, n.args),
    options: { ...launcherOptions, stdio },
    index,
    n,
    opened,
  };
}

function closeAll(fds: readonly number[]): void {
  for (const fd of fds) fs.closeSync(fd);
}

/** A file for the sync calls' status lines: no pipe, so that maxBuffer and output are the program's alone. */
function statusFile(): number {
  const name = path.join(os.tmpdir(), `hwcap-status-${process.pid}-${crypto.randomBytes(6).toString('hex')}`);
  const fd = fs.openSync(name, 'wx+', 0o600);
  fs.unlinkSync(name);
  return fd;
}

function readStatusFile(fd: number): string {
  const size = fs.fstatSync(fd).size;
  const buf = Buffer.alloc(Math.min(size, 1 << 20));
  const got = buf.length ? fs.readSync(fd, buf, 0, buf.length, 0) : 0;
  return buf.subarray(0, got).toString('utf8');
}

/**
 * child_process.spawn with the child's AT_HWCAP* words masked. Same arguments,
 * same ChildProcess, plus options.hwcaps, mode, follow, allowSecurityMasking,
 * auxvOnly, runtimeEnv, allowBelowBaseline, pdeathsig and noNewPrivs (options.hwcaps may be a
 * maskPlan). Without options.hwcaps (and without pdeathsig or
 * noNewPrivs) it is child_process.spawn itself.
 */
export function spawn(file: string, args?: readonly string[] | SpawnOptions, options?: SpawnOptions): cp.ChildProcess {
  const p = plan(file, args, options, false);
  if (p.launcher === undefined) return cp.spawn(p.file, p.args, p.options as cp.SpawnOptions);
  const { n, index } = p;
  let child: cp.ChildProcess;
  try {
    child = cp.spawn(p.launcher, p.launcherArgs, p.options as cp.SpawnOptions);
  } finally {
    closeAll(p.opened);
  }
  // spawnargs and spawnfile as child_process would show them.
  Object.defineProperty(child, 'spawnfile', { value: n.file, writable: true, configurable: true, enumerable: true });
  Object.defineProperty(child, 'spawnargs', { value: [n.argv0, ...n.args], writable: true, configurable: true, enumerable: true });
  const status = child.stdio[index] as (NodeJS.ReadableStream & { destroy?: () => void }) | null | undefined;
  (child.stdio as unknown[]).length = index;
  if (!status || child.pid === undefined) {
    // The launcher itself did not start (a missing cwd, EACCES): child_process reports it, once,
    // as it would for the program (its 'error' and close(-errno) name spawnfile, set above).
    status?.destroy?.();
    return child;
  }

  const emit = child.emit.bind(child) as (event: string | symbol, ...a: unknown[]) => boolean;
  // undecided: the launcher ended without a word; its exit says whether a signal ended it.
  let state: 'pending' | 'ok' | 'failed' | 'undecided' = 'pending';
  let failure: Extract<ReturnType<typeof outcomeOf>, { ok: false }> | undefined;
  let userSigkill = false;
  const kill = child.kill.bind(child);
  child.kill = (signal?: NodeJS.Signals | number) => {
    if (signal === 'SIGKILL' || signal === 9) userSigkill = true;
    return kill(signal);
  };
  const fail = (): void => {
    state = 'failed';
    const outcome = failure!;
    (child as { pid?: number }).pid = undefined;
    emit('error', outcome.execFailed ? execError(outcome.errno, 'spawn', n.file, n.args) : setupError(outcome, n.file));
  };
  /**
   * A launcher that ended by a signal before it reported anything was ended by that signal
   * before or at the program's exec: no unmasked instruction ran (the helper's fail-closed
   * kill is SIGKILL, which counts only when the caller sent it). That is child_process's
   * exit(null, signal); anything else is the setup failure.
   */
  const decide = (signal: unknown): void => {
    if (typeof signal === 'string' && (signal !== 'SIGKILL' || userSigkill)) state = 'ok';
    else fail();
  };
  const release = (): void => {
    for (const [event, a] of held.splice(0)) child.emit(event as string, ...a);
  };
  const held: [string | symbol, unknown[]][] = [];
  (child as unknown as { emit: typeof emit }).emit = (event, ...a) => {
    if (event === 'spawn' || event === 'exit' || event === 'close') {
      if (state === 'undecided' && event === 'exit') {
        decide(a[1]);
        held.push([event, a]);
        release();
        return true;
      }
      if (state === 'pending' || state === 'undecided') {
        held.push([event, a]);
        return true;
      }
      if (state === 'failed') {
        // As child_process does when execve fails: no 'spawn', no 'exit', 'close' with -errno.
        if (event === 'close') return emit('close', -failure!.errno, null);
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
    } else if (!outcome.record) {
      failure = outcome;
      state = 'undecided';
      const exit = held.find(([event]) => event === 'exit');
      if (!exit) return;
      decide(exit[1][1]);
    } else {
      failure = outcome;
      fail();
    }
    release();
  });
  return child;
}

/**
 * child_process.spawnSync with the child's AT_HWCAP* words masked; the same return shape, and
 * for a timeout or maxBuffer the same error (the program's path and arguments, 3 outputs).
 */
export function spawnSync(file: string, args?: readonly string[] | SpawnSyncOptions, options?: SpawnSyncOptions): cp.SpawnSyncReturns<string | Buffer> {
  let statusFd = -1;
  const p = plan(file, args, options, true, () => (statusFd = statusFile()));
  if (p.launcher === undefined) return cp.spawnSync(p.file, p.args, p.options as cp.SpawnSyncOptions);
  const { n, index } = p;
  let res: cp.SpawnSyncReturns<string | Buffer>;
  let text: string;
  try {
    res = cp.spawnSync(p.launcher, p.launcherArgs, p.options as cp.SpawnSyncOptions);
    text = readStatusFile(statusFd);
  } finally {
    closeAll(p.opened);
  }
  const output = res.output ? res.output.slice(0, index) : res.output;
  const outcome = outcomeOf(parseStatus(text));
  if (!outcome.ok && outcome.record) {
    const error = outcome.execFailed ? execError(outcome.errno, 'spawnSync', n.file, n.args) : setupError(outcome, n.file);
    return { error, status: null, signal: null, output: null, pid: 0, stdout: null, stderr: null } as unknown as cp.SpawnSyncReturns<string | Buffer>;
  }
  const shown = { ...res, output, stdout: output?.[1] ?? null, stderr: output?.[2] ?? null } as cp.SpawnSyncReturns<string | Buffer>;
  if (res.error) {
    // child_process's error for the program (ETIMEDOUT, ENOBUFS, a missing cwd), not for the launcher.
    const errno = (res.error as NodeJS.ErrnoException).errno ?? -71;
    shown.error = execError(-errno, 'spawnSync', n.file, n.args);
    return shown;
  }
  if (!outcome.ok && !(typeof res.signal === 'string' && res.signal !== 'SIGKILL')) {
    // Ended without a word and not by a caller's signal: the setup failed, fail closed.
    return { error: setupError(outcome, n.file), status: null, signal: null, output: null, pid: 0, stdout: null, stderr: null } as unknown as cp.SpawnSyncReturns<string | Buffer>;
  }
  return shown;
}
