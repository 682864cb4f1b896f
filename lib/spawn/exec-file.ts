// execFile and execFileSync like node:child_process, on the masked spawn and spawnSync, and the
// one promisify adapter (customPromiseExecFunction in Node) that execFile and exec share.
import type * as cp from 'node:child_process';
import * as util from 'node:util';
import { MAX_BUFFER, normalizeExecFileArgs, sanitizeKillSignal, validateMaxBuffer, validateTimeout } from './normalize';
import { HWCAP_KEYS, checkNearMisses, type ExecFileCallback, type ExecFileOptions, type ExecFileSyncOptions, type SpawnOptions, type SpawnSyncOptions } from './options';
import { spawn, spawnSync } from './spawn';

/** The options child_process's execFile hands on to spawn; hwcap adds its own. */
const SPAWN_KEYS = ['cwd', 'env', 'gid', 'shell', 'signal', 'uid', 'windowsHide', 'windowsVerbatimArguments', ...HWCAP_KEYS] as const;

type Output = { stdout: string | Buffer; stderr: string | Buffer };

/** util.promisify for a function whose last argument is an exec callback: { stdout, stderr }, `child` on the promise. */
export function customPromisify(orig: (...args: unknown[]) => cp.ChildProcess): (...args: unknown[]) => Promise<Output> & { child: cp.ChildProcess } {
  return (...args: unknown[]) => {
    let resolve!: (v: Output) => void;
    let reject!: (e: unknown) => void;
    const promise = new Promise<Output>((res, rej) => {
      resolve = res;
      reject = rej;
    }) as Promise<Output> & { child: cp.ChildProcess };
    promise.child = orig(...args, (err: (Error & Record<string, unknown>) | null, stdout: string | Buffer, stderr: string | Buffer) => {
      if (err !== null) {
        err.stdout = stdout;
        err.stderr = stderr;
        reject(err);
      } else {
        resolve({ stdout, stderr });
      }
    });
    return promise;
  };
}

/** child_process.execFile with the child's AT_HWCAP* words masked; the same callback and errors. */
export function execFile(file: string, callback?: ExecFileCallback): cp.ChildProcess;
export function execFile(file: string, args: readonly string[] | null | undefined, callback?: ExecFileCallback): cp.ChildProcess;
export function execFile(file: string, options: ExecFileOptions | null | undefined, callback?: ExecFileCallback): cp.ChildProcess;
export function execFile(file: string, args: readonly string[] | null | undefined, options: ExecFileOptions | null | undefined, callback?: ExecFileCallback): cp.ChildProcess;
export function execFile(file: string, a?: unknown, o?: unknown, c?: unknown): cp.ChildProcess {
  const n = normalizeExecFileArgs(file, a, o, c);
  const args = n.args as string[];
  const callback = n.callback as ExecFileCallback | undefined;
  const options: Record<string, unknown> = { encoding: 'utf8', timeout: 0, maxBuffer: MAX_BUFFER, killSignal: 'SIGTERM', cwd: null, env: null, shell: false, ...n.options };
  validateTimeout(options.timeout);
  validateMaxBuffer(options.maxBuffer);
  const killSignal = sanitizeKillSignal(options.killSignal);
  checkNearMisses(options);
  const spawnOptions: Record<string, unknown> = {};
  for (const k of SPAWN_KEYS) if (options[k] !== undefined) spawnOptions[k] = options[k];
  spawnOptions.windowsHide = !!options.windowsHide;
  spawnOptions.windowsVerbatimArguments = !!options.windowsVerbatimArguments;
  const child = spawn(n.file as string, args, spawnOptions as SpawnOptions);

  const encoding = typeof options.encoding === 'string' && options.encoding !== 'buffer' && Buffer.isEncoding(options.encoding) ? options.encoding : null;
  const timeout = options.timeout as number;
  const maxBuffer = options.maxBuffer as number;
  const cmd = Array.isArray(args) && args.length ? `${file} ${args.join(' ')}` : String(file);
  const out: Buffer[] = [];
  const errChunks: Buffer[] = [];
  let outLen = 0;
  let errLen = 0;
  let killed = false;
  let ex: (Error & Record<string, unknown>) | null = null;
  let done = false;
  let timer: NodeJS.Timeout | undefined;

  const decode = (bufs: Buffer[]): string | Buffer => {
    const b = Buffer.concat(bufs);
    return encoding ? b.toString(encoding) : b;
  };
  const kill = () => {
    killed = true;
    try {
      child.kill(killSignal);
    } catch {
      /* already gone */
    }
  };
  const finish = (code: number | null, signal: NodeJS.Signals | null) => {
    if (done) return;
    done = true;
    if (timer) clearTimeout(timer);
    if (!callback) return;
    const stdout = decode(out);
    const stderr = decode(errChunks);
    if (!ex && code === 0 && signal === null) {
      callback(null, stdout, stderr);
      return;
    }
    let e = ex;
    if (!e) {
      e = new Error(`Command failed: ${cmd}\n${stderr.toString()}`) as Error & Record<string, unknown>;
      e.code = code !== null && code < 0 ? util.getSystemErrorName(code) : code;
      e.killed = child.killed || killed;
      e.signal = signal;
    }
    e.cmd = cmd;
    callback(e as cp.ExecFileException, stdout, stderr);
  };
  const collect = (stream: NodeJS.ReadableStream | null, into: Buffer[], which: 'stdout' | 'stderr') => {
    if (!stream) return;
    stream.on('data', (chunk: Buffer) => {
      const len = which === 'stdout' ? (outLen += chunk.length) : (errLen += chunk.length);
      if (len > maxBuffer) {
        const keep = chunk.length - (len - maxBuffer);
        if (keep > 0) into.push(chunk.subarray(0, keep));
        const e = new RangeError(`${which} maxBuffer length exceeded`) as RangeError & Record<string, unknown>;
        e.code = 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER';
        ex = e;
        kill();
      } else {
        into.push(chunk);
      }
    });
  };
  collect(child.stdout, out, 'stdout');
  collect(child.stderr, errChunks, 'stderr');
  if (timeout > 0) timer = setTimeout(kill, timeout);
  child.on('close', finish);
  child.on('error', (e: Error) => {
    ex = e as Error & Record<string, unknown>;
    if (child.stdout) child.stdout.destroy();
    if (child.stderr) child.stderr.destroy();
    finish(null, null);
  });
  return child;
}

