// hwcap-exec --cpuid: arguments, failing closed, answering trapped CPUIDs in
// every thread and fork, the program's signal state kept across a trap, the
// escape attempts, and the helper killed at each new stage.
//
// Two ways to trap: real CPUID faulting (skipped where the launcher's own probe
// says it is unavailable), and the test switch HWCAP_EXEC_FAULT=cpuid-simulate,
// under which the probe executes `rdmsr` (0f 32) instead of CPUID. At CPL 3
// rdmsr raises the same forced SIGSEGV (SI_KERNEL), with the same side effects
// on the signal state, so the helper's whole trap path runs on any x86-64.
import { describe, it, expect } from 'vitest';
import * as cp from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { canPtrace, hex, keep } from '../support/mask-fixture';
import {
  cpuidArgs,
  drop81,
  cpuidFaulting,
  cpuidProbe,
  drop7,
  expectMaskedLeaves,
  faultingSkip,
  host,
  isX64,
  launcher,
  launcherFor,
  reg,
  run,
  stats,
  type ProbeView,
} from '../support/cpuid-fixture';

const x64Skip = isX64 ? '' : ' (skipped: x86-64 only)';

describe.skipIf(!isX64)(`--cpuid arguments${x64Skip}`, () => {
  it.each([
    ['7.0:ebx=-1', 'LEAF[.SUBLEAF]:REG=KEEP in hex'],
    ['7.0:ebx=+ff', 'LEAF[.SUBLEAF]:REG=KEEP in hex'],
    ['7.0:ebx=123456789', 'LEAF[.SUBLEAF]:REG=KEEP in hex'],
    ['7.0:ebx=', 'LEAF[.SUBLEAF]:REG=KEEP in hex'],
    ['7.0:esp=0', 'LEAF[.SUBLEAF]:REG=KEEP in hex'],
    ['7.0 :ebx=0', 'LEAF[.SUBLEAF]:REG=KEEP in hex'],
    ['', 'LEAF[.SUBLEAF]:REG=KEEP in hex'],
    ['7:ebx=ffffffdf', 'leaf 7 takes a subleaf'],
    ['1.0:ecx=ffffffff', 'leaf 1 takes no subleaf'],
    ['d.1:eax=0', 'never masked: leaf 0xd gives the XSAVE sizes'],
    ['1:ebx=0', 'never masked: leaf 1 EAX/EBX'],
    ['b.0:edx=0', 'never masked: cache and topology'],
    ['80000008:eax=0', 'never masked: leaf 0x80000008 EAX/ECX'],
  ])('refuses --cpuid %j before running anything', (rule, msg) => {
    const marker = path.join(os.tmpdir(), `hwcap-cpuid-ran-${process.pid}`);
    fs.rmSync(marker, { force: true });
    const r = run(['--cpuid', rule, '--', 'sh', '-c', `touch ${marker}`]);
    expect(r.status).toBe(125);
    expect(r.records[0]).toMatchObject({ stage: 'args', errno: 22, code: 'EINVAL' });
    expect(String(r.records[0]!.message)).toContain(msg);
    expect(fs.existsSync(marker)).toBe(false);
  });

  it('refuses --cpuid in kernel mode: only a tracer can answer CPUID', () => {
    const r = run(['--mode', 'kernel', ...cpuidArgs, '--', 'true']);
    expect(r.status).toBe(125);
    expect(r.records[0]).toMatchObject({ stage: 'args', code: 'EINVAL' });
  });

  it('reads every number as hex, with or without 0x; a rule that keeps every bit masks nothing and needs no faulting', () => {
    const r = run(['--cpuid', '0x7.0x0:EBX=0xFFFFFFFF', '--cpuid', '80000001:Ecx=ffffffff', '--', 'sh', '-c', 'echo ran']);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('ran\n');
    expect(r.records.find((x) => x.stage === 'exec')).toMatchObject({ mode: 'kernel' });
  });
});

describe.skipIf(!isX64)(`fails closed where the probe says no (test build: HWCAP_EXEC_FAULT=cpuid-unavailable, cpuid-no-trap)${isX64 ? '' : ' (skipped: x86-64 only)'}`, () => {
  it.each([
    ['cpuid-unavailable', 'arch_prctl(ARCH_SET_CPUID)', 'ENODEV', /not available/],
    ['cpuid-no-trap', 'cpuid', 'EOPNOTSUPP', /advertised but does not trap/],
  ])('%s: exit 125, stage cpuid-fault (%s, %s), the program never runs', (fault, syscall, code, detail) => {
    const marker = path.join(os.tmpdir(), `hwcap-cpuid-ran-${fault}-${process.pid}`);
    fs.rmSync(marker, { force: true });
    const r = run([...cpuidArgs, '--', 'sh', '-c', `touch ${marker}`], { ...process.env, HWCAP_EXEC_FAULT: fault });
    expect(r.status).toBe(125);
    expect(r.records).toHaveLength(1);
    expect(r.records[0]).toMatchObject({ stage: 'cpuid-fault', syscall, code });
    expect(String(r.records[0]!.message)).toMatch(detail);
    expect(fs.existsSync(marker)).toBe(false);
  });
});

