#!/usr/bin/env node
'use strict';
// npm run bench: hwcap against the alternatives, every figure a ratio against
// a baseline measured in the same run. Prints a table and writes JSON to
// bench/results/. Plain node on the built dist/ (run `npm install` first).
//
//   node bench/run.js [--quick] [--only <substring>] [--json <file>]
//
// --quick cuts every run count by 10 (a smoke test, not a measurement).
// cpu-features is compared when it can be required from this checkout or from
// the directory in HWCAP_BENCH_CPU_FEATURES (npm install --no-save cpu-features).
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const cp = require('node:child_process');
const { nsPerCall, compareSpawns, timeSpawn, median } = require('./harness');

const root = path.resolve(__dirname, '..');
const dist = path.join(root, 'dist');
const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const only = argv.includes('--only') ? argv[argv.indexOf('--only') + 1] : undefined;
const jsonOut = argv.includes('--json') ? argv[argv.indexOf('--json') + 1] : undefined;
const scale = (n, min = 5) => (quick ? Math.max(min, Math.round(n / 10)) : n);

const h = require(dist);
const { native } = require(path.join(dist, 'host', 'native.js'));

const rows = [];
function row(r) {
  rows.push(r);
  printRow(r);
}

// ----------------------------------------------------------------------------------------------
// Table

const cols = [
  ['what', 50],
  ['candidate', 14],
  ['baseline', 16],
  ['ratio', 12],
  ['target', 22],
  ['result', 10],
];
function fmtTime(v, unit) {
  if (v === undefined || Number.isNaN(v)) return '';
  if (unit === 'ns') return `${v < 10 ? v.toFixed(2) : v.toFixed(1)} ns`;
  if (unit === 'ms') return `${v < 10 ? v.toFixed(3) : v.toFixed(2)} ms`;
  return `${v}`;
}
function printHeader() {
  console.log(cols.map(([n, w]) => n.padEnd(w)).join(' '));
  console.log(cols.map(([, w]) => '-'.repeat(w)).join(' '));
}
function printRow(r) {
  if (r.notMeasured) {
    console.log(`${r.what.padEnd(cols[0][1])} not measured: ${r.notMeasured}`);
    return;
  }
  const cells = [
    r.what,
    r.candidateText ?? fmtTime(r.candidate, r.unit),
    r.baselineText ?? fmtTime(r.baseline, r.unit),
    r.ratioText ?? (r.ratio === undefined ? '' : `${r.ratio < 10 ? r.ratio.toFixed(3) : r.ratio.toFixed(1)}x`),
    r.target ?? '',
    r.met === undefined ? 'info' : r.met ? 'met' : 'MISSED',
  ];
  console.log(cells.map((c, i) => String(c).padEnd(cols[i][1])).join(' '));
  for (const n of r.notes ?? []) console.log(`${' '.repeat(4)}${n}`);
}

// ----------------------------------------------------------------------------------------------
// Rows

function parseProcAuxvFor(type) {
  // What a user without the addon does: read the file and walk its 16-byte pairs.
  const b = fs.readFileSync('/proc/self/auxv');
  for (let o = 0; o + 16 <= b.length; o += 16) {
    const t = b.readBigUInt64LE(o);
    if (t === BigInt(type)) return b.readBigUInt64LE(o + 8);
    if (t === 0n) break;
  }
  return undefined;
}

/**
 * A per-call row: `ours` against `base` (both from nsPerCall). The ratio is
 * base/ours ("x faster") when `faster` is set, else ours/base.
 */
function nsRow({ id, what, ours, base, baselineWhat, faster = false, ratioText, ...rest }) {
  const ratio = faster ? base.ns / ours.ns : ours.ns / base.ns;
  const fasterText = ratio >= 1 ? `${ratio.toFixed(ratio >= 100 ? 0 : 2)}x faster` : `${(1 / ratio).toFixed(2)}x slower`;
  row({ id, what, unit: 'ns', candidate: ours.ns, baseline: base.ns, baselineWhat, ratio, ratioText: ratioText ?? (faster ? fasterText : undefined), ...rest, detail: { ours, base } });
}

