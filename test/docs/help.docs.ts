// Every example line of every `hwcap VERB --help`, run as written with bash in a scratch project
// that installed hwcap, given the files the examples name. `ssh HOST CMD` runs CMD here (a stand-in
// on PATH: there is no node7). The pid (4242 or "$PID") of the release and adopt examples is a real tree,
// put in the state the example needs first: followed (hwcap exec) for release; released for
// adopt; released and dumped for the adopt after `criu restore`. An example passes when it exits
// 0 (check and diff: 0 or 1, which are answers). Needs are probed, and a skip names them. An
// example for one architecture says so in a label at its end (`# x86-64`, `# arm64`, with `CPUID
// faulting` where it masks CPUID): it is skipped elsewhere, by that label only. The feature names
// of an unlabelled example must be names on every architecture, and a labelled one's on its own.
import * as cp from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ARCHES, FeatureSet, type Arch } from '../../lib';
import { firstUnknownName } from '../../lib/core/features';
import { repoRoot } from '../support/helpers';
import { cliPath, describeRun, envFor, give, killIn, missing, runShell, scratch } from '../support/docs-harness';

const arch = FeatureSet.current('process').arch;
const verbs = [...cp.execFileSync(process.execPath, [cliPath, '--help'], { encoding: 'utf8' }).matchAll(/^ {2}([a-z]+) {2,}/gm)].map((m) => m[1]!);
const examplesOf = (verb: string): string[] => {
  const help = cp.execFileSync(process.execPath, [cliPath, verb, '--help'], { encoding: 'utf8' });
  const at = help.indexOf('\nExamples:\n');
  if (at < 0) return [];
  const lines = help.slice(at + '\nExamples:\n'.length).split('\n');
  return lines.slice(0, lines.findIndex((l) => !l.startsWith('  ')) >>> 0).map((l) => l.trim());
};

/**
 * Examples that are wrong as written and fixed elsewhere: skipped, with the reason, for as long as
 * the line reads so (a changed line runs).
 */
const KNOWN: Record<string, string> = {};

/** What a label at an example's end may say: the architecture it is for, and CPUID faulting. */
const LABEL_ARCH: Record<string, Arch> = { 'x86-64': 'x86_64', arm64: 'aarch64' };
const FAULTING = 'CPUID faulting';
const labelOf = (line: string): string[] => /\s#\s*(\S.*)$/.exec(line)?.[1]!.split(',').map((w) => w.trim()) ?? [];
/** The architectures an example's label names, or undefined when it names none (an example for every one). */
const archesOf = (line: string): Arch[] | undefined => {
  const a = labelOf(line).flatMap((w) => (LABEL_ARCH[w] ? [LABEL_ARCH[w]] : []));
  return a.length ? a : undefined;
};

/** What an example needs, from what it names and its label. */
function needsOf(verb: string, line: string): string[] {
  const needs = new Set<string>();
  if (/\bcriu\b/.test(line)) needs.add('criu');
  if (/\bjava\b/.test(line)) needs.add('java');
  if (labelOf(line).includes(FAULTING) || /--cpuid/.test(line)) needs.add('cpuid-fault');
  // A keep set of x86-64 names, or this node's baseline less avx2, masks CPUID there.
  if (verb === 'exec' && !/--auxv-only/.test(line)) needs.add('cpuid-fault');
  if (['release', 'adopt'].includes(verb)) needs.add('ptrace');
  if (verb === 'release' && /criu dump/.test(line)) needs.add('criu');
  return [...needs];
}

const dir = scratch();
afterAll(() => {
  killIn(dir);
  fs.rmSync(dir, { recursive: true, force: true });
});
// The files the examples name.
give(dir, ['baseline.json', 'node-a.json', 'node-b.json', 'app.js', './server', ...(missing('java') ? [] : ['app.jar'])]);
// The tree of the release and adopt examples keeps every feature of this node: it masks no CPUID,
// so that release --no-stop is allowed, and adopt --cpuid adds the only CPUID rule.
fs.writeFileSync(path.join(dir, 'b.json'), JSON.stringify(FeatureSet.current('process').toJSON()));
for (const n of ['node1', 'node2', 'node7']) fs.writeFileSync(path.join(dir, `${n}.json`), cp.execFileSync(process.execPath, [cliPath, 'report', '--hostname', n], { encoding: 'utf8' }));
fs.copyFileSync(path.join(repoRoot, 'test', 'fixtures', 'nfd', 'nodes.json'), path.join(dir, 'nodes.json'));
for (const n of ['app', 'bench']) {
  fs.writeFileSync(path.join(dir, n), `#!/bin/sh\necho ${n}\n`);
  fs.chmodSync(path.join(dir, n), 0o755);
}
// ssh HOST CMD...: CMD here.
fs.writeFileSync(path.join(dir, 'node_modules', '.bin', 'ssh'), '#!/bin/sh\nshift\nexec sh -c "$*"\n');
fs.chmodSync(path.join(dir, 'node_modules', '.bin', 'ssh'), 0o755);