describe.skipIf(!isX64 || cpuidFaulting)(`fails closed without CPUID faulting${cpuidFaulting ? ' (skipped: faulting works here)' : ''}`, () => {
  it('exits 125 with stage cpuid-fault and never runs the program', () => {
    const marker = path.join(os.tmpdir(), `hwcap-cpuid-ran-${process.pid}`);
    fs.rmSync(marker, { force: true });
    const r = run([...cpuidArgs, '--', 'sh', '-c', `touch ${marker}`]);
    expect(r.status).toBe(125);
    expect(r.records).toHaveLength(1);
    expect(r.records[0]).toMatchObject({ stage: 'cpuid-fault', syscall: expect.stringMatching(/^arch_prctl|^cpuid$/) });
    expect(['ENODEV', 'EOPNOTSUPP', 'EINVAL']).toContain(r.records[0]!.code);
    expect(fs.existsSync(marker)).toBe(false);
    expect(r.stdout).toBe('');
  });
  it('the shipped launcher has no simulation switch: HWCAP_EXEC_FAULT=cpuid-simulate still fails closed', () => {
    const r = cp.spawnSync(launcher, ['--status-fd', '3', ...cpuidArgs, '--', cpuidProbe, '--simulate'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
      env: { ...process.env, HWCAP_EXEC_FAULT: 'cpuid-simulate' },
    });
    expect(r.status).toBe(125);
    expect(r.stdout).toBe('');
    expect(JSON.parse(String(r.output[3]))).toMatchObject({ stage: 'cpuid-fault' });
  });

  it.skipIf(!canPtrace)('past the probe (test switch skip-cpuid-probe), the arming injected into the new image fails and the image is killed before it runs', () => {
    const r = run([...cpuidArgs, '--', cpuidProbe], { ...process.env, HWCAP_EXEC_FAULT: 'skip-cpuid-probe' });
    expect(r.signal).toBe('SIGKILL');
    expect(r.stdout).toBe('');
    // The kernel's own answer, from inside the tracee: the injected call ran there.
    expect(r.records.find((x) => x.stage === 'cpuid-arm')).toMatchObject({ syscall: 'arch_prctl(ARCH_SET_CPUID)', code: 'ENODEV' });
    expect(r.records.some((x) => x.stage === 'masked')).toBe(false);
  });
});

const ways = [
  { name: 'simulated traps (rdmsr, HWCAP_EXEC_FAULT=cpuid-simulate)', env: { HWCAP_EXEC_FAULT: 'cpuid-simulate' }, probeArgs: ['--simulate'], skip: !isX64 || !canPtrace, why: !isX64 ? x64Skip : canPtrace ? '' : ' (skipped: no ptrace)' },
  { name: 'real CPUID faulting', env: {}, probeArgs: [] as string[], skip: !cpuidFaulting, why: faultingSkip },
];

