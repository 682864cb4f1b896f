'use strict';
// Bench rows for CPUID masking (hwcap-exec --cpuid), every figure a ratio
// against a baseline measured in the same run:
//   cpuid-traps      trapped CPUIDs per program (/bin/true, python3, node -e 0), counted by the helper
//   cpuid-trap-cost  one trapped CPUID against one real CPUID (hwcap-cpuid-probe --loop; target <= 2x)
//   cpuid-true       masked /bin/true against plain (target <= 1.5x)
//   cpuid-node       masked node -e 0 against plain (target <= 1.05x)
//   cpuid-sh50       the sh loop of 50 execs, masked against plain (target <= 2x)
//   segv-handled-auxv, segv-handled-cpuid
//                    one SIGSEGV the program takes and handles itself (hwcap-trap-probe --segv-loop),
//                    under an auxv-only follow and under a CPUID mask, against the same loop unmasked
// Targets are judged (met/missed) only with real CPUID faulting; simulated rows are info.
// Without CPUID faulting (the launcher's --probe-cpuid-fault says why), the
// traps are simulated with the launcher's test switch (rdmsr raises the same
// forced SIGSEGV): the trap cost is then that of the simulated trap, and the
// node and sh rows measure the rest (arming skipped; the seccomp tracking of the
// signal state, the stays-attached tree) — each row says which it measured.
const cp = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { compareSpawns, median } = require('./harness');

const root = path.resolve(__dirname, '..');
const launcher = path.join(root, 'build', 'Release', 'hwcap-exec');
// Simulated traps need the test build (HWCAP_EXEC_FAULT=cpuid-simulate).
const testLauncher = path.join(root, 'build', 'Release', 'hwcap-exec-test');
const probe = path.join(root, 'build', 'Release', 'hwcap-cpuid-probe');
const trapProbe = path.join(root, 'build', 'Release', 'hwcap-trap-probe');

/** Drops avx2 (7.0:EBX bit 5) and the lowest bit of 80000001:ECX other than lahf_lm and abm, as the
 * tests do (test/support/cpuid-fixture.ts). */
function maskArgs() {
  const v = JSON.parse(cp.execFileSync(probe, [], { encoding: 'utf8' }));
  const ebx = parseInt(v.main['7.0'][1], 16) >>> 0;
  const ecx = parseInt(v.main['80000001'][2], 16) >>> 0;
  const drop7 = ebx & 32 ? 32 : (ebx & -ebx) >>> 0;
  const rest = (ecx & ~0x21) >>> 0;
  const drop81 = ((rest || ecx) & -(rest || ecx)) >>> 0;
  const hex8 = (x) => (x >>> 0).toString(16).padStart(8, '0');
  return ['--cpuid', `7.0:ebx=${hex8(~drop7)}`, '--cpuid', `80000001:ecx=${hex8(~drop81)}`];
}

/** AT_HWCAP of this process less its lowest set bit: an auxv-only mask that removes something. */
function auxvKeep() {
  const b = fs.readFileSync('/proc/self/auxv');
  for (let i = 0; i + 16 <= b.length; i += 16) {
    if (b.readBigUInt64LE(i) === 16n) {
      const v = b.readBigUInt64LE(i + 8);
      return v & (v - 1n);
    }
  }
  return 0n;
}

/** One launcher run; returns the helper's stats line. */
function statsOf(args, env) {
  const r = cp.spawnSync(launcher, ['--stats-fd', '3', ...args], { encoding: 'utf8', stdio: ['ignore', 'ignore', 'ignore', 'pipe'], env, timeout: 120_000 });
  const line = String(r.output[3] ?? '').split('\n').find((l) => l.includes('"stats"'));
  if (r.status !== 0 || !line) throw new Error(`${args.join(' ')}: exit ${r.status ?? r.signal}`);
  return JSON.parse(line);
}

function timeRun(file, args, env) {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const c = cp.spawn(file, args, { stdio: 'ignore', env });
    c.once('error', reject);
    c.once('exit', (code, sig) => (code === 0 ? resolve(Number(process.hrtime.bigint() - t0) / 1e6) : reject(new Error(`${file} ${code ?? sig}`))));
  });
}

