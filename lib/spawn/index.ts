// spawn, spawnSync, execFile, execFileSync, exec, execSync and fork like node:child_process, with
// the child's AT_HWCAP* words masked by the hwcap-exec launcher (native/hwcap-exec.c).
//
// The launcher is the child Node spawns; the program replaces it by execve and
// keeps its pid, so `child.pid`, stdio, signals and the exit status are the
// program's own. The launcher reports setup over an extra close-on-exec pipe
// (JSON lines {stage, syscall, errno}); this module turns a failure there into
// the same asynchronous 'error' that child_process gives, and otherwise holds
// back 'spawn', 'exit' and 'close' only until the program is known to be masked.
import * as cp from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as url from 'node:url';
import * as util from 'node:util';
import { addonDir } from '../host/native';
import { HWCAP_TYPES, checkMask } from '../core/words';
import { hwcapWords } from '../host/auxv';
import type { HwcapMask, HwcapWords } from '../core/words';
import { HwcapError, invalidArgType, invalidArgValue } from '../errors';
import { FeatureSet, hostArch } from '../core/features';

export type SpawnMode = 'auto' | 'kernel' | 'ptrace';

/** Anything with the words of a FeatureSet (lib/features.ts). */
export interface WordsCarrier {
  readonly words: HwcapWords;
}

/** The features to keep: a FeatureSet, an array of feature names, or words of bits to keep. */
export type HwcapsOption = WordsCarrier | readonly string[] | HwcapMask;

export interface HwcapSpawnOptions {
  /** What the child may see. Without it nothing is masked and the call is child_process's own. */
  hwcaps?: HwcapsOption;
  /** 'auto' (default): 'kernel' where probeInheritance() shows the kernel inherits, else 'ptrace'. */
  mode?: SpawnMode;
  /** Mask every exec in the child's process tree (default true); false masks only the first exec. */
  follow?: boolean;
  /** Allow masking security features (arm64 paca, pacg, bti, mte, mte3, gcs). */
  allowSecurityMasking?: boolean;
  /** A signal the child gets when its parent (this process's spawning thread) dies. */
  pdeathsig?: NodeJS.Signals | number;
  /** Set PR_SET_NO_NEW_PRIVS in the child before it execs. */
  noNewPrivs?: boolean;
}

export type SpawnOptions = cp.SpawnOptions & HwcapSpawnOptions;
export type SpawnSyncOptions = cp.SpawnSyncOptions & HwcapSpawnOptions;
export type ExecFileOptions = cp.ExecFileOptions & HwcapSpawnOptions & { encoding?: BufferEncoding | 'buffer' | null };

const HWCAP_KEYS = ['hwcaps', 'mode', 'follow', 'allowSecurityMasking', 'pdeathsig', 'noNewPrivs'] as const;

/** Near misses that would silently mask nothing. */
const NEAR_MISSES: Record<string, string> = {
  hwcap: 'hwcaps',
  hwcap2: 'hwcaps',
  hwcap3: 'hwcaps',
  hwcap4: 'hwcaps',
  mask: 'hwcaps',
  features: 'hwcaps',
  keep: 'hwcaps',
  follows: 'follow',
  allowSecurity: 'allowSecurityMasking',
  allowSecurityMask: 'allowSecurityMasking',
  pdeathSig: 'pdeathsig',
  noNewPrivileges: 'noNewPrivs',
};

// ---------------------------------------------------------------------------------------------
// Paths

function builtExecutable(name: string): string {
  const file = path.join(addonDir, name);
  try {
    fs.accessSync(file, fs.constants.X_OK);
  } catch (err) {
    throw new HwcapError({
      errno: Math.abs((err as NodeJS.ErrnoException).errno ?? 2),
      syscall: 'access',
      path: file,
      hint: `${name} is built next to hwcap.node by the package's install script; run 'npm rebuild hwcap' (or 'npm install' in a checkout)`,
    });
  }
  return file;
}

/**
 * The hwcap-exec launcher, next to the loaded addon. HWCAP_TEST_LAUNCHER=1 in this process's
 * environment picks the test build next to it (hwcap-exec-test, with fault points), for tests only.
 */
export function launcherPath(): string {
  return builtExecutable(process.env.HWCAP_TEST_LAUNCHER === '1' ? 'hwcap-exec-test' : 'hwcap-exec');
}

