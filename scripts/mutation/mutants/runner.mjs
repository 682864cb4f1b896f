// Mutants of the mutation runner's own verdicts (scripts/mutation/verdict.mjs): a mutant that no
// test ran must never count as killed, and a selection that registers no test must stop the run.
// Format: see typescript.mjs and run.mjs.
const LIST = 'test/mutation-list.test.ts';

export default [
  {
    name: 'runner-ran-nothing-killed',
    claim: 'a mutant none of whose test selections ran a test here is an error, not a kill',
    edits: [{ file: 'scripts/mutation/verdict.mjs', find: "if (!outcomes.includes('ran')) return { status: 'error',", replace: "if (!outcomes.includes('ran')) return { status: 'killed'," }],
    tests: [[LIST, "the mutation runner's verdicts"]],
  },
  {
    name: 'runner-skipped-counted-as-ran',
    claim: 'only tests that ran (passed or failed) count: a selection whose tests were all skipped ran nothing',
    edits: [{ file: 'scripts/mutation/verdict.mjs', find: 'const ran = (report.numPassedTests ?? 0) + (report.numFailedTests ?? 0);', replace: 'const ran = (report.numPassedTests ?? 0) + (report.numFailedTests ?? 0) + (report.numPendingTests ?? 0);' }],
    tests: [[LIST, "the mutation runner's verdicts"]],
  },
  {
    name: 'runner-empty-selection-allowed',
    claim: 'a selection that registers no test on the unmutated copy (a stale pattern, an it.each over an empty list) stops the run',
    edits: [{ file: 'scripts/mutation/verdict.mjs', find: "  if (r.matched === 0) return 'empty';\n", replace: '' }],
    tests: [[LIST, "the mutation runner's verdicts"]],
  },
  {
    name: 'runner-vitest-error-killed',
    claim: 'vitest failing without a failed test and without a failed file (or writing no report) says nothing of the mutant: an error, not a kill',
    edits: [{ file: 'scripts/mutation/verdict.mjs', find: "  if (!r.passed) return 'vitest-error';\n", replace: "  if (!r.passed) return 'killed';\n" }],
    tests: [[LIST, "the mutation runner's verdicts"]],
  },
];