function benchGetauxval() {
  if (h.getauxval('AT_HWCAP2') !== parseProcAuxvFor(26) && native.arch !== 'x86_64') {
    throw new Error('getauxval and /proc/self/auxv disagree about AT_HWCAP2');
  }
  const ours = nsPerCall(() => h.getauxval('AT_HWCAP2'), { iters: scale(200_000, 20_000), rounds: 15 });
  const base = nsPerCall(() => parseProcAuxvFor(26), { iters: scale(2_000, 200), rounds: 15 });
  const ratio = base.ns / ours.ns;
  nsRow({
    id: 'getauxval',
    what: "getauxval('AT_HWCAP2') (addon)",
    ours,
    base,
    baselineWhat: "fs.readFileSync('/proc/self/auxv') parsed per query",
    faster: true,
    target: '>=100x and <100 ns',
    met: ratio >= 100 && ours.ns < 100,
  });
  const raw = nsPerCall(() => native.getauxval(26), { iters: scale(200_000, 20_000), rounds: 15 });
  nsRow({ id: 'getauxval-raw', what: 'native getauxval(26) (no name lookup)', ours: raw, base: ours, baselineWhat: "getauxval('AT_HWCAP2')" });
}

function benchFeatureSet() {
  const { FeatureSet, catalog, hostArch } = h;
  const set = FeatureSet.current();
  const all = catalog(hostArch()).map((x) => x.name);
  // Eight names, half of them set here, so that both answers are timed.
  const on = all.filter((n) => set.has(n)).slice(0, 4);
  const off = all.filter((n) => !set.has(n)).slice(0, 8 - on.length);
  const names = [...on, ...off];
  while (names.length < 8) names.push(names[names.length % Math.max(1, names.length)] ?? 'sse');
  const plain = new Set(set.names());
  let i = 0;
  const ours = nsPerCall(() => set.has(names[i++ & 7]), { iters: scale(500_000, 50_000), rounds: 15 });
  i = 0;
  const base = nsPerCall(() => plain.has(names[i++ & 7]), { iters: scale(500_000, 50_000), rounds: 15 });
  nsRow({
    id: 'featureset-has',
    what: 'FeatureSet.has(name), cached set',
    ours,
    base,
    baselineWhat: 'Set#has of the same names (the floor)',
    ratioText: `${(ours.ns / base.ns).toFixed(2)}x Set`,
    target: '<50 ns',
    met: ours.ns < 50,
    names,
  });
  const fresh = nsPerCall(() => FeatureSet.fromWords(hostArch(), h.hwcapWords('process')).has(names[i++ & 7]), { iters: scale(20_000, 2_000), rounds: 11 });
  nsRow({
    id: 'featureset-fresh',
    what: 'fromWords(hwcapWords()).has(name), uncached',
    ours: fresh,
    base: ours,
    baselineWhat: 'FeatureSet.has on a cached set',
    notes: ['reads the startup-stack auxv (/proc/self/stat + process_vm_readv) and decodes it on every call'],
  });
}

function resolveCpuFeatures() {
  const tries = [root];
  if (process.env.HWCAP_BENCH_CPU_FEATURES) tries.push(process.env.HWCAP_BENCH_CPU_FEATURES);
  for (const dir of tries) {
    try {
      return { fn: require(require.resolve('cpu-features', { paths: [dir] })), from: dir };
    } catch {
      /* next */
    }
  }
  return { why: `cpu-features is not installed (npm install --no-save cpu-features, or set HWCAP_BENCH_CPU_FEATURES to a directory where it is); tried ${tries.join(', ')}` };
}