describe.each(ways)('$name', ({ env: extra, probeArgs, skip, why }) => {
  const env = { ...process.env, ...extra };
  const probe = (...mode: string[]) => ['--', cpuidProbe, ...probeArgs, ...mode];
  const json = <T>(s: string): T => JSON.parse(s.trim().split('\n').pop()!) as T;

  it.skipIf(skip)(`masks CPUID in the main thread, a second thread and a forked child, and says what it masks${why}`, () => {
    const r = run([...cpuidArgs, ...probe()], env);
    expect(r.status).toBe(0);
    const v = json<ProbeView>(r.stdout);
    for (const where of ['main', 'thread', 'child'] as const) expectMaskedLeaves(v[where], expect);
    expect(reg(v.thread['7.0'], 1) & drop7).toBe(0);
    const masked = r.records.find((x) => x.stage === 'masked');
    expect(String(masked?.cpuid)).toContain(`7.0:ebx=${(~drop7 >>> 0).toString(16).padStart(8, '0')}`);
    expect(stats(r).traps).toBeGreaterThanOrEqual(27); // 9 leaves x 3
  });

  it.skipIf(skip)(`answers every leaf and subleaf as the CPU does, per-CPU and out-of-range leaves included, but for the masked bits${why}`, () => {
    const plain = JSON.parse(cp.execFileSync(cpuidProbe, ['--sweep'], { encoding: 'utf8' })) as Record<string, string[]>;
    const r = run([...cpuidArgs, ...probe('--sweep')], env);
    expect(r.status).toBe(0);
    const seen = JSON.parse(r.stdout) as Record<string, string[]>;
    expect(Object.keys(seen).sort()).toEqual(Object.keys(plain).sort());
    const want = (k: string, i: number) => {
      const v = parseInt(plain[k]![i]!, 16) >>> 0;
      if (k === '7.0' && i === 1) return (v & ~drop7) >>> 0;
      if (k.startsWith('80000001.') && i === 2) return (v & ~drop81) >>> 0;
      return v;
    };
    const diff = Object.keys(plain).filter((k) => [0, 1, 2, 3].some((i) => (parseInt(seen[k]![i]!, 16) >>> 0) !== want(k, i)));
    expect(diff).toEqual([]);
    // One trap per CPUID the sweep runs, and the two leaves it reads first. Under real faulting the
    // dynamic loader's own CPUIDs trap too: a run of the same image that runs none (--loop 0) counts them.
    const startup = stats(run([...cpuidArgs, ...probe('--loop', '0')], env)).traps!;
    if (probeArgs.length) expect(startup).toBe(0); // simulated: only the probe's own rdmsr traps
    else expect(startup).toBeGreaterThan(0); // real: glibc's init_cpu_features, before main
    expect(stats(r).traps! - startup).toBe(Object.keys(plain).length + 2);
  });

  it.skipIf(skip)(`keeps a SIGSEGV handler when CPUID runs inside another handler whose sa_mask blocks SIGSEGV${why}`, () => {
    const r = run([...cpuidArgs, ...probe('--cpuid-in-handler')], env);
    expect(r.status).toBe(0);
    const v = json<{ before: string; inHandler: string; after: string; handlerInHandler: boolean; handlerAfter: boolean }>(r.stdout);
    expect(BigInt(`0x${v.inHandler}`) & (1n << 10n)).toBe(1n << 10n); // SIGSEGV still blocked in the handler
    expect(v.after).toBe(v.before);
    expect(v).toMatchObject({ handlerInHandler: true, handlerAfter: true });
  });

  it.skipIf(skip)(`keeps the mask of a thread that blocks every signal${why}`, () => {
    const r = run([...cpuidArgs, ...probe('--block-all')], env);
    expect(r.status).toBe(0);
    const v = json<{ before: string; after1: string; after7: string; leaf7ebx: string; segvHandler: boolean; trapHandler: boolean }>(r.stdout);
    expect(v).toMatchObject({ segvHandler: true, trapHandler: true });
    expect(BigInt(`0x${v.before}`) & (1n << 10n)).toBe(1n << 10n); // SIGSEGV blocked
    expect(v.after1).toBe(v.before);
    expect(v.after7).toBe(v.before);
    expect(parseInt(v.leaf7ebx, 16) & drop7).toBe(0);
    expect(stats(r).restores).toBeGreaterThanOrEqual(4); // the mask and the handler, twice
  });

  it.skipIf(skip)(`keeps SIGSEGV ignored in a process that ignores it${why}`, () => {
    const r = run([...cpuidArgs, ...probe('--ignore-segv')], env);
    expect(r.status).toBe(0);
    const v = json<{ before: string; after: string; ignored: boolean }>(r.stdout);
    expect(v.before).toBe('400');
    expect(v.after).toBe(v.before);
    expect(v.ignored).toBe(true);
  });

  it.skipIf(skip)(`keeps a blocked SIGSEGV's handler, flags and mask${why}`, () => {
    const r = run([...cpuidArgs, ...probe('--handler-blocked')], env);
    expect(r.status).toBe(0);
    const v = json<{ before: string; after: string; handler: boolean; flags: string; maskHasUsr2: boolean }>(r.stdout);
    expect(v.after).toBe(v.before);
    expect(v).toMatchObject({ handler: true, maskHasUsr2: true });
    expect(parseInt(v.flags, 16) & 0x10000000).toBe(0x10000000); // SA_RESTART
  });

  it.skipIf(skip)(`delivers a real SIGSEGV to the program's own handler, and a fatal one stays fatal${why}`, () => {
    const r = run([...cpuidArgs, ...probe('--segv-handler')], env);
    expect(r.status).toBe(0);
    expect(json<{ handlerRan: boolean }>(r.stdout).handlerRan).toBe(true);
    // Without a preloaded sanitizer (test:asan): its own SIGSEGV handler would turn the death into an abort.
    const plainEnv: NodeJS.ProcessEnv = { ...env };
    delete plainEnv.LD_PRELOAD;
    const k = run([...cpuidArgs, '--', 'sh', '-c', 'kill -SEGV $$'], plainEnv);
    expect(k.signal).toBe('SIGSEGV');
  });

  it.skipIf(skip)(`refuses the escapes: ARCH_SET_CPUID EPERM, CLONE_UNTRACED EPERM, clone3 ENOSYS; CPUID stays masked${why}`, () => {
    const r = run([...cpuidArgs, ...probe('--escape')], env);
    expect(r.status).toBe(0);
    const v = json<Record<string, number | string>>(r.stdout);
    expect(v).toMatchObject({ setCpuid: -1, setCpuidErrno: 1, clone: -1, cloneErrno: 1, clone3: -1, clone3Errno: 38 });
    expect(parseInt(String(v.leaf7ebx), 16) & drop7).toBe(0);
    // ARCH_GET_CPUID answers the truth: 0, CPUID faults (the simulation does not arm it).
    if (!probeArgs.length) expect(v.getCpuid).toBe(0);
  });

  it.skipIf(skip)(`--no-follow masks the program and its forks, not what it execs, and leaves nothing armed untraced${why}`, () => {
    const r = run(['--no-follow', ...cpuidArgs, ...probe()], env);
    expect(r.status).toBe(0);
    expectMaskedLeaves(json<ProbeView>(r.stdout).child, expect);
    if (probeArgs.length) return; // an exec'd image is unmasked: real CPUID only
    const sh = run(['--no-follow', ...cpuidArgs, '--', 'sh', '-c', `${cpuidProbe}; grep TracerPid /proc/self/status`], env);
    expect(sh.status).toBe(0);
    const v = JSON.parse(sh.stdout.split('\n')[0]!) as ProbeView;
    expect(v.main['7.0']).toEqual(host!.main['7.0']);
  });

  it.skipIf(skip).each(['helper-at-cpuid-arm', 'helper-during-cpuid-trap', 'helper-during-signal-restore'])(`helper killed at %s: the tree dies, nothing unmasked is printed${why}`, (fault) => {
    const r = run([...cpuidArgs, ...probe('--ignore-segv')], { ...env, HWCAP_EXEC_FAULT: probeArgs.length ? `cpuid-simulate,${fault}` : fault });
    expect(r.signal).toBe('SIGKILL');
    expect(r.stdout).toBe('');
  });

  it.skipIf(skip)(`100 concurrent masked spawns all see the mask${why}`, async () => {
    const one = () =>
      new Promise<string>((resolve, reject) => {
        cp.execFile(launcherFor(env), [...cpuidArgs, '--', cpuidProbe, ...probeArgs], { env, timeout: 120_000 }, (err, stdout) => (err ? reject(err) : resolve(stdout)));
      });
    const outs = await Promise.all(Array.from({ length: 100 }, one));
    for (const o of outs) {
      const v = JSON.parse(o) as ProbeView;
      for (const where of ['main', 'thread', 'child'] as const) expect(reg(v[where]['7.0'], 1) & drop7).toBe(0);
    }
  }, 180_000);
});

