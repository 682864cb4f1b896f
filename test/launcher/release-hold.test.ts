// release in two steps (whileHeld; hwcap-exec --release PID --hold), as hwcap-runtime checkpoint
// uses it: the helper holds and disarms the tree, the caller moves the helper out of the tree's
// freezer cgroup and freezes it (a task in a ptrace stop freezes), and the helper detaches a tree
// it finds frozen. The tree is left frozen, unfollowed and not stopped, with no SIGSTOP or SIGCONT
// sent: a shell waiting for its child blocks signals, and a SIGCONT stays pending there, which
// CRIU 4.1.1 cannot restore. Where the caller does not freeze, or fails, the tree is let go
// stopped. Needs a cgroup v1 freezer hierarchy (probed) and ptrace.
import { afterEach, describe, expect, it } from 'vitest';
import * as cp from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as h from '../../lib';
import { canPtrace, present } from '../support/mask-fixture';
import { cpuidArgs, isX64, launcher, testLauncher } from '../support/cpuid-fixture';

const FREEZER = '/sys/fs/cgroup/freezer';
const freezerSkip = !canPtrace
  ? ' (skipped: ptrace mode unavailable here)'
  : !fs.existsSync(path.join(FREEZER, 'cgroup.procs'))
    ? ' (skipped: no cgroup v1 freezer hierarchy at /sys/fs/cgroup/freezer)'
    : (() => {
        try {
          fs.accessSync(path.join(FREEZER, 'cgroup.procs'), fs.constants.W_OK);
          return '';
        } catch {
          return ' (skipped: the freezer hierarchy is not writable here)';
        }
      })();

const SIGCONT_BIT = 1n << 17n; // SIGCONT (18) in SigPnd/ShdPnd
const sleepMs = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const status = (pid: number): string => fs.readFileSync(`/proc/${pid}/status`, 'latin1');
const field = (pid: number, name: string): string => new RegExp(`^${name}:\\s*(.*)$`, 'm').exec(status(pid))?.[1] ?? '';
const stateOf = (pid: number): string => field(pid, 'State')[0] ?? '?';

