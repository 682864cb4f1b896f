// Every example line of every `hwcap COMMAND --help` runs as written: read from the help text
// itself, run by /bin/sh in a directory holding the files the examples name (baseline.json,
// node reports, an NFD document, ./app, app.js), with `hwcap` on PATH, and "$PID" a process
// tree of the right kind (followed for release, released for adopt). An example labelled
// `# arm64`, `# x86-64` or `# …, CPUID faulting` is skipped where this machine is not that, as
// is one that needs criu or another node over ssh; the reason is in the test's title.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as cp from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as h from '../../lib';
import { cliPath } from '../support/cli-harness';
import { repoRoot } from '../support/helpers';
import { canPtrace } from '../support/mask-fixture';
import { cpuidFaulting } from '../support/cpuid-fixture';

const arch = h.hostArch();
const help = (args: string[]): string => cp.execFileSync(process.execPath, [cliPath, ...args], { encoding: 'utf8' });
/** The commands `hwcap --help` lists. */
const verbs = /\nCommands:\n([\s\S]*?)\n\n/.exec(help(['--help']))![1]!.split('\n').map((l) => l.trim().split(/\s+/)[0]!);
/** [verb, example line] for every example of every --help, as printed. */
const examples: [string, string][] = verbs.flatMap((verb) => {
  const m = /\nExamples:\n((?: {2}.*\n?)+)/.exec(help([verb, '--help']));
  return (m ? m[1]!.split('\n').filter((l) => l.trim()) : []).map((l) => [verb, l.slice(2)] as [string, string]);
});

/** Where the example cannot run here, why; undefined where it can. */
function cannot(line: string): string | undefined {
  const label = /#\s*(.*)$/.exec(line)?.[1] ?? '';
  if (/\barm64\b/.test(label) && arch !== 'aarch64') return `an arm64 example; this machine is ${arch}`;
  if (/\bx86-64\b/.test(label) && arch !== 'x86_64') return `an x86-64 example; this machine is ${arch}`;
  if (/CPUID faulting/.test(label) && !cpuidFaulting) return 'needs CPUID faulting, which this machine lacks';
  if (/\bcriu\b/.test(line)) return 'needs criu and a checkpoint image';
  if (/\bssh\b/.test(line)) return 'reaches another node over ssh';
  if (/\$PID|\bexec\b|\badopt\b|\brelease\b/.test(line) && !canPtrace) return 'needs ptrace, unavailable here';
  return undefined;
}

/** The exit statuses an example may end with: check and diff say 1 for a difference. */
const ok = (verb: string): number[] => (verb === 'check' || verb === 'diff' ? [0, 1] : [0]);

let dir: string;
const trees: number[] = [];
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hwcap-examples-'));
  const bin = path.join(dir, 'bin');
  fs.mkdirSync(bin);
  fs.writeFileSync(path.join(bin, 'hwcap'), `#!/bin/sh\nexec "${process.execPath}" "${cliPath}" "$@"\n`, { mode: 0o755 });
  const run = (args: string[]) => cp.execFileSync(process.execPath, [cliPath, ...args], { cwd: dir, encoding: 'utf8' });
  for (const name of ['node1.json', 'node2.json', 'node-1.json', 'node-2.json', 'node7.json']) fs.writeFileSync(path.join(dir, name), run(['report', '--hostname', name.replace('.json', '')]));
  fs.writeFileSync(path.join(dir, 'baseline.json'), run(['baseline', 'node1.json', 'node2.json']));
  fs.copyFileSync(path.join(repoRoot, 'test', 'fixtures', 'nfd', 'nodes.json'), path.join(dir, 'nodes.json'));
  fs.writeFileSync(path.join(dir, 'app'), '#!/bin/sh\necho app ran\n', { mode: 0o755 });
  fs.writeFileSync(path.join(dir, 'app.js'), "console.log('app.js ran');\n");
});
afterAll(() => {
  for (const pid of trees) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
  fs.rmSync(dir, { recursive: true, force: true });
});

/** A tree for "$PID": followed by a helper (auxv-only mask, so no faulting is needed), and released for adopt. */
async function treeFor(verb: string): Promise<string> {
  const child = h.spawn('sleep', ['60'], { hwcaps: h.FeatureSet.current(), auxvOnly: true, mode: 'ptrace', stdio: 'ignore' });
  await new Promise<void>((resolve, reject) => child.once('spawn', resolve).once('error', reject));
  trees.push(child.pid!);
  if (verb === 'adopt') await h.release(child.pid!);
  return String(child.pid);
}

describe('every --help example runs as written', () => {
  it('there are examples, one or more for each command', () => {
    expect(verbs.length).toBeGreaterThanOrEqual(10);
    for (const v of verbs) expect(examples.some(([verb]) => verb === v), v).toBe(true);
  });

  for (const [verb, line] of examples) {
    const why = cannot(line);
    it.skipIf(why !== undefined)(`hwcap ${verb}: ${line}${why ? ` (skipped: ${why})` : ''}`, async () => {
      const env: NodeJS.ProcessEnv = { ...process.env, PATH: `${path.join(dir, 'bin')}:${path.dirname(process.execPath)}:/usr/bin:/bin` };
      delete env.FORCE_COLOR;
      if (line.includes('$PID')) env.PID = await treeFor(verb);
      const r = cp.spawnSync('/bin/sh', ['-c', line], { cwd: dir, env, encoding: 'utf8', timeout: 60_000 });
      expect(ok(verb), `status ${r.status}\n${r.stderr}`).toContain(r.status);
      if (line.includes('./app')) expect(r.stdout).toContain('app ran');
      if (line.includes('app.js')) expect(r.stdout).toContain('app.js ran');
    }, 90_000);
  }
});
