// The closing counts of a vitest JSON report, shared by the arm64 summaries. A test file that
// failed to load has no failed tests of its own: it counts as one failure; so does a missing report.
import * as fs from 'node:fs';

export function readJson(file) {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

export function counts(vitest) {
  if (!vitest) return { passed: 0, failed: 1, skipped: 0 };
  const brokenFiles = (vitest.testResults ?? []).filter((f) => f.status === 'failed' && !f.assertionResults?.some((a) => a.status === 'failed'));
  const unexplained = vitest.success === false && !vitest.numFailedTests && !brokenFiles.length ? 1 : 0;
  return {
    passed: vitest.numPassedTests ?? 0,
    failed: vitest.numFailedTests + brokenFiles.length + unexplained,
    skipped: (vitest.numPendingTests ?? 0) + (vitest.numTodoTests ?? 0),
  };
}

/** `install 1.0s, build 2.0s, …` from HWCAP_ARM64_TIMES="t0 t1 t2 t3" (seconds since the epoch). */
export function phases(names) {
  const t = (process.env.HWCAP_ARM64_TIMES ?? '').split(' ').map(Number);
  const secs = (a, b) => (Number.isFinite(a) && Number.isFinite(b) ? `${(b - a).toFixed(1)}s` : '?');
  return [...names.map((n, i) => `${n} ${secs(t[i], t[i + 1])}`), `total ${secs(t[0], t[names.length])}`].join(', ');
}
