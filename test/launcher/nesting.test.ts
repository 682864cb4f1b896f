// Masked trees nest (docs/launcher-protocol.md, "Nesting"): a masked spawn inside a followed
// masked tree asks the tree's helper to narrow the mask for its own subtree. The result is the AND
// of outer and inner, in every auxv view, for the inner program and everything it starts; the
// outer tree's other processes keep the outer mask; two deep works; the inner caller's events are
// those of a plain masked spawn; a foreign tracer still fails closed; the helper's death still
// kills the tree. Masks are auxv only here (no CPUID faulting on x86-64 test machines).
import * as cp from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { launcherPath } from '../../lib';
import { addonDir } from '../../lib/host/native';
import { cpuidProbe, host, isX64, reg } from '../support/cpuid-fixture';
import type { ProbeView } from '../support/cpuid-fixture';
import { procAuxvPairs, which } from '../support/helpers';
import { canPtrace, hex, present, probe, ptraceSkip } from '../support/mask-fixture';

const launcher = launcherPath();
const testLauncher = path.join(addonDir, 'hwcap-exec-test');
const strace = which('strace');
const U64 = (1n << 64n) - 1n;
const AT_HWCAP = 16;

/** The set bits of a word, lowest first. */
function bitsOf(v: bigint): bigint[] {
  const out: bigint[] = [];
  for (let b = 0n; b < 64n; b++) if ((v >> b) & 1n) out.push(1n << b);
  return out;
}
const [A, B, C] = bitsOf(present.hwcap);
const skip = !canPtrace || C === undefined;
const why = ptraceSkip || (C === undefined ? ' (skipped: fewer than three AT_HWCAP bits here)' : '');

/** Launcher arguments keeping every bit of AT_HWCAP but `drop` (AT_HWCAP2 untouched). */
const drop = (bits: bigint): string[] => ['--mode', 'ptrace', '--hwcap', hex(U64 & ~bits), '--'];

interface View {
  pid: number;
  process: Record<string, string>;
  prGetAuxv: Record<string, string> | null;
  procAuxv: Record<string, string> | null;
  tracerPid: number;
}

function views(stdout: string): View[] {
  return stdout
    .split('\n')
    .filter((l) => l.startsWith('{"pid"'))
    .map((l) => JSON.parse(l) as View);
}

/** Every view (process auxv, PR_GET_AUXV, /proc/pid/auxv) has exactly the host's AT_HWCAP without `dropped`. */
function expectHwcap(v: View, dropped: bigint, what: string): void {
  for (const [name, w] of [
    ['process', v.process],
    ['prGetAuxv', v.prGetAuxv],
    ['procAuxv', v.procAuxv],
  ] as const) {
    expect(w, `${what}: ${name} view`).not.toBeNull();
    expect(BigInt(w!.hwcap), `${what}: ${name}.hwcap`).toBe(present.hwcap & ~dropped);
    expect(BigInt(w!.hwcap2), `${what}: ${name}.hwcap2`).toBe(present.hwcap2);
  }
  expect(v.tracerPid, `${what}: traced by the tree's one helper`).toBeGreaterThan(0);
}

