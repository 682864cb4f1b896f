// Shared helpers for tests that run real child processes.
import { spawnSync, SpawnSyncOptions } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { expect } from 'vitest';

export const repoRoot = path.resolve(__dirname, '..', '..');

/** The CPUID probe's C sources (binding.gyp's hwcap-cpuid-probe), for tests that link it themselves (static, musl). */
export const cpuidProbeSources = ['cpuid-probe.c', 'cpuid-probe-escape.c'].map((f) => path.join(repoRoot, 'native', 'probe', f));

/** JSON with bigints written as "123n", so that children can report them exactly. */
export function stringifyBig(v: unknown): string {
  return JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? `${x}n` : x));
}

export function parseBig<T = unknown>(s: string): T {
  return JSON.parse(s, (_k, x) => (typeof x === 'string' && /^\d+n$/.test(x) ? BigInt(x.slice(0, -1)) : x)) as T;
}

/**
 * Runs `node -e CODE` (behind `wrapper`, e.g. setpriv, when given) with the built package as `h` and `out(v)` printing one
 * bigint-safe JSON line. Returns the parsed value of the last such line.
 */
export function runNode<T = unknown>(code: string, options: SpawnSyncOptions & { wrapper?: string[] } = {}): { value: T; stdout: string; stderr: string; status: number | null } {
  const prelude = `const h = require(${JSON.stringify(repoRoot)});
const out = (v) => process.stdout.write('@@' + JSON.stringify(v, (_k, x) => typeof x === 'bigint' ? x + 'n' : x) + '\\n');\n`;
  const { wrapper = [], ...opts } = options;
  const argv = [...wrapper, process.execPath, '-e', prelude + code];
  const r = spawnSync(argv[0], argv.slice(1), {
    encoding: 'utf8',
    timeout: 20_000,
    ...opts,
  });
  const stdout = String(r.stdout ?? '');
  const stderr = String(r.stderr ?? '');
  const line = stdout.split('\n').filter((l) => l.startsWith('@@')).pop();
  if (!line) throw new Error(`child printed no result (status ${r.status}, signal ${r.signal}):\n${stdout}\n${stderr}`);
  return { value: parseBig<T>(line.slice(2)), stdout, stderr, status: r.status };
}

/** Parses /proc/<pid>/auxv bytes into [type, value] pairs through AT_NULL. */
export function procAuxvPairs(file = '/proc/self/auxv'): [number, bigint][] {
  const buf = fs.readFileSync(file);
  const out: [number, bigint][] = [];
  for (let off = 0; off + 16 <= buf.length; off += 16) {
    const type = Number(buf.readBigUInt64LE(off));
    out.push([type, buf.readBigUInt64LE(off + 8)]);
    if (type === 0) break;
  }
  return out;
}

/** Parses glibc's LD_SHOW_AUXV=1 output: lines like `AT_HWCAP:   178bfbff` or `AT_??? (0x1b): 0x1c`. */
export function parseShowAuxv(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^(AT_[A-Z0-9_]+|AT_\?\?\? \(0x[0-9a-f]+\)):\s+(.*)$/.exec(line);
    if (m) out.set(m[1], m[2].trim());
  }
  return out;
}

/** AT_HWCAP and AT_HWCAP2 from LD_SHOW_AUXV output (ld.so prints AT_HWCAP in hex without 0x on x86). */
export function ldShowAuxv(text: string): { hwcap?: bigint; hwcap2?: bigint } {
  const shown = parseShowAuxv(text);
  const word = (k: string): bigint | undefined => {
    const v = shown.get(k);
    return v !== undefined && /^(0x)?[0-9a-f]+$/.test(v) ? BigInt(v.startsWith('0x') ? v : `0x${v}`) : undefined;
  };
  const out: { hwcap?: bigint; hwcap2?: bigint } = {};
  const hwcap = word('AT_HWCAP');
  const hwcap2 = word('AT_HWCAP2');
  if (hwcap !== undefined) out.hwcap = hwcap;
  if (hwcap2 !== undefined) out.hwcap2 = hwcap2;
  return out;
}

export function which(cmd: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    const p = path.join(dir, cmd);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return p;
    } catch {
      /* next */
    }
  }
  return undefined;
}

/** Asserts that f throws an instance of cls with this `code`, and returns the error. */
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
export function expectCode(f: () => unknown, cls: Function, code: string): Error {
  let caught: unknown;
  try {
    f();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(cls);
  expect((caught as { code?: string }).code).toBe(code);
  return caught as Error;
}

/** ' (skipped: why)' when the test is skipped, '' when it runs: a title says "skipped" only when it is. */
export function skipNote(skip: boolean, why: string): string {
  return skip ? ` (skipped: ${why})` : '';
}

/**
 * LD_SHOW_AUXV=1 of /bin/true, probed once: the AT_HWCAP* words glibc's ld.so printed, or why
 * there are none (no /bin/true, or a libc that does not print AT_HWCAP).
 */
export function probeLdShowAuxv(): { ok: true; hwcap: bigint; hwcap2?: bigint } | { ok: false; reason: string } {
  let out: string;
  try {
    out = spawnSync('/bin/true', { env: { ...process.env, LD_SHOW_AUXV: '1' }, encoding: 'utf8' }).stdout ?? '';
  } catch (e) {
    return { ok: false, reason: `/bin/true did not run: ${(e as Error).message}` };
  }
  const w = ldShowAuxv(out);
  if (w.hwcap === undefined) return { ok: false, reason: 'LD_SHOW_AUXV=1 /bin/true printed no AT_HWCAP (no glibc ld.so here)' };
  return w.hwcap2 === undefined ? { ok: true, hwcap: w.hwcap } : { ok: true, hwcap: w.hwcap, hwcap2: w.hwcap2 };
}

/** Runs f with lib/spawn picking the test build of the launcher (hwcap-exec-test, with fault points). */
export function withTestLauncher<T>(f: () => T): T {
  const before = process.env.HWCAP_TEST_LAUNCHER;
  process.env.HWCAP_TEST_LAUNCHER = '1';
  try {
    return f();
  } finally {
    if (before === undefined) delete process.env.HWCAP_TEST_LAUNCHER;
    else process.env.HWCAP_TEST_LAUNCHER = before;
  }
}
