// What the checkpoint tests share: the CRIU build (scripts/criu/build.sh, cached in .criu/),
// the probe that decides whether they can run, the C fixtures, and waiting on /proc.
import * as cp from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { repoRoot } from './helpers';

export type CriuProbe = { ok: true; bin: string } | { ok: false; reason: string };

function lastLine(s: string): string {
  return s.trim().split('\n').filter(Boolean).pop() ?? '';
}

/**
 * CRIU 4.1.1: $HWCAP_CRIU when set, else built (or found cached) by scripts/criu/build.sh; then
 * `criu check` must pass. A reason when either fails, which the tests name as they skip.
 */
export function probeCriu(): CriuProbe {
  let bin = process.env.HWCAP_CRIU;
  if (!bin) {
    const r = cp.spawnSync('bash', [path.join(repoRoot, 'scripts', 'criu', 'build.sh')], { encoding: 'utf8', timeout: 20 * 60_000, env: criuEnv() });
    if (r.status !== 0) return { ok: false, reason: `CRIU 4.1.1 could not be built here (scripts/criu/build.sh: ${lastLine(r.stderr) || r.error?.message || `status ${r.status}`})` };
    bin = lastLine(r.stdout);
  }
  const check = cp.spawnSync(bin, ['check'], { encoding: 'utf8', timeout: 60_000, env: criuEnv() });
  if (check.status !== 0) return { ok: false, reason: `'criu check' fails here: ${lastLine(check.stderr + check.stdout) || check.error?.message}` };
  return { ok: true, bin };
}

/** Compiles a fixture of test/criu/fixtures into dir. */
export function compileFixture(name: string, dir: string): string {
  const out = path.join(dir, name);
  const r = cp.spawnSync('cc', ['-O2', '-Wall', '-o', out, path.join(repoRoot, 'test', 'criu', 'fixtures', `${name}.c`)], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`cc ${name}.c: ${r.stderr}`);
  return out;
}

export function tmpDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls until fn returns a value other than undefined, or throws after timeoutMs naming what. */
export async function until<T>(what: string, fn: () => T | undefined, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** A field of /proc/<pid>/status ("TracerPid", "State" ...), or undefined when the pid is gone. */
export function statusField(pid: number, name: string): string | undefined {
  try {
    const m = new RegExp(`^${name}:\\s*(.*)$`, 'm').exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m?.[1];
  } catch {
    return undefined;
  }
}

export const tracerOf = (pid: number): number | undefined => {
  const v = statusField(pid, 'TracerPid');
  return v === undefined ? undefined : Number(v);
};

/** The state letter of /proc/<pid>/stat ('S', 'T', 'Z' ...), or undefined when the pid is gone. */
export function stateOf(pid: number): string | undefined {
  try {
    const s = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return s.slice(s.lastIndexOf(')') + 2, s.lastIndexOf(')') + 3);
  } catch {
    return undefined;
  }
}

/** True while any process has this pid as its pid, process group or session (CRIU restores all three). */
export function idInUse(id: number): boolean {
  for (const e of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    if (Number(e) === id) return true;
    try {
      const s = fs.readFileSync(`/proc/${e}/stat`, 'utf8');
      const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
      if (Number(f[2]) === id || Number(f[3]) === id) return true;
    } catch {
      // gone
    }
  }
  return false;
}

/** "key=value ..." of a cr-probe view line. */
export function parseViews(line: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const kv of line.trim().split(/\s+/)) {
    const i = kv.indexOf('=');
    if (i > 0) out[kv.slice(0, i)] = kv.slice(i + 1);
  }
  return out;
}

export function readIf(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

export interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

/**
 * The environment for criu itself: without the sanitizer runtime that scripts/asan.sh preloads
 * into every child (criu's parasite and restorer code run inside the dumped tasks).
 */
export function criuEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.LD_PRELOAD;
  delete env.ASAN_OPTIONS;
  delete env.UBSAN_OPTIONS;
  return env;
}

export function run(file: string, args: string[], options: cp.SpawnSyncOptions = {}): Run {
  const r = cp.spawnSync(file, args, { encoding: 'utf8', timeout: 120_000, ...options });
  return { status: r.status, stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? '') };
}

/** Kills a pid if it is there (tests clean up their own trees by pid). */
export function killIf(pid: number | undefined, signal: NodeJS.Signals = 'SIGKILL'): void {
  if (!pid) return;
  try {
    process.kill(pid, signal);
  } catch {
    // gone
  }
}
