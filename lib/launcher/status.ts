// The launcher's status fd: one JSON line per event, {stage, syscall, errno, code, message} for
// a failure, {stage: 'exec', mode, pid} just before execve, {stage: 'masked', pid} once the
// helper has masked the new image. Read to its end, the lines say whether the program runs masked.
import * as util from 'node:util';
import { HwcapError } from '../errors';
import { stageOf } from './stages';

export interface StatusRecord {
  stage: string;
  syscall?: string;
  errno?: number;
  code?: string;
  mode?: 'kernel' | 'ptrace';
  pid?: number;
  /** The launcher's own words for a failure. */
  message?: string;
}

export type Outcome = { ok: true } | { ok: false; execFailed: boolean; errno: number; record?: StatusRecord; reason?: string };

const EPROTO = 71;
const ECHILD = 10;

/** The status lines; a line that is not JSON becomes a 'status' failure (EPROTO). */
export function parseStatus(text: string): StatusRecord[] {
  const out: StatusRecord[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      const v: unknown = JSON.parse(line);
      if (typeof v === 'object' && v !== null && typeof (v as StatusRecord).stage === 'string') out.push(v as StatusRecord);
      else out.push({ stage: 'status', syscall: 'read', errno: EPROTO, message: `not a status record: ${line.slice(0, 80)}` });
    } catch {
      out.push({ stage: 'status', syscall: 'read', errno: EPROTO, message: `not JSON: ${line.slice(0, 80)}` });
    }
  }
  return out;
}

/** What the status lines, read to their end, say about the program. */
export function outcomeOf(records: readonly StatusRecord[]): Outcome {
  const failure = records.find((r) => typeof r.errno === 'number' && r.errno !== 0);
  if (failure) {
    return { ok: false, execFailed: failure.stage === 'exec' && failure.syscall === 'execve', errno: failure.errno as number, record: failure };
  }
  const exec = records.find((r) => r.stage === 'exec');
  if (exec && exec.mode === 'kernel') return { ok: true };
  if (exec && records.some((r) => r.stage === 'masked')) return { ok: true };
  if (exec) {
    return { ok: false, execFailed: false, errno: ECHILD, reason: 'the masking helper ended before the program was masked; the program was killed before it ran' };
  }
  return { ok: false, execFailed: false, errno: ECHILD, reason: 'the launcher ended before it reported its setup' };
}

/** exec-stop with ENOEXEC: the new image is a 32-bit (i386) program, whose register set is the compat one. */
const COMPAT_HINT =
  'the program is a 32-bit (i386) program: the ptrace helper masks 64-bit programs only (it cannot patch a 32-bit auxv or answer its CPUID); run a 64-bit build, or run it unmasked; it was killed before it ran';

/** A failure before the program ran: a HwcapError naming the stage, with its hint and option. */
export function setupError(outcome: Extract<Outcome, { ok: false }>, file: string): HwcapError {
  const rec = outcome.record;
  const stage = rec?.stage ?? 'helper';
  const known = stageOf(stage);
  return new HwcapError({
    errno: outcome.errno,
    syscall: rec?.syscall ?? 'ptrace',
    option: known?.option,
    hint: outcome.reason ?? (stage === 'exec-stop' && rec?.code === 'ENOEXEC' ? COMPAT_HINT : known?.hint),
    path: file,
    stage,
    detail: typeof rec?.message === 'string' ? rec.message : undefined,
  });
}

/** The error child_process gives when execve fails: `spawn <file> ENOENT`. */
export function execError(errno: number, syscall: string, file: string, spawnargs: string[]): NodeJS.ErrnoException {
  const code = util.getSystemErrorName(-errno);
  const err = new Error(`${syscall} ${file} ${code}`) as NodeJS.ErrnoException & { spawnargs: string[] };
  err.errno = -errno;
  err.code = code;
  err.syscall = `${syscall} ${file}`;
  err.path = file;
  err.spawnargs = spawnargs;
  return err;
}
