// release() and adopt() on real trees, without CRIU: what the helper undoes and keeps, and every
// refusal (no such pid, no helper, another tracer, no permission, a request from inside the tree,
// a wider mask). test/criu/checkpoint.test.ts runs the same with a real dump and restore.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as cp from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as h from '../../lib';
import { AUXV_ONLY, canPtrace, keep, present, removed, hex } from '../support/mask-fixture';
import { runNode, which } from '../support/helpers';
import { compileFixture, killIf, parseViews, readIf, stateOf, statusField, tmpDir, tracerOf, until } from './support';

const skip = canPtrace ? '' : ' (skipped: ptrace mode unavailable here)';
const asNobody = process.getuid?.() === 0 && which('setpriv') !== undefined;
const NOBODY = ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'];
const cliPath = path.join(__dirname, '..', '..', 'dist', 'cli.js');

let work: string;
let probe: string;
let holder: string;
const started: number[] = [];

beforeAll(() => {
  work = tmpDir('hwcap-handover-');
  fs.chmodSync(work, 0o755);
  probe = compileFixture('cr-probe', work);
  holder = compileFixture('ptrace-holder', work);
  canArm = cp.spawnSync(probe, ['--can-arm']).status === 0;
});

/** Whether a thread can arm CPUID faulting here (probed with the fixture; set in beforeAll). */
let canArm = false;
const armProbe = fs.existsSync('/proc/cpuinfo') && /\bcpuid_fault\b/.test(fs.readFileSync('/proc/cpuinfo', 'utf8'));

afterAll(() => {
  for (const pid of started) killIf(pid);
  fs.rmSync(work, { recursive: true, force: true });
});

/** A masked cr-probe in its own dir, as `hwcap exec` starts one (parent-death signal SIGTERM). */
async function maskedProbe(): Promise<{ pid: number; dir: string; child: cp.ChildProcess }> {
  const dir = fs.mkdtempSync(path.join(work, 'w-'));
  const child = h.spawn(probe, [dir], { hwcaps: keep, ...AUXV_ONLY, mode: 'ptrace', pdeathsig: 'SIGTERM', stdio: 'ignore' });
  await new Promise<void>((resolve, reject) => child.once('spawn', resolve).once('error', reject));
  const pid = child.pid!;
  started.push(pid);
  await until('the probe to start', () => readIf(path.join(dir, 'start.txt')));
  return { pid, dir, child };
}

function beat(dir: string): Record<string, string> {
  return parseViews(readIf(path.join(dir, 'beat')) ?? '');
}

async function expectRefused(p: Promise<unknown>, reason: string, code: string, message: RegExp): Promise<void> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(h.HandoverError);
  expect(e).toMatchObject({ reason, code });
  expect((e as Error).message).toMatch(message);
}

