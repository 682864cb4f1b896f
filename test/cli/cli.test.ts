// The hwcap command as a user runs it: a child process, its stdout, stderr
// and exit status. The executable, usage errors, help, probe and colour; the
// verbs that read feature sets are in cli-verbs.test.ts.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { probeAuxvAccess } from '../../lib';
import { hasCapSysResource } from '../../lib';
import { native } from '../../lib/host/native';
import { repoRoot } from '../support/helpers';
import { cliPath, hwcap, hwcapOnTty, scriptPath, SGR } from '../support/cli-harness';

const pkg = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { version: string; bin: Record<string, string> };

/**
 * Whether dist/ is what `tsc -b` would build from lib/ now (tsc's own answer, --dry writes
 * nothing). It is not after lib/ was edited and not rebuilt: in a work tree mid-edit, or in a
 * mutation run's copy, whose dist/ gets the edited file transpiled alone. There npm's `prepare`
 * rightly rebuilds dist/, so "rewrites nothing" cannot be judged: the npx test below is skipped
 * (it would fail for the build state, not for the code, and make any TypeScript mutant look killed).
 */
const distStale = ((): string => {
  const r = spawnSync(process.execPath, [path.join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc'), '-b', 'tsconfig.build.json', '--dry'], { cwd: repoRoot, encoding: 'utf8' });
  if (r.status !== 0) return ` (skipped: tsc -b --dry failed: ${(r.stdout + r.stderr).trim().split('\n')[0] ?? ''})`;
  return /would build|is out of date/i.test(r.stdout) ? ' (skipped: dist/ is older than lib/ here; npm run build:ts first)' : '';
})();

describe('the executable', () => {
  it('dist/cli.js starts with a node shebang and is executable', () => {
    expect(fs.readFileSync(cliPath, 'utf8').split('\n')[0]).toBe('#!/usr/bin/env node');
    expect(fs.statSync(cliPath).mode & 0o111).toBe(0o111);
    expect(path.resolve(repoRoot, pkg.bin.hwcap)).toBe(cliPath);
  });

  it('--version prints the package version', () => {
    const r = hwcap(['--version']);
    expect(r).toMatchObject({ status: 0, stderr: '' });
    expect(r.stdout).toBe(`hwcap ${pkg.version}\n`);
  });

  it.skipIf(distStale !== '')(`npx hwcap in the repository runs the package's own bin (the README's command), offline, without rebuilding${distStale}`, () => {
    // npm exec installs the checkout into its npx cache as a link and runs the
    // package's prepare and install scripts in the checkout itself. Both are
    // incremental, so after `npm install` (and pretest) they must rewrite
    // nothing: other test files are using the addon and dist/ right now.
    // A private npm cache makes every run take that first-use path, as on a
    // fresh machine. npm, node-gyp and make are not this package's code, so
    // the sanitizer preload of `npm run test:asan` is kept away from them.
    const outputs = ['build/Release/hwcap.node', 'build/Release/hwcap-exec', 'build/Release/hwcap-probe', 'dist/cli.js', 'dist/index.js'].map((f) => path.join(repoRoot, f));
    const before = outputs.map((f) => [f, fs.statSync(f).mtimeMs, fs.readFileSync(f)] as const);
    const env: NodeJS.ProcessEnv = { ...process.env, npm_config_cache: fs.mkdtempSync(path.join(os.tmpdir(), 'hwcap-npx-cache-')) };
    for (const k of ['LD_PRELOAD', 'ASAN_OPTIONS', 'UBSAN_OPTIONS']) delete env[k];
    try {
      const r = spawnSync('npx', ['--offline', 'hwcap', '--version'], { cwd: repoRoot, env, encoding: 'utf8', timeout: 120_000 });
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toBe(`hwcap ${pkg.version}\n`);
    } finally {
      fs.rmSync(env.npm_config_cache!, { recursive: true, force: true });
    }
    for (const [f, mtime, bytes] of before) {
      expect(fs.statSync(f).mtimeMs, `${f} was rewritten`).toBe(mtime);
      expect(fs.readFileSync(f).equals(bytes), `${f} changed`).toBe(true);
    }
  });
});

describe('usage errors exit 2 with a cause and a hint on stderr', () => {
  const cases: [string[], RegExp][] = [
    [['frobnicate'], /^hwcap: unknown command 'frobnicate'\nhint: the commands are /],
    [['prob'], /^hwcap: unknown command 'prob'; did you mean 'probe'\?\n/],
    [['probe', '--jsn'], /^hwcap probe: unknown option '--jsn'; did you mean --json\?\nhint: see 'hwcap probe --help'\n$/],
    [['probe', 'extra'], /^hwcap probe: 'hwcap probe' takes no arguments; got 'extra'\nhint: see 'hwcap probe --help'\n$/],
    [['--bogus'], /^hwcap: unknown option '--bogus'\nhint: see 'hwcap --help'\n$/],
    [['help', 'nope'], /^hwcap: unknown command 'nope'/],
  ];
  for (const [args, stderr] of cases) {
    it(`hwcap ${args.join(' ')}`, () => {
      const r = hwcap(args);
      expect(r.status).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(stderr);
    });
  }
});

describe('help', () => {
  it('hwcap --help lists every command', () => {
    const r = hwcap(['--help']);
    expect(r.status).toBe(0);
    for (const verb of ['show', 'report', 'baseline', 'check', 'diff', 'probe']) expect(r.stdout).toMatch(new RegExp(`^  ${verb} `, 'm'));
    expect(r.stdout).toMatch(/^Usage: hwcap /);
    expect(hwcap(['help']).stdout).toBe(r.stdout);
  });

  it('every command has --help and -h, and `hwcap help VERB` prints the same', () => {
    const verbs = [...hwcap(['--help']).stdout.matchAll(/^ {2}([a-z]+) {2}/gm)].map((m) => m[1]);
    expect(verbs.length).toBeGreaterThan(0);
    for (const verb of verbs) {
      const r = hwcap([verb, '--help']);
      expect(r.status, verb).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`^Usage: hwcap (${verb}|\\[${verb}\\]) `));
      expect(r.stdout).toMatch(/^Options:$/m);
      expect(r.stdout).toMatch(/-h, --help/);
      expect(hwcap([verb, '-h']).stdout).toBe(r.stdout);
      expect(hwcap(['help', verb]).stdout).toBe(r.stdout);
    }
  });
});

