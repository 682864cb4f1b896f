// exec and execSync like node:child_process: the command runs in a shell, which is masked with
// everything it runs.
import type * as cp from 'node:child_process';
import * as util from 'node:util';
import { normalizeExecArgs } from './normalize';
import type { ExecFileCallback, ExecOptions, ExecSyncOptions } from './options';
import { customPromisify, execFile, runSync } from './exec-file';

/** child_process.exec with the child's AT_HWCAP* words masked: the command runs in a shell, which is masked with everything it runs. */
export function exec(command: string, callback?: ExecFileCallback): cp.ChildProcess;
export function exec(command: string, options: ExecOptions | null | undefined, callback?: ExecFileCallback): cp.ChildProcess;
export function exec(command: string, options?: ExecOptions | ExecFileCallback | null, callback?: ExecFileCallback): cp.ChildProcess {
  const n = normalizeExecArgs(command, options, callback);
  return execFile(n.file, n.options, n.callback as ExecFileCallback | undefined);
}

Object.defineProperty(exec, util.promisify.custom, { enumerable: false, value: customPromisify(exec as (...args: unknown[]) => cp.ChildProcess) });

// eslint-disable-next-line @typescript-eslint/no-namespace
export declare namespace exec {
  function __promisify__(command: string, options?: ExecOptions | null): Promise<{ stdout: string | Buffer; stderr: string | Buffer }> & { child: cp.ChildProcess };
}

/** child_process.execSync with the child's AT_HWCAP* words masked: the shell's stdout, or child_process's thrown error. */
export function execSync(command: string, options?: ExecSyncOptions): string | Buffer {
  const n = normalizeExecArgs(command, options, null);
  return runSync(n.file, [], n.options, command);
}
