// node names.js MODEL: run by /init (init.sh) instead of checks.js when the kernel command line
// has hwcap_checks=names (test/kernel/boot.mjs boots the guest once per qemu CPU model so).
// FeatureSet.current() of the built package against this guest's /proc/cpuinfo flags, both ways,
// with the rules of cpuinfo-names.js (shared with test/core/x86-node.test.ts) and this kernel's
// own .config (packed by scripts/kernel/initramfs.sh as kernel.config). Prints `info` lines, then
//   ok names/MODEL: <counts>     or one     FAIL names/MODEL: <difference no rule explains>
// per difference. test/kernel/kernel.guest.ts judges them.
'use strict';
const fs = require('node:fs');
const { compareNames, parseConfig, parseCpuinfo } = require('./cpuinfo-names.js');

const PKG = process.env.HWCAP_GUEST_PKG || '/hwcap';
const model = process.argv[2] || 'unknown';
const tag = `names/${model}`;
try {
  const hwcap = require(`${PKG}/dist/index.js`);
  const cpu = parseCpuinfo(fs.readFileSync('/proc/cpuinfo', 'utf8'));
  const configFile = `${__dirname}/kernel.config`;
  const config = fs.existsSync(configFile) ? parseConfig(fs.readFileSync(configFile, 'utf8')) : undefined;
  const set = hwcap.FeatureSet.current();
  const r = compareNames({
    catalog: hwcap.catalog('x86_64'),
    set,
    flags: cpu.flags,
    vendor: cpu.vendor,
    family: cpu.family,
    cmdline: fs.readFileSync('/proc/cmdline', 'utf8'),
    config,
  });
  console.log(`info ${tag} vendor ${cpu.vendor} family ${cpu.family} model name ${cpu.model}`);
  console.log(`info ${tag} flags ${cpu.flags.size} printed, set ${set.names().length} names, ${r.compared.length} compared, ${r.synthetic.length} synthetic, level ${set.level() ?? '-'}`);
  console.log(`info ${tag} config ${config ? `${config.size} options` : 'missing'}`);
  const explained = [...r.missing, ...r.extra].filter((d) => d.reason);
  for (const d of r.missing.filter((x) => x.reason)) console.log(`info ${tag} not printed ${d.name}: ${d.reason}`);
  for (const d of r.extra.filter((x) => x.reason)) console.log(`info ${tag} printed, not in the set ${d.name}: ${d.reason}`);
  console.log(`info ${tag} synthetic ${r.synthetic.join(' ')}`);
  console.log(`info ${tag} kernel flags ${[...cpu.flags].join(' ')}`);
  console.log(`info ${tag} hwcap names ${set.names().join(' ')}`);
  const fails = [
    ...r.missing.filter((d) => !d.reason).map((d) => `${d.name} is in the set but /proc/cpuinfo does not print it, for no known reason`),
    ...r.extra.filter((d) => !d.reason).map((d) => `/proc/cpuinfo prints ${d.name} but the set lacks it`),
    ...r.hiddenButPrinted.map((n) => `${n} is a procfs: false row but /proc/cpuinfo prints it`),
  ];
  if (config === undefined) fails.push(`no ${configFile}: the configuration rules cannot be checked`);
  if (r.compared.length <= cpu.flags.size / 2) fails.push(`only ${r.compared.length} of ${cpu.flags.size} flags compared`);
  for (const f of fails) console.log(`FAIL ${tag}: ${f}`);
  if (fails.length === 0) console.log(`ok ${tag}: ${r.compared.length} names agree with /proc/cpuinfo, ${explained.length} explained (${explained.map((d) => d.name).join(',') || 'none'})`);
  process.exitCode = fails.length ? 1 : 0;
} catch (e) {
  console.log(`FAIL ${tag}: ${String((e && e.stack) || e).split('\n').slice(0, 3).join(' | ')}`);
  process.exitCode = 1;
}