function run(args: string[], options: cp.SpawnSyncOptions = {}) {
  const r = cp.spawnSync(args[0], args.slice(1), { encoding: 'utf8', timeout: 60_000, ...options });
  if (r.error) throw r.error;
  return { ...r, stdout: String(r.stdout), stderr: String(r.stderr), views: views(String(r.stdout)) };
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hwcap-nest-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe.skipIf(skip)(`a masked spawn inside a masked tree narrows its own subtree${why}`, () => {
  it('outer drops A, inner drops B: the inner program, its fork and its exec see neither; the outer tree sees only the outer mask', () => {
    // outer: probe (1), inner launcher -> sh: probe (2), sh -c probe (3, fork + exec), exec probe (4); then probe (5)
    const inner = `${launcher} ${drop(B).join(' ')} /bin/sh -c '${probe}; /bin/sh -c ${probe}; exec ${probe}'`;
    const r = run([launcher, ...drop(A), '/bin/sh', '-c', `${probe}; ${inner}; echo inner=$?; ${probe}`]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('inner=0');
    expect(r.views).toHaveLength(5);
    expectHwcap(r.views[0], A, 'outer before');
    for (const i of [1, 2, 3]) expectHwcap(r.views[i], A | B, `inner ${i}`);
    expectHwcap(r.views[4], A, 'outer after');
    // One helper traces the whole tree.
    expect(new Set(r.views.map((v) => v.tracerPid)).size).toBe(1);
  });

  it('the narrowed mask is inherited through threads and every fork: a worker thread spawns, a shell forks 20 at once', () => {
    const spawnProbe = `require('child_process').spawnSync(${JSON.stringify(probe)}, { stdio: 'inherit' })`;
    const worker = `new (require('worker_threads').Worker)(${JSON.stringify(spawnProbe)}, { eval: true })`;
    const t = run([launcher, ...drop(A), launcher, ...drop(B), process.execPath, '-e', worker]);
    expect(t.status, t.stderr).toBe(0);
    expect(t.views).toHaveLength(1);
    expectHwcap(t.views[0], A | B, 'spawned from a worker thread');
    const burst = Array.from({ length: 20 }, () => `${probe} &`).join(' ');
    const f = run([launcher, ...drop(A), launcher, ...drop(B), '/bin/sh', '-c', `${burst} wait`]);
    expect(f.status, f.stderr).toBe(0);
    expect(f.views).toHaveLength(20);
    for (const v of f.views) expectHwcap(v, A | B, `background ${v.pid}`);
  });

  it('AND only: an inner mask that keeps A (every bit but B) does not bring A back', () => {
    const r = run([launcher, ...drop(A), launcher, ...drop(B), probe]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.views).toHaveLength(1);
    expectHwcap(r.views[0], A | B, 'inner');
    // An inner mask that keeps everything asks for nothing: the outer mask stays.
    const all = run([launcher, ...drop(A), launcher, '--mode', 'ptrace', '--hwcap', hex(U64), '--', probe]);
    expect(all.status, all.stderr).toBe(0);
    expectHwcap(all.views[0], A, 'inner keeping all');
  });

  it('two deep: outer drops A, inner B, innermost C; each level keeps its own AND', () => {
    const innermost = `${launcher} ${drop(C).join(' ')} ${probe}`;
    const inner = `${launcher} ${drop(B).join(' ')} /bin/sh -c '${innermost}; ${probe}'`;
    const r = run([launcher, ...drop(A), '/bin/sh', '-c', `${inner}; ${probe}`]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.views).toHaveLength(3);
    expectHwcap(r.views[0], A | B | C, 'innermost');
    expectHwcap(r.views[1], A | B, 'inner after the innermost');
    expectHwcap(r.views[2], A, 'outer');
  });

  it('--no-follow inner: its first image gets the AND, its later execs the mask it had before (the outer)', () => {
    const auxv = path.join(tmp, 'no-follow.auxv');
    const r = run([launcher, ...drop(A), launcher, '--no-follow', ...drop(B), '/bin/sh', '-c', `cat /proc/$$/auxv > ${auxv}; ${probe}`]);
    expect(r.status, r.stderr).toBe(0);
    const shell = procAuxvPairs(auxv).find(([t]) => t === AT_HWCAP)?.[1];
    expect(shell, 'the shell (the inner program itself)').toBe(present.hwcap & ~(A | B));
    expect(r.views).toHaveLength(1);
    expectHwcap(r.views[0], A, 'a later exec of the inner subtree');
  });

  it('the inner launcher status lines are those of a plain masked spawn: exec, then masked from the tree helper', () => {
    const r = run([launcher, ...drop(A), launcher, '--status-fd', '3', ...drop(B), probe], { stdio: ['ignore', 'pipe', 'pipe', 'pipe'] });
    expect(r.status, r.stderr).toBe(0);
    const lines = String(r.output[3]).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.map((l) => l.stage)).toEqual(['exec', 'masked']);
    expect(lines[0]).toMatchObject({ mode: 'ptrace', pid: r.views[0].pid });
    expect(lines[1]).toMatchObject({ pid: r.views[0].pid });
    expectHwcap(r.views[0], A | B, 'inner');
  });

  it('a nested exec that cannot be masked is killed before it runs, and the inner caller gets the failure', () => {
    // The test build's fault: every exec after the outer launcher's first fails to mask.
    const r = run([testLauncher, ...drop(A), testLauncher, '--status-fd', '3', ...drop(B), probe], {
      stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
      env: { ...process.env, HWCAP_EXEC_FAULT: 'descendant-mask-fails' },
    });
    expect(r.signal).toBe('SIGKILL');
    expect(r.views).toHaveLength(0);
    const lines = String(r.output[3]).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines[0]).toMatchObject({ stage: 'exec' });
    expect(lines[1]).toMatchObject({ stage: 'patch-stack', code: 'EIO' });
    expect(lines.some((l) => l.stage === 'masked')).toBe(false);
  });

  it("the library's events for a nested spawn are those of a plain masked spawn (spawn, exit, close; spawnSync's status)", () => {
    const dist = JSON.stringify(path.resolve(__dirname, '../../dist'));
    const script = `const h = require(${dist});
      const o = { hwcaps: { hwcap: ${U64 & ~B}n }, auxvOnly: true, mode: 'ptrace' };
      const s = h.spawnSync(${JSON.stringify(probe)}, [], { ...o, encoding: 'utf8' });
      const f = h.spawnSync('/bin/sh', ['-c', 'exit 3'], o);
      const ev = [];
      const c = h.spawn(${JSON.stringify(probe)}, [], o);
      let out = '';
      c.on('spawn', () => ev.push('spawn'));
      c.on('error', (e) => ev.push('error ' + e.message));
      c.stdout.on('data', (d) => { out += d; });
      c.on('exit', (code, sig) => ev.push('exit ' + code + ' ' + sig));
      c.on('close', (code, sig) => { ev.push('close ' + code + ' ' + sig);
        console.log(JSON.stringify({ sync: { status: s.status, signal: s.signal, error: s.error && s.error.message, out: s.stdout },
          fail: { status: f.status, error: f.error && f.error.message }, ev, out })); });`;
    const plain = run([process.execPath, '-e', script]);
    const nested = run([launcher, ...drop(A), process.execPath, '-e', script]);
    expect(nested.status, nested.stderr).toBe(0);
    expect(plain.status, plain.stderr).toBe(0);
    const p = JSON.parse(plain.stdout.trim()) as { sync: Record<string, unknown>; fail: unknown; ev: string[]; out: string };
    const n = JSON.parse(nested.stdout.trim()) as typeof p;
    expect(n.ev).toEqual(['spawn', 'exit 0 null', 'close 0 null']);
    expect(n.ev).toEqual(p.ev);
    expect(n.fail).toEqual({ status: 3, error: undefined });
    expect(n.fail).toEqual(p.fail);
    expect(n.sync).toMatchObject({ status: 0, signal: null });
    expect(n.sync.error).toBeUndefined();
    expectHwcap(views(String(n.sync.out))[0], A | B, 'nested spawnSync');
    expectHwcap(views(n.out)[0], A | B, 'nested spawn');
    expectHwcap(views(String(p.sync.out))[0], B, 'plain spawnSync');
  });

  it('the tree helper killed: the nested subtree dies with it (EXITKILL)', async () => {
    const c = cp.spawn(launcher, [...drop(A), launcher, ...drop(B), '/bin/sh', '-c', 'echo ready; exec sleep 60'], { stdio: ['ignore', 'pipe', 'inherit'] });
    const closed = new Promise<[number | null, string | null]>((resolve) => c.on('close', (code, sig) => resolve([code, sig])));
    await new Promise<void>((resolve) => c.stdout!.on('data', (d: Buffer) => d.toString().includes('ready') && resolve()));
    const status = fs.readFileSync(`/proc/${c.pid}/status`, 'utf8');
    const helper = Number(/TracerPid:\s*(\d+)/.exec(status)![1]);
    expect(fs.readFileSync(`/proc/${helper}/comm`, 'utf8').trim()).toBe('hwcap-exec-help');
    process.kill(helper, 'SIGKILL');
    expect(await closed).toEqual([null, 'SIGKILL']);
  });
});

