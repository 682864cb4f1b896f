#!/usr/bin/env node
// npm run test:mutation [-- NAME ...] [--jobs N] [--keep] [--no-baseline] [--list]
//
// The project's own mutation check. Each mutant in scripts/mutation/mutants/*.mjs is a named,
// deliberate bug in the safety-critical code: a text replacement in one or more files that must
// match exactly once (a mutant whose text no longer occurs is STALE, and a stale mutant fails the
// run, so the list stays true), or a build-time define. For each mutant the runner
//   1. copies a scratch copy of the package, already built once (build/, dist/, node_modules
//      symlinked as scripts/asan.sh does); the work tree is never touched;
//   2. applies the mutant and rebuilds only what it changed: node-gyp for C/C++, tsc for the
//      TypeScript that children load from dist/ (vitest reads lib/ directly);
//   3. runs only the test files listed with the mutant, one after the other, and stops at the
//      first that fails.
// The verdicts are scripts/mutation/verdict.mjs (checked by test/mutation-list.test.ts).
// It prints `killed NAME (by FILE)` or `SURVIVED NAME`, and exits non-zero on any survivor,
// stale mutant or failed build, or a mutant none of whose tests ran here (all skipped by a probe,
// or none registered: a -t pattern that matches nothing, an it.each over an empty list). Before the
// mutants, the same test files run once on the unmutated copy: a test that already fails there
// would "kill" every mutant for nothing, and a selection that registers no test here is an error.
//
//   HWCAP_MUTATION_DIR=/path   work there instead of a fresh temporary directory
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { baselineVerdict, decides, mutantVerdict, selectionOutcome, summarize } from './verdict.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const args = process.argv.slice(2);
const flag = (f) => {
  const i = args.indexOf(f);
  if (i < 0) return false;
  args.splice(i, 1);
  return true;
};
const option = (f, dflt) => {
  const i = args.indexOf(f);
  if (i < 0) return dflt;
  const v = args[i + 1];
  args.splice(i, 2);
  return v;
};
const keep = flag('--keep');
const noBaseline = flag('--no-baseline');
const listOnly = flag('--list');
const jobs = Math.max(1, Number(option('--jobs', process.env.HWCAP_MUTATION_JOBS ?? '2')));
const only = new Set(args);

// ---------------------------------------------------------------------------------------------
// The mutants

async function loadMutants() {
  const dir = path.join(root, 'scripts', 'mutation', 'mutants');
  const out = [];
  for (const f of fs.readdirSync(dir).filter((n) => n.endsWith('.mjs')).sort()) {
    const mod = await import(pathToFileURL(path.join(dir, f)).href);
    for (const m of mod.default) out.push({ ...m, source: `mutants/${f}` });
  }
  const names = new Set();
  for (const m of out) {
    if (!/^[a-z0-9][a-z0-9-]*$/.test(m.name ?? '')) throw new Error(`${m.source}: bad mutant name ${JSON.stringify(m.name)}`);
    if (names.has(m.name)) throw new Error(`${m.source}: mutant ${m.name} is listed twice`);
    names.add(m.name);
    if (!Array.isArray(m.tests) || m.tests.length === 0) throw new Error(`${m.name}: lists no test file`);
    if (!Array.isArray(m.edits) || m.edits.length === 0) throw new Error(`${m.name}: has no edit`);
  }
  return out;
}

/** What a mutant's edits need rebuilt: 'c' (node-gyp), 'ts' (the edited files into dist/), or both. */
function buildsOf(m) {
  const b = new Set();
  b.files = [];
  for (const e of m.edits) {
    if (/\.(c|cc|h)$/.test(e.file) || e.file === 'binding.gyp') b.add('c');
    else if (/\.(ts|json)$/.test(e.file) && e.file.startsWith('lib/')) {
      b.add('ts');
      b.files.push(e.file);
      // The C launcher's security table is generated from the TypeScript catalogue's JSON.
      if (e.file.endsWith('.json')) b.add('c');
    }
    // Scripts that tests run or import as they are (scripts/install.js, scripts/prebuild.sh, this
    // runner's verdict.mjs): nothing to rebuild.
    else if (/^scripts\/[^/]+\.(js|sh)$/.test(e.file) || /^scripts\/mutation\/[^/]+\.mjs$/.test(e.file)) continue;
    // hwcap-runtime's shell front, which the tests run as it is: nothing to rebuild.
    else if (e.file === 'bin/hwcap-runtime') continue;
    // Docs that tests read as they are: nothing to rebuild.
    else if (/^(docs\/[^/]+|README)\.md$/.test(e.file)) continue;
    else if (!e.file.startsWith('test/')) throw new Error(`${m.name}: no rule to rebuild after an edit of ${e.file}`);
  }
  return b;
}

