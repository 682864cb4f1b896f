// Reliability of masked spawns under load and under faults (ptrace mode).
//
// Load: 500 masked spawns of hwcap-probe, 50 at a time: every child sees the
// masked words in every view, no zombie is left, no helper outlives its tree,
// and the runner's fd count returns to where it started.
//
// Faults: the helper killed before the seize, after it, at the exec stop,
// during the patch and during the injection (the launcher's HWCAP_EXEC_FAULT
// switch); the target killed while group-stopped and while stopped at its exec
// stop; a missing program; a file that is not executable. In every case the
// probe never prints unmasked words, the parent gets a precise error (a code, a
// syscall, a stage) or the real signal, and nothing takes longer than 5 s.
//
// Every child carries HWCAP_RELIABILITY_TAG in its environment, so that a
// helper left behind (it is detached, so not our child) can be found in /proc.
import * as cp from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hwcapWords, type HwcapWords } from '../../lib';
import { HwcapError } from '../../lib/errors';
import { probePath, probePtrace, spawn, spawnSync } from '../../lib';
import { ldShowAuxv, withTestLauncher } from '../support/helpers';
import { AUXV_ONLY } from '../support/mask-fixture';

const ptrace = probePtrace();
const canPtrace = ptrace.ok;
const skipWhy = canPtrace ? '' : ` (skipped: ptrace mode does not work here: ${ptrace.reason})`;
const KEYS = ['hwcap', 'hwcap2', 'hwcap3', 'hwcap4'] as const;
const present = hwcapWords('kernel');
const lowestBit = (x: bigint) => x & -x;
/** Clear one set bit of AT_HWCAP2 (or AT_HWCAP): a mask whose absence a probe would show. */
const mask: Partial<HwcapWords> = present.hwcap2 !== 0n ? { hwcap2: present.hwcap2 & ~lowestBit(present.hwcap2) } : { hwcap: present.hwcap & ~lowestBit(present.hwcap) };
const want: HwcapWords = { ...present, ...mask } as HwcapWords;
const cleared = present.hwcap2 !== 0n ? { key: 'hwcap2' as const, bit: lowestBit(present.hwcap2) } : { key: 'hwcap' as const, bit: lowestBit(present.hwcap) };
const isX86 = os.arch() === 'x64';
const TAG = `rel-${process.pid}-${Date.now()}`;
const DEADLINE_MS = 5_000;


type View = Record<(typeof KEYS)[number], string>;
interface ProbeOut {
  pid: number;
  process: View;
  libc: View;
  prGetAuxv: View | null;
  procAuxv: View | null;
  tracerPid: number;
}

/** Every JSON line the probe printed; each must show the masked word in every view. */
function probeLines(stdout: string): ProbeOut[] {
  return stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as ProbeOut);
}

function unmaskedViews(p: ProbeOut): string[] {
  const bad: string[] = [];
  const views: [string, View | null][] = [['process', p.process], ['prGetAuxv', p.prGetAuxv], ['procAuxv', p.procAuxv], ['libc', p.libc]];
  for (const [name, v] of views) {
    if (!v) continue;
    for (const k of KEYS) {
      // glibc on x86-64 answers AT_HWCAP with its own bits, not the auxv word.
      if (name === 'libc' && isX86 && k === 'hwcap') continue;
      if ((BigInt(v[k]) & ~want[k]) !== 0n) bad.push(`${name}.${k}=${v[k]}`);
    }
  }
  return bad;
}

interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  error?: Error & Record<string, unknown>;
  stdout: string;
  stderr: string;
  ms: number;
  hung: boolean;
}

/** Waits for 'close' (child_process emits it after 'error' too), at most DEADLINE_MS. */
function finished(child: cp.ChildProcess, onSpawn?: (c: cp.ChildProcess) => void): Promise<Finished> {
  const t0 = Date.now();
  return new Promise((resolve) => {
    let stdout = '';
    let stderr = '';
    let error: Finished['error'];
    child.stdout?.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', (e) => (error = e as Finished['error']));
    if (onSpawn) child.on('spawn', () => onSpawn(child));
    const timer = setTimeout(() => {
      try {
        child.kill('SIGKILL');
      } catch {
        /* gone */
      }
      resolve({ code: null, signal: null, error, stdout, stderr, ms: Date.now() - t0, hung: true });
    }, DEADLINE_MS);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, error, stdout, stderr, ms: Date.now() - t0, hung: false });
    });
  });
}