describe.sequential(`release${skip}`, () => {
  it.skipIf(!canPtrace)('lets go of every task, clears the parent-death signal, and leaves the tree stopped', async () => {
    const { pid, dir } = await maskedProbe();
    const helper = tracerOf(pid)!;
    expect(helper).toBeGreaterThan(0);
    await until('a beat with the parent-death signal', () => (beat(dir).pdeath === '15' ? true : undefined));
    const r = await h.release(pid);
    expect(r).toMatchObject({ pid, root: pid, helper, stopped: true });
    expect(r.tasks).toBeGreaterThanOrEqual(1);
    expect(tracerOf(pid)).toBe(0);
    expect(stateOf(pid)).toBe('T');
    await until('the helper to exit', () => (stateOf(helper) === undefined || stateOf(helper) === 'Z' ? true : undefined));
    // Stopped: no beat moves.
    const before = beat(dir).beat;
    await new Promise((res) => setTimeout(res, 200));
    expect(beat(dir).beat).toBe(before);
    process.kill(pid, 'SIGCONT');
    await until('a beat after SIGCONT', () => (beat(dir).beat !== before ? true : undefined));
    expect(beat(dir).pdeath).toBe('0');
    // The views it read stay masked; nothing traces it now.
    const v = parseViews(readIf(path.join(dir, 'start.txt'))!);
    expect(BigInt(v.stack) & removed.hwcap).toBe(0n);
    expect(BigInt(v.kernel) & removed.hwcap).toBe(0n);
    expect(readIf(path.join(dir, 'violations'))).toBeUndefined();
  });

  it.skipIf(!canPtrace)('with stop: false leaves the tree running', async () => {
    const { pid, dir } = await maskedProbe();
    const r = await h.release(pid, { stop: false });
    expect(r.stopped).toBe(false);
    expect(tracerOf(pid)).toBe(0);
    const before = beat(dir).beat;
    await until('a beat while released', () => (beat(dir).beat !== before ? true : undefined));
    expect(beat(dir).pdeath).toBe('0');
  });

  it.skipIf(!canPtrace || !armProbe)(`disarms CPUID faulting in a thread that armed it${armProbe ? '' : ' (skipped: this CPU has no cpuid_fault)'}`, async () => {
    expect(canArm).toBe(true);
    const dir = fs.mkdtempSync(path.join(work, 'cpuid-'));
    const child = h.spawn(probe, ['--arm', dir], { hwcaps: keep, ...AUXV_ONLY, mode: 'ptrace', stdio: 'ignore' });
    started.push(child.pid!);
    await until('a beat with faulting armed', () => (beat(dir).cpuid === '0' ? true : undefined));
    await h.release(child.pid!, { stop: false });
    await until('a beat with faulting off', () => (beat(dir).cpuid === '1' ? true : undefined));
  });

  it.skipIf(!canPtrace)('repeated release and adopt of a tree that forks and execs all the time: every exec is masked', async () => {
    const dir = fs.mkdtempSync(path.join(work, 'busy-'));
    const sh = h.spawn('sh', ['-c', `i=0; while :; do i=$((i+1)); "${probe}" --child "${dir}" $i; done`], { hwcaps: keep, ...AUXV_ONLY, mode: 'ptrace', stdio: 'ignore' });
    started.push(sh.pid!);
    await until('the first child', () => readIf(path.join(dir, 'child-1.txt')));
    for (let k = 0; k < 15; k++) {
      const r = await h.release(sh.pid!);
      expect(r.stopped).toBe(true);
      expect(tracerOf(sh.pid!)).toBe(0);
      const a = await h.adopt(sh.pid!);
      expect(a.words.hwcap & removed.hwcap).toBe(0n);
    }
    const last = fs.readdirSync(dir).filter((f) => /^child-\d+\.txt$/.test(f)).length;
    await until('more children after the last adopt', () => (fs.readdirSync(dir).filter((f) => /^child-\d+\.txt$/.test(f)).length > last + 3 ? true : undefined));
    killIf(sh.pid!);
    const children = fs.readdirSync(dir).filter((f) => /^child-\d+\.txt$/.test(f));
    expect(children.length).toBeGreaterThan(3);
    for (const f of children) {
      const v = parseViews(fs.readFileSync(path.join(dir, f), 'utf8'));
      expect(BigInt(v.stack!) & removed.hwcap, f).toBe(0n);
      expect(BigInt(v.kernel!) & removed.hwcap, f).toBe(0n);
    }
  }, 60_000);

  it('refuses a pid that does not exist (ESRCH)', async () => {
    const gone = cp.spawnSync('true').pid!;
    await expectRefused(h.release(gone), 'no-such-process', 'ESRCH', new RegExp(`no process has pid ${gone}`));
  });

  it('refuses a process that no helper follows', async () => {
    await expectRefused(h.release(process.pid), 'not-followed', 'ENOENT', /not followed by an hwcap helper/);
  });

  it.skipIf(!canPtrace)('refuses a process another tracer holds, naming it', async () => {
    const dir = fs.mkdtempSync(path.join(work, 'p-'));
    const t = cp.spawn(holder, [probe, dir], { stdio: 'ignore' });
    started.push(t.pid!);
    await until('the traced probe', () => readIf(path.join(dir, 'start.txt')));
    const pid = Number(parseViews(readIf(path.join(dir, 'start.txt'))!).pid);
    started.push(pid);
    expect(tracerOf(pid)).toBe(t.pid);
    await expectRefused(h.release(pid), 'not-followed', 'ENOENT', new RegExp(`traced by pid ${t.pid} \\(ptrace-holder\\), not by an hwcap helper`));
    expect(tracerOf(pid)).toBe(t.pid);
  });

  it.skipIf(!canPtrace || !asNobody)(`refuses a caller who may not ptrace the tree${asNobody ? '' : ' (skipped: needs root and setpriv to run as nobody)'}`, async () => {
    const { pid, dir } = await maskedProbe();
    const helper = tracerOf(pid);
    const r = runNode(`h.release(${pid}).then(() => out('released'), (e) => out({ name: e.name, reason: e.reason, code: e.code, message: e.message }))`, { wrapper: NOBODY });
    expect(r.value).toMatchObject({ name: 'HandoverError', reason: 'permission' });
    expect((r.value as { message: string }).message).toMatch(/no permission/);
    // The command says the same with exit 2.
    const cli = cp.spawnSync(NOBODY[0]!, [...NOBODY.slice(1), process.execPath, path.join(__dirname, '..', '..', 'dist', 'cli.js'), 'release', String(pid)], { encoding: 'utf8' });
    expect(cli.status).toBe(2);
    expect(cli.stderr).toMatch(/no permission/);
    // Untouched: still followed, still running.
    expect(tracerOf(pid)).toBe(helper);
    const before = beat(dir).beat;
    await until('a beat', () => (beat(dir).beat !== before ? true : undefined));
  });

  it.skipIf(!canPtrace)('refuses a request from a process of the tree itself', async () => {
    const r = await new Promise<{ code: number | null; out: string }>((resolve) => {
      const c = h.spawn('sh', ['-c', `"${h.launcherPath()}" --release $$`], { hwcaps: keep, ...AUXV_ONLY, mode: 'ptrace', stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      c.stdout!.on('data', (d: Buffer) => (out += d.toString()));
      c.on('close', (code) => resolve({ code, out }));
    });
    expect(r.code).toBe(2);
    expect(JSON.parse(r.out)).toMatchObject({ error: 'permission', code: 'EPERM' });
    expect(r.out).toMatch(/a process of the tree cannot release it/);
  });

  it('validates its arguments', async () => {
    await expect(h.release(0)).rejects.toMatchObject({ code: 'ERR_OUT_OF_RANGE' });
    await expect(h.release(1.5)).rejects.toMatchObject({ code: 'ERR_OUT_OF_RANGE' });
    await expect(h.release('1' as unknown as number)).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
    await expect(h.release(1, { stop: 'no' as unknown as boolean })).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
    await expect(h.release(1, { stp: false } as unknown as { stop: boolean })).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_VALUE' });
  });
});

describe.sequential(`adopt${skip}`, () => {
  it.skipIf(!canPtrace)('takes a released tree back: continues it, and masks what it execs with the words it shows', async () => {
    const { pid, dir } = await maskedProbe();
    await h.release(pid);
    expect(stateOf(pid)).toBe('T');
    const a = await h.adopt(pid);
    expect(a).toMatchObject({ pid, continued: 1 });
    expect(tracerOf(pid)).toBe(a.helper);
    expect(a.words.hwcap & removed.hwcap).toBe(0n);
    expect(a.words.hwcap).toBe(present.hwcap & keep.hwcap!);
    await until('the tree to run again', () => (stateOf(pid) !== 'T' ? true : undefined));
    fs.writeFileSync(path.join(dir, 'go-1'), '');
    const child = parseViews(await until('the child it execs', () => readIf(path.join(dir, 'child-1.txt'))));
    expect(BigInt(child.stack) & removed.hwcap).toBe(0n);
    expect(BigInt(child.kernel) & removed.hwcap).toBe(0n);
    expect(BigInt(child.stack)).toBe(a.words.hwcap);
    expect(readIf(path.join(dir, 'violations'))).toBeUndefined();
    // And it can be released again.
    const r = await h.release(pid, { stop: false });
    expect(r.helper).toBe(a.helper);
    expect(tracerOf(pid)).toBe(0);
  });

  it.skipIf(!canPtrace)('narrows the mask of an untraced process for what it execs, never widens it', async () => {
    const dir = fs.mkdtempSync(path.join(work, 'u-'));
    const c = cp.spawn(probe, [dir], { stdio: 'ignore' });
    started.push(c.pid!);
    await until('the probe', () => readIf(path.join(dir, 'start.txt')));
    const low = removed.hwcap;
    const name = h.decodeWords(h.hostArch(), { hwcap: low })[0]!;
    // Its auxv shows every feature: a narrower mask is taken, for what it execs from now on.
    const a = await h.adopt(c.pid!, { hwcaps: { hwcap: present.hwcap & ~low } });
    expect(a.words.hwcap).toBe(present.hwcap & ~low);
    fs.writeFileSync(path.join(dir, 'go-1'), '');
    const child = parseViews(await until('the child it execs', () => readIf(path.join(dir, 'child-1.txt'))));
    expect(BigInt(child.stack)).toBe(present.hwcap & ~low);
    expect(BigInt(child.kernel)).toBe(present.hwcap & ~low);
    // The process itself keeps what it read.
    expect(BigInt(parseViews(readIf(path.join(dir, 'start.txt'))!).stack)).toBe(present.hwcap);
    await h.release(c.pid!, { stop: false });
    // A masked tree: asking for the feature it lacks is wider, named.
    const m = await maskedProbe();
    await h.release(m.pid);
    await expectRefused(h.adopt(m.pid, { hwcaps: { hwcap: present.hwcap } }), 'wider', 'EINVAL', new RegExp(`keeps ${name},? .*never widen`));
    // The launcher refuses the same words on its own (the native layer re-checks).
    const raw = cp.spawnSync(h.launcherPath(), ['--adopt', String(m.pid), '--hwcap', hex(present.hwcap)], { encoding: 'utf8' });
    expect(raw.status).toBe(2);
    expect(JSON.parse(raw.stdout)).toMatchObject({ error: 'wider', code: 'EINVAL' });
    expect(tracerOf(m.pid)).toBe(0);
    expect(stateOf(m.pid)).toBe('T');
  });

  it.skipIf(!canPtrace)('refuses a tree another tracer holds, and leaves it as it was', async () => {
    const dir = fs.mkdtempSync(path.join(work, 'q-'));
    const t = cp.spawn(holder, [probe, dir], { stdio: 'ignore' });
    started.push(t.pid!);
    await until('the traced probe', () => readIf(path.join(dir, 'start.txt')));
    const pid = Number(parseViews(readIf(path.join(dir, 'start.txt'))!).pid);
    started.push(pid);
    await expectRefused(h.adopt(pid), 'traced', 'EBUSY', new RegExp(`traced by pid ${t.pid} \\(ptrace-holder\\)`));
    expect(tracerOf(pid)).toBe(t.pid);
    // A tree whose child another tracer holds: refused too, and nothing stays seized.
    const dir2 = fs.mkdtempSync(path.join(work, 'r-'));
    const sh = cp.spawn('sh', ['-c', `"${holder}" "${probe}" "${dir2}"; sleep 30`], { stdio: 'ignore' });
    started.push(sh.pid!);
    await until('the traced probe under sh', () => readIf(path.join(dir2, 'start.txt')));
    started.push(Number(parseViews(readIf(path.join(dir2, 'start.txt'))!).pid));
    await expectRefused(h.adopt(sh.pid!), 'traced', 'EBUSY', /traced by pid \d+ \(ptrace-holder\)/);
    await until('the tree untraced again', () => (tracerOf(sh.pid!) === 0 ? true : undefined));
    expect(statusField(sh.pid!, 'State')).toBeDefined();
  });

  it.skipIf(!canPtrace)('the adopted tree dies with its helper (EXITKILL): it never runs on unfollowed', async () => {
    const { pid } = await maskedProbe();
    await h.release(pid);
    const a = await h.adopt(pid);
    process.kill(a.helper, 'SIGKILL');
    await until('the tree to die with its helper', () => (stateOf(pid) === undefined || stateOf(pid) === 'Z' ? true : undefined));
  });

  it.skipIf(!canPtrace)('hwcap adopt and hwcap release: --drop from what the tree shows, --json, and exit 2 with a message', async () => {
    const dir = fs.mkdtempSync(path.join(work, 'cli-'));
    const c = cp.spawn(probe, [dir], { stdio: 'ignore' });
    started.push(c.pid!);
    await until('the probe', () => readIf(path.join(dir, 'start.txt')));
    const low = h.decodeWords(h.hostArch(), { hwcap: removed.hwcap })[0]!;
    const ad = cp.spawnSync(process.execPath, [cliPath, 'adopt', '--json', '--drop', low, String(c.pid)], { encoding: 'utf8' });
    expect(ad.stderr).toBe('');
    expect(ad.status).toBe(0);
    const r = JSON.parse(ad.stdout) as { pid: number; words: { hwcap: string } };
    expect(r.pid).toBe(c.pid);
    expect(BigInt(r.words.hwcap)).toBe(present.hwcap & ~removed.hwcap);
    fs.writeFileSync(path.join(dir, 'go-1'), '');
    expect(BigInt(parseViews(await until('its child', () => readIf(path.join(dir, 'child-1.txt')))).stack!)).toBe(present.hwcap & ~removed.hwcap);
    const again = cp.spawnSync(process.execPath, [cliPath, 'adopt', String(c.pid)], { encoding: 'utf8' });
    expect(again.status).toBe(2);
    expect(again.stderr).toMatch(new RegExp(`hwcap adopt: pid ${c.pid} is traced by pid ${r.pid === c.pid ? '\\d+' : ''}`));
    const rel = cp.spawnSync(process.execPath, [cliPath, 'release', '--json', '--no-stop', String(c.pid)], { encoding: 'utf8' });
    expect(rel.status).toBe(0);
    expect(JSON.parse(rel.stdout)).toMatchObject({ pid: c.pid, stopped: false });
    const bad = cp.spawnSync(process.execPath, [cliPath, 'release', 'x1'], { encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/PID must be a process id, not 'x1'/);
    const none = cp.spawnSync(process.execPath, [cliPath, 'release', String(c.pid)], { encoding: 'utf8' });
    expect(none.status).toBe(2);
    expect(none.stderr).toMatch(/not followed by an hwcap helper/);
  });

  it('refuses a pid that does not exist, and validates its arguments', async () => {
    const gone = cp.spawnSync('true').pid!;
    await expectRefused(h.adopt(gone), 'no-such-process', 'ESRCH', /no process has pid/);
    await expect(h.adopt(-3)).rejects.toMatchObject({ code: 'ERR_OUT_OF_RANGE' });
    await expect(h.adopt(1, { hwcap: 1n } as unknown as h.AdoptOptions)).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_VALUE' });
    await expect(h.adopt(1, { hwcaps: 7 as unknown as string[] })).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
    await expect(h.adopt(1, { hwcaps: ['no-such-feature'] })).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_VALUE' });
  });
});
