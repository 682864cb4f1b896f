// The one way the tests run the launcher directly: hwcap-exec (or the test build, hwcap-exec-test,
// where HWCAP_EXEC_FAULT is set), with its status lines on fd 3 and, if asked, the helper's
// counters on fd 4, read back as records. A run that outlives its timeout is killed with SIGKILL
// (a program left stopped ignores SIGTERM until continued) and throws, naming the timeout.
import * as cp from 'node:child_process';
import * as path from 'node:path';
import { launcherPath } from '../../lib';

export const launcher = launcherPath();
/** The test build: HWCAP_EXEC_FAULT's fault points and simulations (native/launcher/faults.h). */
export const testLauncher = path.join(path.dirname(launcher), 'hwcap-exec-test');
export const launcherFor = (env: NodeJS.ProcessEnv): string => (env.HWCAP_EXEC_FAULT ? testLauncher : launcher);

export interface Run {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** The status lines (fd 3), then the helper's counters (fd 4, with `stats`), parsed. */
  records: Record<string, unknown>[];
}

export interface LaunchOptions {
  env?: NodeJS.ProcessEnv;
  /** Runs the launcher under this command (setpriv ..., sh -c ...). */
  wrapper?: string[];
  /** The launcher to run: by default launcherFor(env). */
  bin?: string;
  /** Also --stats-fd 4. */
  stats?: boolean;
  timeout?: number;
}

/** Runs `launcher --status-fd 3 [--stats-fd 4] ARGS...`. */
export function runLauncher(args: string[], o: LaunchOptions = {}): Run {
  const env = o.env ?? process.env;
  const timeout = o.timeout ?? 30_000;
  const argv = [...(o.wrapper ?? []), o.bin ?? launcherFor(env), '--status-fd', '3', ...(o.stats ? ['--stats-fd', '4'] : []), ...args];
  const r = cp.spawnSync(argv[0]!, argv.slice(1), {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe', 'pipe', ...(o.stats ? (['pipe'] as const) : [])],
    timeout,
    killSignal: 'SIGKILL',
    env,
    maxBuffer: 64 << 20,
  });
  if (r.error) {
    const timedOut = (r.error as NodeJS.ErrnoException).code === 'ETIMEDOUT';
    throw timedOut ? new Error(`the launcher did not end in ${timeout} ms: ${argv.join(' ')}`) : r.error;
  }
  const text = String(r.output[3] ?? '') + String(r.output[4] ?? '');
  return {
    status: r.status,
    signal: r.signal,
    stdout: r.stdout,
    stderr: r.stderr,
    records: text
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}
