// The docs test's machinery (npm run test:docs): the fenced blocks of README.md and docs/*.md
// with the marker before each, a scratch directory laid out as a project that installed hwcap,
// the files a block is given, the machine features a block needs (each probed, and named when
// it is missing), and a run of a block as written.
//
// A marker is an HTML comment on the line before the block's fence, which Markdown does not show:
//   <!-- docs-test: run -->                                   run it; it must exit 0
//   <!-- docs-test: run; needs criu cpuid-fault; given b.json ./server -->
//   <!-- docs-test: run; in checkout -->                      run it in the checkout, not a scratch directory
//   <!-- docs-test: illustration: WHY -->                     not run, and says why
// Every `sh`, `js` and `console` block must carry one (a block without one fails the test).
//
// A JS block's comments that start with a value (`{`, `[`, a quoted string, a number, true, false,
// null) claim the value of the statement on their line, or of the const declared on the line
// before a comment-only line; `…` stands for what differs between machines. The run checks each
// claim. In an `sh` block, a comment line `#   TEXT` (three spaces) is a line the block prints: some
// line of its output must match it, as a transcript's line does. A `console` block is a transcript: each `$ ` line is a command (continued by lines after a
// trailing backslash), and the lines after it are its output, stdout and stderr together, matched
// line by line (`…` is any text, a line of `…` alone any lines, and runs of spaces are one).
import { afterAll } from 'vitest';
import * as cp from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FeatureSet, catalog } from '../../lib';
import { repoRoot, which } from './helpers';
import { canPtrace } from './mask-fixture';
import { cpuidFaulting, faultProbe, isX64 } from './cpuid-fixture';
import { probeCriu, type CriuProbe } from './criu-fixture';
import { busybox, importRootfs, makeRootfs, removeAllContainers } from './oci-fixture';

export const cliPath = path.join(repoRoot, 'dist', 'cli.js');

export interface Block {
  file: string; // relative to the repository
  line: number; // of the opening fence, 1-based
  lang: string;
  code: string;
  /** The Markdown section (## heading) the block is in. */
  section: string;
  marker?: Marker;
}

export type Marker = { kind: 'run'; needs: string[]; given: string[]; inCheckout: boolean } | { kind: 'illustration'; why: string } | { kind: 'bad'; text: string };

export function parseMarker(text: string): Marker {
  const m = /^<!--\s*docs-test:\s*(.*?)\s*-->$/.exec(text.trim());
  if (!m) return { kind: 'bad', text };
  const body = m[1]!;
  const ill = /^illustration:\s*(\S.*)$/.exec(body);
  if (ill) return { kind: 'illustration', why: ill[1]! };
  const parts = body.split(';').map((s) => s.trim());
  if (parts[0] !== 'run') return { kind: 'bad', text };
  const needs: string[] = [];
  const given: string[] = [];
  let inCheckout = false;
  for (const p of parts.slice(1)) {
    const [key, ...words] = p.split(/\s+/);
    if (key === 'needs') needs.push(...words);
    else if (key === 'given') given.push(...words);
    else if (key === 'in' && words.join(' ') === 'checkout') inCheckout = true;
    else return { kind: 'bad', text };
  }
  return { kind: 'run', needs, given, inCheckout };
}

/** The fenced blocks of a Markdown file, each with the marker on the line before it (if any). */
export function blocksOf(rel: string): Block[] {
  const lines = fs.readFileSync(path.join(repoRoot, rel), 'utf8').split('\n');
  const out: Block[] = [];
  let section = '';
  for (let i = 0; i < lines.length; i++) {
    const h = /^##\s+(.*)$/.exec(lines[i]!);
    if (h) section = h[1]!;
    const open = /^(\s*)```(\S*)\s*$/.exec(lines[i]!);
    if (!open) continue;
    const indent = open[1]!;
    let j = i + 1;
    while (j < lines.length && lines[j]!.trim() !== '```') j++;
    const code = lines
      .slice(i + 1, j)
      .map((l) => (l.startsWith(indent) ? l.slice(indent.length) : l))
      .join('\n');
    let k = i - 1;
    while (k >= 0 && lines[k]!.trim() === '') k--;
    const prev = k >= 0 ? lines[k]!.trim() : '';
    out.push({ file: rel, line: i + 1, lang: open[2]!, code, section, marker: prev.startsWith('<!--') && prev.includes('docs-test') ? parseMarker(prev) : undefined });
    i = j;
  }
  return out;
}

