// release() and adopt() on real trees, without CRIU: what the helper undoes and keeps, and every
// refusal (no such pid, no helper, another tracer, no permission, a request from inside the tree,
// a wider mask), and the CPUID part: faulting disarmed by release and armed again by adopt, with
// the rules release hands over (simulated traps of the test build where CPUID does not fault).
// test/criu/checkpoint.test.ts runs the same with a real dump and restore.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as cp from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as h from '../../lib';
import { AUXV_ONLY, canPtrace, keep, present, removed, hex } from '../support/mask-fixture';
import { runNode, which } from '../support/helpers';
import { cpuidFaulting, drop7, faultProbe, faultingSkip, host, isX64, reg } from '../support/cpuid-fixture';
import { compileFixture, killIf, parseViews, readIf, stateOf, statusField, tmpDir, tracerOf, until } from '../support/criu-fixture';

const skip = canPtrace ? '' : ' (skipped: ptrace mode unavailable here)';
const asNobody = process.getuid?.() === 0 && which('setpriv') !== undefined;
const NOBODY = ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'];
const cliPath = path.join(__dirname, '..', '..', 'dist', 'cli.js');
const setprivAt = which('setpriv');

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
      const a = await h.adopt(sh.pid!, AUXV_ONLY);
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

  it.skipIf(!canPtrace || !isX64)(`the filter's traced ARCH_SET_CPUID: EPERM while followed, ENOSYS once released running (no tracer)${isX64 ? '' : ' (skipped: x86-64 only)'}`, async () => {
    const bin = compileFixture('cpuid-loop', work);
    const dir = fs.mkdtempSync(path.join(work, 'esc-'));
    // An auxv mask only: followed, with the filter, and no CPUID faulting (real CPUID runs natively).
    const child = h.spawn(bin, ['--escape', dir], { hwcaps: keep, ...AUXV_ONLY, mode: 'ptrace', stdio: 'ignore' });
    await new Promise<void>((resolve, reject) => child.once('spawn', resolve).once('error', reject));
    started.push(child.pid!);
    const esc = (): { eperm: number; odd: number; last: number } | undefined => {
      const m = /eperm=(\d+) odd=(\d+) last=(\d+)/.exec(readIf(path.join(dir, 'thread')) ?? '');
      return m ? { eperm: Number(m[1]), odd: Number(m[2]), last: Number(m[3]) } : undefined;
    };
    const before = await until('refused escapes', () => { const e = esc(); return e && e.eperm > 2 ? e : undefined; });
    expect(before.odd).toBe(0);
    await h.release(child.pid!, { stop: false });
    expect(tracerOf(child.pid!)).toBe(0);
    const after = await until('escapes without a tracer', () => { const e = esc(); return e && e.odd > 2 ? e : undefined; });
    expect(after.last).toBe(38); // ENOSYS: SECCOMP_RET_TRACE with no tracer
  });

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
  it.skipIf(!canPtrace || !isX64)(`x86-64: told neither the CPUID rules, a keep set nor auxvOnly, adopt refuses and leaves the tree as it was (library and command)${isX64 ? '' : ' (skipped: x86-64 only)'}`, async () => {
    const { pid } = await maskedProbe();
    const rel = cp.spawnSync(process.execPath, [cliPath, 'release', String(pid)], { encoding: 'utf8' });
    expect(rel.status, rel.stderr).toBe(0);
    expect(rel.stdout).toMatch(/^CPUID not masked: take it back with hwcap adopt --auxv-only PID/m);
    await expectRefused(h.adopt(pid), 'cpuid-unknown', 'EINVAL', new RegExp(`pid ${pid}'s CPUID rules are not known`));
    const e = await h.adopt(pid).then(() => undefined, (x: unknown) => x as h.HandoverError);
    expect(e!.hint).toMatch(/options\.cpuid: ReleaseResult\.cpuid.*auxvOnly: true/);
    const cli = cp.spawnSync(process.execPath, [cliPath, 'adopt', String(pid)], { encoding: 'utf8' });
    expect(cli.status).toBe(2);
    expect(cli.stderr).toMatch(new RegExp(`^hwcap adopt: pid ${pid}'s CPUID rules are not known.*\\nhint: pass the rules 'hwcap release' printed \\(--cpuid RULE \\.\\.\\.\\).*--auxv-only`, 'm'));
    // --drop alone narrows what the tree shows, with the CPUID rules it implies (as hwcap exec
    // --drop; test/criu/adopt-drop.test.ts): here the lowest AT_HWCAP bit, fpu, below the x86-64
    // baseline, refused before the tree is touched.
    const low = h.decodeWords(h.hostArch(), { hwcap: removed.hwcap })[0]!;
    const below = cp.spawnSync(process.execPath, [cliPath, 'adopt', '--drop', low, String(pid)], { encoding: 'utf8' });
    expect(below.status).toBe(2);
    expect(below.stderr).toMatch(new RegExp(`^hwcap adopt: the mask removes the x86-64 baseline feature ${low} from CPUID`));
    expect(tracerOf(pid)).toBe(0);
    expect(stateOf(pid)).toBe('T');
    // Told: the rules release gave (none), and the tree is followed again.
    const a = await h.adopt(pid, { cpuid: [] });
    expect(a).toMatchObject({ pid, continued: 1, cpuid: [] });
    expect(tracerOf(pid)).toBe(a.helper);
  });

  it.skipIf(!canPtrace)('takes a released tree back: continues it, and masks what it execs with the words it shows', async () => {
    const { pid, dir } = await maskedProbe();
    await h.release(pid);
    expect(stateOf(pid)).toBe('T');
    const a = await h.adopt(pid, AUXV_ONLY);
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
    const a = await h.adopt(c.pid!, { hwcaps: { hwcap: present.hwcap & ~low }, ...AUXV_ONLY });
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
    await expectRefused(h.adopt(pid, AUXV_ONLY), 'traced', 'EBUSY', new RegExp(`traced by pid ${t.pid} \\(ptrace-holder\\)`));
    expect(tracerOf(pid)).toBe(t.pid);
    // A tree whose child another tracer holds: refused too, and nothing stays seized.
    const dir2 = fs.mkdtempSync(path.join(work, 'r-'));
    const sh = cp.spawn('sh', ['-c', `"${holder}" "${probe}" "${dir2}"; sleep 30`], { stdio: 'ignore' });
    started.push(sh.pid!);
    await until('the traced probe under sh', () => readIf(path.join(dir2, 'start.txt')));
    started.push(Number(parseViews(readIf(path.join(dir2, 'start.txt'))!).pid));
    await expectRefused(h.adopt(sh.pid!, AUXV_ONLY), 'traced', 'EBUSY', /traced by pid \d+ \(ptrace-holder\)/);
    await until('the tree untraced again', () => (tracerOf(sh.pid!) === 0 ? true : undefined));
    expect(statusField(sh.pid!, 'State')).toBeDefined();
  });

  it.skipIf(!canPtrace)('the adopted tree dies with its helper (EXITKILL): it never runs on unfollowed', async () => {
    const { pid } = await maskedProbe();
    await h.release(pid);
    const a = await h.adopt(pid, AUXV_ONLY);
    process.kill(a.helper, 'SIGKILL');
    await until('the tree to die with its helper', () => (stateOf(pid) === undefined || stateOf(pid) === 'Z' ? true : undefined));
  });

  it.skipIf(!canPtrace)('hwcap adopt and hwcap release: --drop from what the tree shows, --json, and exit 2 with a message', async () => {
    const dir = fs.mkdtempSync(path.join(work, 'cli-'));
    const c = cp.spawn(probe, [dir], { stdio: 'ignore' });
    started.push(c.pid!);
    await until('the probe', () => readIf(path.join(dir, 'start.txt')));
    const low = h.decodeWords(h.hostArch(), { hwcap: removed.hwcap })[0]!;
    const ad = cp.spawnSync(process.execPath, [cliPath, 'adopt', '--json', '--auxv-only', '--drop', low, String(c.pid)], { encoding: 'utf8' });
    expect(ad.stderr).toBe('');
    expect(ad.status).toBe(0);
    const r = JSON.parse(ad.stdout) as { pid: number; words: { hwcap: string } };
    expect(r.pid).toBe(c.pid);
    expect(BigInt(r.words.hwcap)).toBe(present.hwcap & ~removed.hwcap);
    fs.writeFileSync(path.join(dir, 'go-1'), '');
    expect(BigInt(parseViews(await until('its child', () => readIf(path.join(dir, 'child-1.txt')))).stack!)).toBe(present.hwcap & ~removed.hwcap);
    const again = cp.spawnSync(process.execPath, [cliPath, 'adopt', '--auxv-only', String(c.pid)], { encoding: 'utf8' });
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
    await expectRefused(h.adopt(gone, AUXV_ONLY), 'no-such-process', 'ESRCH', /no process has pid/);
    await expect(h.adopt(-3)).rejects.toMatchObject({ code: 'ERR_OUT_OF_RANGE' });
    await expect(h.adopt(1, { hwcap: 1n } as unknown as h.AdoptOptions)).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_VALUE' });
    await expect(h.adopt(1, { hwcaps: 7 as unknown as string[] })).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
    await expect(h.adopt(1, { hwcaps: ['no-such-feature'] })).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_VALUE' });
  });
});