function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...process.env, HWCAP_RELIABILITY_TAG: TAG, ...extra };
}

/** Processes anywhere on the machine that carry this file's tag (launchers, helpers, targets). */
function tagged(): { pid: number; comm: string }[] {
  const out: { pid: number; comm: string }[] = [];
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d) || Number(d) === process.pid) continue;
    try {
      if (fs.readFileSync(`/proc/${d}/environ`, 'latin1').includes(`HWCAP_RELIABILITY_TAG=${TAG}\0`)) {
        const stat = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
        if (stat.slice(stat.lastIndexOf(')') + 2)[0] === 'Z') continue; // reaped by its own parent shortly
        out.push({ pid: Number(d), comm: fs.readFileSync(`/proc/${d}/comm`, 'utf8').trim() });
      }
    } catch {
      /* gone, or not ours to read */
    }
  }
  return out;
}

/** Zombie children of this process. */
function zombies(): number[] {
  const out: number[] = [];
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const s = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
      const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
      if (f[0] === 'Z' && Number(f[1]) === process.pid) out.push(Number(d));
    } catch {
      /* gone */
    }
  }
  return out;
}

const fdCount = () => fs.readdirSync('/proc/self/fd').length;

/** Polls until cond() holds or ms pass; returns whether it held. */
async function eventually(cond: () => boolean, ms = DEADLINE_MS): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return cond();
}

let probe = '';
let tmp = '';
beforeAll(() => {
  if (canPtrace) probe = probePath();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hwcap-reliability-'));
});
afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('load', () => {
  it.skipIf(!canPtrace)(`500 masked spawns, 50 at a time: every child masked, no zombie, no helper left, fds back${skipWhy}`, async () => {
    const fdsBefore = fdCount();
    const total = 500;
    const width = 50;
    let next = 0;
    const results: { r: Finished; pid?: number }[] = [];
    const worker = async () => {
      while (next < total) {
        next++;
        const c = spawn(probe, [], { hwcaps: mask, ...AUXV_ONLY, mode: 'ptrace', env: env() });
        const r = await finished(c);
        results.push({ r, pid: c.pid });
      }
    };
    const t0 = Date.now();
    await Promise.all(Array.from({ length: width }, worker));
    const seconds = (Date.now() - t0) / 1000;
    expect(results).toHaveLength(total);
    const failures = results.filter(({ r }) => r.hung || r.code !== 0 || r.error).map(({ r }) => ({ code: r.code, signal: r.signal, error: r.error?.message, stderr: r.stderr.slice(0, 200), hung: r.hung }));
    expect(failures).toEqual([]);
    for (const { r, pid } of results) {
      const lines = probeLines(r.stdout);
      expect(lines).toHaveLength(1);
      expect(unmaskedViews(lines[0])).toEqual([]);
      expect(lines[0].pid).toBe(pid);
    }
    expect(await eventually(() => zombies().length === 0)).toBe(true);
    expect(await eventually(() => tagged().length === 0), JSON.stringify(tagged())).toBe(true);
    expect(await eventually(() => fdCount() === fdsBefore), `fds ${fdCount()} vs ${fdsBefore}`).toBe(true);
    fs.writeSync(1, `reliability: ${total} masked spawns, ${width} at a time, in ${seconds.toFixed(1)} s\n`);
  }, 120_000);
});

