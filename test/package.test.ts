// The package as a dependent project sees it: `require('hwcap')` and
// `import … from 'hwcap'` from a project whose node_modules/hwcap is this
// checkout, the same names either way, and the declared types next to them.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from './support/helpers';

let project = '';

beforeAll(() => {
  project = fs.mkdtempSync(path.join(os.tmpdir(), 'hwcap-dependent-'));
  fs.mkdirSync(path.join(project, 'node_modules'));
  fs.symlinkSync(repoRoot, path.join(project, 'node_modules', 'hwcap'), 'dir');
  fs.writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'dependent', private: true }));
});

afterAll(() => {
  if (project) fs.rmSync(project, { recursive: true, force: true });
});

function run(file: string, text: string): { status: number | null; stdout: string; stderr: string } {
  fs.writeFileSync(path.join(project, file), text);
  const r = spawnSync(process.execPath, [file], { cwd: project, encoding: 'utf8', timeout: 20_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('hwcap as a dependency', () => {
  it('require and import give the same API, and it works', () => {
    const cjs = run('a.cjs', `const h = require('hwcap'); console.log(JSON.stringify({ keys: Object.keys(h).sort(), hw: String(h.getauxval('AT_HWCAP') ?? 0n) }));`);
    expect(cjs.status, cjs.stderr).toBe(0);
    const esm = run(
      'b.mjs',
      `import * as ns from 'hwcap';
       import hwcap, { getauxval, spawn, fork, FeatureSet, HwcapError } from 'hwcap';
       const named = Object.keys(ns).filter((k) => k !== 'default' && k !== '__esModule').sort();
       console.log(JSON.stringify({ keys: named, same: hwcap.spawn === spawn && hwcap.FeatureSet === FeatureSet, fns: [typeof fork, typeof HwcapError], hw: String(getauxval('AT_HWCAP') ?? 0n) }));`,
    );
    expect(esm.status, esm.stderr).toBe(0);
    const a = JSON.parse(cjs.stdout) as { keys: string[]; hw: string };
    const b = JSON.parse(esm.stdout) as { keys: string[]; same: boolean; fns: string[]; hw: string };
    expect(b.keys).toEqual(a.keys);
    expect(a.keys).toEqual(expect.arrayContaining(['spawn', 'spawnSync', 'execFile', 'execFileSync', 'exec', 'execSync', 'fork', 'FeatureSet', 'readAuxv', 'getauxval', 'HwcapError']));
    expect(b.same).toBe(true);
    expect(b.fns).toEqual(['function', 'function']);
    expect(b.hw).toBe(a.hw);
  });

  it('declares its types where package.json says', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { main: string; types: string };
    const types = fs.readFileSync(path.join(repoRoot, pkg.types), 'utf8');
    for (const name of ['spawn', 'fork', 'execSync', 'FeatureSet', 'readAuxv']) expect(types).toMatch(new RegExp(`\\b${name}\\b`));
    expect(fs.existsSync(path.join(repoRoot, pkg.main))).toBe(true);
  });

  it('without a built addon, require gives an AddonLoadError with a hint, and the CLI says what to do', () => {
    // A copy of the package with dist/ but no build/: what a consumer has when its install script did not run.
    const pkg = path.join(project, 'unbuilt');
    fs.mkdirSync(pkg);
    fs.copyFileSync(path.join(repoRoot, 'package.json'), path.join(pkg, 'package.json'));
    fs.cpSync(path.join(repoRoot, 'dist'), path.join(pkg, 'dist'), { recursive: true });
    fs.symlinkSync(path.join(repoRoot, 'node_modules'), path.join(pkg, 'node_modules'), 'dir');
    const r = run(
      'c.cjs',
      `try { require('./unbuilt'); console.log('loaded'); } catch (e) {
         console.log(JSON.stringify({ name: e.name, code: e.code, message: e.message, hint: e.hint, cause: String(e.cause && e.cause.message).split('\\n')[0] }));
       }`,
    );
    expect(r.status, r.stderr).toBe(0);
    const e = JSON.parse(r.stdout) as Record<string, string>;
    const where = `${process.platform}-${process.arch}`;
    expect(e).toMatchObject({ name: 'AddonLoadError', code: 'ERR_HWCAP_ADDON_LOAD' });
    // Every place looked at, in order: the source build, then this platform's prebuilt addon.
    const tried = [path.join(pkg, 'build', 'Release', 'hwcap.node'), path.join(pkg, 'build', 'Debug', 'hwcap.node'), path.join(pkg, 'prebuilds', where, 'hwcap.napi.glibc.node')];
    expect(e.cause).toBe(`no hwcap.node for ${where} (glibc); tried: ${tried.join(', ')}`);
    expect(e.message).toBe(`cannot load the hwcap native addon: ${e.cause}`);
    expect(e.hint).toMatch(/npm rebuild hwcap/);
    const cli = spawnSync(process.execPath, [path.join(pkg, 'dist', 'cli.js'), 'show'], { encoding: 'utf8', timeout: 20_000 });
    expect(cli.status).toBe(2);
    expect(cli.stdout).toBe('');
    expect(cli.stderr.startsWith(`hwcap show: cannot load the native addon: ${e.cause}\nhint: build it for this Node and machine: 'npm rebuild hwcap'`), cli.stderr).toBe(true);
    // --version and --help need no addon.
    expect(spawnSync(process.execPath, [path.join(pkg, 'dist', 'cli.js'), '--version'], { encoding: 'utf8' }).status).toBe(0);
  });
});
