// bench/readme.js writes bench/README.md's table from one `npm run bench` JSON, naming the machine,
// between the markers, and leaves the rest of the file alone; it refuses a --quick run and a run
// with a failed step. On a made-up result in a copy of the README (the real figures need a quiet
// machine).
import * as cp from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../support/helpers';

const script = path.join(repoRoot, 'bench', 'readme.js');
const readme = path.join(repoRoot, 'bench', 'README.md');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hwcap-docs-bench-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const result = {
  date: '2026-12-06T10:00:00.000Z',
  machine: { cpus: 2, model: 'Test CPU @ 2.0GHz', arch: 'x64', kernel: '6.18.0', node: 'v20.20.2', loadavg: [0.05, 0.1, 0.2], totalMemMiB: 24000 },
  quick: false,
  seconds: 321.4,
  rows: [
    { id: 'getauxval', what: "getauxval('AT_HWCAP2') vs /proc parse", unit: 'ns', candidate: 81.23, baseline: 9000, baselineWhat: 'parse /proc/self/auxv', ratio: 110.8, target: '>=100x and <100 ns', met: true, notes: ['bare N-API 60 ns'] },
    { id: 'spawn-true', what: 'masked spawn /bin/true, ptrace, follow', unit: 'ms', candidate: 3.1, baseline: 1.5, ratio: 2.07, target: '<=1.25x', met: false },
    { id: 'cpu-features', what: 'feature query vs cpu-features', notMeasured: 'cpu-features is not installed' },
  ],
};

function run(res: object): { status: number | null; stderr: string; text: string } {
  const json = path.join(dir, `r${Math.random().toString(36).slice(2)}.json`);
  const copy = path.join(dir, 'README.md');
  fs.copyFileSync(readme, copy);
  fs.writeFileSync(json, JSON.stringify(res));
  const r = cp.spawnSync(process.execPath, [script, json, copy], { encoding: 'utf8' });
  return { status: r.status, stderr: r.stderr, text: fs.readFileSync(copy, 'utf8') };
}

describe('bench/readme.js', () => {
  const original = fs.readFileSync(readme, 'utf8');
  const outside = (t: string) => t.replace(/(<!-- bench-table: begin[^>]*-->\n)[\s\S]*?(<!-- bench-table: end -->)/, '$1$2');

  it('bench/README.md has the markers', () => {
    expect(original).toMatch(/<!-- bench-table: begin[^>]*-->\n[\s\S]*<!-- bench-table: end -->/);
  });

  it('writes one row per result row and names the machine and the run; the rest of the file stays', () => {
    const r = run(result);
    expect(r.status, r.stderr).toBe(0);
    expect(outside(r.text)).toBe(outside(original));
    expect(r.text).toContain('One `npm run bench` run, 2026-12-06: 2 x Test CPU @ 2.0GHz, x64, Linux 6.18.0, node v20.20.2, load average 0.05 0.10 0.20 at its start, 321 s.');
    expect(r.text).toContain("| getauxval('AT_HWCAP2') vs /proc parse | 81.2 ns; bare N-API 60 ns | 9000.0 ns: parse /proc/self/auxv | 110.8x | >=100x and <100 ns | met |");
    expect(r.text).toContain('| masked spawn /bin/true, ptrace, follow | 3.100 ms | 1.500 ms | 2.070x | <=1.25x | **missed** |');
    expect(r.text).toContain('| feature query vs cpu-features | not measured: cpu-features is not installed | | | | |');
    expect(r.text).not.toContain('Not yet regenerated');
    // Run again on its own output: the same file.
    const again = path.join(dir, 'again.json');
    fs.writeFileSync(again, JSON.stringify(result));
    expect(cp.spawnSync(process.execPath, [script, again, path.join(dir, 'README.md')]).status).toBe(0);
    expect(fs.readFileSync(path.join(dir, 'README.md'), 'utf8')).toBe(r.text);
  });

  it('refuses a --quick run and a run with a failed step, and leaves the file alone', () => {
    for (const bad of [{ ...result, quick: true }, { ...result, rows: [...result.rows, { id: 'spawn', what: 'spawn', notMeasured: 'failed: Error: boom' }] }]) {
      const r = run(bad);
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(/--quick run|failed steps \(spawn\)/);
      expect(r.text).toBe(original);
    }
  });
});
