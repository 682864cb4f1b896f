// The mutation runner's judgement (scripts/mutation/run.mjs), apart from its processes so that
// test/mutation-list.test.ts can check it on canned vitest reports: what one test selection's run
// says, whether a mutant is killed, survived or in error, and whether a selection may be used at all.

/**
 * One vitest run of a file (with an optional -t pattern), from its JSON report (undefined where
 * vitest wrote none) and its exit code: { passed, ran, failed, matched, suiteFailed }.
 * `ran` counts the tests that ran (passed or failed), so that a selection that runs nothing is an
 * error and never a kill; `matched` counts the tests the file registered here whose name the
 * pattern selects, run or skipped. `matched` 0 is a selection that can never run on this machine:
 * a pattern that matches nothing (stale), or an `it.each` over a list that is empty here.
 * `suiteFailed`: a file that failed without a failed test (it did not load, or a hook failed). No
 * report at all is vitest's own failure: it says nothing of the mutant.
 */
export function summarize(report, pattern, code) {
  if (!report) return { passed: false, ran: 0, failed: 0, matched: 0, suiteFailed: false };
  const files = report.testResults ?? [];
  // vitest's -t is a regular expression tested against each test's full name (its describe titles and its own).
  const re = pattern ? new RegExp(pattern) : null;
  const matched = files.flatMap((t) => t.assertionResults ?? []).filter((a) => !re || re.test(a.fullName ?? '') || re.test(a.title ?? '')).length;
  const failedSuites = files.filter((t) => t.status === 'failed' && (t.assertionResults ?? []).every((a) => a.status !== 'failed')).length;
  const ran = (report.numPassedTests ?? 0) + (report.numFailedTests ?? 0);
  return { passed: code === 0, ran, failed: report.numFailedTests ?? 0, matched, suiteFailed: failedSuites > 0 };
}

/**
 * What one selection's run says of a mutant: 'killed' (a test failed), 'load-failed' (the file
 * failed without a failed test: a kill too, the mutant broke the file's loading or its hooks),
 * 'vitest-error' (vitest failed with neither), 'ran' (tests ran and passed) or 'ran-nothing'.
 * The first three end the mutant's run.
 */
export function selectionOutcome(r) {
  if (r.failed > 0) return 'killed';
  if (r.suiteFailed) return 'load-failed';
  if (!r.passed) return 'vitest-error';
  return r.ran > 0 ? 'ran' : 'ran-nothing';
}

/** Whether an outcome ends the mutant's run: its later selections are not run. */
export const decides = (o) => o === 'killed' || o === 'load-failed' || o === 'vitest-error';

/**
 * A mutant's status from its selections' outcomes, in order: 'killed', 'error' or 'survived',
 * with `at`, the index of the selection that decided it (-1 where none did alone). A mutant none
 * of whose selections ran a test here (skipped by a probe, or none registered) is an error:
 * nothing could have killed it, which is not a kill.
 */
export function mutantVerdict(outcomes) {
  const at = outcomes.findIndex(decides);
  if (at >= 0) return { status: outcomes[at] === 'vitest-error' ? 'error' : 'killed', at, why: outcomes[at] };
  if (!outcomes.includes('ran')) return { status: 'error', at: -1, why: 'ran-nothing' };
  return { status: 'survived', at: -1, why: 'ran' };
}

/**
 * A selection on the unmutated copy: 'fails' (it would kill every mutant for nothing), 'empty'
 * (it registers no test here, so it can never kill anything here: the run stops), 'skipped' (every
 * selected test skipped by a probe here: said, and each mutant that uses it alone is an error)
 * or 'ok'.
 */
export function baselineVerdict(r) {
  if (!r.passed) return 'fails';
  if (r.matched === 0) return 'empty';
  if (r.ran === 0) return 'skipped';
  return 'ok';
}
