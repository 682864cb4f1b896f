// Checkpoint and restore of a masked workload with real CRIU 4.1.1 (scripts/criu/build.sh), on
// this machine: the facts that make a handover necessary, then the workflow of
// docs/checkpoint.md for a C probe (through the library) and a node process (through the
// command): run masked, release, dump, restore, adopt; after it the views are still masked, what
// it execs is masked, the pid is kept, and nothing ran unmasked. Then a CPUID-masked tree
// (simulated traps of the test build): the rules release hands over re-armed by adopt after the
// restore, every thread's CPUID answered masked again. Skipped only for a probed
// reason: CRIU cannot be built here, or `criu check` fails.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as cp from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as h from '../../lib';
import { AUXV_ONLY, canPtrace, keep, removed } from '../support/mask-fixture';
import { procAuxvPairs, repoRoot } from '../support/helpers';
import { drop7, host, isX64, reg } from '../support/cpuid-fixture';
import { compileFixture, criuEnv, idInUse, killIf, parseViews, probeCriu, readIf, run, stateOf, tmpDir, tracerOf, until } from '../support/criu-fixture';

const criu = canPtrace ? probeCriu() : ({ ok: false, reason: 'ptrace mode unavailable here' } as const);
const skip = criu.ok ? '' : ` (skipped: ${criu.reason})`;
const cli = path.join(repoRoot, 'dist', 'cli.js');
const lowName = h.decodeWords(h.hostArch(), { hwcap: removed.hwcap })[0] ?? '';

let work: string;
let probe: string;
const pids: number[] = [];

beforeAll(() => {
  if (!criu.ok) return;
  work = tmpDir('hwcap-criu-');
  probe = compileFixture('cr-probe', work);
});

