// npm run bench stays runnable: a --quick run (every count cut by 10, a smoke
// test, not a measurement) must reach its end and give every row a figure or a
// stated reason. Ratios and targets are not asserted here: they belong to the
// bench itself, on a quiet machine.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { launcherPath } from '../lib';
import { repoRoot, which } from './support/helpers';

interface Row {
  id: string;
  ratio?: number;
  candidate?: number;
  candidateText?: string;
  notMeasured?: string;
}

/** The reasons a row may give for not being measured, each with the probe that must agree. */
const ALLOWED_NOT_MEASURED: { id: RegExp; reason: RegExp; absent: () => boolean }[] = [
  {
    id: /^cpu-features$/,
    reason: /^cpu-features is not installed /,
    absent: () => {
      try {
        createRequire(path.join(repoRoot, 'package.json')).resolve('cpu-features', { paths: [repoRoot, ...(process.env.HWCAP_BENCH_CPU_FEATURES ? [process.env.HWCAP_BENCH_CPU_FEATURES] : [])] });
        return false;
      } catch {
        return true;
      }
    },
  },
  // perf may be missing, or present and refused by perf_event_paranoid: either way perf trace said no.
  { id: /^spawn-syscalls$/, reason: /^perf trace did not run here/, absent: () => which('perf') === undefined || spawnSync('perf', ['trace', '-s', '--', '/bin/true'], { encoding: 'utf8', timeout: 20_000 }).status !== 0 },
  { id: /-one-cpu$/, reason: /^one CPU only$/, absent: () => os.cpus().length < 2 },
  // A program's own CPUIDs trap only with real CPUID faulting, which the launcher probes.
  { id: /^cpuid-traps-/, reason: /^CPUID faulting unavailable here \(arch_prctl\(ARCH_SET_CPUID\): E[A-Z]+\)$/, absent: () => noCpuidFaulting() },
  { id: /-one-cpu$/, reason: /^taskset did not run here$/, absent: () => which('taskset') === undefined },
  // hwcap-runtime's rows need runc (and podman) with a static busybox (scripts/install-containers.sh).
  { id: /^oci-state$/, reason: /^no runc or static busybox here$/, absent: () => which('runc') === undefined || !fs.existsSync('/bin/busybox') },
  { id: /^oci-checkpoint-restore$/, reason: /^no podman, runc, CRIU 4\.1\.1/, absent: () => which('podman') === undefined || !(fs.existsSync(path.join(repoRoot, '.criu', 'bin', 'criu')) || (process.env.HWCAP_CRIU_DIR !== undefined && fs.existsSync(path.join(process.env.HWCAP_CRIU_DIR, 'bin', 'criu')))) },
  { id: /^oci-podman-true$/, reason: /^no podman, runc or static busybox here$/, absent: () => which('runc') === undefined || which('podman') === undefined || !fs.existsSync('/bin/busybox') },
];

/** hwcap-exec --probe-cpuid-fault says CPUID faulting does not work here (or this is not x86-64). */
function noCpuidFaulting(): boolean {
  const r = spawnSync(launcherPath(), ['--probe-cpuid-fault'], { encoding: 'utf8' });
  if (os.arch() !== 'x64') return true;
  return (JSON.parse(r.stdout) as { ok: boolean }).ok === false;
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
      for (const id of ['getauxval', 'featureset-has', 'cpu-features', 'spawn-true', 'spawn-sh50', 'spawn-node', 'spawn-breakdown-4', 'spawn-steps', 'spawn-true-one-cpu', 'spawn-sh50-one-cpu', 'require', 'require-eager', 'oci-state', 'oci-podman-true']) {
        expect(ids).toContain(id);
      }
      // The cost of a SIGSEGV the program handles itself (issue 21, case 16): x86-64 builds the
      // trap probe, and both rows must be measured there, each a ratio against the unmasked loop.
      if (os.arch() === 'x64') {
        for (const id of ['segv-handled-auxv', 'segv-handled-cpuid']) {
          const row = rows.find((x) => x.id === id);
          expect(row, `${id}: no such row`).toBeDefined();
          expect(row!.notMeasured, `${id} not measured`).toBeUndefined();
          expect(Number.isFinite(row!.ratio) && row!.ratio! > 0, `${id}: ratio ${row!.ratio}`).toBe(true);
        }
      }
      for (const row of rows) {
        if (row.notMeasured !== undefined) {
          // Only a probed absence that is really absent here; anything else (a crash, a failed
          // step, a reason not on the list) fails the smoke test.
          const allowed = ALLOWED_NOT_MEASURED.find((x) => x.id.test(row.id) && x.reason.test(row.notMeasured!));
          expect(allowed, `${row.id} not measured: ${row.notMeasured}`).toBeDefined();
          expect(allowed!.absent(), `${row.id} says "${row.notMeasured}", but that is not so here`).toBe(true);
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