function benchCpuFeatures() {
  const c = resolveCpuFeatures();
  if (!c.fn) {
    row({ id: 'cpu-features', what: 'feature query vs cpu-features', notMeasured: c.why });
    return;
  }
  // cpu-features runs CPUID (x86) or reads the auxv and /proc/cpuinfo (elsewhere) on every call.
  const theirs = nsPerCall(() => c.fn().flags.sse2, { iters: scale(5_000, 500), rounds: 11 });
  const baselineWhat = "require('cpu-features')().flags.sse2";
  const notes = [`cpu-features from ${c.from}`, 'not the same answer on x86-64: cpu-features reads CPUID (avx2 …), the auxv carries CPUID.1:EDX only'];
  const { FeatureSet, hostArch } = h;
  // As each library documents it: ours reads the process view once and caches it.
  const doc = nsPerCall(() => FeatureSet.current().has('sse2'), { iters: scale(200_000, 20_000), rounds: 11 });
  nsRow({
    id: 'cpu-features',
    what: "FeatureSet.current().has('sse2') vs cpu-features",
    ours: doc,
    base: theirs,
    baselineWhat,
    faster: true,
    notes: ['each as documented; FeatureSet.current() caches the process view, cpu-features queries every call', ...notes],
  });
  const fresh = nsPerCall(() => FeatureSet.fromWords(hostArch(), h.hwcapWords('process')).has('sse2'), { iters: scale(20_000, 2_000), rounds: 11 });
  nsRow({
    id: 'cpu-features-fresh',
    what: 'uncached read+decode vs cpu-features',
    ours: fresh,
    base: theirs,
    baselineWhat,
    faster: true,
    notes: ["ours: FeatureSet.fromWords(hostArch(), hwcapWords('process')).has('sse2')"],
  });
  const set = FeatureSet.current();
  const info = c.fn();
  const cached = nsPerCall(() => set.has('sse2'), { iters: scale(500_000, 50_000), rounds: 11 });
  const theirsCached = nsPerCall(() => info.flags.sse2, { iters: scale(500_000, 50_000), rounds: 11 });
  nsRow({
    id: 'cpu-features-cached',
    what: 'cached: set.has vs info.flags.sse2',
    ours: cached,
    base: theirsCached,
    baselineWhat: 'cpu-features result object, .flags.sse2',
    ratioText: `${(cached.ns / theirsCached.ns).toFixed(2)}x theirs`,
  });
}

/** The current HWCAP words with one set bit cleared: a mask that really changes the child's auxv. */
function benchMask() {
  const w = h.hwcapWords('process');
  const low = (x) => x & -x;
  if (w.hwcap2 !== 0n) return { hwcap2: w.hwcap2 & ~low(w.hwcap2) };
  return { hwcap: w.hwcap & ~low(w.hwcap) };
}

async function benchSpawn() {
  const defs = [
    { id: 'spawn-true', what: 'masked spawn /bin/true, auxv-only, ptrace, follow', file: '/bin/true', args: [], runs: scale(300, 30), target: 1.4 },
    {
      id: 'spawn-sh50',
      what: "masked spawn sh -c '50x /bin/true', auxv-only, follow",
      file: '/bin/sh',
      args: ['-c', 'for i in $(seq 50); do /bin/true; done'],
      runs: scale(100, 10),
      target: 1.25,
    },
    { id: 'spawn-node', what: 'masked spawn node -e 0, auxv-only, follow', file: process.execPath, args: ['-e', '0'], runs: scale(100, 10), target: 1.05 },
  ];
  const mask = benchMask();
  for (const d of defs) {
    if (only && !d.id.includes(only)) continue;
    // The auxv path: CPUID masking has its own rows (bench/cpuid.js) and needs CPUID faulting.
    const opts = { hwcaps: mask, mode: 'ptrace', auxvOnly: true };
    const r = await compareSpawns({
      candidate: () => timeSpawn(h.spawn, d.file, d.args, opts),
      baseline: () => timeSpawn(cp.spawn, d.file, d.args, {}),
      runs: d.runs,
      warmup: quick ? 2 : 10,
    });
    row({
      id: d.id,
      what: d.what,
      unit: 'ms',
      candidate: r.candidateMs,
      baseline: r.baselineMs,
      baselineWhat: 'child_process.spawn of the same command',
      ratio: r.ratio,
      target: `<=${d.target}x (${d.runs} runs)`,
      met: r.ratio <= d.target,
      notes: [`p90 ${r.candidateP90Ms.toFixed(2)} vs ${r.baselineP90Ms.toFixed(2)} ms; median of paired ratios ${r.pairedRatio.toFixed(3)}x`],
      detail: { ...r, mask: Object.fromEntries(Object.entries(mask).map(([k, v]) => [k, `0x${v.toString(16)}`])) },
    });
  }
}

/**
 * Where a masked spawn of /bin/true spends its time: each step of the launcher
 * added in turn, all interleaved, each a ratio to the plain spawn. Then, when
 * `perf trace` works, the system calls of one launcher run, per process.
 */