afterAll(() => {
  for (const pid of pids) killIf(pid);
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

function criuBin(): string {
  if (!criu.ok) throw new Error(criu.reason);
  return criu.bin;
}

/** criu dump of the tree under pid into dir; returns its status and log. */
function dump(pid: number, dir: string, extra: string[] = []): { status: number | null; log: string } {
  fs.mkdirSync(dir, { recursive: true });
  const r = run(criuBin(), ['dump', '-t', String(pid), '-D', dir, '-o', 'dump.log', '-v4', ...extra], { env: criuEnv() });
  return { status: r.status, log: readIf(path.join(dir, 'dump.log')) ?? r.stderr };
}

/**
 * criu restore --restore-detached from dir, once pid (and, without --shell-job, its process
 * group and session, which are pid too) is free: PID 1 may not have reaped the dumped tasks yet,
 * and a restore then fails with "Can't fork for PID: File exists".
 */
async function restore(pid: number, dir: string, extra: string[] = []): Promise<{ status: number | null; log: string }> {
  await until(`pid ${pid} to be free`, () => (idInUse(pid) ? undefined : true), 30_000);
  const r = run(criuBin(), ['restore', '-D', dir, '-d', '-o', 'restore.log', '-v4', ...extra], { env: criuEnv() });
  pids.push(pid);
  return { status: r.status, log: readIf(path.join(dir, 'restore.log')) ?? r.stderr };
}

/** Error lines of a CRIU log, less the one this machine always prints (no CAP_SYS_RESOURCE). */
function errors(log: string): string[] {
  return log.split('\n').filter((l) => /Error \(/.test(l) && !/Can't setup RLIMIT_NOFILE for self: Operation not permitted/.test(l));
}

function beatOf(dir: string): Record<string, string> {
  return parseViews(readIf(path.join(dir, 'beat')) ?? '');
}

async function beatsOn(dir: string, what: string): Promise<number> {
  const before = Number(beatOf(dir).beat ?? -1);
  return until(what, () => {
    const b = Number(beatOf(dir).beat ?? -1);
    return b > before ? b : undefined;
  });
}

function masked(views: Record<string, string>, keys: string[]): void {
  for (const k of keys) expect(BigInt(views[k] ?? '0') & removed.hwcap, k).toBe(0n);
}

describe.sequential(`facts of CRIU on this machine${skip}`, () => {
  it.skipIf(!criu.ok)('criu check passes, and an untraced C loop and node process dump and restore', async () => {
    const dir = fs.mkdtempSync(path.join(work, 'plain-'));
    const c = cp.spawn(probe, [dir], { stdio: 'ignore', detached: true });
    const n = cp.spawn(process.execPath, ['-e', 'setInterval(() => {}, 50)'], { stdio: 'ignore', detached: true });
    pids.push(c.pid!, n.pid!);
    await until('the probe', () => readIf(path.join(dir, 'start.txt')));
    for (const [pid, name] of [[c.pid!, 'c'], [n.pid!, 'node']] as const) {
      const img = path.join(dir, `img-${name}`);
      const d = dump(pid, img);
      expect(errors(d.log), d.log.slice(-2000)).toEqual([]);
      expect(d.status).toBe(0);
      const r = await restore(pid, img);
      expect(errors(r.log), r.log.slice(-2000)).toEqual([]);
      expect(r.status).toBe(0);
      // The one harmless error line: CAP_SYS_RESOURCE is missing here.
      expect(r.log).toMatch(/rlimit: Can't setup RLIMIT_NOFILE for self: Operation not permitted/);
      expect(stateOf(pid)).toBeDefined();
    }
    await beatsOn(dir, 'the restored probe to beat');
  }, 120_000);

  it.skipIf(!criu.ok)('a tree the helper follows cannot be dumped (a task has one tracer)', async () => {
    const dir = fs.mkdtempSync(path.join(work, 'traced-'));
    const c = h.spawn(probe, [dir], { hwcaps: keep, ...AUXV_ONLY, mode: 'ptrace', stdio: 'ignore', detached: true });
    pids.push(c.pid!);
    await until('the probe', () => readIf(path.join(dir, 'start.txt')));
    const helper = tracerOf(c.pid!);
    const d = dump(c.pid!, path.join(dir, 'img'));
    expect(d.status).not.toBe(0);
    expect(d.log).toMatch(/Unable to interrupt task: \d+ \(Operation not permitted\)/);
    expect(d.log).toMatch(/Dumping FAILED/);
    // The workload goes on, still followed.
    expect(tracerOf(c.pid!)).toBe(helper);
    await beatsOn(dir, 'the probe to go on');
  }, 60_000);

  it.skipIf(!criu.ok)("CRIU restores hwcap exec's parent-death signal, which kills the restored root", async () => {
    const dir = fs.mkdtempSync(path.join(work, 'pdeath-'));
    // What hwcap exec gives the program, with nothing masked so that nothing traces it.
    const c = cp.spawn(h.launcherPath(), ['--pdeathsig', '15', '--', probe, dir], { stdio: 'ignore', detached: true });
    const pid = c.pid!;
    pids.push(pid);
    await until('a beat with the signal', () => (beatOf(dir).pdeath === '15' ? true : undefined));
    const img = path.join(dir, 'img');
    expect(dump(pid, img).status).toBe(0);
    const r = await restore(pid, img);
    expect(r.log).toMatch(/Root task has pdeath_sig configured, so it will receive one _right_after restore on CRIU exit/);
    await until('the restored root to die', () => (stateOf(pid) === undefined || stateOf(pid) === 'Z' ? true : undefined));
  }, 60_000);
});

describe.sequential(`checkpoint workflow${skip}`, () => {
  it.skipIf(!criu.ok)('a masked C probe: release, dump, restore, adopt (library)', async () => {
    const dir = fs.mkdtempSync(path.join(work, 'c-'));
    // hwcap exec's shape: masked, followed, parent-death signal SIGTERM; its own session.
    const c = h.spawn(probe, [dir], { hwcaps: keep, ...AUXV_ONLY, mode: 'ptrace', pdeathsig: 'SIGTERM', stdio: 'ignore', detached: true });
    const pid = c.pid!;
    pids.push(pid);
    const start = parseViews(await until('the probe', () => readIf(path.join(dir, 'start.txt'))));
    masked(start, ['stack', 'kernel']);
    fs.writeFileSync(path.join(dir, 'go-1'), '');
    masked(parseViews(await until('its first child', () => readIf(path.join(dir, 'child-1.txt')))), ['stack', 'kernel']);

    const rel = await h.release(pid);
    expect(rel).toMatchObject({ pid, root: pid, stopped: true });
    const img = path.join(dir, 'img');
    const d = dump(pid, img);
    expect(errors(d.log), d.log.slice(-2000)).toEqual([]);
    expect(d.status).toBe(0);
    const atDump = Number(beatOf(dir).beat);

    const r = await restore(pid, img);
    expect(errors(r.log), r.log.slice(-2000)).toEqual([]);
    expect(r.status).toBe(0);
    expect(r.log).not.toMatch(/pdeath_sig/);
    // Restored as dumped: the same pid, stopped, untraced, its saved auxv still masked. CRIU's
    // detached restore can return before the restored task has taken the SIGSTOP it queued.
    await until('the restored probe to stop', () => (stateOf(pid) === 'T' ? true : undefined));
    expect(tracerOf(pid)).toBe(0);
    const saved = procAuxvPairs(`/proc/${pid}/auxv`).find(([t]) => t === h.AT.AT_HWCAP)?.[1];
    expect(saved).toBe(BigInt(start.kernel!));

    const a = await h.adopt(pid, { auxvOnly: true });
    expect(a).toMatchObject({ pid, continued: 1 });
    expect(tracerOf(pid)).toBe(a.helper);
    expect(a.words.hwcap & removed.hwcap).toBe(0n);
    const after = await beatsOn(dir, 'the restored probe to run');
    expect(after).toBeGreaterThan(atDump); // its own memory: the count goes on
    expect(beatOf(dir)).toMatchObject({ pid: String(pid), pdeath: '0' });

    fs.writeFileSync(path.join(dir, 'go-2'), '');
    const child = parseViews(await until('a child after the restore', () => readIf(path.join(dir, 'child-2.txt'))));
    masked(child, ['stack', 'kernel']);
    expect(BigInt(child.stack!)).toBe(BigInt(start.stack!));
    // Every beat, before and after, read masked views of its own.
    expect(readIf(path.join(dir, 'violations'))).toBeUndefined();
  }, 120_000);

  it.skipIf(!criu.ok)(`a masked node process: hwcap exec, hwcap release, criu dump, criu restore, hwcap adopt (command, --drop ${lowName})`, async () => {
    const dir = fs.mkdtempSync(path.join(work, 'node-'));
    const script = path.join(dir, 'work.js');
    fs.writeFileSync(
      script,
      `const fs = require('fs'), cp = require('child_process'), h = require(${JSON.stringify(repoRoot)});
const dir = process.argv[2], probe = process.argv[3];
const views = () => ({ pid: process.pid, stack: '0x' + h.hwcapWords('process').hwcap.toString(16), kernel: '0x' + h.hwcapWords('kernel').hwcap.toString(16) });
const line = (v) => Object.entries(v).map(([k, x]) => k + '=' + x).join(' ') + '\\n';
const v0 = views();
// Written aside and renamed, as the beat is: the test never reads it half written.
fs.writeFileSync(dir + '/start.tmp', line(v0));
fs.renameSync(dir + '/start.tmp', dir + '/start.txt');
let beat = 0, next = 1;
setInterval(() => {
  const v = views();
  if (v.stack !== v0.stack || v.kernel !== v0.kernel) fs.appendFileSync(dir + '/violations', line(v));
  fs.writeFileSync(dir + '/beat.tmp', line({ pid: process.pid, beat: beat++ }));
  fs.renameSync(dir + '/beat.tmp', dir + '/beat');
  if (fs.existsSync(dir + '/go-' + next)) cp.spawnSync(probe, ['--child', dir, String(next++)]);
}, 20);
`,
    );
    // hwcap exec … & (its own session: the workload is in the command's session, so --shell-job)
    const exec = cp.spawn(process.execPath, [cli, 'exec', '--auxv-only', '--drop', lowName, '--', process.execPath, script, dir, probe], { stdio: 'ignore', detached: true });
    pids.push(exec.pid!);
    const start = parseViews(await until('the node workload', () => readIf(path.join(dir, 'start.txt')), 30_000));
    const pid = Number(start.pid);
    pids.push(pid);
    masked(start, ['stack', 'kernel']);

    // hwcap release PID && criu dump -t PID …
    const rel = run(process.execPath, [cli, 'release', String(pid)]);
    expect(rel.stderr).toBe('');
    expect(rel.status).toBe(0);
    expect(rel.stdout).toMatch(new RegExp(`released pid ${pid}`));
    expect(stateOf(pid)).toBe('T');
    const img = path.join(dir, 'img');
    const d = dump(pid, img, ['--shell-job']);
    expect(errors(d.log), d.log.slice(-2000)).toEqual([]);
    expect(d.status).toBe(0);

    // criu restore … && hwcap adopt --baseline b.json PID
    const r = await restore(pid, img, ['--shell-job']);
    expect(errors(r.log), r.log.slice(-2000)).toEqual([]);
    expect(r.status).toBe(0);
    const baselineFile = path.join(dir, 'b.json');
    fs.writeFileSync(baselineFile, JSON.stringify(h.FeatureSet.fromWords(h.hostArch(), keep).toJSON()));
    const ad = run(process.execPath, [cli, 'adopt', '--auxv-only', '--baseline', baselineFile, String(pid)]);
    expect(ad.stderr).toBe('');
    expect(ad.status).toBe(0);
    expect(ad.stdout).toMatch(new RegExp(`adopted pid ${pid}`));
    expect(tracerOf(pid)).toBeGreaterThan(0);
    await beatsOn(dir, 'the restored node process to run');
    fs.writeFileSync(path.join(dir, 'go-1'), '');
    masked(parseViews(await until('a child after the restore', () => readIf(path.join(dir, 'child-1.txt')))), ['stack', 'kernel']);
    expect(readIf(path.join(dir, 'violations'))).toBeUndefined();
  }, 180_000);
});

describe.sequential(`checkpoint of a CPUID-masked tree${skip}`, () => {
  const hex8 = (v: number): string => (v >>> 0).toString(16).padStart(8, '0');
  const kept7 = host ? (reg(host.main['7.0'], 1) & ~drop7) >>> 0 : 0;
  const SIMULATED = { HWCAP_TEST_LAUNCHER: '1', HWCAP_EXEC_FAULT: 'cpuid-simulate' };
  const beat = (dir: string, name: string): { n: number; ebx: number } | undefined => {
    const m = /n=(\d+) ebx=0x([0-9a-f]+)/.exec(readIf(path.join(dir, name)) ?? '');
    return m ? { n: Number(m[1]), ebx: parseInt(m[2]!, 16) >>> 0 } : undefined;
  };
  const maskedBeats = async (dir: string, what: string): Promise<void> => {
    for (const name of ['main', 'thread']) {
      const from = beat(dir, name)?.n ?? 0;
      await until(`${what} (${name})`, () => {
        const b = beat(dir, name);
        return b && b.n > from + 2 && b.ebx === kept7 ? true : undefined;
      });
    }
  };

  it.skipIf(!criu.ok || !isX64 || drop7 === 0)('simulated CPUID traps: release (rules handed over), dump, restore, adopt with the rules: both threads masked again', async () => {
    const loop = compileFixture('cpuid-loop', work);
    const dir = fs.mkdtempSync(path.join(work, 'cpuid-'));
    const cur = h.FeatureSet.current();
    const hwcaps = { arch: cur.arch, words: cur.words, cpuid: { 'CPUID.7.0:EBX': kept7 } };
    process.env.HWCAP_TEST_LAUNCHER = '1';
    let c: cp.ChildProcess;
    try {
      c = h.spawn(loop, ['--simulate', dir], { hwcaps, mode: 'ptrace', stdio: 'ignore', detached: true, env: { ...process.env, ...SIMULATED } });
    } finally {
      delete process.env.HWCAP_TEST_LAUNCHER;
    }
    const pid = c.pid!;
    pids.push(pid);
    await maskedBeats(dir, 'masked beats');

    const rel = await h.release(pid);
    expect(rel).toMatchObject({ pid, stopped: true, tasks: 2 });
    expect(rel.cpuid).toContain(`7.0:ebx=${hex8(kept7)}`);
    const img = path.join(dir, 'img');
    const d = dump(pid, img);
    expect(errors(d.log), d.log.slice(-2000)).toEqual([]);
    expect(d.status).toBe(0);
    const r = await restore(pid, img);
    expect(errors(r.log), r.log.slice(-2000)).toEqual([]);
    expect(r.status).toBe(0);
    await until('the restored loop to stop', () => (stateOf(pid) === 'T' ? true : undefined));
    expect(tracerOf(pid)).toBe(0);

    // The rules came through the release result, not the dump: adopt arms each restored thread.
    const before = { ...process.env };
    Object.assign(process.env, SIMULATED);
    let a: h.AdoptResult;
    try {
      a = await h.adopt(pid, { cpuid: rel.cpuid });
    } finally {
      for (const k of Object.keys(SIMULATED)) if (before[k] === undefined) delete process.env[k];
    }
    expect(a).toMatchObject({ pid, continued: 1, tasks: 2 });
    expect(a.cpuid).toEqual(rel.cpuid);
    await maskedBeats(dir, 'masked beats after the restore');
  }, 120_000);
});