// eslint-disable-next-line @typescript-eslint/no-namespace
export declare namespace execFile {
  function __promisify__(file: string, args?: readonly string[] | null, options?: ExecFileOptions | null): Promise<Output> & { child: cp.ChildProcess };
}

Object.defineProperty(execFile, util.promisify.custom, { enumerable: false, value: customPromisify(execFile as (...args: unknown[]) => cp.ChildProcess) });

/** child_process's error for a failed synchronous exec: ret.error, or 'Command failed', with ret's fields. */
export function checkExecSyncError(ret: cp.SpawnSyncReturns<string | Buffer>, command: string): Error | undefined {
  let err: Error;
  if (ret.error) {
    err = ret.error;
  } else if (ret.status !== 0) {
    const stderr = ret.stderr && ret.stderr.length > 0 ? `\n${ret.stderr.toString()}` : '';
    err = new Error(`Command failed: ${command}${stderr}`);
  } else {
    return undefined;
  }
  return Object.assign(err, ret);
}

/** Runs a synchronous call as child_process's execFileSync and execSync do: stderr passed on unless stdio is given. */
export function runSync(file: string, args: unknown, options: Record<string, unknown>, command: string): string | Buffer {
  const ret = spawnSync(file, args as string[], options as SpawnSyncOptions);
  if (!options.stdio && ret.stderr) process.stderr.write(ret.stderr);
  const err = checkExecSyncError(ret, command);
  if (err) throw err;
  return ret.stdout;
}

/**
 * child_process.execFileSync with the child's AT_HWCAP* words masked: the
 * program's stdout, or child_process's thrown error (a non-zero status gives
 * 'Command failed', with status, signal, stdout and stderr on the error).
 */
export function execFileSync(file: string, options?: ExecFileSyncOptions): string | Buffer;
export function execFileSync(file: string, args?: readonly string[] | null, options?: ExecFileSyncOptions): string | Buffer;
export function execFileSync(file: string, args?: readonly string[] | ExecFileSyncOptions | null, options?: ExecFileSyncOptions): string | Buffer {
  const n = normalizeExecFileArgs(file, args, options);
  const list = Array.isArray(n.args) ? (n.args as string[]) : [];
  const argv0 = typeof n.options.argv0 === 'string' && n.options.argv0 ? n.options.argv0 : file;
  return runSync(file, n.args, n.options, [argv0, ...list].join(' '));
}
