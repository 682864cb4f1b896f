// require('hwcap') loads what a process needs to ask about its own CPU, and the spawn family, the
// launcher, the hand-over, node:child_process and node:crypto only on first use (lib/main.ts, the
// package's "main"). Real child node processes: what they list in require.cache and in
// process.moduleLoadList (node's record of the builtins it loaded).
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { repoRoot } from './support/helpers';

interface Loaded {
  files: string[];
  builtins: string[];
  answer?: unknown;
}

/** Runs `code` in a fresh node after `const h = require(<the package>)`; returns what it loaded. */
function loadedBy(code: string): Loaded {
  const script = `const h = require(${JSON.stringify(repoRoot)});
    const answer = (() => { ${code} })();
    const files = Object.keys(require.cache).map((f) => require('node:path').relative(${JSON.stringify(repoRoot)}, f));
    const builtins = process.moduleLoadList.filter((m) => m.startsWith('NativeModule ')).map((m) => m.slice(13));
    process.stdout.write(JSON.stringify({ files, builtins, answer }));`;
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 30_000 });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Loaded;
}

const HEAVY_FILES = [/^dist\/spawn\//, /^dist\/launcher\//, /^dist\/core\/(report|nfd)\.js$/, /^dist\/host\/(report|probe)\.js$/];
const HEAVY_BUILTINS = ['child_process', 'crypto', 'net'];

describe("require('hwcap') loads the rest on first use", () => {
  it("require('hwcap') and FeatureSet.current().has('avx2') load no spawn, launcher, hand-over, child_process or crypto", () => {
    const l = loadedBy(`return h.FeatureSet.current().has('avx2');`);
    expect(typeof l.answer).toBe('boolean');
    // What it does load: the package's entry, the feature model and the addon.
    expect(l.files).toEqual(expect.arrayContaining(['dist/main.js', 'dist/core/feature-set.js', 'dist/host/current.js']));
    expect(l.files.some((f) => f.endsWith('hwcap.node'))).toBe(true);
    expect(l.files.filter((f) => HEAVY_FILES.some((re) => re.test(f)))).toEqual([]);
    expect(l.builtins.filter((b) => HEAVY_BUILTINS.includes(b))).toEqual([]);
  });

  it('Object.keys(require(hwcap)) lists every name without loading what they name', () => {
    const l = loadedBy(`return Object.keys(h).length;`);
    expect(l.answer).toBeGreaterThan(50);
    expect(l.files.filter((f) => HEAVY_FILES.some((re) => re.test(f)))).toEqual([]);
    expect(l.builtins.filter((b) => HEAVY_BUILTINS.includes(b))).toEqual([]);
  });

  it('the first read of spawn loads the spawn family and node:child_process, and it spawns', () => {
    const l = loadedBy(`const r = h.spawnSync('/bin/true', []); return r.status;`);
    expect(l.answer).toBe(0);
    expect(l.files).toEqual(expect.arrayContaining([path.join('dist', 'spawn', 'index.js')]));
    expect(l.builtins).toContain('child_process');
  });

  it('the lazy entry exports the same names with the same values as lib/index.ts (dist/index.js)', () => {
    const l = loadedBy(`const i = require(${JSON.stringify(path.join(repoRoot, 'dist', 'index.js'))});
      const a = Object.keys(h).sort(), b = Object.keys(i).sort();
      return { missing: b.filter((k) => !a.includes(k)), extra: a.filter((k) => !b.includes(k)), differ: b.filter((k) => h[k] !== i[k]) };`);
    // A name missing here was added to lib/index.ts but not to lib/main.ts.
    expect(l.answer).toEqual({ missing: [], extra: [], differ: [] });
  });

  it('HandoverError from the lazy entry is the class that release() throws', () => {
    const l = loadedBy(`const i = require(${JSON.stringify(path.join(repoRoot, 'dist', 'launcher', 'handover.js'))}); return h.HandoverError === i.HandoverError && h.BelowBaselineError === require(${JSON.stringify(path.join(repoRoot, 'dist', 'launcher', 'plan.js'))}).BelowBaselineError;`);
    expect(l.answer).toBe(true);
  });
});