async function benchSpawnBreakdown() {
  const launcher = h.launcherPath();
  const mask = benchMask();
  const maskArgs = Object.entries(mask).flatMap(([k, v]) => [`--${k}`, `0x${v.toString(16)}`]);
  const variants = [
    ['plain child_process.spawn', () => timeSpawn(cp.spawn, '/bin/true', [], {})],
    ['+ exec of hwcap-exec, nothing to mask', () => timeSpawn(cp.spawn, launcher, ['--', '/bin/true'], {})],
    ['+ ptrace helper and patch, first exec only', () => timeSpawn(cp.spawn, launcher, ['--mode', 'ptrace', '--no-follow', ...maskArgs, '--', '/bin/true'], {})],
    ['+ following the tree (default)', () => timeSpawn(cp.spawn, launcher, ['--mode', 'ptrace', ...maskArgs, '--', '/bin/true'], {})],
    ['+ lib/spawn (status pipe, held events)', () => timeSpawn(h.spawn, '/bin/true', [], { hwcaps: mask, mode: 'ptrace', auxvOnly: true })],
  ];
  const runs = scale(150, 15);
  const times = variants.map(() => []);
  for (let i = 0; i < runs + 10; i++) {
    for (let k = 0; k < variants.length; k++) {
      const v = (i % 2 ? variants.length - 1 - k : k);
      const ms = await variants[v][1]();
      if (i >= 10) times[v].push(ms);
    }
  }
  const med = times.map(median);
  variants.forEach(([what], k) => {
    row({
      id: `spawn-breakdown-${k}`,
      what: `  ${what}`,
      unit: 'ms',
      candidate: med[k],
      baseline: med[0],
      baselineWhat: 'plain child_process.spawn of /bin/true',
      ratio: med[k] / med[0],
      notes: k ? [`adds ${(med[k] - med[k - 1]).toFixed(3)} ms to the step before`] : [],
      detail: { runs },
    });
  });
  // The launcher's own steps, from the marks of its --stats-fd line (report.h): how long the helper
  // takes to start (the double fork), to seize the launcher, the program's exec up to its stop, and
  // the patch of that image. The first two are what a helper living as long as the Node process
  // would save.
  const marks = [];
  for (let i = 0; i < runs + 5; i++) {
    const r = cp.spawnSync(launcher, ['--stats-fd', '3', '--mode', 'ptrace', '--no-follow', ...maskArgs, '--', '/bin/true'], {
      encoding: 'utf8',
      stdio: ['ignore', 'ignore', 'ignore', 'pipe'],
    });
    const line = String(r.output?.[3] ?? '').split('\n').find((l) => l.includes('"stats"'));
    const first = line ? JSON.parse(line).first : undefined;
    if (r.status === 0 && first?.masked_us !== undefined && i >= 5) marks.push(first);
  }
  if (marks.length) {
    const step = (a, b) => median(marks.map((m) => (m[b] - (a ? m[a] : 0)) / 1000));
    const steps = [
      ["the helper up (the launcher's checks, two forks)", step(undefined, 'helper_us')],
      ['the launcher seized', step('helper_us', 'seized_us')],
      ["the program's exec, to its stop", step('seized_us', 'exec_stop_us')],
      ['its auxv patched and checked', step('exec_stop_us', 'masked_us')],
    ];
    row({
      id: 'spawn-steps',
      what: "  the launcher's steps (--stats-fd marks)",
      candidateText: steps.map(([w, ms]) => `${w} ${ms.toFixed(3)} ms`).join('; '),
      notes: [`medians of ${marks.length} runs of --no-follow /bin/true, from the launcher's start`],
      detail: { runs: marks.length, steps: Object.fromEntries(steps) },
    });
  } else {
    row({ id: 'spawn-steps', what: "  the launcher's steps (--stats-fd marks)", notMeasured: 'no run gave its marks' });
  }
  // System calls per process of one launcher run, where perf can trace them (no ptrace needed).
  const trace = cp.spawnSync('perf', ['trace', '-s', '--', launcher, '--mode', 'ptrace', ...maskArgs, '--', '/bin/true'], { encoding: 'utf8', timeout: 20_000 });
  const text = `${trace.stdout ?? ''}${trace.stderr ?? ''}`;
  const procs = [...text.matchAll(/^ (\S+) \((\d+)\), (\d+) events/gm)].map((m) => `${m[1]}: ${m[3]} events`);
  if (trace.status === 0 && procs.length) {
    const readv = /process_vm_readv\s+(\d+)/.exec(text);
    row({
      id: 'spawn-syscalls',
      what: '  perf trace -s of one launcher run',
      candidateText: procs.join(', '),
      notes: readv ? [`the helper reads the new stack with ${readv[1]} process_vm_readv calls`] : [],
      detail: { summary: text },
    });
  } else {
    row({ id: 'spawn-syscalls', what: '  perf trace -s of one launcher run', notMeasured: `perf trace did not run here (${(trace.error?.message ?? text.split('\n').find((l) => l.trim()) ?? '').slice(0, 80)})` });
  }
}

