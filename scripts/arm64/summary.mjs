// Prints the arm64 proving ground's results: the table of emulated CPU models (also written to
// .arm64/results.md for the README), the phase timings, and the `N passed, N failed` line.
// Exits 1 when a test failed or the test file did not run.
import * as fs from 'node:fs';
import * as path from 'node:path';

const work = process.argv[2];
const read = (f) => {
  try {
    return JSON.parse(fs.readFileSync(path.join(work, f), 'utf8'));
  } catch {
    return undefined;
  }
};
const results = read('results.json');
const vitest = read('vitest.json');

// Issue 7's table (qemu 7.2 era); a different qemu may differ, which is a note, not a failure.
const ISSUE_TABLE = {
  'cortex-a53': ['0x8fb', '0x0'],
  'neoverse-n1': ['0x119ffb', '0x0'],
  a64fx: ['0x415ffb', '0x0'],
  max: ['0xecfffffb', '0x7f877fff'],
};

const out = [];
if (results) {
  out.push(`${results.qemu}; arm64 node ${results.node}; names checked against ${results.header}`, '');
  const base = results.baseline && !results.baseline.error ? results.baseline.names : [];
  out.push('| `-cpu` | `AT_HWCAP` | `AT_HWCAP2` | names | beyond the baseline (first few) |', '|---|---|---|---|---|');
  for (const m of results.models) {
    const names = m.names ?? m.headerNames ?? [];
    const src = m.names ? '' : ' (header)';
    const extra = names.filter((n) => !base.includes(n));
    const few = extra.length > 8 ? [...extra.slice(0, 8), `… (+${extra.length - 8})`] : extra;
    out.push(`| \`${m.cpu}\` | \`${m.hwcap}\` | \`${m.hwcap2}\` | ${names.length}${src} | ${few.join(' ') || '—'} |`);
  }
  if (results.baseline && !results.baseline.error) {
    const b = results.baseline;
    out.push(`| baseline of all | \`${b.words.hwcap}\` | \`${b.words.hwcap2}\` | ${b.names.length} | ${b.names.join(' ')} |`);
  }
  const notes = results.models
    .filter((m) => ISSUE_TABLE[m.cpu] && (ISSUE_TABLE[m.cpu][0] !== m.hwcap || ISSUE_TABLE[m.cpu][1] !== m.hwcap2))
    .map((m) => `note: -cpu ${m.cpu} gives ${m.hwcap}/${m.hwcap2}, issue 7's table says ${ISSUE_TABLE[m.cpu].join('/')}`);
  out.push(...(notes.length ? ['', ...notes] : []));
  fs.writeFileSync(path.join(work, 'results.md'), `${out.join('\n')}\n`);
}

const [t0, t1, t2, t3] = (process.env.HWCAP_ARM64_TIMES ?? '').split(' ').map(Number);
const secs = (a, b) => (Number.isFinite(a) && Number.isFinite(b) ? `${(b - a).toFixed(1)}s` : '?');
const passed = vitest?.numPassedTests ?? 0;
// A test file that failed to load has no failed tests of its own: count it as one failure.
const brokenFiles = (vitest?.testResults ?? []).filter((f) => f.status === 'failed' && !f.assertionResults?.some((a) => a.status === 'failed'));
const failed = vitest ? vitest.numFailedTests + brokenFiles.length + (vitest.success === false && !vitest.numFailedTests && !brokenFiles.length ? 1 : 0) : 1;
const skipped = (vitest?.numPendingTests ?? 0) + (vitest?.numTodoTests ?? 0);

console.log(`\n${out.join('\n')}\n`);
if (!vitest) console.log('arm64: the test file did not run (see the errors above)');
console.log(`arm64: install ${secs(t0, t1)}, build ${secs(t1, t2)}, run ${secs(t2, t3)}, total ${secs(t0, t3)}`);
console.log(`arm64: ${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed ? 1 : 0);