/** The hwcap-probe executable, next to the loaded addon. */
export function probePath(): string {
  return builtExecutable('hwcap-probe');
}

// ---------------------------------------------------------------------------------------------
// Options

interface Resolved {
  keep: HwcapMask;
  mode: 'kernel' | 'ptrace';
  follow: boolean;
  allowSecurityMasking: boolean;
  pdeathsig?: number;
  noNewPrivs: boolean;
}

function isWordsCarrier(v: unknown): v is WordsCarrier {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && typeof (v as WordsCarrier).words === 'object' && (v as WordsCarrier).words !== null;
}

function keepWords(hwcaps: unknown): HwcapMask {
  const name = 'options.hwcaps';
  if (Array.isArray(hwcaps)) {
    hwcaps.forEach((n, i) => {
      if (typeof n !== 'string') throw invalidArgType(`${name}[${i}]`, 'of type string', n);
    });
    return { ...FeatureSet.fromNames(hostArch(), hwcaps as string[]).words };
  }
  if (isWordsCarrier(hwcaps)) {
    const w = checkMask(hwcaps.words, `${name}.words`);
    // A FeatureSet names every feature to keep: a word it lacks keeps nothing.
    return { hwcap: w.hwcap ?? 0n, hwcap2: w.hwcap2 ?? 0n, hwcap3: w.hwcap3 ?? 0n, hwcap4: w.hwcap4 ?? 0n };
  }
  if (typeof hwcaps !== 'object' || hwcaps === null) {
    throw invalidArgType(name, 'a FeatureSet, an array of feature names or an object { hwcap?, hwcap2?, hwcap3?, hwcap4? } of bigint words', hwcaps);
  }
  return checkMask(hwcaps, name);
}

function checkBoolean(options: Record<string, unknown>, key: string, dflt: boolean): boolean {
  const v = options[key];
  if (v === undefined) return dflt;
  if (typeof v !== 'boolean') throw invalidArgType(`options.${key}`, 'of type boolean', v);
  return v;
}

function checkSignal(v: unknown): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v === 'number') {
    if (!Number.isInteger(v) || v < 1 || v > 64) throw invalidArgValue('options.pdeathsig', 'must be a signal number from 1 to 64 or a signal name', v);
    return v;
  }
  if (typeof v !== 'string') throw invalidArgType('options.pdeathsig', 'of type string or number', v);
  const n = (os.constants.signals as Record<string, number>)[v];
  if (n === undefined) throw invalidArgValue('options.pdeathsig', "must be a signal name such as 'SIGTERM'", v);
  return n;
}

/** Validates the hwcap options; undefined when nothing is to be masked. */
function resolveOptions(options: unknown): Resolved | undefined {
  if (options === undefined || options === null) return undefined;
  if (typeof options !== 'object') throw invalidArgType('options', 'of type object', options);
  const o = options as Record<string, unknown>;
  for (const [k, v] of Object.entries(NEAR_MISSES)) {
    if (k in o) throw invalidArgValue(`options.${k}`, `is not an option; did you mean options.${v}?`);
  }
  const mode = o.mode ?? 'auto';
  if (mode !== 'auto' && mode !== 'kernel' && mode !== 'ptrace') {
    if (typeof mode !== 'string') throw invalidArgType('options.mode', "one of 'auto', 'kernel', 'ptrace'", mode);
    throw invalidArgValue('options.mode', "must be 'auto', 'kernel' or 'ptrace'", mode);
  }
  const follow = checkBoolean(o, 'follow', true);
  const allowSecurityMasking = checkBoolean(o, 'allowSecurityMasking', false);
  const noNewPrivs = checkBoolean(o, 'noNewPrivs', false);
  const pdeathsig = checkSignal(o.pdeathsig);
  if (o.hwcaps === undefined) {
    if (pdeathsig !== undefined || noNewPrivs) {
      // Still go through the launcher for its setup steps, masking nothing.
      return { keep: {}, mode: 'kernel', follow: false, allowSecurityMasking, pdeathsig, noNewPrivs };
    }
    return undefined;
  }
  const keep = keepWords(o.hwcaps);
  const resolvedMode = mode === 'auto' ? (probeInheritance().inherits === true ? 'kernel' : 'ptrace') : mode;
  return { keep, mode: resolvedMode, follow, allowSecurityMasking, pdeathsig, noNewPrivs };
}

