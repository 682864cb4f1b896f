// Prints the kernel guest's timings and check results as Markdown tables (docs/kernel-guest.md
// shows one such run), to stdout and to <dir>/summary.md. Reads <dir>/timings/* (seconds, or
// "cached"/"kept" for a step a cache made unnecessary) and <dir>/guest/console.log.
import * as fs from 'node:fs';
import * as path from 'node:path';

const dir = process.env.HWCAP_KERNEL_DIR ?? path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../.kernel');
const read = (f) => {
  try {
    return fs.readFileSync(path.join(dir, f), 'utf8').trim();
  } catch {
    return undefined;
  }
};
const steps = ['install', 'download', 'unpack', 'config', 'build', 'initramfs', 'boot', 'total'];
const label = { install: 'host packages', download: 'download linux-source', unpack: 'unpack', config: 'tinyconfig + fragment', build: 'make bzImage', initramfs: 'initramfs', boot: 'boot + checks (qemu)', total: 'whole run' };
const out = ['| step | seconds |', '|---|---|'];
for (const s of steps) out.push(`| ${label[s]} | ${read(`timings/${s}`) ?? '-'} |`);
const result = JSON.parse(read('guest/result.json') ?? '{}');
const text = (read('guest/console.log') ?? '').replace(/\r/g, '');
const lines = text.split('\n');
const infos = lines.filter((l) => l.startsWith('info ')).map((l) => `- ${l.slice(5)}`);
out.push('', `guest: ${result.accel ?? 'not booted'}, qemu ran ${result.seconds ? result.seconds.toFixed(1) : '-'} s${result.kvmProbe ? ` (KVM probe: ${result.kvmProbe.reason})` : ''}`, ...infos, '');
out.push('| check | root | nobody (65534) |', '|---|---|---|');
const checks = new Map();
for (const l of lines) {
  const m = /^(ok|FAIL) (root|nobody)\/([^:]+):/.exec(l);
  if (!m) continue;
  if (!checks.has(m[3])) checks.set(m[3], {});
  checks.get(m[3])[m[2]] = m[1];
}
for (const [name, r] of checks) out.push(`| ${name} | ${r.root ?? '-'} | ${r.nobody ?? '-'} |`);
const summaries = lines.filter((l) => l.startsWith('summary '));
out.push('', ...summaries);
// The per-model boots (hwcap_checks=names): <dir>/guest/names-MODEL.log.
if (result.models?.length) {
  out.push('', "hwcap's names against /proc/cpuinfo per qemu CPU model (test/kernel/guest/names.js):", '');
  const failLines = [];
  out.push('| -cpu | seconds | result | vendor, family | printed / compared | explained | TCG dropped |', '|---|---|---|---|---|---|---|');
  for (const m of result.models) {
    const ml = (read(`guest/names-${m.model}.log`) ?? '').replace(/\r/g, '').split('\n');
    const info = (k) => ml.find((l) => l.startsWith(`info names/${m.model} ${k} `))?.slice(`info names/${m.model} ${k} `.length);
    const ok = ml.find((l) => l.startsWith(`ok names/${m.model}:`));
    const fails = ml.filter((l) => l.startsWith('FAIL '));
    const res = ok ? 'ok' : fails.length ? `FAIL (${fails.length})` : m.timedOut ? 'timed out' : 'no ok line';
    const vf = /^(\S+) family (\d+)/.exec(info('vendor') ?? '');
    const counts = /^(\d+) printed, set \d+ names, (\d+) compared/.exec(info('flags') ?? '');
    const explained = /explained \(([^)]*)\)/.exec(ok ?? '')?.[1] ?? '-';
    out.push(`| ${m.model} | ${m.seconds.toFixed(1)} | ${res} | ${vf ? `${vf[1]} ${vf[2]}` : '-'} | ${counts ? `${counts[1]} / ${counts[2]}` : '-'} | ${explained} | ${m.dropped?.length ?? 0} |`);
    failLines.push(...fails.map((f) => `- ${m.model}: ${f}`));
  }
  if (failLines.length) out.push('', ...failLines);
}
const md = `${out.join('\n')}\n`;
fs.writeFileSync(path.join(dir, 'summary.md'), md);
process.stdout.write(md);