describe.skipIf(!isX64 || !canPtrace)(`the seccomp filter of a followed tree (an auxv mask, no CPUID)${x64Skip}`, () => {
  const auxv = ['--mode', 'ptrace', '--hwcap', hex(keep.hwcap!), '--hwcap2', hex(keep.hwcap2!)];
  it('refuses CLONE_UNTRACED (EPERM), clone3 (ENOSYS) and ARCH_SET_CPUID (EPERM)', () => {
    const r = run([...auxv, '--', cpuidProbe, '--escape']);
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ setCpuid: -1, setCpuidErrno: 1, clone: -1, cloneErrno: 1, clone3: -1, clone3Errno: 38 });
  });
  it("glibc's pthread_create and fork still work (they fall back to clone)", () => {
    const r = run([...auxv, '--', cpuidProbe]);
    expect(r.status).toBe(0);
    const v = JSON.parse(r.stdout) as ProbeView;
    expect(v.thread['0']).toEqual(host!.main['0']);
    expect(v.child['0']).toEqual(host!.main['0']);
  });
  it('a plain run has no filter: the same calls succeed there', () => {
    const v = JSON.parse(cp.execFileSync(cpuidProbe, ['--escape'], { encoding: 'utf8' })) as Record<string, number>;
    expect(v.cloneErrno).toBe(0);
    expect(v.clone).toBeGreaterThan(0);
  });
});


describe.skipIf(!isX64)(`probeCpuidFault has a reason for each code the launcher's probe gives${isX64 ? '' : ' (skipped: x86-64 only)'}`, () => {
  it.each(['cpuid-unavailable', 'cpuid-no-trap'])('%s: the code the launcher reports has its own reason', async (fault) => {
    const { CPUID_FAULT_REASONS } = await import('../../lib/launcher/probes');
    const r = run([...cpuidArgs, '--', 'true'], { ...process.env, HWCAP_EXEC_FAULT: fault });
    const code = String(r.records[0]!.code);
    expect(CPUID_FAULT_REASONS[code], code).toMatch(fault === 'cpuid-no-trap' ? /did not trap/ : /no CPUID faulting/);
  });
});
