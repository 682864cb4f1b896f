// The named mutants (scripts/mutation/mutants/*.mjs) still apply to the code as it is: each edit's
// text occurs exactly once in its file, and each test file a mutant names exists. A moved or
// reworded line otherwise shows only as a stale mutant at the end of `npm run test:mutation`, after
// minutes; here `npm test` says it at once. And the runner's verdicts (scripts/mutation/verdict.mjs)
// on vitest's JSON reports as vitest 4 writes them: a mutant whose tests ran nothing is an error,
// never a kill, and a selection that registers no test stops the run.
import { describe, it, expect } from 'vitest';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { repoRoot } from './support/helpers';

interface Mutant {
  name: string;
  claim: string;
  edits: { file: string; find: string; replace: string }[];
  tests: (string | [string, string])[];
}

const dir = path.join(repoRoot, 'scripts', 'mutation', 'mutants');

async function mutants(): Promise<Mutant[]> {
  const out: Mutant[] = [];
  for (const f of fs.readdirSync(dir).filter((n) => n.endsWith('.mjs')).sort()) {
    const m = (await import(pathToFileURL(path.join(dir, f)).href)) as { default: Mutant[] };
    out.push(...m.default);
  }
  return out;
}

describe('the mutation list', () => {
  it('every mutant has a unique name, a claim, edits that apply once each, and test files that exist', async () => {
    const all = await mutants();
    expect(all.length).toBeGreaterThan(100);
    expect(new Set(all.map((m) => m.name)).size).toBe(all.length);
    const problems: string[] = [];
    for (const m of all) {
      if (!m.claim || m.edits.length === 0 || m.tests.length === 0) problems.push(`${m.name}: no claim, edit or test`);
      for (const e of m.edits) {
        const file = path.join(repoRoot, e.file);
        if (!fs.existsSync(file)) {
          problems.push(`${m.name}: ${e.file} does not exist`);
          continue;
        }
        const count = fs.readFileSync(file, 'utf8').split(e.find).length - 1;
        if (count !== 1) problems.push(`${m.name}: ${e.file}: the text to replace occurs ${count} times: ${JSON.stringify(e.find.slice(0, 80))}`);
        if (e.find === e.replace) problems.push(`${m.name}: ${e.file}: an edit that changes nothing`);
      }
      for (const t of m.tests) {
        const f = typeof t === 'string' ? t : t[0];
        if (!fs.existsSync(path.join(repoRoot, f))) problems.push(`${m.name}: test file ${f} does not exist`);
      }
    }
    expect(problems).toEqual([]);
  });
});

interface Summary {
  passed: boolean;
  ran: number;
  failed: number;
  matched: number;
  suiteFailed: boolean;
}
type Outcome = 'killed' | 'load-failed' | 'vitest-error' | 'ran' | 'ran-nothing';
interface Verdict {
  summarize(report: unknown, pattern: string | undefined, code: number | null): Summary;
  selectionOutcome(r: Summary): Outcome;
  mutantVerdict(outcomes: Outcome[]): { status: 'killed' | 'error' | 'survived'; at: number; why: string };
  baselineVerdict(r: Summary): 'fails' | 'empty' | 'skipped' | 'ok';
}
const verdict = async (): Promise<Verdict> => (await import(pathToFileURL(path.join(repoRoot, 'scripts', 'mutation', 'verdict.mjs')).href)) as Verdict;

/** A vitest JSON report of one file whose tests end as `statuses` (under the describe 'way'). */
function report(statuses: Record<string, 'passed' | 'failed' | 'skipped'>, fileStatus?: 'passed' | 'failed') {
  const a = Object.entries(statuses).map(([title, status]) => ({ ancestorTitles: ['way'], fullName: `way ${title}`, title, status, failureMessages: [] }));
  const n = (s: string) => a.filter((x) => x.status === s).length;
  return {
    numTotalTests: a.length,
    numPassedTests: n('passed'),
    numFailedTests: n('failed'),
    numPendingTests: n('skipped'),
    testResults: [{ assertionResults: a, status: fileStatus ?? (n('failed') ? 'failed' : 'passed'), name: '/x/test/a.test.ts' }],
  };
}

