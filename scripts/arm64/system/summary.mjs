// Prints the system-emulation results (test/arm64/system): per CPU model the kernel's AT_HWCAP words
// and the words the launched child saw in each view, the phase timings, and `N passed, N failed`.
// The table also goes to .arm64/system/results.md for the README. Exits 1 on a failure.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { counts, phases, readJson } from '../vitest-counts.mjs';

const dir = process.argv[2];
const obs = readJson(path.join(dir, 'observations.json'));
const vitest = readJson(path.join(dir, 'vitest.json'));
const VIEWS = [
  ['process', 'stack'],
  ['libc', 'getauxval'],
  ['prGetAuxv', 'PR_GET_AUXV'],
  ['procAuxv', '/proc/self/auxv'],
];

const probeOf = (c) => {
  const line = c?.stdout.split('\n').find((l) => l.startsWith('{'));
  return line ? JSON.parse(line) : undefined;
};
/** `0x873/0x0 (all 4 views)`, or each view's words where they differ; a view the kernel lacks is named. */
function seen(c) {
  const p = probeOf(c);
  if (!p) return c ? `exit ${c.status}, no output` : '—';
  const have = VIEWS.filter(([v]) => p[v]);
  const lacking = VIEWS.filter(([v]) => !p[v]).map(([v, label]) => `${label} ${p.errors?.[v] ?? 'n/a'}`);
  const all = have.map(([v]) => `${p[v].hwcap}/${p[v].hwcap2}`);
  const words = all.every((x) => x === all[0])
    ? `\`${all[0]}\` (all ${all.length} views)`
    : have.map(([, label], i) => `${label} \`${all[i]}\``).join(', ');
  return lacking.length ? `${words}; ${lacking.join(', ')}` : words;
}

const out = [];
if (obs?.unavailable) {
  out.push(`not run: ${obs.unavailable}`);
} else if (obs) {
  out.push(`${obs.qemu}; kernel ${obs.kernel.split('\n')[0]}; launcher keeps AT_HWCAP ${obs.keep[0]}, AT_HWCAP2 ${obs.keep[1]}`, '');
  out.push('| `-cpu` | boot+checks | kernel `AT_HWCAP`/`AT_HWCAP2` | Features | ptrace child | grandchild via `sh -c` | grandchild, `--no-follow` | ptrace child as uid 65534 |');
  out.push('|---|---|---|---|---|---|---|---|');
  for (const m of obs.models) {
    const c = m.checks ?? {};
    const p = probeOf(c.probe);
    const features = /^Features\s*:\s*(.*)$/m.exec(c.cpuinfo?.stdout ?? '')?.[1].trim().split(/\s+/).length ?? 0;
    out.push(
      `| \`${m.cpu}\` | ${m.seconds.toFixed(1)} s | ${p ? `\`${p.process.hwcap}/${p.process.hwcap2}\`` : '—'} | ${features} | ${seen(c.ptrace)} | ${seen(c['ptrace-follow'])} | ${seen(c['ptrace-no-follow'])} | ${seen(c['nobody-ptrace'])} |`,
    );
  }
  const yama = obs.models.map((m) => [m.cpu, m.checks?.['nobody-ptrace-yama1']]).filter(([, c]) => c);
  if (yama.length) out.push('', `Yama ptrace_scope=1, uid 65534: ${yama.map(([cpu, c]) => `${cpu}: ${probeOf(c) ? 'masked' : `exit ${c.status} ${c.stderr.trim()}`}`).join('; ')}`);
  fs.writeFileSync(path.join(dir, 'results.md'), `${out.join('\n')}\n`);
}

const { passed, failed, skipped } = counts(vitest);
console.log(`\n${out.join('\n')}\n`);
console.log(`arm64 system: ${phases(['install', 'build', 'run'])}`);
console.log(`arm64 system: ${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed ? 1 : 0);