/** Applies the edits in dir; returns an error text when one no longer applies (a stale mutant). */
function applyEdits(m, dir) {
  for (const e of m.edits) {
    const file = path.join(dir, e.file);
    if (!fs.existsSync(file)) return `${e.file} does not exist`;
    const text = fs.readFileSync(file, 'utf8');
    const at = text.indexOf(e.find);
    if (at < 0) return `${e.file}: the text to replace is not there: ${JSON.stringify(e.find.slice(0, 80))}`;
    if (text.indexOf(e.find, at + 1) >= 0) return `${e.file}: the text to replace occurs more than once: ${JSON.stringify(e.find.slice(0, 80))}`;
    fs.writeFileSync(file, text.slice(0, at) + e.replace + text.slice(at + e.find.length));
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// Processes

function run(cmd, argv, opts) {
  return new Promise((resolve) => {
    const child = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('close', (code, signal) => resolve({ code, signal, out }));
    child.on('error', (err) => resolve({ code: null, signal: null, out: String(err) }));
  });
}

const nodeGyp = (dir) => [path.join(dir, 'node_modules', '.bin', 'node-gyp'), nodedirArgs()];
let nodedirCache;
const MUTANT_TARGETS = ['hwcap', 'hwcap-exec', 'hwcap-exec-test', 'hwcap-probe'];
function nodedirArgs() {
  if (nodedirCache !== undefined) return nodedirCache;
  let d = process.env.npm_config_nodedir ?? '';
  if (!d) {
    const r = spawnSync('npm', ['config', 'get', 'nodedir'], { encoding: 'utf8' });
    d = r.status === 0 ? r.stdout.trim() : '';
  }
  nodedirCache = d && d !== 'undefined' && d !== 'null' ? [`--nodedir=${d}`] : [];
  return nodedirCache;
}

async function build(dir, what, extraEnv = {}) {
  const env = { ...process.env, ...extraEnv };
  if (what.has('c') && what.has('configure')) {
    const [bin, nd] = nodeGyp(dir);
    const r = await run(bin, ['rebuild', ...nd], { cwd: dir, env });
    if (r.code !== 0) return `node-gyp failed:\n${r.out.slice(-3000)}`;
  } else if (what.has('c')) {
    // node-gyp's Makefile, for the targets the tests run only (the valgrind build is left out):
    // make rebuilds what the edit reaches, and the two launcher links run side by side.
    const r = await run('make', ['-C', 'build', 'BUILDTYPE=Release', '-j2', ...MUTANT_TARGETS], { cwd: dir, env });
    if (r.code !== 0) return `make failed:\n${r.out.slice(-3000)}`;
  }
  if (what.has('ts')) {
    if (!what.files) {
      const r = await run(path.join(dir, 'node_modules', '.bin', 'tsc'), ['-b', 'tsconfig.build.json'], { cwd: dir, env });
      if (r.code !== 0) return `tsc failed:\n${r.out.slice(-3000)}`;
    } else {
      // A mutant edits a line or two: transpiling the edited files into dist/ takes well under a
      // second, where a whole tsc -b takes tens of seconds. vitest reads lib/ itself.
      const err = transpile(dir, what.files);
      if (err) return err;
    }
  }
  return null;
}

let tsCache;
function transpile(dir, files) {
  const require = createRequire(path.join(dir, 'package.json'));
  const ts = (tsCache ??= require('typescript'));
  const cfg = ts.getParsedCommandLineOfConfigFile(path.join(dir, 'tsconfig.build.json'), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} });
  if (!cfg) return 'tsconfig.build.json does not parse';
  for (const rel of files) {
    const src = path.join(dir, rel);
    const out = path.join(dir, 'dist', path.relative(path.join(dir, 'lib'), src));
    if (rel.endsWith('.json')) {
      fs.copyFileSync(src, out);
      continue;
    }
    const r = ts.transpileModule(fs.readFileSync(src, 'utf8'), { compilerOptions: { ...cfg.options, sourceMap: false, declaration: false }, fileName: src, reportDiagnostics: true });
    if (r.diagnostics?.length) return `${rel}: ${r.diagnostics.map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n')).join('; ')}`;
    fs.writeFileSync(out.replace(/\.ts$/, '.js'), r.outputText);
  }
  return null;
}