describe('faults', () => {
  /** After every fault: nothing of ours left running, no zombie, the fd count back. */
  async function expectClean(fdsBefore: number): Promise<void> {
    expect(await eventually(() => tagged().length === 0), `left behind: ${JSON.stringify(tagged())}`).toBe(true);
    expect(await eventually(() => zombies().length === 0)).toBe(true);
    expect(await eventually(() => fdCount() === fdsBefore), `fds ${fdCount()} vs ${fdsBefore}`).toBe(true);
  }

  /** The probe printed nothing, or only masked words. */
  function expectNeverUnmasked(r: Finished): void {
    for (const line of probeLines(r.stdout)) expect(unmaskedViews(line)).toEqual([]);
  }

  const helperFaults: [string, string][] = [
    ['helper-before-seize', 'before the seize'],
    ['helper-after-seize', 'after the seize, before the launcher is told'],
    ['helper-at-exec-stop', 'at the exec stop'],
    ['helper-during-patch', 'during the patch (stack words written, saved copy not yet)'],
    ['helper-during-inject', 'during the injection (a syscall instruction over the entry point)'],
  ];

  it.skipIf(!canPtrace).each(helperFaults)(`helper killed at %s (%s): the probe never runs unmasked, the parent gets a HwcapError${skipWhy}`, async (fault) => {
    const fdsBefore = fdCount();
    const r = await finished(withTestLauncher(() => spawn(probe, [], { hwcaps: mask, ...AUXV_ONLY, mode: 'ptrace', env: env({ HWCAP_EXEC_FAULT: fault }) })));
    expect(r.hung).toBe(false);
    expect(r.ms).toBeLessThan(DEADLINE_MS);
    expect(probeLines(r.stdout)).toEqual([]); // killed before its first instruction
    expect(r.error, `no error; exit ${r.code} ${r.signal}; stderr ${r.stderr}`).toBeDefined();
    const e = r.error!;
    expect(e.name).toBe('HwcapError');
    expect(typeof e.code).toBe('string');
    expect(typeof e.syscall).toBe('string');
    expect(typeof e.stage).toBe('string');
    expect(e.path).toBe(probe);
    // Killed after the seize, the helper takes the launcher with it (PTRACE_O_EXITKILL) before any
    // status line: the stage is then 'helper' ("the launcher ended before it reported its setup").
    if (fault === 'helper-before-seize') expect(e.stage).toBe('seize');
    if (fault === 'helper-after-seize') expect(['seize', 'helper']).toContain(e.stage);
    // ECHILD: the helper ended before the program was masked; ESRCH: the tracee vanished mid-patch.
    if (fault.endsWith('exec-stop') || fault.endsWith('patch') || fault.endsWith('inject')) expect([3, 10]).toContain(e.errno);
    expect(String(e.hint ?? '')).not.toBe('');
    await expectClean(fdsBefore);
  });

  it.skipIf(!canPtrace).each(helperFaults)(`spawnSync, helper killed at %s: a HwcapError, no output${skipWhy}`, (fault) => {
    const t0 = Date.now();
    const r = withTestLauncher(() => spawnSync(probe, [], { hwcaps: mask, ...AUXV_ONLY, mode: 'ptrace', env: env({ HWCAP_EXEC_FAULT: fault }), encoding: 'utf8', timeout: DEADLINE_MS }));
    expect(Date.now() - t0).toBeLessThan(DEADLINE_MS);
    expect((r.error as Error | undefined)?.name).toBe('HwcapError');
    expect(r.stdout ?? '').toBe('');
  });

  it.skipIf(!canPtrace)(`the target killed while group-stopped: 'exit' with SIGKILL, the helper goes too${skipWhy}`, async () => {
    const fdsBefore = fdCount();
    const child = spawn('/bin/sleep', ['30'], { hwcaps: mask, ...AUXV_ONLY, mode: 'ptrace', env: env(), stdio: 'ignore' });
    // The stop-and-kill runs beside finished(); its answer is awaited and asserted below, so a
    // failure there fails this test (not an unhandled rejection after it).
    let stoppedThenKilled: Promise<boolean> | undefined;
    const done = finished(child, (c) => {
      stoppedThenKilled = (async () => {
        c.kill('SIGSTOP');
        const stopped = await eventually(() => {
          try {
            // 'T' stopped, or 't' when the helper (still tracing the tree) holds it in a group-stop with PTRACE_LISTEN.
            return ['T', 't'].includes(fs.readFileSync(`/proc/${c.pid}/stat`, 'utf8').split(') ')[1][0]);
          } catch {
            return false;
          }
        }, 3_000);
        c.kill('SIGKILL');
        return stopped;
      })();
    });
    const r = await done;
    expect(stoppedThenKilled, "the child never emitted 'spawn'").toBeDefined();
    expect(await stoppedThenKilled, 'the target was never seen stopped').toBe(true);
    expect(r.hung).toBe(false);
    expect(r.error).toBeUndefined();
    expect(r.signal).toBe('SIGKILL');
    await expectClean(fdsBefore);
  });

  it.skipIf(!canPtrace)(`the target killed while stopped at its exec stop: no unmasked run, a precise error or SIGKILL${skipWhy}`, async () => {
    // The test build's helper waits half a second at the first exec stop (pause-at-exec-stop)
    // before it masks, so the target sits in its tracing stop ('t') with the probe's image in
    // place for that long, and the poll below kills it there. This test used to find that stop
    // in the few milliseconds the helper took to walk the stack of a 20,000-variable
    // environment, by busy-polling /proc: under a full suite's load (two cores shared with the
    // other test files) the poller and the helper compete for the same CPUs, the poller could
    // miss the window in all eight attempts, and the test failed with 'never caught the target
    // at its exec stop', nothing wrong with the launcher. The pause makes the window a fixed
    // half second; the helper then finds its tracee gone at its first ptrace call.
    let caught = 0;
    const outcomes: string[] = [];
    for (let attempt = 0; attempt < 8 && caught < 2; attempt++) {
      const fdsBefore = fdCount();
      let hit = false;
      const child = withTestLauncher(() => spawn(probe, [], { hwcaps: mask, ...AUXV_ONLY, mode: 'ptrace', env: env({ HWCAP_EXEC_FAULT: 'pause-at-exec-stop' }) }));
      const done = finished(child);
      // From the moment the launcher exists ('spawn' is held back until the program is masked, too late).
      const pid = child.pid!;
      const t0 = Date.now();
      while (Date.now() - t0 < 3_000) {
        let state: string;
        let exe: string;
        try {
          state = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1][0];
          exe = fs.readlinkSync(`/proc/${pid}/exe`);
        } catch {
          break;
        }
        if (state === 't' && exe === probe) {
          process.kill(pid, 'SIGKILL');
          hit = true;
          break;
        }
        await new Promise((r) => setTimeout(r, 5));
      }
      const r = await done;
      expect(r.hung).toBe(false);
      expect(r.ms).toBeLessThan(DEADLINE_MS);
      if (hit) {
        caught++;
        expect(probeLines(r.stdout)).toEqual([]);
        // Either the helper saw its tracee vanish mid-patch (HwcapError ESRCH at a named stage)
        // or the kill landed between stops and the exit is the real SIGKILL.
        if (r.error) {
          expect(r.error.name).toBe('HwcapError');
          expect(typeof r.error.stage).toBe('string');
          outcomes.push(`${r.error.code} at ${r.error.stage} (${r.error.syscall})`);
        } else {
          expect(r.signal).toBe('SIGKILL');
          outcomes.push('SIGKILL');
        }
      } else {
        expectNeverUnmasked(r);
        outcomes.push(`missed (${r.code ?? r.signal})`);
      }
      await expectClean(fdsBefore);
    }
    fs.writeSync(1, `reliability: target killed at its exec stop: ${outcomes.join('; ')}\n`);
    expect(caught, `never caught the target at its exec stop: ${outcomes.join('; ')}`).toBeGreaterThan(0);
  }, 60_000);

  it.skipIf(!canPtrace)(`a missing program: ENOENT as child_process gives it, nothing left behind${skipWhy}`, async () => {
    const fdsBefore = fdCount();
    for (const file of ['/nonexistent/hwcap-reliability', 'hwcap-reliability-not-on-path']) {
      const r = await finished(spawn(file, ['x'], { hwcaps: mask, ...AUXV_ONLY, mode: 'ptrace', env: env() }));
      expect(r.hung).toBe(false);
      expect(r.error).toMatchObject({ code: 'ENOENT', syscall: `spawn ${file}`, path: file, spawnargs: ['x'] });
      expect(r.code).toBe(-2);
      const s = spawnSync(file, [], { hwcaps: mask, ...AUXV_ONLY, mode: 'ptrace', env: env() });
      expect(s.error).toMatchObject({ code: 'ENOENT', syscall: `spawnSync ${file}`, path: file });
    }
    await expectClean(fdsBefore);
  });

  it.skipIf(!canPtrace)(`a file that is not executable, a directory, a script without an interpreter: EACCES / ENOENT as with child_process, never run${skipWhy}`, async () => {
    const fdsBefore = fdCount();
    const plain = path.join(tmp, 'not-executable');
    fs.writeFileSync(plain, '#!/bin/sh\necho ran\n', { mode: 0o644 });
    const noInterp = path.join(tmp, 'bad-interpreter');
    fs.writeFileSync(noInterp, '#!/nonexistent/interpreter\necho ran\n', { mode: 0o755 });
    const cases: [string, string[]][] = [
      [plain, ['EACCES']],
      [tmp, ['EACCES']],
      [noInterp, ['ENOENT']],
    ];
    for (const [file, codes] of cases) {
      const r = await finished(spawn(file, [], { hwcaps: mask, ...AUXV_ONLY, mode: 'ptrace', env: env() }));
      const theirs = await finished(cp.spawn(file, [], { env: env() }));
      expect(r.hung).toBe(false);
      expect(r.stdout).not.toContain('ran');
      expect(r.error, `${file}: exit ${r.code}`).toBeDefined();
      expect(codes).toContain(r.error!.code);
      expect(r.error!.syscall).toBe(`spawn ${file}`);
      // child_process reports the same code for the same file.
      expect(theirs.error?.code).toBe(r.error!.code);
    }
    await expectClean(fdsBefore);
  });

  // util.getSystemErrorName() has no name for errnos libuv does not list (ECHILD, ENOEXEC …);
  // lib/errors.ts names them from os.constants.errno.
  it("a HwcapError for ECHILD (the helper died) has code 'ECHILD' and a message", () => {
    const e = new HwcapError({ errno: 10, syscall: 'ptrace(PTRACE_SEIZE)' });
    expect(e.code).toBe('ECHILD');
    expect(e.message).toBe('ECHILD: no child processes, ptrace(PTRACE_SEIZE)');
  });

  // child_process gives no 'error' for a file the kernel cannot run: libuv's execvp runs it
  // with /bin/sh. The launcher does the same, masked.
  it.skipIf(!canPtrace)(`an ENOEXEC file runs through /bin/sh as with child_process${skipWhy}`, async () => {
    const garbage = path.join(tmp, 'garbage-2');
    fs.writeFileSync(garbage, Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff]), { mode: 0o755 });
    const plain = await finished(cp.spawn(garbage, [], { env: env() }));
    const r = await finished(spawn(garbage, [], { hwcaps: mask, ...AUXV_ONLY, mode: 'ptrace', env: env() }));
    expect(plain.error).toBeUndefined();
    expect(r.error).toBeUndefined();
    expect(r.code).toBe(plain.code);
    const script = path.join(tmp, 'no-shebang');
    fs.writeFileSync(script, 'LD_SHOW_AUXV=1 /bin/true\n', { mode: 0o755 });
    const s = await finished(spawn(script, [], { hwcaps: mask, ...AUXV_ONLY, mode: 'ptrace', env: env() }));
    expect(s.code).toBe(0);
    // /bin/true, run by the /bin/sh that runs the script, sees the masked words.
    const shown = ldShowAuxv(s.stdout);
    expect(shown.hwcap).toBe(want.hwcap);
    expect(shown.hwcap2 ?? 0n).toBe(want.hwcap2);
    expect(cleared.bit & (cleared.key === 'hwcap' ? shown.hwcap! : (shown.hwcap2 ?? 0n))).toBe(0n);
  });
});