// The trees of the release and adopt examples outlive a step; each test kills them at its end.
const bash = (code: string) => runShell(code, dir, { cleanup: false });

/** A followed tree (hwcap exec of ./server) in its own session; returns its pid, and the exec. */
async function followed(): Promise<{ pid: number; exec: cp.ChildProcess }> {
  const pidFile = path.join(dir, 'server.pid');
  fs.rmSync(pidFile, { force: true });
  const exec = cp.spawn(process.execPath, [cliPath, 'exec', '--baseline', 'b.json', '--pid-file', 'server.pid', '--', './server'], { cwd: dir, env: envFor(dir), stdio: 'ignore', detached: true });
  const deadline = Date.now() + 30_000;
  while (!fs.existsSync(pidFile)) {
    if (exec.exitCode !== null || Date.now() > deadline) throw new Error(`hwcap exec ended (${exec.exitCode}) before it wrote server.pid`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return { pid: Number(fs.readFileSync(pidFile, 'utf8')), exec };
}

const released = async (pid: number) => {
  const r = await bash(`hwcap release ${pid}`);
  if (r.status !== 0) throw new Error(`setup: hwcap release ${pid}: ${describeRun(r)}`);
};

describe('every example is labelled with the architecture its feature names are of', () => {
  it('every --features and --drop name is a name of the labelled architecture (of every architecture when unlabelled), and --cpuid is labelled x86-64', () => {
    const problems: string[] = [];
    for (const verb of verbs) {
      for (const line of examplesOf(verb)) {
        const bad = labelOf(line).filter((w) => !(w in LABEL_ARCH) && w !== FAULTING);
        if (bad.length) problems.push(`${line}: a label that is neither an architecture (${Object.keys(LABEL_ARCH).join(', ')}) nor '${FAULTING}': ${bad.join(', ')}`);
        const only = archesOf(line);
        const names = [...line.matchAll(/--(?:features|drop)[ =](\S+)/g)].flatMap((m) => m[1]!.split(','));
        for (const a of only ?? ARCHES) {
          const u = firstUnknownName(a, names);
          if (u) problems.push(only ? `${line}: '${u.name}' is not a feature name on ${a}` : `${line}: '${u.name}' is not a feature name on ${a}; label the example with the architecture it is for`);
        }
        if (/--cpuid/.test(line) && !(only?.length === 1 && only[0] === 'x86_64')) problems.push(`${line}: --cpuid is x86-64 only; label it # x86-64`);
      }
    }
    expect(problems).toEqual([]);
  });
});

for (const verb of verbs) {
  const examples = examplesOf(verb);
  if (examples.length === 0) continue;
  describe(`hwcap ${verb} --help`, () => {
    for (const line of examples) {
      const needs = needsOf(verb, line);
      const why = [...needs.map(missing).filter((w) => w !== undefined), ...(KNOWN[line] ? [KNOWN[line]] : [])];
      const only = archesOf(line);
      if (only && !only.includes(arch)) why.push(`${only.join(', ')} only; this is ${arch}`);
      it.skipIf(why.length > 0)(`${line}${why.length ? ` (skipped: ${why.join('; ')})` : ''}`, async () => {
        let code = line;
        let tree: { pid: number; exec: cp.ChildProcess } | undefined;
        if (/4242|\$PID/.test(line)) {
          tree = await followed();
          if (verb === 'adopt') await released(tree.pid);
          if (/criu restore/.test(line)) {
            fs.rmSync(path.join(dir, 'img'), { recursive: true, force: true });
            const d = await bash(`mkdir -p img && criu dump -t ${tree.pid} -D img --shell-job`);
            expect(d.status, `setup: criu dump: ${describeRun(d)}`).toBe(0);
            // The dumped tree's pid is free again once hwcap exec has reaped it.
            if (tree.exec.exitCode === null) await new Promise((r) => tree!.exec.on('exit', r));
          }
          code = line.replace(/4242|"\$PID"|\$PID/g, String(tree.pid));
        }
        try {
          if (line.includes('criu dump')) fs.rmSync(path.join(dir, 'img'), { recursive: true, force: true });
          const r = await bash(code);
          const ok = ['check', 'diff'].includes(verb) ? [0, 1] : [0];
          expect(ok, describeRun(r)).toContain(r.status);
        } finally {
          if (tree) killIn(dir);
        }
      });
    }
  });
}
