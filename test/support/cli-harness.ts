// Runs the hwcap command the way a user does: `node dist/cli.js ARGS` as a
// child process, with a clean colour environment unless a test sets one.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { repoRoot, which } from './helpers';

export const cliPath = path.join(repoRoot, 'dist', 'cli.js');

export interface CliResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  env?: Record<string, string | undefined>;
  input?: string;
  cwd?: string;
}

/** `node dist/cli.js ...args`; FORCE_COLOR, NO_COLOR and HWCAP_DEBUG are unset unless given. */
export function hwcap(args: string[], opts: CliOptions = {}): CliResult {
  const env: Record<string, string | undefined> = { ...process.env, FORCE_COLOR: undefined, NO_COLOR: undefined, HWCAP_DEBUG: undefined, ...opts.env };
  for (const k of Object.keys(env)) if (env[k] === undefined) delete env[k];
  const r = spawnSync(process.execPath, [cliPath, ...args], {
    encoding: 'utf8',
    env: env as NodeJS.ProcessEnv,
    input: opts.input,
    cwd: opts.cwd ?? repoRoot,
    timeout: 20_000,
  });
  if (r.error) throw r.error;
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

/** The same command on a pseudo-terminal (util-linux `script`), or undefined where there is none. */
export const scriptPath = which('script');

export function hwcapOnTty(args: string[], env: Record<string, string> = {}): string {
  const quote = (s: string) => `'${s.replace(/'/g, "'\\''")}'`;
  const assigns = Object.entries(env).map(([k, v]) => `${k}=${quote(v)}`).join(' ');
  const cmd = `env -u FORCE_COLOR -u NO_COLOR ${assigns} ${quote(process.execPath)} ${quote(cliPath)} ${args.map(quote).join(' ')}`;
  const r = spawnSync(scriptPath!, ['-qec', cmd, '/dev/null'], { encoding: 'utf8', timeout: 20_000 });
  if (r.error) throw r.error;
  return r.stdout.replace(/\r\n/g, '\n');
}

/** A fresh directory for this test file's report and baseline files. */
export function tempDir(prefix = 'hwcap-cli-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

// An SGR colour sequence starts with ESC, a control character on purpose.
// eslint-disable-next-line no-control-regex
export const SGR = /\x1b\[[0-9;]*m/;
