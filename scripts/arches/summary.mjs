// Prints the results of npm run test:arches: per architecture, each CPU model's words and the
// names the oracle gave, and for the riscv64 kernel part each model's isa line, AT_HWCAP and boot
// time (also written to .arches/results.md for docs/testing.md), the phase timings, and the
// `N passed, N failed` line. Exits 1 when a test failed or the file did not run.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { counts, phases, readJson } from '../arm64/vitest-counts.mjs';

const work = process.argv[2];
const observed = readJson(path.join(work, 'observed.json')) ?? {};
const vitest = readJson(path.join(work, 'vitest.json'));

const out = [];
for (const arch of ['ppc64le', 's390x']) {
  const o = observed[arch];
  if (!o) continue;
  out.push(`${arch}: ${o.source}`, '', '| `-cpu` | `AT_HWCAP` | `AT_HWCAP2` | glibc\'s names |', '|---|---|---|---|');
  for (const m of o.models) {
    const names = [m.glibc.AT_HWCAP, m.glibc.AT_HWCAP2].filter(Boolean).join(' · ');
    out.push(`| \`${m.cpu}\` | \`${m.words.AT_HWCAP ?? '—'}\` | \`${m.words.AT_HWCAP2 ?? '—'}\` | ${names} |`);
  }
  out.push('');
}
if (observed.riscv64) {
  const o = observed.riscv64;
  out.push(`riscv64: ${o.source}`, '', '| `-cpu` | `AT_HWCAP` | extensions |', '|---|---|---|');
  for (const m of o.models) out.push(`| \`${m.cpu}\` | \`${m.AT_HWCAP || '—'}\` | ${m.letters.join('')} |`);
  out.push('');
}
const system = readJson(path.join(work, 'riscv64-system', 'observed.json'));
if (system) {
  out.push(`riscv64 kernel: ${system.source}`, '', '| `-cpu` | `isa` up to its first `_` | `AT_HWCAP` | ELF capabilities | boot |', '|---|---|---|---|---|');
  for (const m of system.models) {
    out.push(`| \`${m.cpu}\` | \`${(m.isa ?? '—').split('_')[0]}\` | \`${m.AT_HWCAP ?? '—'}\` | ${m.elfCapabilities ?? '—'} | ${m.seconds.toFixed(1)} s${m.timedOut ? ' (killed)' : ''} |`);
  }
  out.push('');
}
fs.writeFileSync(path.join(work, 'results.md'), `${out.join('\n')}\n`);

// The qemu-user parts (observed.json) and the riscv64 kernel part (riscv64-system/observed.json).
const ran = { ...observed, 'riscv64-system': system };
for (const arch of ['ppc64le', 's390x', 'riscv64', 'riscv64-system']) {
  const f = path.join(work, arch, 'unavailable.txt');
  // A part that did not run and that install.sh gave no reason for: say so where .ci/run looks.
  if (!ran[arch] && !fs.existsSync(f)) {
    fs.mkdirSync(path.dirname(f), { recursive: true });
    fs.writeFileSync(f, `the ${arch} tests did not run (see the output of test/arches above)\n`);
  }
  if (fs.existsSync(f)) out.push(`arches: ${arch} not run: ${fs.readFileSync(f, 'utf8').trim()}`);
}
const { passed, failed, skipped } = counts(vitest);
console.log(`\n${out.join('\n')}`);
if (!vitest) console.log('arches: the test file did not run (see the errors above)');
console.log(`arches: ${phases(['install', 'kernel', 'run'])}`);
console.log(`arches: ${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed ? 1 : 0);