/**
 * The two spawn rows again in a child bench pinned to one CPU (taskset -c 0):
 * every ptrace stop wakes the helper and then the tracee, and on a small VM a
 * wake-up on the other CPU costs far more than one on the same CPU. Shows how
 * much of the launcher's cost is that, not its own work. Baseline and
 * candidate are both pinned.
 */
function benchSpawnOneCpu() {
  const ids = ['spawn-true', 'spawn-sh50'];
  const taskset = cp.spawnSync('taskset', ['-c', '0', 'true']);
  for (const id of ids) {
    if (only && !id.includes(only) && !'spawn-one-cpu'.includes(only)) continue;
    const what = `  ${id === 'spawn-true' ? '/bin/true' : "sh -c '50x /bin/true'"}, all on one CPU`;
    if (os.cpus().length < 2 || taskset.status !== 0) {
      row({ id: `${id}-one-cpu`, what, notMeasured: os.cpus().length < 2 ? 'one CPU only' : 'taskset did not run here' });
      continue;
    }
    const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'hwcap-bench-')), 'one-cpu.json');
    const r = cp.spawnSync('taskset', ['-c', '0', process.execPath, __filename, '--only', id, '--json', out, ...(quick ? ['--quick'] : [])], { stdio: 'ignore' });
    const pinned = r.status === 0 ? JSON.parse(fs.readFileSync(out, 'utf8')).rows.find((x) => x.id === id) : undefined;
    fs.rmSync(path.dirname(out), { recursive: true, force: true });
    if (!pinned || pinned.notMeasured) {
      row({ id: `${id}-one-cpu`, what, notMeasured: `the pinned bench failed (${r.status ?? r.signal})` });
      continue;
    }
    row({
      id: `${id}-one-cpu`,
      what,
      unit: 'ms',
      candidate: pinned.candidate,
      baseline: pinned.baseline,
      baselineWhat: 'the same plain spawn, also pinned',
      ratio: pinned.ratio,
      notes: [`taskset -c 0 for node, launcher, helper and tree; ${pinned.notes?.[0] ?? ''}`],
      detail: pinned.detail,
    });
  }
}