function hex(v: bigint): string {
  return `0x${v.toString(16)}`;
}

function launcherArgs(r: Resolved, statusFd: number, file: string, args: readonly string[], argv0?: string): string[] {
  const out = ['--mode', r.mode];
  if (!r.follow) out.push('--no-follow');
  for (const k of Object.keys(HWCAP_TYPES) as (keyof HwcapWords)[]) {
    const v = r.keep[k];
    if (v !== undefined) out.push(`--${k}`, hex(v));
  }
  out.push('--status-fd', String(statusFd));
  if (r.pdeathsig !== undefined) out.push('--pdeathsig', String(r.pdeathsig));
  if (r.noNewPrivs) out.push('--no-new-privs');
  if (r.allowSecurityMasking) out.push('--allow-security-masking');
  if (argv0 !== undefined) out.push('--argv0', argv0);
  out.push('--', file, ...args);
  return out;
}

function withoutHwcapKeys<T extends object>(options: T): T {
  const o = { ...options } as Record<string, unknown>;
  for (const k of HWCAP_KEYS) delete o[k];
  delete o.argv0;
  return o as T;
}

/** child_process's own argument handling: optional args, the shell option. */
function normalize(file: unknown, args: unknown, options: unknown): { file: string; args: string[]; options: Record<string, unknown> } {
  if (typeof file !== 'string') throw invalidArgType('file', 'of type string', file);
  if (file.length === 0) throw invalidArgValue('file', 'cannot be empty', file);
  if (file.includes('\0')) throw invalidArgValue('file', 'must be a string without null bytes', file);
  let a: unknown = args;
  let o: unknown = options;
  if (a !== undefined && a !== null && !Array.isArray(a)) {
    o = a;
    a = [];
  }
  const list = (a ?? []) as unknown[];
  list.forEach((s, i) => {
    if (typeof s !== 'string') throw invalidArgType(`args[${i}]`, 'of type string', s);
    if (s.includes('\0')) throw invalidArgValue(`args[${i}]`, 'must be a string without null bytes', s);
  });
  if (o === undefined || o === null) o = {};
  if (typeof o !== 'object') throw invalidArgType('options', 'of type object', o);
  const opts = { ...(o as Record<string, unknown>) };
  let f = file;
  let argv = list as string[];
  if (opts.shell) {
    const command = [file, ...argv].join(' ');
    f = typeof opts.shell === 'string' ? opts.shell : '/bin/sh';
    argv = ['-c', command];
    delete opts.shell;
  }
  return { file: f, args: argv, options: opts };
}

function stdioWithStatus(stdio: unknown): { stdio: cp.StdioOptions; index: number } {
  let list: unknown[];
  if (stdio === undefined || stdio === null) list = ['pipe', 'pipe', 'pipe'];
  else if (typeof stdio === 'string') list = [stdio, stdio, stdio];
  else if (Array.isArray(stdio)) list = [...stdio];
  else throw invalidArgType('options.stdio', 'a string or an array', stdio);
  while (list.length < 3) list.push(undefined);
  const index = list.length;
  list.push('pipe');
  return { stdio: list as cp.StdioOptions, index };
}

// ---------------------------------------------------------------------------------------------
// Status lines

interface StatusRecord {
  stage: string;
  syscall?: string;
  errno?: number;
  code?: string;
  mode?: 'kernel' | 'ptrace';
  pid?: number;
  /** The launcher's own words for a failure. */
  message?: string;
}

type Outcome = { ok: true } | { ok: false; execFailed: boolean; errno: number; record?: StatusRecord; reason?: string };

function parseStatus(text: string): StatusRecord[] {
  const out: StatusRecord[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      out.push(JSON.parse(line) as StatusRecord);
    } catch {
      out.push({ stage: 'status', syscall: 'read', errno: 71 /* EPROTO */ });
    }
  }
  return out;
}

/** What the status lines, read to their end, say about the program. */
function outcomeOf(records: StatusRecord[]): Outcome {
  const failure = records.find((r) => typeof r.errno === 'number' && r.errno !== 0);
  if (failure) {
    return { ok: false, execFailed: failure.stage === 'exec' && failure.syscall === 'execve', errno: failure.errno!, record: failure };
  }
  const exec = records.find((r) => r.stage === 'exec');
  if (exec && exec.mode === 'kernel') return { ok: true };
  if (exec && records.some((r) => r.stage === 'masked')) return { ok: true };
  if (exec) {
    return { ok: false, execFailed: false, errno: 10 /* ECHILD */, reason: 'the masking helper ended before the program was masked; the program was killed before it ran' };
  }
  return { ok: false, execFailed: false, errno: 10, reason: 'the launcher ended before it reported its setup' };
}