async function benchCpuid({ row, scale, quick }) {
  if (process.arch !== 'x64' || !fs.existsSync(probe)) {
    row({ id: 'cpuid', what: 'CPUID masking', notMeasured: 'x86-64 only' });
    return;
  }
  const fault = JSON.parse(cp.execFileSync(launcher, ['--probe-cpuid-fault'], { encoding: 'utf8' }));
  const real = fault.ok;
  const why = real ? '' : `CPUID faulting unavailable here (${fault.syscall}: ${fault.code})`;
  const env = real ? process.env : { ...process.env, HWCAP_EXEC_FAULT: 'cpuid-simulate' };
  const mask = maskArgs();
  const how = real ? 'real CPUID faulting' : 'SIMULATED traps (rdmsr), ' + why;
  const masked = real ? launcher : testLauncher;

  // Trapped CPUIDs per program: only real faulting traps a program's own CPUIDs.
  for (const [id, file, args] of [
    ['cpuid-traps-true', '/bin/true', []],
    ['cpuid-traps-python3', 'python3', ['-c', '0']],
    ['cpuid-traps-node', process.execPath, ['-e', '0']],
  ]) {
    if (!real) {
      row({ id, what: `trapped CPUIDs: ${path.basename(file)}`, notMeasured: why });
      continue;
    }
    try {
      const s = statsOf([...mask, '--', file, ...args], env);
      row({ id, what: `trapped CPUIDs: ${[path.basename(file), ...args].join(' ')}`, candidateText: `${s.cpuid.traps} traps`, baselineText: '', notes: [`${s.cpuid.realCpuids} answered by a real CPUID (per-CPU leaves, table misses); ${s.cpuid.seccompStops} seccomp stops; ${s.execs} execs`], detail: s });
    } catch (err) {
      row({ id, what: `trapped CPUIDs: ${path.basename(file)}`, notMeasured: String(err.message ?? err).slice(0, 100) });
    }
  }

  // One trap against one real CPUID, both through the same probe loop.
  const n = quick ? 200 : 2000;
  const loops = quick ? 3 : 7;
  const per = (argv, e) => JSON.parse(cp.execFileSync(argv[0], argv.slice(1), { encoding: 'utf8', env: e })).nsPerCpuid;
  for (const leaf of ['7', '1']) {
    const plain = [];
    const trapped = [];
    for (let i = 0; i < loops; i++) {
      plain.push(per([probe, '--loop', String(n), leaf], process.env));
      trapped.push(per([masked, ...mask, '--', probe, ...(real ? [] : ['--simulate']), '--loop', String(n), leaf], env));
    }
    const c = median(trapped) / 1000; // us
    const b = median(plain) / 1000;
    const spread = (xs) => `${(Math.min(...xs) / 1000).toFixed(1)}-${(Math.max(...xs) / 1000).toFixed(1)} us`;
    row({
      id: `cpuid-trap-cost-leaf${leaf}`,
      what: `one trapped CPUID (leaf ${leaf}${leaf === '1' ? ', per CPU' : ', from the table'}, ${real ? 'real' : 'simulated'}) vs a real CPUID`,
      candidateText: `${c.toFixed(1)} us`,
      baselineText: `${b.toFixed(2)} us`,
      ratio: c / b,
      target: '<=2x',
      met: real ? c / b <= 2 : undefined,
      notes: [how, `${loops} loops of ${n}: trapped ${spread(trapped)}, real ${spread(plain)}`],
    });
  }

  // A SIGSEGV the program handles itself: each one stops for the helper, which only passes it on.
  // The probe times its own loop; the three runs alternate, and each figure is their median.
  if (fs.existsSync(trapProbe)) {
    const segvs = quick ? 2000 : 20000;
    const ns = (argv, e) => JSON.parse(cp.execFileSync(argv[0], argv.slice(1), { encoding: 'utf8', env: e })).nsPerSegv;
    const auxvArgs = ['--mode', 'ptrace', '--hwcap', `0x${auxvKeep().toString(16)}`];
    const plain = [];
    const auxv = [];
    const cpuid = [];
    for (let i = 0; i < loops; i++) {
      plain.push(ns([trapProbe, '--segv-loop', String(segvs)], process.env));
      auxv.push(ns([launcher, ...auxvArgs, '--', trapProbe, '--segv-loop', String(segvs)], process.env));
      cpuid.push(ns([masked, ...mask, '--', trapProbe, '--segv-loop', String(segvs)], env));
    }
    const b = median(plain) / 1000;
    const spread = (xs) => `${(Math.min(...xs) / 1000).toFixed(1)}-${(Math.max(...xs) / 1000).toFixed(1)} us over ${xs.length} runs`;
    for (const [id, what, xs, note] of [
      ['segv-handled-auxv', 'one handled SIGSEGV of the program, auxv-only follow vs unmasked', auxv, 'ptrace follow, no CPUID mask'],
      ['segv-handled-cpuid', 'one handled SIGSEGV of the program, CPUID mask vs unmasked', cpuid, how],
    ]) {
      const c = median(xs) / 1000;
      row({ id, what, candidateText: `${c.toFixed(1)} us`, baselineText: `${b.toFixed(2)} us`, ratio: c / b, notes: [note, `${segvs} SIGSEGVs per run; ${spread(xs)}; unmasked ${spread(plain)}`] });
    }
  }

  // Whole programs: masked against plain, interleaved.
  for (const d of [
    { id: 'cpuid-true', what: `masked --cpuid /bin/true vs plain (${real ? 'real' : 'simulated'})`, file: '/bin/true', args: [], runs: scale(100, 10), target: 1.5 },
    { id: 'cpuid-node', what: `masked --cpuid node -e 0 vs plain (${real ? 'real' : 'simulated'})`, file: process.execPath, args: ['-e', '0'], runs: scale(60, 6), target: 1.05 },
    { id: 'cpuid-sh50', what: `masked --cpuid sh -c '50x /bin/true' vs plain (${real ? 'real' : 'simulated'})`, file: '/bin/sh', args: ['-c', 'for i in $(seq 50); do /bin/true; done'], runs: scale(30, 4), target: 2 },
  ]) {
    const r = await compareSpawns({
      candidate: () => timeRun(masked, [...mask, '--', d.file, ...d.args], env),
      baseline: () => timeRun(d.file, d.args, process.env),
      runs: d.runs,
      warmup: quick ? 1 : 4,
    });
    row({
      id: d.id,
      what: d.what,
      unit: 'ms',
      candidate: r.candidateMs,
      baseline: r.baselineMs,
      ratio: r.ratio,
      target: d.target ? `<=${d.target}x (${d.runs} runs)` : `${d.runs} runs`,
      met: d.target && real ? r.ratio <= d.target : undefined,
      notes: [how, `median of paired ratios ${r.pairedRatio.toFixed(3)}x`],
    });
  }
}

module.exports = { benchCpuid };