// CPUID: the tree's helper answers trapped CPUIDs from its table, then ANDs in a nested subtree's
// own rules. No CPUID faulting here: the test build's cpuid-simulate makes the helper answer the
// probe's `rdmsr` (hwcap-cpuid-probe --simulate) as a trapped CPUID; the inner launcher is the
// plain build (a nested spawn does not probe faulting: the tree's helper answers or refuses).
const cpuidBits = host ? bitsOf(BigInt(reg(host.main['7.0'], 1))).map(Number) : [];
const [X, Y] = cpuidBits;
const noCpuid = !canPtrace
  ? ptraceSkip
  : !isX64
    ? ' (skipped: CPUID masks are x86-64 only)'
    : Y === undefined
      ? ' (skipped: fewer than two CPUID.7.0:EBX bits here)'
      : '';
const hex8 = (v: number): string => (v >>> 0).toString(16).padStart(8, '0');
const dropCpuid = (bits: number): string[] => ['--mode', 'ptrace', '--cpuid', `7.0:ebx=${hex8(~bits)}`, '--'];

function cpuidViews(stdout: string): ProbeView[] {
  return stdout
    .split('\n')
    .filter((l) => l.startsWith('{"main"'))
    .map((l) => JSON.parse(l) as ProbeView);
}

/** 7.0:EBX in the probe's main thread, a second thread and a forked child: the host's without `dropped`. */
function expectLeaf7(v: ProbeView, dropped: number, what: string): void {
  const want = (reg(host!.main['7.0'], 1) & ~dropped) >>> 0;
  for (const view of ['main', 'thread', 'child'] as const) expect(hex8(reg(v[view]['7.0'], 1)), `${what}: ${view}`).toBe(hex8(want));
}