const STAGE_HINTS: Record<string, string> = {
  security: 'the mask removes a security feature (arm64 paca, pacg, bti, mte, mte3, gcs); pass allowSecurityMasking: true to allow it',
  'check-target': 'set-user-ID, set-group-ID and file-capability programs are refused in ptrace mode, where the kernel would run them without their privileges',
  'kernel-verify': "this kernel does not pass a masked auxv across execve; use mode 'ptrace' or 'auto'",
  seize: 'ptrace is denied here (Yama ptrace_scope 2 or 3, seccomp, a LSM), the process is already traced, or the helper died before it seized the launcher',
  'kernel-mask': 'PR_SET_MM_MAP needs CONFIG_CHECKPOINT_RESTORE',
  helper: 'the masking helper could not be started',
};

const STAGE_OPTIONS: Record<string, string> = { security: 'allowSecurityMasking', 'kernel-verify': 'mode', 'kernel-mask': 'mode' };

function setupError(outcome: Extract<Outcome, { ok: false }>, file: string): HwcapError {
  const rec = outcome.record;
  const stage = rec?.stage ?? 'helper';
  const err = new HwcapError({
    errno: outcome.errno,
    syscall: rec?.syscall ?? 'ptrace',
    option: STAGE_OPTIONS[stage],
    hint: outcome.reason ?? STAGE_HINTS[stage],
    path: file,
  });
  Object.defineProperty(err, 'stage', { value: stage, enumerable: true });
  if (typeof rec?.message === 'string') Object.defineProperty(err, 'detail', { value: rec.message, enumerable: true });
  return err;
}

/** The error child_process gives when execve fails: `spawn <file> ENOENT`. */
function execError(errno: number, syscall: string, file: string, spawnargs: string[]): NodeJS.ErrnoException {
  const code = util.getSystemErrorName(-errno);
  const err = new Error(`${syscall} ${file} ${code}`) as NodeJS.ErrnoException & { spawnargs: string[] };
  err.errno = -errno;
  err.code = code;
  err.syscall = `${syscall} ${file}`;
  err.path = file;
  err.spawnargs = spawnargs;
  return err;
}

// ---------------------------------------------------------------------------------------------
// spawn

type Plan =
  | { launcher?: undefined; file: string; args: string[]; options: object }
  | { launcher: string; launcherArgs: string[]; options: object; index: number; argv0?: string; n: ReturnType<typeof normalize> };

/** child_process's own call when nothing is masked; otherwise the launcher, its arguments and the status fd. */
function plan(file: unknown, args: unknown, options: unknown): Plan {
  const n = normalize(file, args, options);
  const r = resolveOptions(n.options);
  if (!r) return { file: n.file, args: n.args, options: withoutHwcapKeys(n.options) };
  const launcher = launcherPath();
  const { stdio, index } = stdioWithStatus(n.options.stdio);
  const argv0 = typeof n.options.argv0 === 'string' ? n.options.argv0 : undefined;
  return { launcher, launcherArgs: launcherArgs(r, index, n.file, n.args, argv0), options: { ...withoutHwcapKeys(n.options), stdio }, index, argv0, n };
}

/**
 * child_process.spawn with the child's AT_HWCAP* words masked. Same arguments,
 * same ChildProcess, plus options.hwcaps, mode, follow, allowSecurityMasking,
 * pdeathsig and noNewPrivs. Without options.hwcaps (and without pdeathsig or
 * noNewPrivs) it is child_process.spawn itself.
 */
