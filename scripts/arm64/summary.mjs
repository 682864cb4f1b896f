// Prints the arm64 proving ground's results: the table of emulated CPU models (also written to
// .arm64/results.md for the README), the phase timings, and the `N passed, N failed` line.
// Exits 1 when a test failed or the test file did not run.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { counts, phases, readJson } from './vitest-counts.mjs';

const work = process.argv[2];
const read = (f) => readJson(path.join(work, f));
const results = read('results.json');
const vitest = read('vitest.json');

// The words qemu 7.2's qemu-user gives these models (AT_HWCAP, AT_HWCAP2); another qemu may give
// others, which is a note, not a failure.
const QEMU_7_2_WORDS = {
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
    .filter((m) => QEMU_7_2_WORDS[m.cpu] && (QEMU_7_2_WORDS[m.cpu][0] !== m.hwcap || QEMU_7_2_WORDS[m.cpu][1] !== m.hwcap2))
    .map((m) => `note: -cpu ${m.cpu} gives ${m.hwcap}/${m.hwcap2}, qemu 7.2 gives ${QEMU_7_2_WORDS[m.cpu].join('/')}`);
  out.push(...(notes.length ? ['', ...notes] : []));
  fs.writeFileSync(path.join(work, 'results.md'), `${out.join('\n')}\n`);
}

const { passed, failed, skipped } = counts(vitest);

console.log(`\n${out.join('\n')}\n`);
if (!vitest) console.log('arm64: the test file did not run (see the errors above)');
console.log(`arm64: ${phases(['install', 'build', 'run'])}`);
console.log(`arm64: ${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed ? 1 : 0);