describe.skipIf(noCpuid !== '')(`CPUID nests too: the tree's answer ANDed with the subtree's rules${noCpuid}`, () => {
  const env = { ...process.env, HWCAP_EXEC_FAULT: 'cpuid-simulate' };
  const sim = `${cpuidProbe} --simulate`;

  it('outer drops X, inner drops Y: the inner program (its threads and forks) sees neither, the outer tree only X', () => {
    const inner = `${launcher} ${dropCpuid(Y).join(' ')} ${sim}`;
    const r = run([testLauncher, ...dropCpuid(X), '/bin/sh', '-c', `${sim}; ${inner}; ${sim}`], { env });
    expect(r.status, r.stderr).toBe(0);
    const v = cpuidViews(r.stdout);
    expect(v).toHaveLength(3);
    expectLeaf7(v[0], X, 'outer before');
    expectLeaf7(v[1], X | Y, 'inner');
    expectLeaf7(v[2], X, 'outer after');
  });

  it('AND only: an inner rule that keeps X does not bring X back; two deep narrows again', () => {
    const innermost = `${launcher} --mode ptrace --cpuid 7.0:ebx=ffffffff -- ${sim}`;
    const inner = `${launcher} --mode ptrace --cpuid 7.0:ebx=${hex8(~Y)} --cpuid 7.0:ebx=${hex8(~0)} -- /bin/sh -c '${sim}; ${innermost}'`;
    const r = run([testLauncher, ...dropCpuid(X), '/bin/sh', '-c', inner], { env });
    expect(r.status, r.stderr).toBe(0);
    const v = cpuidViews(r.stdout);
    expect(v).toHaveLength(2);
    expectLeaf7(v[0], X | Y, 'inner');
    expectLeaf7(v[1], X | Y, 'innermost keeping all');
    const deep = run([testLauncher, ...dropCpuid(X), launcher, ...dropCpuid(Y), launcher, ...dropCpuid(cpuidBits[2] ?? Y), cpuidProbe, '--simulate'], { env });
    expect(deep.status, deep.stderr).toBe(0);
    expectLeaf7(cpuidViews(deep.stdout)[0], X | Y | (cpuidBits[2] ?? Y), 'two deep');
  });
});