// ---- CPUID ---------------------------------------------------------------------------------

const cpuidSkip = !isX64 || !canPtrace;
const cpuidWhy = !isX64 ? ' (skipped: x86-64 only)' : !canPtrace ? ' (skipped: ptrace mode unavailable here)' : '';
const hex8 = (v: number): string => (v >>> 0).toString(16).padStart(8, '0');
/** CPUID.7.0:EBX as this CPU answers it, and as the mask keeps it (without drop7). */
const ebx7 = host ? reg(host.main['7.0'], 1) : 0;
const kept7 = (ebx7 & ~drop7) >>> 0;
/** The rule the release hands over for that mask. */
const rule7 = `7.0:ebx=${hex8(kept7)}`;

/** Runs f with these launcher variables set in this process (the library's launcher calls read them). */
async function withEnv<T>(env: Record<string, string | undefined>, f: () => Promise<T>): Promise<T> {
  const before: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(env)) {
    before[k] = process.env[k];
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  try {
    return await f();
  } finally {
    for (const [k, v] of Object.entries(before)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}
const SIMULATED = { HWCAP_TEST_LAUNCHER: '1', HWCAP_EXEC_FAULT: 'cpuid-simulate' };

interface LoopBeat {
  n: number;
  ebx: number;
  get: number;
}
function loopBeat(dir: string, name: 'main' | 'thread'): LoopBeat | undefined {
  const m = /n=(\d+) ebx=0x([0-9a-f]+) get=(-?\d+)/.exec(readIf(path.join(dir, name)) ?? '');
  return m ? { n: Number(m[1]), ebx: parseInt(m[2]!, 16) >>> 0, get: Number(m[3]) } : undefined;
}
/** Both threads beat past their count now, each with `ok` true of its beat. */
async function beatsAfter(dir: string, what: string, ok: (b: LoopBeat) => boolean): Promise<Record<'main' | 'thread', LoopBeat>> {
  const from = { main: loopBeat(dir, 'main')?.n ?? 0, thread: loopBeat(dir, 'thread')?.n ?? 0 };
  const out = {} as Record<'main' | 'thread', LoopBeat>;
  for (const name of ['main', 'thread'] as const) {
    out[name] = await until(`${what} (${name})`, () => {
      const b = loopBeat(dir, name);
      return b && b.n > from[name] + 2 && ok(b) ? b : undefined;
    });
  }
  return out;
}

let loopBin: string | undefined;
/** cpuid-loop spawned with a CPUID mask (7.0:EBX without drop7); simulated traps unless real. */
async function maskedLoop(real = false, busy = false, escape = false, extraEnv: NodeJS.ProcessEnv = {}): Promise<{ pid: number; dir: string; child: cp.ChildProcess }> {
  loopBin ??= compileFixture('cpuid-loop', work);
  const dir = fs.mkdtempSync(path.join(work, 'loop-'));
  const fsCur = h.FeatureSet.current();
  const hwcaps = { arch: fsCur.arch, words: fsCur.words, cpuid: { 'CPUID.7.0:EBX': kept7 } };
  const env: NodeJS.ProcessEnv = real ? { ...process.env, ...extraEnv } : { ...process.env, ...SIMULATED, ...extraEnv };
  // The fixture is not instrumented: a sanitizer preloaded by test:asan would turn its fatal
  // SIGSEGV (an unanswered trap) into an abort.
  delete env.LD_PRELOAD;
  const child = await withEnv(real ? {} : SIMULATED, async () => {
    const c = h.spawn(loopBin!, [...(real ? [] : ['--simulate']), ...(busy ? ['--busy'] : []), ...(escape ? ['--escape'] : []), dir], { hwcaps, mode: 'ptrace', stdio: 'ignore', env });
    await new Promise<void>((resolve, reject) => c.once('spawn', resolve).once('error', reject));
    return c;
  });
  started.push(child.pid!);
  await beatsAfter(dir, 'masked beats', (b) => b.ebx === kept7);
  return { pid: child.pid!, dir, child };
}

/** Releases a busy masked loop and adopts it back with the release's rules, 8 times: after each
 * adopt both threads beat masked, and the process never dies. */
async function releaseAdoptRounds({ pid, dir, child }: { pid: number; dir: string; child: cp.ChildProcess }): Promise<void> {
  let exited: string | null | undefined;
  child.once('exit', (_c, sig) => (exited = sig));
  for (let k = 0; k < 8; k++) {
    const r = await h.release(pid);
    expect(r.cpuid).toContain(rule7);
    const a = await withEnv(SIMULATED, () => h.adopt(pid, { cpuid: r.cpuid }));
    expect(a.tasks).toBe(2);
    await beatsAfter(dir, `masked beats after adopt ${k + 1}`, (b) => b.ebx === kept7);
    expect(exited).toBeUndefined();
  }
}

describe.skipIf(cpuidSkip).sequential(`the CPUID hand-over${cpuidWhy}`, () => {
  it('simulated traps: a masked tree released hands over its rules, and adopted with them answers masked again in every thread', async () => {
    expect(drop7).not.toBe(0);
    const { pid, dir, child } = await maskedLoop();
    const died = new Promise<string | null>((resolve) => child.once('exit', (_c, sig) => resolve(sig)));
    const r = await h.release(pid);
    expect(r).toMatchObject({ pid, stopped: true, tasks: 2 });
    expect(r.cpuid).toContain(rule7);
    expect(tracerOf(pid)).toBe(0);
    expect(stateOf(pid)).toBe('T');
    // Adopted with the release's rules: each thread is armed before the tree runs again, so each
    // simulated CPUID is answered (masked); a thread left unarmed would die at its next one.
    const a = await withEnv(SIMULATED, () => h.adopt(pid, { cpuid: r.cpuid }));
    expect(a).toMatchObject({ pid, continued: 1, tasks: 2 });
    expect(a.cpuid).toContain(rule7);
    expect(tracerOf(pid)).toBe(a.helper);
    const after = await beatsAfter(dir, 'masked beats after the adopt', (b) => b.ebx === kept7);
    expect(after.main.ebx & drop7).toBe(0);
    expect(after.thread.ebx & drop7).toBe(0);
    // Released again: the adopting helper hands the same rules on.
    const again = await h.release(pid);
    expect(again.cpuid).toEqual(a.cpuid);
    // Adopted without being told the rules, it is refused, the tree untouched: nothing in it says
    // whether its CPUID was masked.
    await expectRefused(withEnv(SIMULATED, () => h.adopt(pid)), 'cpuid-unknown', 'EINVAL', /CPUID rules are not known/);
    expect(tracerOf(pid)).toBe(0);
    expect(stateOf(pid)).toBe('T');
    // Adopted with CPUID left unmasked on purpose (auxvOnly): in the simulation nothing answers the
    // next trap, and the process dies of it (with real faulting, disarmed, it would read the CPU).
    const bare = await withEnv(SIMULATED, () => h.adopt(pid, AUXV_ONLY));
    expect(bare.cpuid).toEqual([]);
    expect(await died).toBe('SIGSEGV');
  });

  // The twin of the real-faulting test below ("after release ARCH_GET_CPUID reads disarmed"): in the
  // simulation nothing is armed for the kernel, so a thread cannot show the disarm. The test build
  // logs each disarm the release injects (HWCAP_EXEC_FAULT_LOG) with the kernel's answer to that
  // arch_prctl(ARCH_SET_CPUID, 1), which proves it ran in the thread: ENODEV where CPUID does not
  // fault, 0 where it does.
  it('simulated traps: release injects the disarm, arch_prctl(ARCH_SET_CPUID, 1), into every thread it armed, and the kernel answers it', async () => {
    const log = path.join(work, `disarm-${process.pid}.log`);
    fs.rmSync(log, { force: true });
    const { pid } = await maskedLoop(false, false, false, { HWCAP_EXEC_FAULT_LOG: log });
    const tids = fs.readdirSync(`/proc/${pid}/task`).map(Number).sort((a, b) => a - b);
    expect(tids).toHaveLength(2);
    expect(readIf(log) ?? '').toBe(''); // nothing disarmed before the release
    const r = await h.release(pid);
    expect(r).toMatchObject({ pid, stopped: true, tasks: 2 });
    const want = faultProbe.code === 'ENODEV' ? -19 : 0;
    const lines = (readIf(log) ?? '').trim().split('\n').filter(Boolean);
    const seen = lines.map((l) => /^disarm tid=(\d+) ret=(-?\d+)$/.exec(l)).map((m) => (m ? [Number(m[1]), Number(m[2])] : [0, NaN]));
    expect(seen.map(([t]) => t).sort((a, b) => a! - b!)).toEqual(tids);
    for (const [, ret] of seen) expect(ret).toBe(want);
  });

  it('a thread caught at a CPUID trap by the hold is answered there: repeated release and adopt of a thread that traps back to back', async () => {
    // A trap held back and sent again after the let-go would have killed the process.
    await releaseAdoptRounds(await maskedLoop(false, true));
  }, 60_000);

  it("the tree's own arch_prctl(ARCH_SET_CPUID, 1) gets EPERM from the follow loop and from a hold that catches it at its seccomp stop: repeated release and adopt of a thread that tries it back to back", async () => {
    const loop = await maskedLoop(false, true, true);
    const escapes = (): { eperm: number; odd: number } | undefined => {
      const m = /eperm=(\d+) odd=(\d+)/.exec(readIf(path.join(loop.dir, 'thread')) ?? '');
      return m ? { eperm: Number(m[1]), odd: Number(m[2]) } : undefined;
    };
    // Still masked after each round: a call that ran would have answered ENODEV here (no faulting)
    // or 0, counted as odd.
    await releaseAdoptRounds(loop);
    const e = escapes();
    expect(e?.odd).toBe(0);
    expect(e?.eperm).toBeGreaterThan(256);
  }, 60_000);

  it("adopt's CPUID rules are the release's ANDed with those of options.hwcaps: never wider", async () => {
    const { pid, dir } = await maskedLoop();
    const r = await h.release(pid);
    // options.hwcaps keeps drop7 (all of 7.0:EBX) but drops another bit: both are masked.
    const other = ebx7 & ~drop7 & -(ebx7 & ~drop7);
    expect(other).not.toBe(0);
    const fsCur = h.FeatureSet.current();
    const hwcaps = { arch: fsCur.arch, words: fsCur.words, cpuid: { 'CPUID.7.0:EBX': (ebx7 & ~other) >>> 0 } };
    const a = await withEnv(SIMULATED, () => h.adopt(pid, { hwcaps, cpuid: r.cpuid }));
    const both = (ebx7 & ~drop7 & ~other) >>> 0;
    expect(a.cpuid).toContain(`7.0:ebx=${hex8(both)}`);
    await beatsAfter(dir, 'beats masked by both', (b) => b.ebx === both);
  });

  it('release with stop: false of a CPUID-masked tree is refused (cpuid-running) unless allowUnmaskedCpuid; the tree stays followed', async () => {
    const { pid, dir, child } = await maskedLoop();
    const helper = tracerOf(pid);
    const e = await h.release(pid, { stop: false }).then(() => undefined, (x: unknown) => x);
    expect(e).toBeInstanceOf(h.HandoverError);
    expect(e).toMatchObject({ reason: 'cpuid-running', code: 'EPERM' });
    expect((e as h.HandoverError).message).toMatch(new RegExp(`masks CPUID \\(.*${rule7}.*\\): released without a stop it would run CPUID unmasked`));
    expect((e as h.HandoverError).hint).toMatch(/allowUnmaskedCpuid/);
    expect(tracerOf(pid)).toBe(helper);
    await beatsAfter(dir, 'masked beats after the refusal', (b) => b.ebx === kept7);
    // Accepted explicitly: released running, rules handed over (in the simulation the next trap,
    // unanswered, kills it; with real faulting it would run CPUID unmasked).
    const died = new Promise<string | null>((resolve) => child.once('exit', (_c, sig) => resolve(sig)));
    const r = await h.release(pid, { stop: false, allowUnmaskedCpuid: true });
    expect(r).toMatchObject({ stopped: false });
    expect(r.cpuid).toContain(rule7);
    expect(await died).toBe('SIGSEGV');
    await expect(h.release(pid, { allowUnmaskedCpuid: 'yes' as unknown as boolean })).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
  });

  it.skipIf(cpuidFaulting)('adopt with CPUID rules where CPUID does not fault: fails closed at stage cpuid-fault (tree untouched) or cpuid-arm (tree left stopped) (skipped where CPUID faults)', async () => {
    const { pid, dir } = await maskedLoop();
    const r = await h.release(pid);
    // The shipped launcher probes first and leaves the tree alone.
    const e = await withEnv({ HWCAP_TEST_LAUNCHER: undefined, HWCAP_EXEC_FAULT: undefined }, () => h.adopt(pid, { cpuid: r.cpuid })).then(() => undefined, (x: unknown) => x);
    expect(e).toBeInstanceOf(h.HandoverError);
    expect(e).toMatchObject({ reason: 'cpuid-fault', stage: 'cpuid-fault', code: 'ENODEV' });
    expect((e as h.HandoverError).message).toMatch(/arch_prctl\(ARCH_SET_CPUID\): ENODEV .*not touched/);
    expect(tracerOf(pid)).toBe(0);
    expect(stateOf(pid)).toBe('T');
    // Past the probe (test build, skip-cpuid-probe): the arming itself fails in the held tree, which is
    // not continued: left stopped and untraced.
    const e2 = await withEnv({ HWCAP_TEST_LAUNCHER: '1', HWCAP_EXEC_FAULT: 'skip-cpuid-probe' }, () => h.adopt(pid, { cpuid: r.cpuid })).then(() => undefined, (x: unknown) => x);
    expect(e2).toBeInstanceOf(h.HandoverError);
    expect(e2).toMatchObject({ reason: 'cpuid-arm', stage: 'cpuid-arm', code: 'ENODEV', syscall: 'arch_prctl(ARCH_SET_CPUID)' });
    expect((e2 as h.HandoverError).message).toMatch(/cpuid-arm: .*left stopped and untraced/);
    await until('the tree untraced', () => (tracerOf(pid) === 0 ? true : undefined));
    expect(stateOf(pid)).toBe('T');
    const n = loopBeat(dir, 'main')!.n;
    await new Promise((res) => setTimeout(res, 200));
    expect(loopBeat(dir, 'main')!.n).toBe(n);
    // Without CPUID rules the same adopt succeeds (CPUID then unmasked: the caller's choice).
    await expect(h.adopt(pid, { cpuid: ['7.0:ebx'] })).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_VALUE' });
    await expect(h.adopt(pid, { cpuid: '7.0:ebx=0' as unknown as string[] })).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
  });

  const shstk = host ? (reg(host.main['7.0'], 2) & (1 << 7)) !== 0 : false;
  it.skipIf(!shstk)(`a CPUID rule that clears a security feature (user_shstk) is refused without allowSecurityMasking${shstk ? '' : ' (skipped: this CPU has no user_shstk)'}`, async () => {
    const e = await h.adopt(process.pid, { cpuid: ['7.0:ecx=ffffff7f'] }).then(() => undefined, (x: unknown) => x);
    expect(e).toBeInstanceOf(h.HandoverError);
    expect(e).toMatchObject({ reason: 'security', code: 'EPERM' });
    expect((e as Error).message).toMatch(/refusing to mask security feature 'user_shstk' \(CPUID leaf 0x7\.0 register 2 bit 7\)/);
    expect(tracerOf(process.pid)).toBe(0);
    // A rule the launcher cannot parse is a usage error naming it.
    const raw = cp.spawnSync(h.launcherPath(), ['--adopt', String(process.pid), '--cpuid', '7:ebx=1'], { encoding: 'utf8' });
    expect(raw.status).toBe(2);
    expect(JSON.parse(raw.stdout)).toMatchObject({ error: 'usage', code: 'EINVAL' });
    expect(raw.stdout).toMatch(/leaf 7 takes a subleaf/);
  });

  it.skipIf(!cpuidFaulting)(`real faulting: after release ARCH_GET_CPUID reads disarmed in every thread, after adopt armed and masked${faultingSkip}`, async () => {
    const { pid, dir } = await maskedLoop(true);
    await beatsAfter(dir, 'armed beats', (b) => b.get === 0 && (b.ebx & drop7) === 0);
    const r = await h.release(pid, { stop: false, allowUnmaskedCpuid: true });
    expect(r.cpuid).toContain(rule7);
    await beatsAfter(dir, 'disarmed beats', (b) => b.get === 1);
    const a = await h.adopt(pid, { cpuid: r.cpuid });
    expect(a.cpuid).toContain(rule7);
    await beatsAfter(dir, 'armed and masked beats after the adopt', (b) => b.get === 0 && b.ebx === kept7);
  });

  // The helper's own injected arch_prctl(ARCH_SET_CPUID, 1) goes through the filter's traced rule
  // (SECCOMP_RET_TRACE): no PTRACE_O_SUSPEND_SECCOMP, so no CAP_SYS_ADMIN. Spawner, launcher and
  // helper all run in a child node under setpriv with CAP_SYS_ADMIN out of the bounding set.
  it.skipIf(!setprivAt)(`simulated traps: a CPUID-masked tree is released (and adopted back) without CAP_SYS_ADMIN${setprivAt ? '' : ' (skipped: needs setpriv from util-linux)'}`, () => {
    loopBin ??= compileFixture('cpuid-loop', work);
    const dir = fs.mkdtempSync(path.join(work, 'nocap-'));
    const code = `
const fs = require('fs'), path = require('path');
const capEff = (pid) => BigInt('0x' + /^CapEff:\\s*([0-9a-f]+)$/m.exec(fs.readFileSync('/proc/' + pid + '/status', 'utf8'))[1]);
const tracer = (pid) => Number(/^TracerPid:\\s*(\\d+)$/m.exec(fs.readFileSync('/proc/' + pid + '/status', 'utf8'))[1]);
const beat = (name) => { try { const m = /n=(\\d+) ebx=0x([0-9a-f]+)/.exec(fs.readFileSync(path.join(${JSON.stringify(dir)}, name), 'utf8')); return m && { n: Number(m[1]), ebx: parseInt(m[2], 16) >>> 0 }; } catch { return null; } };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function beats(ok) {
  const from = { main: beat('main')?.n ?? 0, thread: beat('thread')?.n ?? 0 };
  for (const name of ['main', 'thread'])
    for (let k = 0; ; k++) {
      const b = beat(name);
      if (b && b.n > from[name] + 2 && ok(b)) break;
      if (k > 2000) throw new Error('no beat of ' + name);
      await sleep(5);
    }
}
(async () => {
  const res = { capSysAdmin: Number((capEff('self') >> 21n) & 1n) };
  const f = h.FeatureSet.current();
  const c = h.spawn(${JSON.stringify(loopBin)}, ['--simulate', ${JSON.stringify(dir)}], { hwcaps: { arch: f.arch, words: f.words, cpuid: { 'CPUID.7.0:EBX': ${kept7} } }, mode: 'ptrace', stdio: 'ignore' });
  await new Promise((resolve, reject) => c.once('spawn', resolve).once('error', reject));
  try {
    await beats((b) => b.ebx === ${kept7});
    res.helperCapSysAdmin = Number((capEff(tracer(c.pid)) >> 21n) & 1n);
    try {
      const r = await h.release(c.pid);
      res.release = { stopped: r.stopped, tasks: r.tasks, cpuid: r.cpuid, tracer: tracer(c.pid) };
      const a = await h.adopt(c.pid, { cpuid: r.cpuid });
      res.adopt = { tasks: a.tasks, cpuid: a.cpuid };
      await beats((b) => b.ebx === ${kept7});
      res.maskedAfter = true;
    } catch (e) {
      res.error = { reason: e.reason, code: e.code, message: e.message };
    }
  } finally {
    try { process.kill(c.pid, 'SIGKILL'); } catch {}
  }
  out(res);
})();
`;
    const r = runNode(code, { wrapper: [setprivAt!, '--bounding-set', '-sys_admin'], env: { ...process.env, ...SIMULATED }, timeout: 60_000 });
    expect(r.value).toMatchObject({ capSysAdmin: 0, helperCapSysAdmin: 0 });
    expect(r.value).not.toHaveProperty('error');
    expect(r.value).toMatchObject({ release: { stopped: true, tasks: 2, tracer: 0 }, adopt: { tasks: 2 }, maskedAfter: true });
    const v = r.value as { release: { cpuid: string[] }; adopt: { cpuid: string[] } };
    expect(v.release.cpuid).toContain(rule7);
    expect(v.adopt.cpuid).toContain(rule7);
  }, 90_000);

  it('hwcap release prints the rules to pass on, and hwcap adopt --cpuid takes them', async () => {
    const { pid, dir } = await maskedLoop();
    const rel = cp.spawnSync(process.execPath, [cliPath, 'release', String(pid)], { encoding: 'utf8' });
    expect(rel.status).toBe(0);
    expect(rel.stdout).toMatch(new RegExp(`CPUID masked by ${rule7.replace('.', '\\.')}.*hwcap adopt --cpuid ${rule7.replace('.', '\\.')}`));
    const ad = cp.spawnSync(process.execPath, [cliPath, 'adopt', '--json', '--cpuid', rule7, String(pid)], { encoding: 'utf8', env: { ...process.env, ...SIMULATED } });
    expect(ad.stderr).toBe('');
    expect(ad.status).toBe(0);
    expect(JSON.parse(ad.stdout)).toMatchObject({ pid, cpuid: [rule7] });
    await beatsAfter(dir, 'masked beats after hwcap adopt', (b) => b.ebx === kept7);
  });
});
