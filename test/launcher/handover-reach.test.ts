// hwcap release and hwcap adopt against trees that once got the better of them (issue 21), and the
// test build's simulated traps run by hand:
// - a tree whose user has 2,000 supplementary groups: its /proc status files run past 4 KiB, and
//   release reads NSpid, which comes after Groups, to find the helper's pid namespace;
// - a program of a tree that `hwcap adopt` took back, running as the helper's own user, cannot
//   reach adopt's helper (not dumpable, as exec's: cpuid-audit.test.ts);
// - the test launcher run directly (no VITEST) with HWCAP_EXEC_FAULT=cpuid-simulate masks no real
//   CPUID, and says so on stderr.
import { afterEach, describe, expect, it } from 'vitest';
import * as cp from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { canPtrace } from '../support/mask-fixture';
import { cpuidArgs, cpuidFaulting, cpuidProbe, drop7, faultingSkip, isX64, launcher, launcherFor, testLauncher } from '../support/cpuid-fixture';
import { repoRoot } from '../support/helpers';
import { groupsSkip, NOBODY, nobodySkip, setpriv } from '../support/nobody';

const auditProbe = path.join(repoRoot, 'build', 'Release', 'hwcap-cpuid-audit-probe');
const EACCES = 13;
const EPERM = 1;

const started: cp.ChildProcess[] = [];
afterEach(() => {
  for (const c of started.splice(0)) c.kill('SIGKILL');
});

const sleepMs = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const statusOf = (pid: number): string => fs.readFileSync(`/proc/${pid}/status`, 'latin1');
const tracerOf = (pid: number): number => Number(/^TracerPid:\s*(\d+)/m.exec(statusOf(pid))?.[1]);
const commOf = (pid: number): string => fs.readFileSync(`/proc/${pid}/comm`, 'latin1').trim();

/** Waits until pid runs `comm` (its exec done) and, if asked, is traced: the tracer's pid, or 0. */
async function waitFor(pid: number, comm: string, traced: boolean): Promise<number> {
  for (let i = 0; i < 1000; i++) {
    try {
      if (commOf(pid) === comm && (!traced || tracerOf(pid) > 0)) return tracerOf(pid);
    } catch {
      /* not yet */
    }
    await sleepMs(10);
  }
  throw new Error(`pid ${pid} never ran ${comm}${traced ? ', traced' : ''}`);
}

/** The launcher's one JSON answer (--release, --adopt), run under `wrapper`. */
function answer(args: string[], wrapper: string[] = [], env: NodeJS.ProcessEnv = process.env): Record<string, unknown> {
  const argv = [...wrapper, launcherFor(env), ...args];
  const r = cp.spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', env, timeout: 20_000 });
  try {
    return JSON.parse(r.stdout) as Record<string, unknown>;
  } catch {
    throw new Error(`${argv.join(' ')}: no JSON answer (status ${r.status}): ${r.stdout}${r.stderr}`);
  }
}

describe.skipIf(!canPtrace || !!groupsSkip)(`a tree whose user has 2,000 supplementary groups${groupsSkip}`, () => {
  it('is released, adopted back and released again: its /proc status files run past 4 KiB, with NSpid after Groups', async () => {
    const groups = Array.from({ length: 2000 }, (_, i) => i + 1).join(',');
    const tree = cp.spawn(setpriv!, ['--groups', groups, '--', launcher, '--mode', 'ptrace', '--hwcap', 'fffffffffffffffe', '--', 'sleep', '30'], { stdio: 'ignore' });
    started.push(tree);
    const pid = tree.pid!;
    const helper = await waitFor(pid, 'sleep', true);
    expect(statusOf(pid).length).toBeGreaterThan(4096);
    expect(statusOf(helper).length).toBeGreaterThan(4096);
    expect(answer(['--release', '--no-stop', String(pid)])).toMatchObject({ released: pid, helper, stopped: false });
    const back = answer(['--adopt', String(pid)]);
    expect(back).toMatchObject({ adopted: pid, tasks: 1 });
    expect(answer(['--release', String(pid)])).toMatchObject({ released: pid, helper: back.helper, stopped: true });
  });
});