describe.skipIf(!canPtrace)(`a foreign tracer cannot be nested under${ptraceSkip}`, () => {
  it.skipIf(!strace)(`strace -f: 125, nothing run, strace named${strace ? '' : ' (skipped: strace is not installed)'}`, () => {
    const r = run([strace!, '-f', '-o', '/dev/null', launcher, ...drop(A ?? 1n), '/bin/echo', 'ran']);
    expect(r.status).toBe(125);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`traced by a foreign tracer, pid`);
    expect(r.stderr).toContain(strace!);
  });

  const py = which('python3');
  const pySkip = py ? '' : ' (skipped: python3 is not installed)';
  // Without strace: a plain ptrace parent in Python (PTRACE_TRACEME child, every stop continued, its
  // signal passed on), as a debugger starts a program.
  it.skipIf(pySkip !== '')(`a plain ptrace parent (PTRACE_TRACEME, every stop continued): 125, nothing run, the tracer named${pySkip}`, () => {
    const script = `
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
libc.ptrace.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_void_p, ctypes.c_void_p]
pid = os.fork()
if pid == 0:
    libc.ptrace(0, 0, None, None)  # PTRACE_TRACEME
    os.execv(sys.argv[1], sys.argv[1:])
while True:
    _, st = os.waitpid(pid, 0)
    if os.WIFEXITED(st): sys.exit(os.WEXITSTATUS(st))
    if os.WIFSIGNALED(st): sys.exit(128 + os.WTERMSIG(st))
    sig = os.WSTOPSIG(st)
    libc.ptrace(7, pid, None, ctypes.c_void_p(0 if sig == 5 else sig))  # PTRACE_CONT
`;
    const r = run([py!, '-c', script, launcher, ...drop(A ?? 1n), '/bin/echo', 'ran']);
    expect(r.status, r.stderr).toBe(125);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/traced by a foreign tracer, pid \d+, \S*python/);
  });

  const noPy = pySkip || (os.arch() !== 'x64' ? ' (skipped: the tracer below reads x86-64 registers)' : '');
  it.skipIf(noPy !== '')(`a tracer that fakes success for the marker call (returns 0, writes no answer): 125, nothing run${noPy}`, () => {
    // A small ptrace parent in Python: PTRACE_TRACEME child, every syscall stop passed, the
    // marker prctl's return forced to 0. The launcher must not take that as the helper's answer.
    const script = `
import ctypes, os, sys, struct
libc = ctypes.CDLL(None, use_errno=True)
libc.ptrace.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_void_p, ctypes.c_void_p]
pid = os.fork()
if pid == 0:
    libc.ptrace(0, 0, None, None)
    os.kill(os.getpid(), 19)
    os.execv(sys.argv[1], sys.argv[1:])
os.waitpid(pid, 0)
libc.ptrace(0x4200, pid, None, ctypes.c_void_p(1))  # PTRACE_SETOPTIONS: TRACESYSGOOD
regs = (ctypes.c_ulonglong * 27)()
entering = True
while True:
    libc.ptrace(24, pid, None, None)  # PTRACE_SYSCALL
    _, st = os.waitpid(pid, 0)
    if os.WIFEXITED(st): sys.exit(os.WEXITSTATUS(st))
    if os.WIFSIGNALED(st): sys.exit(128 + os.WTERMSIG(st))
    if os.WSTOPSIG(st) != (5 | 0x80): continue
    if not entering:
        libc.ptrace(12, pid, None, regs)  # PTRACE_GETREGS
        if regs[15] == 157 and regs[14] == 0x4857434e:  # orig_rax prctl, rdi the marker
            regs[10] = 0  # rax: success
            libc.ptrace(13, pid, None, regs)
    entering = not entering
`;
    const r = run([py!, '-c', script, launcher, ...drop(A ?? 1n), '/bin/echo', 'ran']);
    expect(r.status).toBe(125);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('traced by a foreign tracer, pid');
  });
});

// README: "TracerPid in /proc/<pid>/status is the helper, so a debugger or strace cannot attach to a
// masked tree". A process has one tracer: attaching to a program of a followed tree fails with EPERM.
describe.skipIf(!canPtrace)(`a debugger cannot attach to a program of a masked tree${ptraceSkip}`, () => {
  /** Runs `attach(pid)` against a masked `sleep 30` once its helper traces it; the tree is killed after. */
  function againstTree<T>(attach: (pid: number) => T): T {
    const tree = cp.spawn(launcher, [...drop(A ?? 1n), 'sleep', '30'], { stdio: 'ignore' });
    try {
      const traced = (): boolean => {
        try {
          return /TracerPid:\s*[1-9]/.test(fs.readFileSync(`/proc/${tree.pid}/status`, 'latin1')) && fs.readFileSync(`/proc/${tree.pid}/comm`, 'latin1').startsWith('sleep');
        } catch {
          return false;
        }
      };
      for (let i = 0; i < 500 && !traced(); i++) cp.spawnSync('sleep', ['0.01']);
      expect(traced()).toBe(true);
      return attach(tree.pid!);
    } finally {
      tree.kill('SIGKILL');
    }
  }

  it.skipIf(!strace)(`strace -p: EPERM, strace exits non-zero${strace ? '' : ' (skipped: strace is not installed)'}`, () => {
    const r = againstTree((pid) => cp.spawnSync(strace!, ['-p', String(pid), '-o', '/dev/null'], { encoding: 'utf8', timeout: 10_000 }));
    expect(r.signal).toBe(null);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/Operation not permitted/);
  });

  const py = which('python3');
  it.skipIf(!py)(`PTRACE_ATTACH and PTRACE_SEIZE (as gdb -p would): EPERM${py ? '' : ' (skipped: python3 is not installed)'}`, () => {
    const script = `
import ctypes, sys
libc = ctypes.CDLL(None, use_errno=True)
libc.ptrace.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_void_p, ctypes.c_void_p]
out = []
for req in (16, 0x4206):  # PTRACE_ATTACH, PTRACE_SEIZE
    ctypes.set_errno(0)
    out.append(ctypes.get_errno() if libc.ptrace(req, int(sys.argv[1]), None, None) != 0 else 0)
print(out)
`;
    const r = againstTree((pid) => cp.spawnSync(py!, ['-c', script, String(pid)], { encoding: 'utf8', timeout: 10_000 }));
    expect(r.stdout.trim(), r.stderr).toBe('[1, 1]');
  });
});