export const docFiles = (): string[] => ['README.md', ...fs.readdirSync(path.join(repoRoot, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`), 'bench/README.md'];

// ---- what a block may need, probed ----------------------------------------------------------

let criu: CriuProbe | undefined;
export function criuProbe(): CriuProbe {
  criu ??= canPtrace ? probeCriu() : { ok: false, reason: 'ptrace mode unavailable here' };
  return criu;
}

/** Why this machine cannot run a block that needs `need`, or undefined when it can. */
export function missing(need: string): string | undefined {
  switch (need) {
    case 'ptrace':
      return canPtrace ? undefined : 'ptrace mode unavailable here';
    case 'x86-64':
      return isX64 ? undefined : `x86-64 only; this is ${os.arch()}`;
    case 'cpuid-fault':
      // Only x86-64 has CPUID to mask; elsewhere a block's mask is the auxv's.
      if (!isX64) return undefined;
      return cpuidFaulting ? undefined : `CPUID faulting unavailable here (${faultProbe.syscall ?? ''} ${faultProbe.code ?? ''})`;
    case 'no-cpuid-fault':
      // A block that shows the refusal on a host without CPUID faulting.
      if (!isX64) return `x86-64 only; this is ${os.arch()}`;
      return cpuidFaulting ? 'CPUID faulting works here' : undefined;
    case 'avx2':
      // A block whose output is that of a CPU with AVX2.
      if (!isX64) return `x86-64 only; this is ${os.arch()}`;
      return here.has('avx2') ? undefined : 'this CPU has no avx2';
    case 'criu': {
      const c = criuProbe();
      return c.ok ? undefined : c.reason;
    }
    case 'java':
      return which('java') ? undefined : 'no java here (scripts/install-java.sh)';
    case 'busybox':
      // A static one, for a container image (test/support/oci-fixture.ts).
      return busybox ? undefined : 'no static busybox here (apt-get install busybox-static)';
    case 'podman':
    case 'runc':
      return which(need) ? undefined : `no ${need} here`;
    case 'hwcap-runtime':
      return need in packageBins() ? undefined : `the package has no ${need} command yet`;
    default:
      return `unknown need '${need}'`;
  }
}

/** The package's commands (package.json "bin"): name → file in the checkout. */
export function packageBins(): Record<string, string> {
  const bin = (JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { bin?: Record<string, string> }).bin ?? {};
  return bin;
}

// ---- the scratch directory: a project that installed hwcap ----------------------------------

/**
 * A new directory with node_modules/hwcap (a link to this checkout) and node_modules/.bin/hwcap
 * (and the package's other commands),
 * as `npm install hwcap` leaves it; the run puts node_modules/.bin first on PATH, as npm's
 * scripts do, so `hwcap` and `npx hwcap` are this checkout's and nothing is fetched.
 */
export function scratch(prefix = 'hwcap-docs-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  fs.mkdirSync(path.join(dir, 'node_modules', '.bin'), { recursive: true });
  fs.symlinkSync(repoRoot, path.join(dir, 'node_modules', 'hwcap'));
  for (const [name, file] of Object.entries(packageBins())) fs.symlinkSync(path.join(repoRoot, file), path.join(dir, 'node_modules', '.bin', name));
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'docs-scratch', private: true }));
  return dir;
}

const here = FeatureSet.current('process');
/** What a cluster baseline drops here: a CPUID feature on x86-64 (avx2 where present), else the highest AT_HWCAP one. */
export const dropped = ((): string => {
  if (here.arch === 'x86_64') return here.has('avx2') ? 'avx2' : here.names().filter((n) => catalog('x86_64').find((r) => r.name === n)?.word.startsWith('CPUID.7'))[0]!;
  const rows = new Set(catalog(here.arch).filter((r) => r.word === 'AT_HWCAP').map((r) => r.name));
  return here.names().filter((n) => rows.has(n)).at(-1)!;
})();

const cli = (args: string[], cwd: string): string => cp.execFileSync(process.execPath, [cliPath, ...args], { cwd, encoding: 'utf8' });

/**
 * What a given adds to a block's run beside its files: environment variables, and what to undo
 * after the block, before the processes left in its directory are killed.
 */
export interface Given {
  env: Record<string, string>;
  cleanup: () => void;
}

/** The files (and the image) a block may be given, each made in dir by its maker. */
const GIVEN: Record<string, (dir: string) => void | Partial<Given>> = {
  // Two nodes: this one, and one that lacks `dropped`; their baseline is b.json.
  'node-a.json': (dir) => fs.writeFileSync(path.join(dir, 'node-a.json'), cli(['report', '--hostname', 'node-a'], dir)),
  'node-b.json': (dir) => fs.writeFileSync(path.join(dir, 'node-b.json'), JSON.stringify(here.without([dropped]).toJSON())),
  'b.json': (dir) => fs.writeFileSync(path.join(dir, 'b.json'), JSON.stringify(here.without([dropped]).toJSON())),
  'baseline.json': (dir) => fs.writeFileSync(path.join(dir, 'baseline.json'), JSON.stringify(here.without([dropped]).toJSON())),
  // A server that runs until it is killed, one process (its sh execs sleep), so that a restore on
  // the node it was dumped on finds its one pid free once hwcap exec has reaped it.
  './server': (dir) => {
    fs.writeFileSync(path.join(dir, 'server'), '#!/bin/sh\necho served\nexec sleep infinity\n');
    fs.chmodSync(path.join(dir, 'server'), 0o755);
  },
  './prog': (dir) => {
    fs.writeFileSync(path.join(dir, 'prog'), '#!/bin/sh\necho prog\n');
    fs.chmodSync(path.join(dir, 'prog'), 0o755);
  },
  'app.js': (dir) => fs.writeFileSync(path.join(dir, 'app.js'), "console.log('app', process.arch);\n"),
  'worker.js': (dir) => fs.writeFileSync(path.join(dir, 'worker.js'), "console.log('worker', process.pid);\n"),
  Makefile: (dir) => fs.writeFileSync(path.join(dir, 'Makefile'), 'all:\n\t@echo made\n'),
  // The image localhost/busybox (Debian's static busybox: `podman import` of a rootfs, as there is
  // no registry here) in a podman store of the block's own under dir. podman finds the store and
  // its settings through CONTAINERS_STORAGE_CONF and CONTAINERS_CONF, so the block's podman
  // commands stay as written. The settings are what this machine needs (docs/containers.md):
  // cgroupfs, events in a file, ulimits within the host's hard limits; and no network, so that
  // the host's CNI state is left alone. The cleanup removes the store's containers: their conmon
  // runs in dir, and a container killed rather than removed would leave its shm mounted there.
  'localhost/busybox': (dir) => {
    const store = path.join(dir, '.podman');
    fs.mkdirSync(store, { recursive: true });
    const storage = path.join(store, 'storage.conf');
    const containers = path.join(store, 'containers.conf');
    fs.writeFileSync(storage, `[storage]\ndriver = "vfs"\ngraphroot = ${JSON.stringify(path.join(store, 'root'))}\nrunroot = ${JSON.stringify(path.join(store, 'run'))}\n`);
    fs.writeFileSync(
      containers,
      '[containers]\ndefault_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]\nnetns = "none"\n' +
        `[engine]\ncgroup_manager = "cgroupfs"\nevents_logger = "file"\nevents_logfile_path = ${JSON.stringify(path.join(store, 'events.log'))}\ntmp_dir = ${JSON.stringify(path.join(store, 'tmp'))}\n`,
    );
    const env = { CONTAINERS_STORAGE_CONF: storage, CONTAINERS_CONF: containers };
    const pod = (args: string[]) => cp.spawnSync('podman', args, { encoding: 'utf8', timeout: 120_000, env: { ...envFor(dir), ...env } });
    const rootfs = makeRootfs(path.join(store, 'rootfs'));
    importRootfs(pod, rootfs, store, 'localhost/busybox');
    return { env, cleanup: () => removeAllContainers(pod) };
  },
  // A jar, made once per test file with the JDK's own tools through the runtime (a JRE's modules have
  // javac and jar), then copied.
  'app.jar': (dir) => {
    if (jarDir === undefined) {
      const made = fs.mkdtempSync(path.join(os.tmpdir(), 'hwcap-docs-jar-'));
      jarDir = makeJar(made);
    }
    fs.copyFileSync(path.join(jarDir, 'app.jar'), path.join(dir, 'app.jar'));
  },
};

let jarDir: string | undefined;
// Removed after the test file that made it (a vitest worker ends without node's 'exit' event).
afterAll(() => {
  if (jarDir) fs.rmSync(jarDir, { recursive: true, force: true });
  jarDir = undefined;
});
function makeJar(dir: string): string {
  fs.writeFileSync(path.join(dir, 'App.java'), 'public class App { public static void main(String[] a) { System.out.println("app " + System.getProperty("java.version")); } }\n');
  fs.writeFileSync(
    path.join(dir, 'Build.java'),
    'import java.util.spi.ToolProvider;\n' +
      'public class Build { public static void main(String[] a) {\n' +
      '  int c = ToolProvider.findFirst("javac").get().run(System.out, System.err, "-d", "classes", "App.java");\n' +
      '  if (c == 0) c = ToolProvider.findFirst("jar").get().run(System.out, System.err, "--create", "--file", "app.jar", "--main-class", "App", "-C", "classes", ".");\n' +
      '  System.exit(c);\n} }\n',
  );
  cp.execFileSync('java', ['Build.java'], { cwd: dir, stdio: 'pipe' });
  return dir;
}

/** Makes the given files in dir; what the givens add to the run (variables, a cleanup). */
export function give(dir: string, names: readonly string[]): Given {
  const made: Partial<Given>[] = [];
  for (const n of names) {
    const make = GIVEN[n];
    if (!make) throw new Error(`no maker for given file '${n}' (test/support/docs-harness.ts GIVEN)`);
    made.push(make(dir) ?? {});
  }
  return { env: Object.assign({}, ...made.map((g) => g.env ?? {})) as Record<string, string>, cleanup: () => made.forEach((g) => g.cleanup?.()) };
}

export const knownGiven = (n: string): boolean => n in GIVEN;

// ---- running ---------------------------------------------------------------------------------

export interface Ran {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** The environment of a run: node_modules/.bin first on PATH, and CRIU's directory when there is one. */
export function envFor(dir: string): NodeJS.ProcessEnv {
  const extra = [path.join(dir, 'node_modules', '.bin')];
  const c = criu?.ok ? path.dirname(criu.bin) : undefined;
  if (c) extra.push(c);
  return { ...process.env, PATH: [...extra, process.env.PATH ?? ''].join(':'), FORCE_COLOR: undefined, NO_COLOR: '1', npm_config_yes: 'false', npm_config_offline: 'true' };
}

export interface ShellOptions {
  timeoutMs?: number;
  /** Kill every process still running whose cwd is in dir afterwards (a restored server, an adopted tree); default true. */
  cleanup?: boolean;
  /** `bash -e`, where a failing command fails the block; default true. */
  errexit?: boolean;
  /** Variables beside envFor(dir)'s (a given's). */
  env?: Record<string, string>;
}

/** Runs a shell block as written with bash in dir, in a session of its own. */
export async function runShell(code: string, dir: string, o: ShellOptions = {}): Promise<Ran> {
  const { timeoutMs = 120_000, cleanup = true, errexit = true } = o;
  const child = cp.spawn('bash', [...(errexit ? ['-e'] : []), '-c', code], { cwd: dir, env: { ...envFor(dir), ...o.env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const timer = setTimeout(() => {
    stderr += `\n[docs test: killed after ${timeoutMs} ms]`;
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // gone
    }
  }, timeoutMs);
  const [status, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.on('close', (c, s) => resolve([c, s])));
  clearTimeout(timer);
  if (cleanup) killIn(dir);
  return { status, signal, stdout, stderr };
}

/**
 * What a JS block runs under (`node --require`):
 * - a child process of the block (spawn, fork, exec, execFile, and so the spawn family of hwcap)
 *   that exits with a status other than 0, or by a signal, makes node's exit status 1 and says so
 *   on stderr. Without it, a block whose child fails (java aborting under a mask) would pass on
 *   node's own exit status 0;
 * - `__docsClaim(where, value, claim)`, which withClaims puts in: a value that does not match its
 *   comment's claim makes the exit status 1 and says so on stderr.
 */
const PRELUDE = String.raw`'use strict';
const { ChildProcess } = require('node:child_process');
const emit = ChildProcess.prototype.emit;
ChildProcess.prototype.emit = function (event, ...args) {
  if (event === 'exit' && (args[0] !== 0 || args[1])) {
    process.exitCode = 1;
    process.stderr.write('[docs test: child ' + JSON.stringify(this.spawnargs) + ' exited with ' + (args[1] || 'status ' + args[0]) + ']\n');
  }
  return emit.call(this, event, ...args);
};
const fmt = (v) => {
  if (typeof v === 'bigint') return v + 'n';
  if (typeof v === 'string') return "'" + v + "'";
  if (Array.isArray(v)) return '[' + v.map(fmt).join(', ') + ']';
  if (v && typeof v === 'object') return '{ ' + Object.entries(v).map(([k, x]) => (/^[A-Za-z_$][\w$]*$/.test(k) ? k : "'" + k + "'") + ': ' + fmt(x)).join(', ') + ' }';
  return String(v);
};
globalThis.__docsClaim = (where, value, claim) => {
  const squash = (t) => t.replace(/\s+/g, '');
  const re = squash(claim).split(/(,…|…)/).map((t) => (t === ',…' ? '(?:,.*)?' : t === '…' ? '.*' : t.replace(/[.*+?^$(){}|[\]\\]/g, '\\$&'))).join('');
  if (!new RegExp('^' + re + '$', 's').test(squash(fmt(value)))) {
    process.exitCode = 1;
    process.stderr.write('[docs test: ' + where + ': the comment says ' + claim + ', the value is ' + fmt(value) + ']\n');
  }
  return value;
};
`;

/** The value a comment claims, when it starts with one (see the top of this file), else undefined. */
export function claimOf(comment: string): string | undefined {
  const c = comment.trim();
  const word = /^(?:true|false|null|undefined)\b/.exec(c) ?? /^-?[\d…][\w…]*/.exec(c);
  if (word) return word[0];
  if (c.startsWith("'")) {
    const end = c.indexOf("'", 1);
    return end > 0 ? c.slice(0, end + 1) : undefined;
  }
  if (!c.startsWith('{') && !c.startsWith('[')) return undefined;
  let depth = 0;
  let quoted = false;
  for (let i = 0; i < c.length; i++) {
    const ch = c[i]!;
    if (quoted) quoted = ch !== "'";
    else if (ch === "'") quoted = true;
    else if ('{[('.includes(ch)) depth++;
    else if ('}])'.includes(ch) && --depth === 0) return c.slice(0, i + 1);
  }
  return undefined;
}

/**
 * A JS block with its comments' claims checked (see the top of this file): `EXPR; // CLAIM …`
 * becomes `__docsClaim(where, (EXPR), CLAIM); // …`, and a `const NAME = …` line checks NAME
 * against its own comment's claim or that of a comment-only line after it. The lines stay where
 * they are. `line` is the block's opening fence.
 */
export function withClaims(code: string, file: string, line: number): string {
  let declared: string | undefined;
  return code
    .split('\n')
    .map((l, i) => {
      const where = JSON.stringify(`${file}:${line + 1 + i}`);
      const check = (value: string, claim: string) => `__docsClaim(${where}, ${value}, ${JSON.stringify(claim)})`;
      const alone = /^\s*\/\/(.*)$/.exec(l);
      if (alone) {
        const claim = claimOf(alone[1]!);
        const name = declared;
        declared = undefined;
        return claim && name ? `${check(name, claim)}; ${l}` : l;
      }
      const decl = /^\s*(?:const|let|var)\s+([A-Za-z_$][\w$]*)\s*=/.exec(l);
      declared = decl?.[1];
      const m = /^(\s*)(.*?);(\s*)\/\/(.*)$/.exec(l);
      const claim = m ? claimOf(m[4]!) : undefined;
      if (!m || !claim) return l;
      if (decl) return `${m[1]}${m[2]}; ${check(decl[1]!, claim)};${m[3]}//${m[4]}`;
      if (/^\s*(?:const|let|var)\b/.test(l)) return l;
      return `${m[1]}${check(`(${m[2]})`, claim)};${m[3]}//${m[4]}`;
    })
    .join('\n');
}

/** Runs a CommonJS script in dir with node, under PRELUDE: a child of it that fails, or a claim that does not hold, fails the run. */
export function runNode(code: string, dir: string, timeoutMs = 60_000): Ran {
  const file = path.join(dir, 'block.js');
  const prelude = path.join(dir, '.docs-prelude.js');
  fs.writeFileSync(file, code);
  fs.writeFileSync(prelude, PRELUDE);
  const r = cp.spawnSync(process.execPath, ['--require', prelude, file], { cwd: dir, env: envFor(dir), encoding: 'utf8', timeout: timeoutMs });
  killIn(dir);
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

/** One line of a transcript's output as a pattern: `…` any text (` …` none, or a space and any text), runs of spaces one or more. */
export function linePattern(expected: string): RegExp {
  const parts = expected.trim().split(/( …|…)/);
  const re = parts.map((t) => (t === ' …' ? '(?: .*)?' : t === '…' ? '.*' : t.replace(/[.*+?^$(){}|[\]\\]/g, '\\$&').replace(/\s+/g, '\\s+'))).join('');
  return new RegExp(`^${re}$`);
}

/** Whether the output lines match the expected ones (a line of `…` alone: any lines, or none). */
export function outputMatches(expected: readonly string[], actual: readonly string[]): boolean {
  if (expected.length === 0) return actual.length === 0;
  const [e, ...rest] = expected;
  if (e!.trim() === '…') return actual.some((_, k) => outputMatches(rest, actual.slice(k))) || outputMatches(rest, []);
  return actual.length > 0 && linePattern(e!).test(actual[0]!.trim()) && outputMatches(rest, actual.slice(1));
}

export interface Step {
  command: string;
  expected: string[];
  actual: string[];
}

/**
 * Runs a transcript (a `console` block) with bash in dir: its commands in order in one shell, as
 * a user types them (`$?` is the previous command's status), stdout and stderr together. Returns
 * each command with its expected and actual output lines.
 */
export async function runTranscript(code: string, dir: string, o: ShellOptions = {}): Promise<{ ran: Ran; steps: Step[] }> {
  const steps: Step[] = [];
  let continued = false;
  for (const l of code.split('\n')) {
    if (continued) steps.at(-1)!.command += `\n${l}`;
    else if (l.startsWith('$ ')) steps.push({ command: l.slice(2), expected: [], actual: [] });
    else if (steps.length && l.trim() !== '') steps.at(-1)!.expected.push(l);
    continued = (continued || l.startsWith('$ ')) && l.endsWith('\\');
  }
  const mark = '@@docs-test-step@@';
  const script = ['exec 2>&1', ...steps.flatMap((s) => ['__s=$?', `echo ${mark}`, '(exit $__s)', s.command])].join('\n');
  const ran = await runShell(script, dir, { ...o, errexit: false });
  const outs = ran.stdout.split(`${mark}\n`).slice(1);
  steps.forEach((s, k) => (s.actual = (outs[k] ?? '').split('\n').filter((l, j, all) => j < all.length - 1 || l !== '')));
  return { ran, steps };
}

/** Kills every process whose cwd is dir or below it (SIGKILL, which a stopped tree takes too). */
export function killIn(dir: string): void {
  const real = fs.realpathSync(dir);
  // Only a scratch directory of this test: never the checkout, where this run itself works.
  if (!path.basename(real).startsWith('hwcap-docs-') || path.dirname(real) !== fs.realpathSync(os.tmpdir())) return;
  for (const p of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(p) || Number(p) === process.pid) continue;
    let cwd: string;
    try {
      cwd = fs.readlinkSync(`/proc/${p}/cwd`);
    } catch {
      continue;
    }
    if (cwd !== real && !cwd.startsWith(`${real}/`)) continue;
    try {
      process.kill(Number(p), 'SIGKILL');
    } catch {
      // gone
    }
  }
}

export function describeRun(r: Ran): string {
  return `status ${r.status}${r.signal ? ` signal ${r.signal}` : ''}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
}
