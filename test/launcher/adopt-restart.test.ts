// Adopting a tree whose threads are blocked in system calls (issue 21, case 8): the helper seizes
// each thread with PTRACE_INTERRUPT, which interrupts a blocking call with one of the kernel's
// restart codes (ERESTARTSYS 512, ERESTARTNOINTR 513, ERESTARTNOHAND 514, ERESTART_RESTARTBLOCK
// 516), and the kernel restarts the call when the thread leaves the stop through its signal path.
// Arming CPUID faulting runs a call inside each thread; the thread then left from that call's exit
// stop, where no restart is made, and the program saw 512 or 516 from read, waitpid, nanosleep,
// poll and futex. A program must never see those codes. Each call below blocks across the adopt
// and must end as it would have without one: the right result, no errno, no abort.
import { describe, expect, it } from 'vitest';
import * as cp from 'node:child_process';
import * as fs from 'node:fs';
import { canPtrace, keep, present } from '../support/mask-fixture';
import { cpuidArgs, cpuidFaulting, faultingSkip, isX64, launcher, testLauncher } from '../support/cpuid-fixture';
import { which } from '../support/helpers';

const python = which('python3');
const skip = !canPtrace ? ' (skipped: ptrace mode unavailable here)' : !python ? ' (skipped: no python3 here)' : '';

// The main thread and five others, each blocked in one call for about 2.5 s; the adopt comes after "ready".
const PROGRAM = String.raw`
import os, select, subprocess, sys, threading, time
out = threading.Lock()
def rec(name, f):
    try:
        r = f()
        line = name + (' ok' if r is None or r is True or r == b'x' or r == [] else ' result ' + repr(r))
    except OSError as e:
        line = '%s errno %d' % (name, e.errno)
    except BaseException as e:
        line = '%s raised %r' % (name, e)
    with out:
        print(line, flush=True)
ev = threading.Event()
threading.Timer(2.5, ev.set).start()                     # futex with a timeout (the timer's wait)
child = subprocess.Popen(['sleep', '2.5'])               # a relative nanosleep, in a child
r, w = os.pipe()
p = select.poll(); p.register(r, select.POLLIN)
calls = {
    'waitpid': lambda: child.wait() == 0,
    'nanosleep': lambda: time.sleep(2.5),
    'poll': lambda: p.poll(2500),
    'futex': lambda: ev.wait(),                           # futex without a timeout
    'select': lambda: select.select([r], [], [], 2.5)[0],
}
ts = [threading.Thread(target=rec, args=(n, f)) for n, f in calls.items()]
for t in ts: t.start()
print('ready', flush=True)
rec('read', lambda: os.read(0, 1))                       # in the main thread; the test writes x after the adopt
for t in ts: t.join()
`;

interface Outcome {
  lines: string[];
  code: number | null;
  signal: string | null;
  answer: Record<string, unknown>;
}

/** Adopts the program once its threads block: their outcome lines, once it ends. */
const adoptBlocked = (adoptArgs: string[], env: NodeJS.ProcessEnv, bin: string, program = PROGRAM): Promise<Outcome> =>
  blockedThen([python!, '-c', program], process.env, (pid) => [bin, ['--adopt', String(pid), ...adoptArgs], env]);

/** The program with SIGSEGV blocked in every thread: after adopt's proof, its restore of SIGSEGV's action runs in each. */
const SEGV_BLOCKED = `import signal\nsignal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGSEGV])\n${PROGRAM}`;

/** Starts the program under the launcher, masked and followed, and releases it (--no-stop) once its threads block. */
const releaseBlocked = (maskArgs: string[], env: NodeJS.ProcessEnv, bin: string): Promise<Outcome> =>
  blockedThen([bin, ...maskArgs, '--', python!, '-c', PROGRAM], env, (pid) => [bin, ['--release', String(pid), '--no-stop', '--allow-unmasked-cpuid'], env]);