interface Tree {
  group: string;
  pid: number;
  counter: string;
  pids: () => number[];
  launcher: cp.ChildProcess;
}
const made: Tree[] = [];
afterEach(() => {
  for (const t of made.splice(0)) {
    for (const p of t.pids()) {
      try {
        process.kill(p, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    try {
      fs.writeFileSync(path.join(t.group, 'freezer.state'), 'THAWED');
    } catch {
      /* gone */
    }
    t.launcher.kill('SIGKILL');
    for (let i = 0; i < 50; i++) {
      try {
        fs.rmdirSync(t.group);
        break;
      } catch {
        cp.spawnSync('sleep', ['0.05']);
      }
    }
  }
});

/**
 * A masked, followed counter (a shell that waits for `sleep` in a loop) started in a new freezer
 * cgroup: the launcher, its helper and the tree all in it, as in a container.
 */
async function startTree(fault: string): Promise<Tree> {
  const group = path.join(FREEZER, `hwcap-release-hold-${process.pid}-${made.length}`);
  fs.mkdirSync(group);
  const counter = path.join(fs.mkdtempSync('/tmp/hwcap-hold-'), 'n');
  const env = { ...process.env, ...(fault ? { HWCAP_EXEC_FAULT: fault } : {}) };
  const bin = fault ? testLauncher : launcher;
  const mask = ['--mode', 'ptrace', '--hwcap', present.hwcap.toString(16), ...(fault ? cpuidArgs : [])];
  const loop = `i=0; while :; do i=$((i+1)); echo $i > ${counter}; sleep 0.05; done`;
  const child = cp.spawn('sh', ['-c', `echo $$ > ${group}/cgroup.procs && exec "$@"`, 'sh', bin, ...mask, '--', 'sh', '-c', loop], { stdio: 'ignore', env });
  const pid = child.pid!;
  const t: Tree = {
    group,
    pid,
    counter,
    launcher: child,
    pids: () => fs.readFileSync(path.join(group, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number),
  };
  made.push(t);
  for (let i = 0; i < 500 && !(fs.existsSync(counter) && Number(field(pid, 'TracerPid')) > 0); i++) await sleepMs(10);
  expect(Number(field(pid, 'TracerPid'))).toBeGreaterThan(0);
  return t;
}

const count = (t: Tree): number => Number(fs.readFileSync(t.counter, 'utf8').trim() || 0);
const taskPids = (t: Tree, helper: number): number[] => t.pids().filter((p) => p !== helper);

async function freeze(group: string): Promise<void> {
  fs.writeFileSync(path.join(group, 'freezer.state'), 'FROZEN');
  for (let i = 0; i < 500 && fs.readFileSync(path.join(group, 'freezer.state'), 'utf8').trim() !== 'FROZEN'; i++) await sleepMs(10);
  expect(fs.readFileSync(path.join(group, 'freezer.state'), 'utf8').trim()).toBe('FROZEN');
}

const ways = [
  { name: 'auxv-only', fault: '', skip: false },
  { name: 'CPUID rules, simulated traps (test build: cpuid-simulate)', fault: 'cpuid-simulate', skip: !isX64 },
];

describe.skipIf(freezerSkip !== '')(`release({ whileHeld }): the tree frozen by the caller between hold and detach${freezerSkip}`, () => {
  for (const w of ways) {
    it.skipIf(w.skip)(`${w.name}: left frozen, unfollowed, not stopped, with no signal pending; it runs on when thawed`, async () => {
      const t = await startTree(w.fault);
      let heldInfo: h.HeldTree | undefined;
      const r = await h.release(t.pid, {
        whileHeld: async (held) => {
          heldInfo = held;
          // Every task held in a ptrace stop, not yet frozen, when whileHeld runs.
          for (const p of taskPids(t, held.hostHelper)) expect(stateOf(p)).toBe('t');
          fs.writeFileSync(path.join(FREEZER, 'cgroup.procs'), String(held.hostHelper)); // the helper out of the cgroup
          await freeze(t.group);
        },
      });
      expect(heldInfo).toMatchObject({ pid: t.pid, tasks: expect.any(Number) });
      expect(heldInfo!.hostHelper).toBeGreaterThan(0);
      expect(r).toMatchObject({ pid: t.pid, stopped: false, helper: expect.any(Number) });
      if (w.fault) expect(r.cpuid.length).toBeGreaterThan(0);
      const tasks = t.pids();
      expect(tasks.length).toBeGreaterThan(0);
      for (const p of tasks) {
        expect(Number(field(p, 'TracerPid')), `pid ${p} traced`).toBe(0);
        expect(stateOf(p), `pid ${p} frozen`).toBe('D');
        const pending = BigInt(`0x${field(p, 'SigPnd')}`) | BigInt(`0x${field(p, 'ShdPnd')}`);
        expect(pending & SIGCONT_BIT, `pid ${p} has SIGCONT pending`).toBe(0n);
      }
      const frozenAt = count(t);
      await sleepMs(300);
      expect(count(t)).toBe(frozenAt);
      fs.writeFileSync(path.join(t.group, 'freezer.state'), 'THAWED');
      await sleepMs(200);
      for (const p of t.pids()) {
        let st = 'gone';
        try {
          st = stateOf(p);
        } catch {
          /* a sleep that ended meanwhile */
        }
        expect(['S', 'R', 'Z', 'gone'], `pid ${p} after the thaw`).toContain(st); // none stopped, none frozen
      }
      // An auxv-only tree goes on counting. (A CPUID-masked one keeps the helper's seccomp filter,
      // whose traced calls fail with ENOSYS while no tracer follows: that one is dumped, or adopted.)
      if (!w.fault) {
        for (let i = 0; i < 200 && count(t) <= frozenAt + 1; i++) await sleepMs(10);
        expect(count(t)).toBeGreaterThan(frozenAt + 1);
      }
    }, 30_000);
  }

  it('a caller that does not freeze: rejected (not-frozen), the tree let go stopped and unfollowed', async () => {
    const t = await startTree('');
    const e = (await h.release(t.pid, { whileHeld: () => undefined }).catch((x: unknown) => x)) as h.HandoverError;
    expect(e).toBeInstanceOf(h.HandoverError);
    expect(e.reason).toBe('not-frozen');
    for (let i = 0; i < 200 && stateOf(t.pid) !== 'T'; i++) await sleepMs(10);
    expect(stateOf(t.pid)).toBe('T');
    expect(Number(field(t.pid, 'TracerPid'))).toBe(0);
  }, 30_000);

  it('a whileHeld that throws: rejected (aborted) with its message, the tree let go stopped and unfollowed', async () => {
    const t = await startTree('');
    const e = (await h.release(t.pid, { whileHeld: () => Promise.reject(new Error('no freezer here')) }).catch((x: unknown) => x)) as h.HandoverError;
    expect(e).toBeInstanceOf(h.HandoverError);
    expect(e.reason).toBe('aborted');
    expect(e.message).toMatch(/no freezer here/);
    for (let i = 0; i < 200 && stateOf(t.pid) !== 'T'; i++) await sleepMs(10);
    expect(stateOf(t.pid)).toBe('T');
    expect(Number(field(t.pid, 'TracerPid'))).toBe(0);
  }, 30_000);

  it('options.whileHeld must be a function', async () => {
    await expect(h.release(1, { whileHeld: 'freeze' as unknown as () => void })).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
  });
});