/** Runs one test file (with an optional -t pattern); resolves to verdict.mjs's summarize() and the output. */
let reportSeq = 0;
async function vitest(dir, test) {
  const [file, pattern] = Array.isArray(test) ? test : [test];
  const report = path.join(dir, `.vitest-report-${process.pid}-${reportSeq++}.json`);
  const argv = ['run', file, '--reporter=dot', '--reporter=json', `--outputFile.json=${report}`];
  if (pattern) argv.push('-t', pattern);
  const r = await run(path.join(dir, 'node_modules', '.bin', 'vitest'), argv, { cwd: dir, env: { ...process.env, CI: 'true' } });
  let j;
  try {
    j = JSON.parse(fs.readFileSync(report, 'utf8'));
  } catch {
    j = undefined;
  } finally {
    fs.rmSync(report, { force: true });
  }
  return { ...summarize(j, pattern, r.code), out: r.out };
}
const testLabel = (t) => (Array.isArray(t) ? `${t[0]} -t ${JSON.stringify(t[1])}` : t);
/** Why a selection ran nothing, for the message. */
const ranNothing = (t, r) =>
  r.matched === 0
    ? `${testLabel(t)} registers no test${Array.isArray(t) ? ' that the pattern selects (a stale pattern, or an it.each over a list that is empty on this machine)' : ' here'}`
    : `${testLabel(t)}: all ${r.matched} selected tests were skipped here (a probe said no)`;

// ---------------------------------------------------------------------------------------------

async function main() {
  const mutants = (await loadMutants()).filter((m) => only.size === 0 || only.has(m.name));
  if (only.size && mutants.length !== only.size) {
    const known = new Set(mutants.map((m) => m.name));
    console.error(`mutation: no such mutant: ${[...only].filter((n) => !known.has(n)).join(', ')}`);
    process.exit(2);
  }
  if (listOnly) {
    for (const m of mutants) console.log(`${m.name}\t${m.claim}\t${m.tests.map(testLabel).join(', ')}`);
    return;
  }
  const t0 = Date.now();
  const work = process.env.HWCAP_MUTATION_DIR ?? fs.mkdtempSync(path.join(os.tmpdir(), 'hwcap-mutation-'));
  // Tests that run the launcher as another user (nobody: the helper's reach, release by its own
  // user) need to reach the scratch copy, as they reach a clone: mkdtemp makes it 0700.
  fs.chmodSync(work, 0o755);
  const base = path.join(work, 'base');
  const cleanup = () => {
    if (keep) console.log(`mutation: kept ${work}`);
    else fs.rmSync(work, { recursive: true, force: true });
  };
  process.on('SIGINT', () => {
    cleanup();
    process.exit(130);
  });

  // One built copy of the package; every mutant starts from a copy of it.
  fs.rmSync(base, { recursive: true, force: true });
  fs.mkdirSync(base, { recursive: true });
  const tar = spawnSync('bash', ['-c', `tar -C "$1" --exclude=./build --exclude=./node_modules --exclude=./dist --exclude=./.git --exclude=./.arm64 --exclude=./.arches --exclude=./.prebuild --exclude=./prebuilds --exclude=./bench/results -cf - . | tar -C "$2" -xf -`, '-', root, base], { stdio: 'inherit' });
  if (tar.status !== 0) throw new Error('mutation: copying the package failed');
  fs.symlinkSync(path.join(root, 'node_modules'), path.join(base, 'node_modules'));
  const err = await build(base, new Set(['c', 'configure', 'ts']));
  if (err) {
    console.error(`mutation: the unmutated copy does not build: ${err}`);
    cleanup();
    process.exit(2);
  }
  const tBuilt = Date.now();
  console.log(`mutation: built the unmutated copy in ${((tBuilt - t0) / 1000).toFixed(0)} s; ${mutants.length} mutants, ${jobs} at a time`);

  // The unmutated copy must pass every test a mutant relies on.
  if (!noBaseline) {
    const tests = [...new Map(mutants.flatMap((m) => m.tests).map((t) => [testLabel(t), t])).values()];
    const failed = [];
    const empty = [];
    await pool(tests, jobs, async (t) => {
      const r = await vitest(base, t);
      const v = baselineVerdict(r);
      if (v === 'fails') failed.push({ t, out: r.out });
      else if (v === 'empty') empty.push(t);
      else if (v === 'skipped') console.log(`mutation: ${ranNothing(t, r)}`);
    });
    if (failed.length || empty.length) {
      for (const f of failed) console.error(`mutation: fails without any mutant: ${testLabel(f.t)}\n${f.out.slice(-4000)}`);
      // A selection that registers no test here can kill nothing here: an error, never a silent pass.
      for (const t of empty) console.error(`mutation: ERROR ${ranNothing(t, { matched: 0 })}; used by ${mutants.filter((m) => m.tests.some((x) => testLabel(x) === testLabel(t))).map((m) => m.name).join(', ')}`);
      cleanup();
      process.exit(2);
    }
    console.log(`mutation: ${tests.length} test selections pass on the unmutated copy (${((Date.now() - tBuilt) / 1000).toFixed(0)} s)`);
  }

  const results = [];
  await pool(mutants, jobs, async (m) => {
    const t = Date.now();
    const r = await runMutant(m, work, base);
    r.seconds = (Date.now() - t) / 1000;
    results.push(r);
    console.log(r.line + `  [${r.seconds.toFixed(0)} s]`);
  });
  const bad = results.filter((r) => r.status !== 'killed');
  const secs = ((Date.now() - t0) / 1000).toFixed(0);
  console.log(`mutation: ${results.length - bad.length} killed, ${bad.filter((r) => r.status === 'survived').length} survived, ${bad.filter((r) => r.status !== 'survived').length} stale, unbuildable or in error; ${secs} s`);
  for (const r of bad) if (r.detail) console.error(`--- ${r.name}\n${r.detail}`);
  cleanup();
  process.exit(bad.length ? 1 : 0);
}