describe("the mutation runner's verdicts", () => {
  it('every selected test skipped by a probe: ran 0, so the mutant is an error, not a kill; the baseline says so and goes on', async () => {
    const v = await verdict();
    const r = v.summarize(report({ 'masks CPUID (skipped: no faulting)': 'skipped', other: 'skipped' }), 'masks CPUID', 0);
    expect(r).toEqual({ passed: true, ran: 0, failed: 0, matched: 1, suiteFailed: false });
    expect(v.selectionOutcome(r)).toBe('ran-nothing');
    expect(v.baselineVerdict(r)).toBe('skipped');
    expect(v.mutantVerdict([v.selectionOutcome(r)])).toMatchObject({ status: 'error', why: 'ran-nothing' });
    expect(v.mutantVerdict([])).toMatchObject({ status: 'error' });
  });

  it('a pattern that selects no registered test (stale, or an it.each over an empty list): matched 0, and the baseline stops the run', async () => {
    const v = await verdict();
    // vitest reports the tests that -t leaves out as skipped: they are not "matched".
    const r = v.summarize(report({ 'a rule for 7.1': 'skipped', 'a rule for 7.0': 'skipped' }), 'security refusal', 0);
    expect(r).toMatchObject({ passed: true, ran: 0, matched: 0 });
    expect(v.baselineVerdict(r)).toBe('empty');
    // A file with no test at all (an it.each over an empty list), without a pattern.
    const none = v.summarize({ numPassedTests: 0, numFailedTests: 0, numPendingTests: 0, testResults: [{ assertionResults: [], status: 'passed' }] }, undefined, 0);
    expect(v.baselineVerdict(none)).toBe('empty');
  });

  it('one failed test kills; its later selections are not needed; a pattern is tried on the full name and on the title', async () => {
    const v = await verdict();
    const r = v.summarize(report({ 'keeps SIGSEGV blocked': 'failed', 'keeps it ignored': 'passed' }, 'failed'), 'way keeps SIGSEGV', 1);
    expect(r).toEqual({ passed: false, ran: 2, failed: 1, matched: 1, suiteFailed: false });
    expect(v.selectionOutcome(r)).toBe('killed');
    expect(v.baselineVerdict(r)).toBe('fails');
    expect(v.mutantVerdict(['ran-nothing', 'killed'])).toEqual({ status: 'killed', at: 1, why: 'killed' });
    expect(v.mutantVerdict(['ran', 'ran-nothing'])).toMatchObject({ status: 'survived' });
  });

  it('a file that fails to load kills (the mutant broke it); vitest failing without either, or writing no report, is not a kill', async () => {
    const v = await verdict();
    const load = v.summarize({ numPassedTests: 0, numFailedTests: 0, testResults: [{ assertionResults: [], status: 'failed', message: 'boom' }] }, undefined, 1);
    expect(load).toMatchObject({ ran: 0, suiteFailed: true });
    expect(v.selectionOutcome(load)).toBe('load-failed');
    expect(v.mutantVerdict([v.selectionOutcome(load)])).toMatchObject({ status: 'killed', at: 0 });
    const crashed = v.summarize(report({ a: 'passed' }), undefined, 1);
    expect(v.selectionOutcome(crashed)).toBe('vitest-error');
    expect(v.mutantVerdict(['ran', 'vitest-error'])).toMatchObject({ status: 'error', at: 1 });
    const noReport = v.summarize(undefined, undefined, 1);
    expect(noReport).toMatchObject({ passed: false, ran: 0 });
    expect(v.selectionOutcome(noReport)).toBe('vitest-error');
    expect(v.baselineVerdict(noReport)).toBe('fails');
  });
});