export function spawn(file: string, args?: readonly string[] | SpawnOptions, options?: SpawnOptions): cp.ChildProcess {
  const p = plan(file, args, options);
  if (p.launcher === undefined) return cp.spawn(p.file, p.args, p.options as cp.SpawnOptions);
  const { n, index, argv0 } = p;
  const child = cp.spawn(p.launcher, p.launcherArgs, p.options as cp.SpawnOptions);
  // spawnargs and spawnfile as child_process would show them.
  Object.defineProperty(child, 'spawnfile', { value: n.file, writable: true, configurable: true, enumerable: true });
  Object.defineProperty(child, 'spawnargs', { value: [argv0 ?? n.file, ...n.args], writable: true, configurable: true, enumerable: true });
  const status = child.stdio[index] as NodeJS.ReadableStream | null;
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

// ---------------------------------------------------------------------------------------------
// spawnSync

/** child_process.spawnSync with the child's AT_HWCAP* words masked; the same return shape. */
export function spawnSync(file: string, args?: readonly string[] | SpawnSyncOptions, options?: SpawnSyncOptions): cp.SpawnSyncReturns<string | Buffer> {
  const p = plan(file, args, options);
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

// ---------------------------------------------------------------------------------------------
// execFile

export type ExecFileCallback = (error: cp.ExecFileException | null, stdout: string | Buffer, stderr: string | Buffer) => void;

/** child_process.execFile with the child's AT_HWCAP* words masked; the same callback and errors. */
export function execFile(file: string, callback?: ExecFileCallback): cp.ChildProcess;
export function execFile(file: string, args: readonly string[] | null | undefined, callback?: ExecFileCallback): cp.ChildProcess;
export function execFile(file: string, options: ExecFileOptions | null | undefined, callback?: ExecFileCallback): cp.ChildProcess;
export function execFile(file: string, args: readonly string[] | null | undefined, options: ExecFileOptions | null | undefined, callback?: ExecFileCallback): cp.ChildProcess;
export function execFile(file: string, ...rest: unknown[]): cp.ChildProcess {
  let args: string[] = [];
  let options: ExecFileOptions = {};
  let callback: ExecFileCallback | undefined;
  let i = 0;
  if (Array.isArray(rest[i])) args = rest[i++] as string[];
  else if (rest[i] === null || rest[i] === undefined) i++;
  if (typeof rest[i] === 'object' && rest[i] !== null) options = rest[i++] as ExecFileOptions;
  else if (rest[i] === null || rest[i] === undefined) i++;
  if (typeof rest[i] === 'function') callback = rest[i++] as ExecFileCallback;
  if (i < rest.length && rest[i] !== undefined) throw invalidArgValue('args', 'must be an array, an options object and a callback, in that order', rest[i]);

  const encoding = options.encoding === undefined ? 'utf8' : options.encoding;
  const timeout = options.timeout ?? 0;
  const maxBuffer = options.maxBuffer ?? 1024 * 1024;
  const killSignal = options.killSignal ?? 'SIGTERM';
  if (!Number.isInteger(timeout) || timeout < 0) throw invalidArgValue('options.timeout', 'must be an integer >= 0', timeout);
  if (typeof maxBuffer !== 'number' || !(maxBuffer >= 0)) throw invalidArgValue('options.maxBuffer', 'must be a number >= 0', maxBuffer);
  const spawnOptions: SpawnOptions = { ...(options as SpawnOptions) };
  delete (spawnOptions as Record<string, unknown>).encoding;
  delete (spawnOptions as Record<string, unknown>).maxBuffer;
  delete (spawnOptions as Record<string, unknown>).timeout;
  delete (spawnOptions as Record<string, unknown>).killSignal;
  const child = spawn(file, args, spawnOptions);
  const cmd = [file, ...args].join(' ');
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
    return encoding && encoding !== 'buffer' ? b.toString(encoding) : b;
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
  function __promisify__(file: string, args?: readonly string[] | null, options?: ExecFileOptions | null): Promise<{ stdout: string | Buffer; stderr: string | Buffer }> & { child: cp.ChildProcess };
}

Object.defineProperty(execFile, util.promisify.custom, {
  enumerable: false,
  value: (file: string, ...rest: unknown[]) => {
    let child: cp.ChildProcess | undefined;
    const p = new Promise<{ stdout: string | Buffer; stderr: string | Buffer }>((resolve, reject) => {
      const call = execFile as unknown as (f: string, ...a: unknown[]) => cp.ChildProcess;
      child = call(file, ...rest, (err: (Error & Record<string, unknown>) | null, stdout: string | Buffer, stderr: string | Buffer) => {
        if (err) {
          err.stdout = stdout;
          err.stderr = stderr;
          reject(err);
        } else {
          resolve({ stdout, stderr });
        }
      });
    }) as Promise<{ stdout: string | Buffer; stderr: string | Buffer }> & { child?: cp.ChildProcess };
    p.child = child;
    return p;
  },
});

// ---------------------------------------------------------------------------------------------
// execFileSync, exec, execSync: child_process's wrappers, on the masked spawn and spawnSync

export type ExecFileSyncOptions = cp.ExecFileSyncOptions & HwcapSpawnOptions;
export type ExecOptions = cp.ExecOptions & HwcapSpawnOptions & { encoding?: BufferEncoding | 'buffer' | null };
export type ExecSyncOptions = cp.ExecSyncOptions & HwcapSpawnOptions;

/** child_process's error for a failed synchronous exec: ret.error, or 'Command failed', with ret's fields. */
function execSyncError(ret: cp.SpawnSyncReturns<string | Buffer>, command: string): Error | undefined {
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
function runSync(file: string, args: readonly string[], options: SpawnSyncOptions, command: string): string | Buffer {
  const ret = spawnSync(file, args, options);
  if (!options.stdio && ret.stderr) process.stderr.write(ret.stderr);
  const err = execSyncError(ret, command);
  if (err) throw err;
  return ret.stdout;
}

/** The options object of exec and execSync: a copy, with shell true unless a shell path is given. */
function execOptions(command: unknown, options: unknown): Record<string, unknown> {
  if (typeof command !== 'string') throw invalidArgType('command', 'of type string', command);
  if (command.includes('\0')) throw invalidArgValue('command', 'must be a string without null bytes', command);
  if (options !== undefined && options !== null && typeof options !== 'object') throw invalidArgType('options', 'of type object', options);
  const o = { ...((options ?? {}) as Record<string, unknown>) };
  o.shell = typeof o.shell === 'string' ? o.shell : true;
  return o;
}

/**
 * The optional args of execFileSync and fork: an array, or left out with the
 * options in its place. A third argument after options in args' place is an
 * error rather than silently dropped.
 */
function argsThenOptions(args: unknown, options: unknown): { args: readonly string[]; options: Record<string, unknown> } {
  let list: readonly string[] = [];
  let o = options;
  if (Array.isArray(args)) list = args as string[];
  else if (args !== null && args !== undefined) {
    if (typeof args !== 'object') throw invalidArgType('args', 'an array', args);
    if (options !== undefined && options !== null) throw invalidArgValue('args', 'must be an array when options follow it', args);
    o = args;
  }
  if (o !== undefined && o !== null && typeof o !== 'object') throw invalidArgType('options', 'of type object', o);
  return { args: list, options: { ...((o ?? {}) as Record<string, unknown>) } };
}

/**
 * child_process.execFileSync with the child's AT_HWCAP* words masked: the
 * program's stdout, or child_process's thrown error (a non-zero status gives
 * 'Command failed', with status, signal, stdout and stderr on the error).
 */
export function execFileSync(file: string, options?: ExecFileSyncOptions): string | Buffer;
export function execFileSync(file: string, args?: readonly string[] | null, options?: ExecFileSyncOptions): string | Buffer;
export function execFileSync(file: string, args?: readonly string[] | ExecFileSyncOptions | null, options?: ExecFileSyncOptions): string | Buffer {
  const { args: a, options: opts } = argsThenOptions(args, options);
  const argv0 = typeof opts.argv0 === 'string' ? opts.argv0 : file;
  return runSync(file, a, opts as SpawnSyncOptions, [argv0, ...a].join(' '));
}

/** child_process.exec with the child's AT_HWCAP* words masked: the command runs in a shell, which is masked with everything it runs. */
export function exec(command: string, callback?: ExecFileCallback): cp.ChildProcess;
export function exec(command: string, options: ExecOptions | null | undefined, callback?: ExecFileCallback): cp.ChildProcess;
export function exec(command: string, options?: ExecOptions | ExecFileCallback | null, callback?: ExecFileCallback): cp.ChildProcess {
  if (typeof options === 'function') {
    callback = options;
    options = undefined;
  }
  const o = execOptions(command, options);
  return execFile(command, [], o as ExecFileOptions, callback);
}

Object.defineProperty(exec, util.promisify.custom, {
  enumerable: false,
  value: (command: string, options?: ExecOptions | null) => {
    const o = execOptions(command, options);
    return (util.promisify(execFile) as unknown as (f: string, a: string[], o: object) => Promise<{ stdout: string | Buffer; stderr: string | Buffer }>)(command, [], o);
  },
});

// eslint-disable-next-line @typescript-eslint/no-namespace
export declare namespace exec {
  function __promisify__(command: string, options?: ExecOptions | null): Promise<{ stdout: string | Buffer; stderr: string | Buffer }> & { child: cp.ChildProcess };
}

/** child_process.execSync with the child's AT_HWCAP* words masked: the shell's stdout, or child_process's thrown error. */
export function execSync(command: string, options?: ExecSyncOptions): string | Buffer {
  const o = execOptions(command, options);
  return runSync(command, [], o as SpawnSyncOptions, command);
}

// ---------------------------------------------------------------------------------------------
// fork

export type ForkOptions = cp.ForkOptions & HwcapSpawnOptions;

const STDIO_NAMES = ['pipe', 'inherit', 'ignore', 'overlapped'];

/**
 * child_process.fork with the child's AT_HWCAP* words masked: a Node child
 * running `modulePath`, with the IPC channel (`send`, 'message') of
 * child_process. The child is the node binary in options.execPath (default
 * process.execPath), exec'd by the launcher like any other program.
 */
export function fork(modulePath: string | URL, options?: ForkOptions): cp.ChildProcess;
export function fork(modulePath: string | URL, args?: readonly string[], options?: ForkOptions): cp.ChildProcess;
export function fork(modulePath: string | URL, args?: readonly string[] | ForkOptions | null, options?: ForkOptions | null): cp.ChildProcess {
  let mod: string;
  if (modulePath instanceof URL) {
    if (modulePath.protocol !== 'file:') throw invalidArgValue('modulePath', 'must be a string or a file: URL', modulePath.href);
    mod = url.fileURLToPath(modulePath);
  } else if (typeof modulePath === 'string') {
    mod = modulePath;
  } else {
    throw invalidArgType('modulePath', 'of type string or an instance of URL', modulePath);
  }
  if (mod.includes('\0')) throw invalidArgValue('modulePath', 'must be a string without null bytes', mod);
  const split = argsThenOptions(args, options);
  const list = split.args;
  const opts = { ...split.options, shell: false } as ForkOptions & Record<string, unknown>;
  const execPath = opts.execPath || process.execPath;
  if (typeof execPath !== 'string') throw invalidArgType('options.execPath', 'of type string', execPath);
  if (execPath.includes('\0')) throw invalidArgValue('options.execPath', 'must be a string without null bytes', execPath);
  opts.execPath = execPath;
  let execArgv = opts.execArgv ?? process.execArgv;
  if (!Array.isArray(execArgv)) throw invalidArgType('options.execArgv', 'an array', execArgv);
  execArgv.forEach((a: unknown, i: number) => {
    if (typeof a !== 'string') throw invalidArgType(`options.execArgv[${i}]`, 'of type string', a);
    if (a.includes('\0')) throw invalidArgValue(`options.execArgv[${i}]`, 'must be a string without null bytes', a);
  });
  // As child_process does: a parent started with -e does not pass its script on.
  const evalScript = (process as unknown as { _eval?: string })._eval;
  if (execArgv === process.execArgv && evalScript != null) {
    const at = execArgv.lastIndexOf(evalScript);
    if (at > 0) execArgv = [...execArgv.slice(0, at - 1), ...execArgv.slice(at + 1)];
  }
  const stdio = opts.stdio;
  if (typeof stdio === 'string' || stdio === undefined) {
    const each = stdio ?? (opts.silent ? 'pipe' : 'inherit');
    if (!STDIO_NAMES.includes(each)) throw invalidArgValue('options.stdio', `must be one of ${STDIO_NAMES.map((x) => `'${x}'`).join(', ')} or an array`, each);
    opts.stdio = [each, each, each, 'ipc'] as cp.StdioOptions;
  } else if (!Array.isArray(stdio)) {
    throw invalidArgType('options.stdio', 'a string or an array', stdio);
  } else if (!stdio.includes('ipc')) {
    const err = new Error("Forked processes must have an IPC channel, missing value 'ipc' in options.stdio") as Error & { code: string };
    err.code = 'ERR_CHILD_PROCESS_IPC_REQUIRED';
    throw err;
  }
  return spawn(execPath, [...execArgv, mod, ...list], opts as SpawnOptions);
}

// ---------------------------------------------------------------------------------------------
// Probes

export interface InheritanceProbe {
  /** Does a masked auxv survive execve here? 'unknown' when the probe could not say. */
  inherits: boolean | 'unknown';
  reason: string;
}

let inheritanceCache: InheritanceProbe | undefined;

interface ProbeView {
  pid: number;
  process: Record<keyof HwcapWords, string>;
  libc: Record<keyof HwcapWords, string>;
  prGetAuxv: Record<keyof HwcapWords, string> | null;
  procAuxv: Record<keyof HwcapWords, string> | null;
  tracerPid: number;
}

/**
 * Masks one set bit in kernel mode (PR_SET_MM_MAP on the launcher, no check),
 * execs hwcap-probe and reads the bit back from the probe's startup stack. Cached.
 */
export function probeInheritance(): InheritanceProbe {
  if (inheritanceCache) return inheritanceCache;
  inheritanceCache = runInheritanceProbe();
  return inheritanceCache;
}

function lowestSetBit(v: bigint): bigint {
  return v & -v;
}

function runInheritanceProbe(): InheritanceProbe {
  let words: HwcapWords;
  let launcher: string;
  let probe: string;
  try {
    words = hwcapWords('kernel');
    launcher = launcherPath();
    probe = probePath();
  } catch (err) {
    return { inherits: 'unknown', reason: (err as Error).message };
  }
  const key = (['hwcap2', 'hwcap', 'hwcap3', 'hwcap4'] as const).find((k) => words[k] !== 0n);
  if (!key) return { inherits: 'unknown', reason: 'no AT_HWCAP* bit is set here to mask' };
  const bit = lowestSetBit(words[key]);
  const res = cp.spawnSync(launcher, ['--mode', 'kernel', '--no-verify', `--${key}`, hex(words[key] & ~bit), '--', probe], {
    encoding: 'utf8',
    timeout: 10_000,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (res.error) return { inherits: 'unknown', reason: `running ${launcher}: ${res.error.message}` };
  if (res.status !== 0) return { inherits: 'unknown', reason: `the kernel-mode launcher failed: ${res.stderr.trim() || `exit ${res.status ?? res.signal}`}` };
  let view: ProbeView;
  try {
    view = JSON.parse(res.stdout) as ProbeView;
  } catch {
    return { inherits: 'unknown', reason: `hwcap-probe printed no JSON: ${res.stdout.slice(0, 80)}` };
  }
  const seen = BigInt(view.process[key]);
  const name = `AT_${key.toUpperCase()}`;
  if ((seen & bit) === 0n) return { inherits: true, reason: `bit ${hex(bit)} of ${name}, masked before execve, was gone in the child` };
  return { inherits: false, reason: `bit ${hex(bit)} of ${name}, masked before execve, was set again in the child: this kernel does not inherit the auxv` };
}

export type PtraceProbe = { ok: true; reason: string } | { ok: false; code: string; syscall?: string; reason: string; hint?: string };

let ptraceCache: PtraceProbe | undefined;

/** Can this process mask a child with ptrace mode? Runs hwcap-probe through it once. Cached. */
export function probePtrace(): PtraceProbe {
  if (ptraceCache) return ptraceCache;
  let probe: string;
  try {
    probe = probePath();
    launcherPath();
  } catch (err) {
    const e = err as HwcapError;
    return (ptraceCache = { ok: false, code: e.code ?? 'ENOENT', reason: e.message, hint: e.hint });
  }
  const res = spawnSync(probe, [], { hwcaps: hwcapWords('kernel'), mode: 'ptrace', follow: false, encoding: 'utf8', timeout: 10_000 });
  if (res.error) {
    const e = res.error as HwcapError;
    ptraceCache = { ok: false, code: e.code ?? 'EUNKNOWN', syscall: e.syscall, reason: e.message, hint: e.hint };
  } else if (res.status !== 0) {
    ptraceCache = { ok: false, code: 'EUNKNOWN', reason: `hwcap-probe under ptrace mode ended with ${res.status ?? res.signal}: ${String(res.stderr).trim()}` };
  } else {
    ptraceCache = { ok: true, reason: 'hwcap-probe ran masked under ptrace mode' };
  }
  return ptraceCache;
}