const simSkip = !isX64 || !fs.existsSync(auditProbe);
const reachWays = [
  { name: 'auxv only', args: [] as string[], env: {} as Record<string, string>, skip: !fs.existsSync(auditProbe), why: '' },
  { name: 'with CPUID rules, real CPUID faulting', args: cpuidArgs, env: {} as Record<string, string>, skip: !cpuidFaulting || !fs.existsSync(auditProbe), why: faultingSkip },
  { name: 'with CPUID rules, simulated traps (HWCAP_EXEC_FAULT=cpuid-simulate)', args: cpuidArgs, env: { HWCAP_EXEC_FAULT: 'cpuid-simulate' }, skip: simSkip, why: simSkip ? ' (skipped: x86-64 only)' : '' },
];

describe.skipIf(!canPtrace || !!nobodySkip)(`a tree taken back by hwcap adopt, out of reach of adopt's helper${nobodySkip}`, () => {
  for (const { name, args, env: extra, skip, why } of reachWays)
    it.skipIf(skip)(`${name}: a program of the tree (nobody, the helper's own user) cannot open its mem, seize it or read its memory${why}`, async () => {
      const env = { ...process.env, ...extra };
      // Untraced until the adopt: the shell waits for a tracer, then becomes the probe, which tries its tracer.
      const wait = `while grep -q '^TracerPid:[[:space:]]*0$' /proc/$$/status; do sleep 0.01; done; exec "$0" reach-helper`;
      const tree = cp.spawn(NOBODY[0]!, [...NOBODY.slice(1), 'sh', '-c', wait, auditProbe], { stdio: ['ignore', 'pipe', 'pipe'], env });
      started.push(tree);
      let out = '';
      let err = '';
      tree.stdout!.on('data', (d: Buffer) => (out += d.toString()));
      tree.stderr!.on('data', (d: Buffer) => (err += d.toString()));
      const ended = new Promise<number | null>((r) => tree.on('exit', (code) => r(code)));
      const pid = tree.pid!;
      expect(await waitFor(pid, 'sh', false)).toBe(0);
      const adopted = answer(['--adopt', String(pid), ...args], NOBODY, env);
      expect(adopted).toMatchObject({ adopted: pid });
      expect(await ended).toBe(0);
      expect(err).toBe('');
      const seen = JSON.parse(out.trim().split('\n').pop()!) as Record<string, number>;
      expect(seen).toEqual({ tracer: adopted.helper, mem: EACCES, seize: EPERM, vm: EPERM });
    });
});

describe.skipIf(!isX64 || !canPtrace)('the test launcher run by hand with HWCAP_EXEC_FAULT=cpuid-simulate', () => {
  const hex8 = (v: number): string => (v >>> 0).toString(16).padStart(8, '0');
  /** The environment of a shell: the simulation asked for, no VITEST (the test runner's marker). */
  const byHand = (): NodeJS.ProcessEnv => {
    const env: NodeJS.ProcessEnv = { ...process.env, HWCAP_EXEC_FAULT: 'cpuid-simulate' };
    delete env.VITEST;
    return env;
  };
  const run = (env: NodeJS.ProcessEnv): cp.SpawnSyncReturns<string> =>
    cp.spawnSync(testLauncher, ['--cpuid', `7.0:ebx=${hex8(~drop7)}`, '--', cpuidProbe], { encoding: 'utf8', env, timeout: 20_000 });

  it('says on stderr, in one line, that nothing is masked: the program still runs, and its real CPUID sees this CPU', () => {
    const r = run(byHand());
    expect(r.status).toBe(0);
    const lines = r.stderr.split('\n').filter(Boolean);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^hwcap-exec: HWCAP_EXEC_FAULT=cpuid-simulate: NOTHING IS MASKED\b.*real CPUID/);
  });

  it('adopt with CPUID rules says the same', async () => {
    const c = cp.spawn('sleep', ['30'], { stdio: 'ignore' });
    started.push(c);
    await waitFor(c.pid!, 'sleep', false);
    const r = cp.spawnSync(testLauncher, ['--adopt', String(c.pid), ...cpuidArgs], { encoding: 'utf8', env: byHand(), timeout: 20_000 });
    expect(JSON.parse(r.stdout)).toMatchObject({ adopted: c.pid });
    expect(r.stderr).toMatch(/^hwcap-exec: HWCAP_EXEC_FAULT=cpuid-simulate: NOTHING IS MASKED\b[^\n]*\n$/);
  });

  it('under the test runner (VITEST set) it says nothing: the tests read the simulation for what it is', () => {
    const r = run({ ...byHand(), VITEST: 'true' });
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
  });
});