function benchRequire() {
  // Fresh children, so that nothing is cached, run alternately. Baseline: the same child without
  // the require. RSS: the child's own resident set at its end, against the baseline child's.
  const runs = scale(30, 5);
  const tail = `process.stdout.write(JSON.stringify({ rssKb: process.memoryUsage().rss / 1024, ms: Number(process.hrtime.bigint() - t0) / 1e6 }));`;
  const variants = [
    ['node -e 0', `const t0 = process.hrtime.bigint(); ${tail}`],
    ["require('hwcap') + has('avx2')", `const t0 = process.hrtime.bigint(); require(${JSON.stringify(root)}).FeatureSet.current().has('avx2'); ${tail}`],
    ['everything (dist/index.js, eager)', `const t0 = process.hrtime.bigint(); require(${JSON.stringify(path.join(dist, 'index.js'))}).FeatureSet.current().has('avx2'); ${tail}`],
  ];
  const walls = variants.map(() => []);
  const inside = variants.map(() => []);
  for (let i = 0; i < runs + 2; i++) {
    for (let k = 0; k < variants.length; k++) {
      const v = i % 2 ? variants.length - 1 - k : k;
      const t0 = process.hrtime.bigint();
      const r = cp.spawnSync(process.execPath, ['-e', variants[v][1]], { encoding: 'utf8' });
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      if (r.status !== 0) throw new Error(`require() child failed: ${r.stderr}`);
      if (i < 2) continue;
      walls[v].push(ms);
      inside[v].push(JSON.parse(r.stdout));
    }
  }
  const wall = walls.map(median);
  const rss = inside.map((xs) => median(xs.map((x) => x.rssKb)) / 1024);
  const ms = inside.map((xs) => median(xs.map((x) => x.ms)));
  for (const k of [1, 2]) {
    const ratio = wall[k] / wall[0];
    const plus = rss[k] - rss[0];
    row({
      id: k === 1 ? 'require' : 'require-eager',
      what: k === 1 ? "require('hwcap') + has('avx2'), fresh node" : '  the same through dist/index.js (all loaded)',
      unit: 'ms',
      candidate: wall[k],
      baseline: wall[0],
      baselineWhat: 'wall time of node -e 0',
      ratio,
      ratioText: `${ratio.toFixed(3)}x wall`,
      target: k === 1 ? '<=1.10x wall, <=+3 MiB' : undefined,
      met: k === 1 ? ratio <= 1.1 && plus <= 3 : undefined,
      notes: [`RSS ${rss[k].toFixed(1)} MiB vs ${rss[0].toFixed(1)} MiB (+${plus.toFixed(2)} MiB); in-process ${ms[k].toFixed(1)} ms vs ${ms[0].toFixed(1)} ms (median of ${runs})`],
      detail: { wallMs: wall[k], baselineWallMs: wall[0], rssMiB: rss[k], baselineRssMiB: rss[0], inProcessMs: ms[k], runs },
    });
  }
}

// ----------------------------------------------------------------------------------------------

function machine() {
  const cpus = os.cpus();
  let kernel = os.release();
  return {
    cpus: cpus.length,
    model: cpus[0]?.model,
    arch: process.arch,
    kernel,
    node: process.version,
    loadavg: os.loadavg(),
    totalMemMiB: Math.round(os.totalmem() / 2 ** 20),
  };
}

async function main() {
  const m = machine();
  console.log(`hwcap bench — ${m.cpus} x ${m.model}, ${m.arch}, Linux ${m.kernel}, node ${m.node}, load ${m.loadavg.map((x) => x.toFixed(2)).join(' ')}${quick ? ' (--quick: smoke test, not a measurement)' : ''}`);
  printHeader();
  const started = Date.now();
  const steps = [
    ['getauxval', benchGetauxval],
    ['featureset', benchFeatureSet],
    ['cpu-features', benchCpuFeatures],
    ['spawn', benchSpawn],
    ['spawn-breakdown', benchSpawnBreakdown],
    ['spawn-one-cpu', benchSpawnOneCpu],
    ['require', benchRequire],
    ['cpuid', () => require('./cpuid').benchCpuid({ row, scale, quick })],
    ['oci', () => require('./oci').benchOci({ row, scale, quick, only })],
  ];
  for (const [name, fn] of steps) {
    if (only && !name.includes(only) && !(name === 'spawn' && only.startsWith('spawn')) && !(name === 'oci' && only.startsWith('oci'))) continue;
    try {
      await fn();
    } catch (err) {
      row({ id: name, what: name, notMeasured: `failed: ${err.stack ?? err}` });
    }
  }
  const result = { date: new Date().toISOString(), machine: m, quick, seconds: (Date.now() - started) / 1000, rows, sink: require('./harness').sink };
  const file = jsonOut ?? path.join(__dirname, 'results', `bench-${result.date.replace(/[:.]/g, '-')}.json`);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  if (!jsonOut) fs.writeFileSync(path.join(__dirname, 'results', 'latest.json'), `${JSON.stringify(result, null, 2)}\n`);
  const missed = rows.filter((r) => r.met === false).map((r) => r.id);
  const notMeasured = rows.filter((r) => r.notMeasured).map((r) => r.id);
  console.log(`\n${result.seconds.toFixed(0)} s; JSON in ${path.relative(process.cwd(), file)}; missed: ${missed.join(', ') || 'none'}; not measured: ${notMeasured.join(', ') || 'none'}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