async function runMutant(m, work, base) {
  const dir = path.join(work, m.name);
  fs.rmSync(dir, { recursive: true, force: true });
  const cp = spawnSync('cp', ['-a', base, dir]);
  if (cp.status !== 0) return { name: m.name, status: 'error', line: `ERROR ${m.name} (copy failed)` };
  try {
    const stale = applyEdits(m, dir);
    if (stale) return { name: m.name, status: 'stale', line: `STALE ${m.name}: ${stale}` };
    const what = buildsOf(m);
    const err = await build(dir, what, m.env ?? {});
    if (err) return { name: m.name, status: 'unbuildable', line: `UNBUILDABLE ${m.name}`, detail: err };
    // Its test selections in order, up to the first that decides it (verdict.mjs).
    const outcomes = [];
    const why = [];
    let last;
    for (const t of m.tests) {
      last = await vitest(dir, t);
      const o = selectionOutcome(last);
      outcomes.push(o);
      if (o === 'ran-nothing') why.push(ranNothing(t, last));
      if (decides(o)) break;
    }
    const v = mutantVerdict(outcomes);
    const by = v.at >= 0 ? testLabel(m.tests[v.at]) : '';
    if (v.status === 'killed') return { name: m.name, status: 'killed', line: `killed ${m.name} (by ${by}${v.why === 'load-failed' ? ': the file failed to load or its hooks failed' : ''})` };
    if (v.why === 'vitest-error') return { name: m.name, status: 'error', line: `ERROR ${m.name}: vitest failed on ${by} without a failed test`, detail: last.out.slice(-3000) };
    if (v.status === 'error') return { name: m.name, status: 'error', line: `ERROR ${m.name}: none of its tests ran here, so nothing could kill it`, detail: why.join('\n') };
    return { name: m.name, status: 'survived', line: `SURVIVED ${m.name}`, detail: `${m.claim}\nran: ${m.tests.map(testLabel).join(', ')}` };
  } finally {
    if (!keep) fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function pool(items, width, fn) {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, worker));
}

main().catch((err) => {
  console.error(err);
  process.exit(2);
});
