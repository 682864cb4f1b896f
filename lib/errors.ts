// Errors shaped like Node's own system errors:
//   EPERM: operation not permitted, prctl(PR_SET_MM_AUXV)
// with `code`, `errno`, `syscall`, and hwcap's `option` and `hint`.
import * as os from 'node:os';
import * as util from 'node:util';

export interface HwcapErrorInit {
  errno: number;
  syscall: string;
  option?: string;
  hint?: string;
  path?: string;
  message?: string;
  /** The launcher stage that failed (lib/launcher/stages.ts), for errors of a masked spawn. */
  stage?: string;
  /** The launcher's own words for the failure. */
  detail?: string;
}

/** One hint per (operation, code); CRIU's cr-check and bubblewrap are the model. */
const HINTS: Record<string, string> = {
  'prctl(PR_SET_MM_AUXV):EPERM': "needs CAP_SYS_RESOURCE; method 'map' needs none",
  'prctl(PR_SET_MM_AUXV):EINVAL': 'the vector is longer than the kernel keeps (saved_auxv)',
  'prctl(PR_SET_MM_MAP):EINVAL': 'kernel built without CONFIG_CHECKPOINT_RESTORE, or the mm fields moved while they were read',
  'prctl(PR_SET_MM_MAP):EPERM': 'the kernel refused the new mm map (a LSM or a seccomp policy may forbid PR_SET_MM)',
  'prctl(PR_SET_MM_MAP):EACCES': 'the kernel refused the new mm map (a LSM may forbid PR_SET_MM)',
  'prctl(PR_SET_MM_MAP_SIZE):EINVAL': 'kernel built without CONFIG_CHECKPOINT_RESTORE',
  'prctl(PR_SET_MM_MAP_SIZE):EPROTO': 'the kernel expects a struct prctl_mm_map of another size than this build',
  'prctl(PR_GET_AUXV):EINVAL': 'kernel older than 6.4; /proc/self/auxv holds the same copy',
  'prctl(PR_USER_HWCAP_ENABLED):EINVAL': 'this kernel does not know that prctl number',
  'open(/proc/self/auxv):ENOENT': 'is /proc mounted?',
  'open(/proc/self/stat):ENOENT': 'is /proc mounted?',
  'ptrace(PTRACE_SEIZE):EPERM': 'ptrace is denied here (Yama ptrace_scope 2 or 3, a seccomp policy, or a LSM); try mode "kernel" where the kernel inherits',
};

// errnos that this Node's libuv does not name (util.getSystemErrorName answers
// 'Unknown system error -10' for ECHILD): named from os.constants.errno instead.
const ERRNO_NAMES: ReadonlyMap<number, string> = new Map(
  Object.entries(os.constants.errno as Record<string, number>).map(([name, n]) => [n, name] as [number, string]),
);
const FALLBACK_MESSAGES: Record<string, string> = {
  ECHILD: 'no child processes',
  ENOEXEC: 'exec format error',
  EOPNOTSUPP: 'operation not supported',
  ENOTSUP: 'operation not supported',
};

function codeOf(errno: number): string {
  const name = util.getSystemErrorMap().get(-errno)?.[0];
  return name ?? ERRNO_NAMES.get(errno) ?? `E${errno}`;
}

// Where libuv's text is not Linux's: errno 95 is EOPNOTSUPP and ENOTSUP alike on Linux, and libuv
// names it ENOTSUP with the BSD text of EOPNOTSUPP, "operation not supported on socket", which
// misleads for an operation on anything but a socket.
const LINUX_MESSAGES: ReadonlyMap<number, string> = new Map([[95, 'operation not supported']]);

function messageOf(errno: number): string {
  const linux = LINUX_MESSAGES.get(errno);
  if (linux !== undefined) return linux;
  const entry = util.getSystemErrorMap().get(-errno);
  if (entry) return entry[1];
  return FALLBACK_MESSAGES[codeOf(errno)] ?? `errno ${errno}`;
}

export class HwcapError extends Error {
  readonly code: string;
  readonly errno: number;
  readonly syscall: string;
  declare readonly option?: string;
  declare readonly hint?: string;
  declare readonly path?: string;
  /** The launcher stage that failed (one of LAUNCHER_STAGES), when the error comes from a masked spawn. */
  declare readonly stage?: string;
  /** The launcher's own message for the failure, when it gave one. */
  declare readonly detail?: string;

