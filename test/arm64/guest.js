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

function collect() {
  const hwcap = require(pkgDir);
  const { native } = require(path.join(pkgDir, 'dist', 'host', 'native'));
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
    features: {},
  };
  for (const name of ['AT_HWCAP', 'AT_HWCAP2', 'AT_HWCAP3', 'AT_HWCAP4']) {
    out.getauxval[name] = attempt(() => hwcap.getauxval(name) ?? null);
  }
  const words = out.words.libc;
  out.features.names = attempt(() => hwcap.FeatureSet.fromWords('aarch64', words).names());
  out.features.unknownBits = attempt(() => hwcap.FeatureSet.fromWords('aarch64', words).unknownBits());
  for (const view of ['process', 'libc']) {
    out.features[`current_${view}`] = attempt(() => {
      const set = hwcap.FeatureSet.current(view);
      return { arch: set.arch, names: set.names() };
    });
  }
  out.features.catalog = attempt(() => hwcap.catalog('aarch64').map((f) => ({ name: f.name, word: f.word, bit: f.bit })));
  const hostname = `qemu-${arg}`;
  out.report = attempt(() => JSON.parse(toJSON(hwcap.nodeReport({ hostname }))));
  out.reportSource = 'nodeReport()';
  if (out.report.error) {
    // nodeReport() reads the process view. Where that is unavailable, a report of the same
    // schema from the libc view (the same words everywhere but x86-64) through parseReport(),
    // so that baseline() and check() still run on reports that crossed a process boundary.
    out.reportSource = 'parseReport() of the libc view';
    out.nodeReportError = out.report.error;
    out.report = attempt(() => {
      const set = hwcap.FeatureSet.current('libc');
      const doc = { schema: hwcap.NODE_REPORT_SCHEMA, hostname, arch: set.arch, words: set.toJSON().words };
      return JSON.parse(toJSON(hwcap.parseReport(doc)));
    });
  }
  return out;
}

function analyze() {
  const hwcap = require(pkgDir);
  const reports = JSON.parse(fs.readFileSync(arg, 'utf8')); // { model: NodeReport }
  const models = Object.keys(reports);
  const setOf = (r) => hwcap.baseline([r]);
  const out = {
    baseline: attempt(() => {
      const set = hwcap.baseline(models.map((m) => reports[m]));
      return { arch: set.arch, words: set.words, names: set.names() };
    }),
    checks: {},
  };
  // check(required, report) for every ordered pair of models: required = that model alone.
  for (const req of models) {
    for (const on of models) {
      if (req === on) continue;
      out.checks[`${req}->${on}`] = attempt(() => hwcap.check(setOf(reports[req]), reports[on]));
    }
  }
  return out;
}

const result = mode === 'collect' ? collect() : mode === 'analyze' ? analyze() : { error: { message: `unknown mode ${mode}` } };
process.stdout.write(`${toJSON(result)}\n`);
