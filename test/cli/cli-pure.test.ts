// The verbs that only read JSON (baseline, diff A B, check B --report R) load only
// the pure core: they work in a copy of the package with dist/ and no build/
// (what a consumer has when its install script did not run), and in a built one
// they load neither the host layer nor the addon. The verbs that touch this
// machine print the addon hint there instead.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FeatureSet } from '../../lib';
import { VERBS } from '../../lib/cli/verbs';
import { repoRoot } from '../support/helpers';
import { tempDir } from '../support/cli-harness';

const here = FeatureSet.current('process');
const arch = here.arch;
const dir = tempDir('hwcap-pure-');
const unbuilt = path.join(dir, 'unbuilt');
const at = (f: string) => path.join(dir, f);
const [lacking] = here.names().slice(-1);

function cli(root: string, args: string[]): { status: number | null; stdout: string; stderr: string } {
  const env = { ...process.env };
  for (const k of ['FORCE_COLOR', 'NO_COLOR', 'HWCAP_DEBUG']) delete env[k];
  const r = spawnSync(process.execPath, [path.join(root, 'dist', 'cli.js'), ...args], { encoding: 'utf8', env, timeout: 20_000 });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const report = (hostname: string, set: FeatureSet) => JSON.stringify({ schema: 'hwcap.node-report/2', hostname, arch: set.arch, words: set.toJSON().words, ...(set.toJSON().cpuid ? { cpuid: set.toJSON().cpuid } : {}), names: set.names() });

beforeAll(() => {
  fs.mkdirSync(unbuilt);
  fs.copyFileSync(path.join(repoRoot, 'package.json'), path.join(unbuilt, 'package.json'));
  fs.cpSync(path.join(repoRoot, 'dist'), path.join(unbuilt, 'dist'), { recursive: true });
  fs.symlinkSync(path.join(repoRoot, 'node_modules'), path.join(unbuilt, 'node_modules'), 'dir');
  fs.writeFileSync(at('a.json'), report('node-a', here));
  fs.writeFileSync(at('b.json'), report('node-b', here.without([lacking!])));
  fs.writeFileSync(at('set.json'), JSON.stringify(here.toJSON()));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('without a built addon (a copy of the package with dist/ and no build/)', () => {
  it('the copy really has no addon: the library refuses to load', () => {
    expect(fs.existsSync(path.join(unbuilt, 'build'))).toBe(false);
    const r = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(unbuilt)})`], { encoding: 'utf8' });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/cannot load the hwcap native addon/);
  });

  it('baseline A B works, and says the same as in the built package', () => {
    const r = cli(unbuilt, ['baseline', at('a.json'), at('b.json')]);
    expect(r.status, r.stderr).toBe(0);
    expect(FeatureSet.fromJSON(r.stdout).equals(here.without([lacking!]))).toBe(true);
    expect(r).toEqual(cli(repoRoot, ['baseline', at('a.json'), at('b.json')]));
    expect(cli(unbuilt, ['baseline', '--json', at('a.json'), at('b.json')]).stdout).toBe(r.stdout);
  });

  it('diff A B works: exit 1 and the difference', () => {
    const r = cli(unbuilt, ['diff', at('a.json'), at('b.json'), '--json']);
    expect(r.status, r.stderr).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ arch, onlyInA: [lacking], onlyInB: [] });
    expect(cli(unbuilt, ['diff', at('a.json'), at('set.json')]).status).toBe(0);
  });

  it('check B --report R works: exit 1 for the smaller node, 0 the other way', () => {
    const r = cli(unbuilt, ['check', at('a.json'), '--report', at('b.json')]);
    expect(r.status, r.stderr).toBe(1);
    expect(r.stdout).toContain(`lacks 1 of the ${here.size} features`);
    expect(cli(unbuilt, ['check', at('b.json'), '--report', at('a.json')]).status).toBe(0);
    expect(cli(unbuilt, ['check', '--features', lacking!, '--report', at('b.json'), '--json']).status).toBe(1);
  });

  it('--help of every verb, hwcap --help and --version work', () => {
    for (const v of VERBS) {
      const r = cli(unbuilt, [v.name, '--help']);
      expect(r.status, v.name).toBe(0);
      expect(r.stdout).toBe(cli(repoRoot, [v.name, '--help']).stdout);
    }
    expect(cli(unbuilt, ['--help']).status).toBe(0);
    expect(cli(unbuilt, ['--version']).status).toBe(0);
  });

  const touching: string[][] = [['show'], [], ['report'], ['probe'], ['exec', '--drop', lacking ?? 'x', '/bin/true'], ['diff', 'A.json'], ['check', 'B.json']];
  for (const args of touching) {
    it(`hwcap ${args.join(' ') || '(no command)'} needs this machine: exit 2 and the addon hint`, () => {
      const shown = args.map((a) => (a.endsWith('.json') ? at(a === 'A.json' ? 'a.json' : 'set.json') : a));
      const r = cli(unbuilt, shown);
      expect(r.status).toBe(2);
      expect(r.stdout).toBe('');
      const lines = r.stderr.split('\n');
      expect(lines[0]).toMatch(new RegExp(`^hwcap${args[0] ? ` ${args[0]}` : ''}: cannot load the native addon: no hwcap\\.node for ${process.platform}-${process.arch}\\b.*; tried: .*/build/Release/hwcap\\.node, `));
      expect(lines[1]).toMatch(/^hint: build it for this Node and machine: 'npm rebuild hwcap'/);
    });
  }
});

describe('in the built package, the pure verbs load neither the host layer nor the addon', () => {
  const pure: [string, string[]][] = [
    ['baseline', ['baseline', 'a.json', 'b.json']],
    ['diff A B', ['diff', 'a.json', 'b.json']],
    ['check B --report R', ['check', 'a.json', '--report', 'b.json']],
  ];
  for (const [what, args] of pure) {
    it(what, () => {
      const dist = path.join(repoRoot, 'dist');
      const script = `
        const { run } = require(${JSON.stringify(path.join(dist, 'cli', 'main.js'))});
        process.stdout.write = () => true; process.stderr.write = () => true;
        run(${JSON.stringify(args.map((a) => (a.endsWith('.json') ? at(a) : a)))}).then((status) => {
          const loaded = Object.keys(require.cache).filter((f) => f.startsWith(${JSON.stringify(dist + path.sep)}) || f.endsWith('.node'));
          require('fs').writeSync(3, JSON.stringify({ status, loaded: loaded.map((f) => require('path').relative(${JSON.stringify(dist)}, f)) }));
        });`;
      const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe', 'pipe'], timeout: 20_000 });
      const answer = JSON.parse(String(r.output[3])) as { status: number; loaded: string[] };
      expect(answer.status, r.stderr).toBe(args[0] === 'baseline' ? 0 : 1);
      expect(answer.loaded).toContain(path.join('core', 'features.js'));
      expect(answer.loaded.filter((f) => /^(host|spawn|launcher)\/|^index\.js$|\.node$/.test(f))).toEqual([]);
    });
  }

  it('and a verb that touches the machine does load them (the check above can fail)', () => {
    const script = `
      const { run } = require(${JSON.stringify(path.join(repoRoot, 'dist', 'cli', 'main.js'))});
      process.stdout.write = () => true;
      run(['show']).then(() => require('fs').writeSync(3, JSON.stringify(Object.keys(require.cache).filter((f) => f.endsWith('.node') || f.includes('/dist/host/')).length)));`;
    const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe', 'pipe'], timeout: 20_000 });
    expect(Number(String(r.output[3])), r.stderr).toBeGreaterThan(0);
  });
});
