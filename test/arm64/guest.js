// Runs inside the arm64 node under qemu-aarch64 (test/arm64/qemu.arm64.ts starts it) and prints
// one line of JSON; every bigint is printed as a "0x…" string and every failure as
// { error: { name, code, message } }, so that the host side asserts and reports it.
//   node guest.js collect <pkg> <cpu>      what the cross-built package sees in this process
//   node guest.js analyze <pkg> <file>     baseline() and check() over the nodeReport()s in <file>
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const [mode, pkgDir, arg] = process.argv.slice(2);

function attempt(fn) {
  try {
    return fn();
  } catch (err) {
    return { error: { name: err && err.name, code: err && err.code, message: String(err && err.message) } };
  }
}

function toJSON(value) {
  return JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? `0x${v.toString(16)}` : v));
}

function load(sub) {
  try {
    return require(sub ? path.join(pkgDir, 'dist', sub) : pkgDir);
  } catch (err) {
    if (err && err.code === 'MODULE_NOT_FOUND' && sub) return undefined;
    throw err;
  }
}

// lib/features and lib/report (issue 3): through the index when it exports them, else directly.
function featureApi(hwcap) {
  const features = hwcap.FeatureSet ? hwcap : load('features');
  const report = hwcap.nodeReport ? hwcap : load('report');
  return {
    FeatureSet: features && features.FeatureSet,
    catalog: features && features.catalog,
    nodeReport: report && report.nodeReport,
    parseReport: report && report.parseReport,
    NODE_REPORT_SCHEMA: report && report.NODE_REPORT_SCHEMA,
    baseline: report && report.baseline,
    check: report && report.check,
  };
}

function collect() {
  const hwcap = load();
  const { native } = load('native');
  const api = featureApi(hwcap);
  const out = {
    processArch: process.arch,
    nodeVersion: process.version,
    nativeArch: native.arch,
    getauxval: {},
    words: {
      process: attempt(() => hwcap.hwcapWords('process')),
      kernel: attempt(() => hwcap.hwcapWords('kernel')),
      libc: attempt(() => hwcap.hwcapWords('libc')),
    },
    kernelEntries: attempt(() => hwcap.readAuxv('kernel').map((e) => e.name)),
    access: attempt(() => hwcap.probeAuxvAccess()),
    features: { available: Boolean(api.FeatureSet && api.nodeReport) },
  };
  for (const name of ['AT_HWCAP', 'AT_HWCAP2', 'AT_HWCAP3', 'AT_HWCAP4']) {
    out.getauxval[name] = attempt(() => hwcap.getauxval(name) ?? null);
  }
  if (api.FeatureSet) {
    const words = out.words.libc;
    out.features.names = attempt(() => api.FeatureSet.fromWords('aarch64', words).names());
    out.features.unknownBits = attempt(() => api.FeatureSet.fromWords('aarch64', words).unknownBits());
    for (const view of ['process', 'libc']) {
      out.features[`current_${view}`] = attempt(() => {
        const set = api.FeatureSet.current(view);
        return { arch: set.arch, names: set.names() };
      });
    }
    out.features.catalog = attempt(() => api.catalog('aarch64').map((f) => ({ name: f.name, word: f.word, bit: f.bit })));
  }
  if (api.nodeReport) {
    const hostname = `qemu-${arg}`;
    out.report = attempt(() => JSON.parse(toJSON(api.nodeReport({ hostname }))));
    out.reportSource = 'nodeReport()';
    if (out.report.error) {
      // nodeReport() reads the process view. Where that is unavailable, a report of the same
      // schema from the libc view (the same words everywhere but x86-64) through parseReport(),
      // so that baseline() and check() still run on reports that crossed a process boundary.
      out.reportSource = 'parseReport() of the libc view';
      out.nodeReportError = out.report.error;
      out.report = attempt(() => {
        const words = api.FeatureSet.current('libc').toJSON().words;
        const doc = { schema: api.NODE_REPORT_SCHEMA, hostname, arch: api.FeatureSet.current('libc').arch, words };
        return JSON.parse(toJSON(api.parseReport(doc)));
      });
    }
  }
  return out;
}

function analyze() {
  const hwcap = load();
  const api = featureApi(hwcap);
  const reports = JSON.parse(fs.readFileSync(arg, 'utf8')); // { model: NodeReport }
  const models = Object.keys(reports);
  const setOf = (r) => api.baseline([r]);
  const out = {
    baseline: attempt(() => {
      const set = api.baseline(models.map((m) => reports[m]));
      return { arch: set.arch, words: set.words, names: set.names() };
    }),
    checks: {},
  };
  // check(required, report) for every ordered pair of models: required = that model alone.
  for (const req of models) {
    for (const on of models) {
      if (req === on) continue;
      out.checks[`${req}->${on}`] = attempt(() => api.check(setOf(reports[req]), reports[on]));
    }
  }
  return out;
}

const result = mode === 'collect' ? collect() : mode === 'analyze' ? analyze() : { error: { message: `unknown mode ${mode}` } };
process.stdout.write(`${toJSON(result)}\n`);