describe('hwcap probe', () => {
  it('--json answers what the library answers in this process', () => {
    const r = hwcap(['probe', '--json']);
    expect(r.status).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.arch).toBe(native.arch);
    expect(j.auxv).toEqual(probeAuxvAccess());
    expect(j.auxv.prSetMmAuxv.ok).toBe(hasCapSysResource());
    expect(['enforced', 'not-enforced', 'unknown']).toContain(j.userHwcap.state);
  });

  it('prints one line per interface, with the hint of a refused one', () => {
    const r = hwcap(['probe']);
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
    const a = probeAuxvAccess();
    for (const [name, ans] of [['PR_GET_AUXV', a.prGetAuxv], ['PR_SET_MM_AUXV', a.prSetMmAuxv], ['PR_SET_MM_MAP', a.prSetMmMap]] as const) {
      const line = r.stdout.split('\n').find((l) => l.startsWith(`${name} `));
      expect(line, name).toBeDefined();
      expect(line).toMatch(ans.ok ? / ok$/ : new RegExp(` ${ans.code} `));
    }
    expect(r.stdout).toMatch(/^PR_USER_HWCAP_ENABLED +(enforced|not-enforced|unknown) /m);
  });

  it('asks a PR_USER_HWCAP_ENABLED number only when one is configured', () => {
    // Without a configured number no prctl is issued and the answer is unknown.
    const none = JSON.parse(hwcap(['probe', '--json'], { env: { HWCAP_PR_USER_HWCAP_ENABLED: undefined } }).stdout);
    if (native.PR_USER_HWCAP_ENABLED === undefined) expect(none.userHwcap).toMatchObject({ state: 'unknown', source: 'none' });
    const bad = hwcap(['probe'], { env: { HWCAP_PR_USER_HWCAP_ENABLED: 'banana' } });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/^hwcap probe: .*HWCAP_PR_USER_HWCAP_ENABLED/);
  });
});

describe('colour', () => {
  it('none when stdout is not a terminal', () => {
    expect(hwcap(['probe']).stdout).not.toMatch(SGR);
  });

  it('FORCE_COLOR turns it on, FORCE_COLOR=0 off', () => {
    expect(hwcap(['probe'], { env: { FORCE_COLOR: '1' } }).stdout).toMatch(SGR);
    expect(hwcap(['probe'], { env: { FORCE_COLOR: '0' } }).stdout).not.toMatch(SGR);
    expect(hwcap(['probe', '--bogus'], { env: { FORCE_COLOR: '1' } }).stderr).toMatch(SGR);
  });

  it.skipIf(!scriptPath)(`on a terminal, unless NO_COLOR is set${scriptPath ? '' : ' (skipped: no util-linux script for a pty)'}`, () => {
    expect(hwcapOnTty(['probe'])).toMatch(SGR);
    const plain = hwcapOnTty(['probe'], { NO_COLOR: '1' });
    expect(plain).toMatch(/^PR_GET_AUXV /m);
    expect(plain).not.toMatch(SGR);
  });
});