async function blockedThen(argv: string[], env: NodeJS.ProcessEnv, action: (pid: number) => [string, string[], NodeJS.ProcessEnv]): Promise<Outcome> {
  const child = cp.spawn(argv[0]!, argv.slice(1), { stdio: ['pipe', 'pipe', 'inherit'], env });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  const done = new Promise<[number | null, string | null]>((res) => child.on('close', (c, s) => res([c, s])));
  try {
    for (let i = 0; i < 500 && !out.includes('ready'); i++) await new Promise((r) => setTimeout(r, 10));
    expect(out).toContain('ready');
    // Every thread in its call: none runnable (proc(5) stat field 3).
    const blocked = (): boolean =>
      fs.readdirSync(`/proc/${child.pid}/task`).every((t) => {
        const s = fs.readFileSync(`/proc/${child.pid}/task/${t}/stat`, 'latin1');
        return s.slice(s.lastIndexOf(')') + 2)[0] === 'S';
      });
    for (let i = 0; i < 100 && !blocked(); i++) await new Promise((r) => setTimeout(r, 10));
    expect(blocked()).toBe(true);
    const [bin, args, actionEnv] = action(child.pid!);
    const a = cp.spawnSync(bin, args, { encoding: 'utf8', env: actionEnv, timeout: 20_000 });
    const answer = JSON.parse(a.stdout || '{}') as Record<string, unknown>;
    child.stdin.end('x');
    const [code, signal] = await done;
    return { lines: out.split('\n').filter((l) => l && l !== 'ready').sort(), code, signal, answer };
  } finally {
    child.kill('SIGKILL');
  }
}

/** Keeps every AT_HWCAP bit this machine has: the saved auxv stays as it is. */
const KEEP_ALL = ['--hwcap', present.hwcap.toString(16)];
const ALL_OK = ['futex ok', 'nanosleep ok', 'poll ok', 'read ok', 'select ok', 'waitpid ok'];

describe.skipIf(skip !== '')(`adopt of threads blocked in read, waitpid, nanosleep, poll, futex and select${skip}`, () => {
  it('auxv only, narrowed (the saved auxv rewritten by a prctl run in the process): every call ends as it would have', async () => {
    const r = await adoptBlocked(['--hwcap', keep.hwcap!.toString(16)], process.env, launcher);
    expect(r.answer).toMatchObject({ adopted: expect.any(Number) });
    expect(r.lines).toEqual(ALL_OK);
    expect([r.code, r.signal]).toEqual([0, null]);
  }, 30_000);

  it.skipIf(!isX64)('with CPUID rules, simulated traps (test build: ARCH_GET_CPUID run in each thread instead): no 512 or 516, no abort', async () => {
    const env = { ...process.env, HWCAP_EXEC_FAULT: 'cpuid-simulate' };
    const r = await adoptBlocked([...KEEP_ALL, ...cpuidArgs], env, testLauncher);
    expect(r.answer).toMatchObject({ adopted: expect.any(Number) });
    expect(r.lines).toEqual(ALL_OK);
    expect([r.code, r.signal]).toEqual([0, null]);
  }, 30_000);

  it.skipIf(!cpuidFaulting)(`with CPUID rules, real faulting armed in each blocked thread: no 512 or 516, no abort${faultingSkip}`, async () => {
    const r = await adoptBlocked([...KEEP_ALL, ...cpuidArgs], process.env, launcher);
    expect(r.answer).toMatchObject({ adopted: expect.any(Number) });
    expect(r.lines).toEqual(ALL_OK);
    expect([r.code, r.signal]).toEqual([0, null]);
  }, 30_000);

  it.skipIf(!isX64)('release --no-stop of a CPUID-masked tree, simulated traps (ARCH_GET_CPUID run in each thread): no 512 or 516, no abort', async () => {
    const env = { ...process.env, HWCAP_EXEC_FAULT: 'cpuid-simulate' };
    const r = await releaseBlocked(['--mode', 'ptrace', ...KEEP_ALL, ...cpuidArgs], env, testLauncher);
    expect(r.answer).toMatchObject({ released: expect.any(Number) });
    expect(r.lines).toEqual(ALL_OK);
    expect([r.code, r.signal]).toEqual([0, null]);
  }, 30_000);

  it.skipIf(!cpuidFaulting)(`release --no-stop of a CPUID-masked tree, faulting disarmed in each blocked thread: no 512 or 516, no abort${faultingSkip}`, async () => {
    const r = await releaseBlocked(['--mode', 'ptrace', ...KEEP_ALL, ...cpuidArgs], process.env, launcher);
    expect(r.answer).toMatchObject({ released: expect.any(Number) });
    expect(r.lines).toEqual(ALL_OK);
    expect([r.code, r.signal]).toEqual([0, null]);
  }, 30_000);

  it.skipIf(!isX64)('with CPUID rules and SIGSEGV blocked in every thread, simulated traps (a second call, restoring SIGSEGV, runs in each): no 512 or 516, no abort', async () => {
    const env = { ...process.env, HWCAP_EXEC_FAULT: 'cpuid-simulate' };
    const r = await adoptBlocked([...KEEP_ALL, ...cpuidArgs], env, testLauncher, SEGV_BLOCKED);
    expect(r.answer).toMatchObject({ adopted: expect.any(Number) });
    expect(r.lines).toEqual(ALL_OK);
    expect([r.code, r.signal]).toEqual([0, null]);
  }, 30_000);
});
