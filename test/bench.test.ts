// npm run bench stays runnable: a --quick run (every count cut by 10, a smoke
// test, not a measurement) must reach its end and give every row a figure or a
// stated reason. Ratios and targets are not asserted here: they belong to the
// bench itself, on a quiet machine.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from './support/helpers';

interface Row {
  id: string;
  ratio?: number;
  candidate?: number;
  candidateText?: string;
  notMeasured?: string;
}

describe('npm run bench', () => {
  it('--quick runs every step and gives each row a figure or a reason', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hwcap-bench-test-'));
    const out = path.join(dir, 'bench.json');
    try {
      const r = spawnSync(process.execPath, ['bench/run.js', '--quick', '--json', out], { cwd: repoRoot, encoding: 'utf8', timeout: 170_000 });
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/^what +candidate +baseline +ratio +target +result/m);
      const { rows, quick } = JSON.parse(fs.readFileSync(out, 'utf8')) as { rows: Row[]; quick: boolean };
      expect(quick).toBe(true);
      const ids = rows.map((x) => x.id);
      for (const id of ['getauxval', 'featureset-has', 'cpu-features', 'spawn-true', 'spawn-sh50', 'spawn-node', 'spawn-breakdown-4', 'spawn-true-one-cpu', 'spawn-sh50-one-cpu', 'require']) {
        expect(ids).toContain(id);
      }
      for (const row of rows) {
        if (row.notMeasured !== undefined) {
          // A probed absence (cpu-features not installed, no perf, one CPU), never a crash.
          expect(row.notMeasured, row.id).not.toMatch(/^failed:/);
          continue;
        }
        const figure = row.ratio ?? row.candidate;
        if (figure === undefined) expect(row.candidateText, row.id).toBeTruthy();
        else expect(Number.isFinite(figure) && figure > 0, `${row.id}: ${figure}`).toBe(true);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    // About 6 s alone here; much more beside the rest of the suite, and under test:asan.
  }, 180_000);
});
