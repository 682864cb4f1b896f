// File arguments: a path, or `-` for standard input, read with a size cap so that
// `hwcap diff /dev/zero` is an input error, not gigabytes of memory and an abort.
import * as fs from 'node:fs';
import * as util from 'node:util';
import { CliError } from './output';

const MiB = 1024 * 1024;
/** Node reports and feature sets are a few KiB; 4 MiB is far beyond any real one. */
export const DOCUMENT_CAP = 4 * MiB;
/** `kubectl get nodes -o json` carries each node's image list: allow a large cluster. */
export const NFD_CAP = 64 * MiB;

const FILE_HINTS: Record<string, string> = {
  ENOENT: 'check the path',
  EACCES: "check the file's permissions",
  EISDIR: 'give a file, not a directory',
  ENOTDIR: 'a part of the path is not a directory',
};

export function shownName(file: string): string {
  return file === '-' ? 'standard input' : `'${file}'`;
}

function readFailure(e: unknown, what: string, file: string, writeHint: string): CliError {
  const x = e as NodeJS.ErrnoException;
  const code = x.code ?? 'EIO';
  const desc = typeof x.errno === 'number' ? util.getSystemErrorMap().get(x.errno)?.[1] : undefined;
  const known = FILE_HINTS[code];
  return new CliError(`cannot read ${what} ${shownName(file)}: ${code}${desc ? `: ${desc}` : ''}`, known ? `${known}; ${writeHint}` : writeHint);
}

const pause = new Int32Array(new SharedArrayBuffer(4));

function mib(n: number): string {
  return `${n / MiB} MiB`;
}

/** The bytes of `file` (`-` is stdin), at most `cap` of them; more is an error naming the file. */
export function readCapped(file: string, what: string, writeHint: string, cap: number): string {
  let fd: number;
  try {
    fd = file === '-' ? 0 : fs.openSync(file, 'r');
  } catch (e) {
    throw readFailure(e, what, file, writeHint);
  }
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    // One byte beyond the cap tells "too large" from "exactly the cap".
    for (;;) {
      const buf = Buffer.allocUnsafe(Math.min(64 * 1024, cap + 1 - total));
      let n: number;
      try {
        n = fs.readSync(fd, buf, 0, buf.length, null);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EAGAIN') {
          // A non-blocking stdin with nothing yet: wait a little, do not spin.
          Atomics.wait(pause, 0, 0, 10);
          continue;
        }
        throw readFailure(e, what, file, writeHint);
      }
      if (n === 0) break;
      chunks.push(buf.subarray(0, n));
      total += n;
      if (total > cap) {
        throw new CliError(
          `${what} ${shownName(file)} is larger than ${mib(cap)}; hwcap reads no input beyond that`,
          `is this the right file? ${writeHint}`,
        );
      }
    }
  } finally {
    if (file !== '-') fs.closeSync(fd);
  }
  return Buffer.concat(chunks, total).toString('utf8');
}

/** Reads and parses a JSON file (`-` is stdin), naming the file in every error. */
export function readJsonFile(file: string, what: string, writeHint: string, cap = DOCUMENT_CAP): unknown {
  const text = readCapped(file, what, writeHint, cap);
  const shown = shownName(file);
  if (text.trim() === '') throw new CliError(`${what} ${shown} is empty`, writeHint);
  try {
    return JSON.parse(text);
  } catch (e) {
    const msg = (e as Error).message;
    const pos = /at position (\d+)/.exec(msg);
    let where = '';
    if (pos) {
      const before = text.slice(0, Number(pos[1]));
      const line = before.split('\n').length;
      where = ` (line ${line}, column ${Number(pos[1]) - before.lastIndexOf('\n')})`;
    }
    throw new CliError(`${what} ${shown} is not valid JSON: ${msg.replace(/ in JSON at position \d+$/, '')}${where}`, writeHint);
  }
}
