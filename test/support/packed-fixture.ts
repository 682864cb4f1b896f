// Shared by the packed-package tests: the tarball scripts/packed/run.sh made, a fresh project
// directory, and a PATH with node, npm, npx and sh only (no python3, make, cc, g++).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { repoRoot } from './helpers';

export const work = process.env.HWCAP_PACKED_DIR ?? path.join(repoRoot, '.prebuild', 'packed');

export interface PackInfo {
  filename: string;
  size: number;
  unpackedSize: number;
  files: { path: string; size: number; mode: number }[];
}

/** npm pack --json's record of the tarball run.sh packed. */
export function packInfo(): PackInfo & { tarball: string } {
  const file = path.join(work, 'pack.json');
  if (!fs.existsSync(file)) throw new Error(`${file} is missing: run npm run test:packed (scripts/packed/run.sh packs the package first)`);
  const info = (JSON.parse(fs.readFileSync(file, 'utf8')) as PackInfo[])[0];
  return { ...info, tarball: path.join(work, info.filename) };
}

/** A fresh directory holding a private package.json, as a user's project starts. */
export function freshProject(name: string): string {
  const dir = path.join(work, name);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: `user-${name}`, version: '1.0.0', private: true }));
  return dir;
}

/**
 * A directory for PATH with only these commands: `node` as given (a path, or a shell line that
 * runs one), npm and npx from `npmCli` run by that node, and sh.
 */
export function toolsBin(name: string, node: string, npmDir: string): string {
  const bin = path.join(work, name);
  fs.rmSync(bin, { recursive: true, force: true });
  fs.mkdirSync(bin, { recursive: true });
  const script = (file: string, body: string) => fs.writeFileSync(path.join(bin, file), `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  if (fs.existsSync(node)) fs.symlinkSync(node, path.join(bin, 'node'));
  else script('node', `exec ${node} "$@"`);
  script('npm', `exec "${bin}/node" "${path.join(npmDir, 'bin', 'npm-cli.js')}" "$@"`);
  script('npx', `exec "${bin}/node" "${path.join(npmDir, 'bin', 'npx-cli.js')}" "$@"`);
  fs.symlinkSync('/bin/sh', path.join(bin, 'sh'));
  return bin;
}

/** The environment of a user's shell with PATH = bin: HOME (npm's cache and config) and no npm_* of the outer run. */
export function userEnv(bin: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { PATH: bin, HOME: process.env.HOME ?? '/root', LANG: 'C.UTF-8', npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false', ...extra };
}

export interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
  seconds: number;
}

export function run(file: string, args: string[], cwd: string, env: NodeJS.ProcessEnv, timeout = 600_000): Run {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(file, args, { cwd, env, encoding: 'utf8', timeout, maxBuffer: 64 << 20 });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  return { status: r.status, stdout: r.stdout ?? '', stderr: `${r.stderr ?? ''}${r.error ? `\n${r.error.message}` : ''}`, seconds };
}

/** Merges figures into <work>/results.json, which run.sh prints. */
export function record(key: string, value: unknown): void {
  const file = path.join(work, 'results.json');
  const all = fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>) : {};
  all[key] = value;
  fs.writeFileSync(file, JSON.stringify(all, null, 2));
}

/** The npm the host runs (its package directory). */
export function hostNpmDir(): string {
  const r = spawnSync('npm', ['root', '-g'], { encoding: 'utf8' });
  const dir = path.join(r.stdout.trim(), 'npm');
  if (!fs.existsSync(path.join(dir, 'bin', 'npm-cli.js'))) throw new Error(`no npm-cli.js under ${dir}`);
  return dir;
}

export const BUILD_TOOLS = ['cc', 'gcc', 'c++', 'g++', 'clang', 'make', 'python3', 'python', 'node-gyp'];