  constructor(init: HwcapErrorInit) {
    const code = codeOf(init.errno);
    const hint = init.hint ?? HINTS[`${init.syscall}:${code}`];
    super(init.message ?? `${code}: ${messageOf(init.errno)}, ${init.syscall}${init.path ? ` '${init.path}'` : ''}`);
    this.name = 'HwcapError';
    this.code = code;
    this.errno = init.errno;
    this.syscall = init.syscall;
    if (init.option !== undefined) this.option = init.option;
    if (hint !== undefined) this.hint = hint;
    if (init.path !== undefined) this.path = init.path;
    if (init.stage !== undefined) this.stage = init.stage;
    if (init.detail !== undefined) this.detail = init.detail;
  }
}

/** The errno number for a code such as 'EPERM'. */
export function errnoOf(code: string): number {
  if (typeof code !== 'string') throw invalidArgType('code', 'of type string', code);
  const table = os.constants.errno as Record<string, number>;
  if (!Object.hasOwn(table, code)) throw invalidArgValue('code', 'is not an errno code of this system (such as EPERM)', code);
  return table[code] as number;
}

/** Wraps a Node fs error (ENOENT …) into a HwcapError for the same syscall. */
export function fromSystemError(err: unknown, syscall: string, option?: string): Error {
  const e = err as NodeJS.ErrnoException;
  if (e && typeof e.errno === 'number' && typeof e.code === 'string') {
    return new HwcapError({ errno: Math.abs(e.errno), syscall, option, path: e.path });
  }
  return err instanceof Error ? err : new Error(inspectValue(err));
}

// Typed argument errors, shaped like Node's ERR_INVALID_ARG_TYPE / ERR_OUT_OF_RANGE.
export function invalidArgType(name: string, expected: string, actual: unknown): TypeError {
  const e = new TypeError(`The "${name}" argument must be ${expected}. Received ${describe(actual)}`) as TypeError & { code: string };
  e.code = 'ERR_INVALID_ARG_TYPE';
  return e;
}

export function outOfRange(name: string, expected: string, actual: unknown): RangeError {
  const e = new RangeError(`The value of "${name}" is out of range. It must be ${expected}. Received ${describe(actual)}`) as RangeError & { code: string };
  e.code = 'ERR_OUT_OF_RANGE';
  return e;
}

export function invalidArgValue(name: string, reason: string, actual?: unknown): RangeError {
  const e = new RangeError(`The argument '${name}' ${reason}.${actual === undefined ? '' : ` Received ${describe(actual)}`}`) as RangeError & { code: string };
  e.code = 'ERR_INVALID_ARG_VALUE';
  return e;
}

/**
 * ERR_INVALID_ARG_VALUE as node:child_process throws it, a TypeError (Node's
 * default class for that code), for the checks that mirror child_process's own.
 */
export function invalidArgValueType(name: string, reason: string, actual?: unknown): TypeError {
  const kind = name.includes('.') ? 'property' : 'argument';
  const e = new TypeError(`The ${kind} '${name}' ${reason}.${actual === undefined ? '' : ` Received ${describe(actual)}`}`) as TypeError & { code: string };
  e.code = 'ERR_INVALID_ARG_VALUE';
  return e;
}

/** ERR_UNKNOWN_SIGNAL, a TypeError, as Node gives it for a kill signal it does not know. */
export function unknownSignal(signal: unknown): TypeError {
  const e = new TypeError(`Unknown signal: ${String(signal)}`) as TypeError & { code: string };
  e.code = 'ERR_UNKNOWN_SIGNAL';
  return e;
}

/** A short, never-throwing rendering of any value for an error message. */
export function inspectValue(v: unknown): string {
  const s = util.inspect(v, { depth: 1, breakLength: Infinity, maxArrayLength: 8, maxStringLength: 80 });
  return s.length > 120 ? `${s.slice(0, 117)}...` : s;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v === 'bigint') return `type bigint (${v}n)`;
  if (typeof v === 'function') return 'function';
  if (typeof v === 'object') {
    const name = (v as object).constructor?.name;
    return name ? `an instance of ${name}` : 'an object';
  }
  let s = util.inspect(v);
  if (s.length > 40) s = `${s.slice(0, 37)}...`;
  return `type ${typeof v} (${s})`;
}

/** What to do when the addon is missing or was built for another Node. */
export const ADDON_HINT =
  "build it for this Node and machine: 'npm rebuild hwcap' (or 'npm install' in a checkout); where npm holds back install scripts, allow hwcap's first ('npm install-scripts approve hwcap')";

/** The addon could not be found or loaded: `code` 'ERR_HWCAP_ADDON_LOAD', a `hint`, and the loader's error as `cause`. */
export class AddonLoadError extends Error {
  readonly code = 'ERR_HWCAP_ADDON_LOAD';
  readonly hint = ADDON_HINT;
  constructor(cause: unknown) {
    super(`cannot load the hwcap native addon: ${String((cause as Error | undefined)?.message ?? cause).split('\n')[0]}`, { cause });
    this.name = 'AddonLoadError';
  }
}
