// adopt with CPUID rules arms faulting in every thread of a running tree, and proves it (issue 21,
// case 1 on the adopt path): the injected arch_prctl(ARCH_SET_CPUID, 0)'s answer proves nothing, as
// a seccomp filter of the program's own answers it with 0 and arms nothing; a CPUID that traps in
// the thread does. That proof's forced SIGSEGV unblocks a blocked SIGSEGV and resets its
// disposition (kernel/signal.c force_sig_info_to_task), so adopt puts both back. Each case runs
// with real faulting where CPUID faults, and with the test build's simulated traps (rdmsr) on any
// x86-64.
import { afterEach, describe, expect, it } from 'vitest';
import * as cp from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { canPtrace, present } from '../support/mask-fixture';
import { cpuidArgs, cpuidFaulting, faultingSkip, isX64, launcherFor } from '../support/cpuid-fixture';
import { repoRoot, which } from '../support/helpers';

const auditProbe = path.join(repoRoot, 'build', 'Release', 'hwcap-cpuid-audit-probe');
const python = which('python3');
const simSkip = !isX64 || !canPtrace || !fs.existsSync(auditProbe);
const ways = [
  { name: 'simulated traps (HWCAP_EXEC_FAULT=cpuid-simulate)', fault: 'cpuid-simulate', skip: simSkip, why: simSkip ? ' (skipped: x86-64 with ptrace only)' : '' },
  { name: 'real CPUID faulting', fault: '', skip: !cpuidFaulting || !fs.existsSync(auditProbe), why: faultingSkip },
];
const SEGV = 1n << 10n; // SIGSEGV (11) in the SigBlk/SigIgn/SigCgt masks of /proc/<pid>/status
const KEEP_ALL = ['--hwcap', present.hwcap.toString(16)];

const started: cp.ChildProcess[] = [];
afterEach(() => {
  for (const c of started.splice(0)) c.kill('SIGKILL');
});

const sleepMs = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const sigField = (pid: number, name: 'SigBlk' | 'SigIgn' | 'SigCgt'): bigint =>
  BigInt(`0x${fs.readFileSync(`/proc/${pid}/status`, 'latin1').match(new RegExp(`^${name}:\\s*([0-9a-f]+)`, 'm'))![1]}`);
const state = (pid: number): string => {
  const s = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
  return s.slice(s.lastIndexOf(')') + 2)[0]!;
};

/** Starts argv and waits until it sleeps (its exec done: /proc/<pid>/exe is the last program's, or matches exe). */
async function startSleeping(argv: string[], exe: string | RegExp): Promise<number> {
  const c = cp.spawn(argv[0]!, argv.slice(1), { stdio: 'ignore' });
  started.push(c);
  for (let i = 0; i < 500; i++) {
    try {
      const now = fs.realpathSync(`/proc/${c.pid}/exe`);
      if ((typeof exe === 'string' ? now === fs.realpathSync(exe) : exe.test(path.basename(now))) && state(c.pid!) === 'S') return c.pid!;
    } catch {
      /* not yet */
    }
    await sleepMs(10);
  }
  throw new Error(`${argv.join(' ')} never slept`);
}

function adopt(pid: number, fault: string): Record<string, unknown> {
  const env = { ...process.env, ...(fault ? { HWCAP_EXEC_FAULT: fault } : {}) };
  const r = cp.spawnSync(launcherFor(env), ['--adopt', String(pid), ...KEEP_ALL, ...cpuidArgs], { encoding: 'utf8', env, timeout: 20_000 });
  return JSON.parse(r.stdout || '{}') as Record<string, unknown>;
}

const sleeper = which('sleep')!;
/** test:asan preloads libasan into every program, whose SIGSEGV handler replaces an inherited SIG_IGN. */
const asanPreloaded = /libasan/.test(process.env.LD_PRELOAD ?? '');

for (const w of ways) {
  describe.skipIf(w.skip)(`adopt --cpuid, ${w.name}${w.why}`, () => {
    it("leaves a blocked SIGSEGV blocked in the thread (the proof's forced SIGSEGV unblocks it)", async () => {
      const blocked = await startSleeping([auditProbe, 'block-segv', sleeper, '30'], sleeper);
      expect(sigField(blocked, 'SigBlk') & SEGV).toBe(SEGV);
      expect(adopt(blocked, w.fault)).toMatchObject({ adopted: blocked });
      expect(sigField(blocked, 'SigBlk') & SEGV).toBe(SEGV);
      expect(sigField(blocked, 'SigIgn') & SEGV).toBe(0n);
    }, 30_000);

    it.skipIf(asanPreloaded)(`leaves an ignored SIGSEGV ignored (the proof's forced SIGSEGV resets it to SIG_DFL)${asanPreloaded ? ' (skipped: libasan preloaded, which installs its own SIGSEGV handler in every program)' : ''}`, async () => {
      const ignored = await startSleeping(['sh', '-c', `trap '' SEGV; exec ${sleeper} 30`], sleeper);
      expect(sigField(ignored, 'SigIgn') & SEGV).toBe(SEGV);
      expect(adopt(ignored, w.fault)).toMatchObject({ adopted: ignored });
      expect(sigField(ignored, 'SigIgn') & SEGV).toBe(SEGV);
      expect(sigField(ignored, 'SigBlk') & SEGV).toBe(0n);
    }, 30_000);

    it.skipIf(!python)(`keeps a SIGSEGV handler that the thread blocks: still caught, still blocked${python ? '' : ' (skipped: no python3 here)'}`, async () => {
      const pid = await startSleeping(
        [python!, '-c', 'import signal, time\nsignal.signal(signal.SIGSEGV, lambda *a: None)\nsignal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGSEGV])\ntime.sleep(30)'],
        /^python/,
      );
      expect([sigField(pid, 'SigCgt') & SEGV, sigField(pid, 'SigBlk') & SEGV]).toEqual([SEGV, SEGV]);
      expect(adopt(pid, w.fault)).toMatchObject({ adopted: pid });
      expect([sigField(pid, 'SigCgt') & SEGV, sigField(pid, 'SigBlk') & SEGV]).toEqual([SEGV, SEGV]);
    }, 30_000);
  });
}

describe.skipIf(ways[1]!.skip)(`adopt --cpuid refuses a tree whose own seccomp filter fakes the arming${ways[1]!.why}`, () => {
  it('answers arch_prctl(ARCH_SET_CPUID) with 0 (SECCOMP_RET_ERRNO | 0): the CPUID that must trap does not, so adopt fails at stage cpuid-arm and leaves nothing armed', async () => {
    const pid = await startSleeping([auditProbe, 'seccomp-fake-arm', sleeper, '30'], sleeper);
    const r = adopt(pid, '');
    expect(r).toMatchObject({ error: 'cpuid-arm', syscall: 'cpuid', code: 'EOPNOTSUPP' });
  }, 30_000);
});

describe.skipIf(simSkip)(`simulated: adopt --cpuid where the CPUID after the arming does not trap (cpuid-simulate,arm-not-trapping runs a real CPUID)${ways[0]!.why}`, () => {
  it('fails at stage cpuid-arm (cpuid, EOPNOTSUPP): the call\'s answer alone is not taken for armed', async () => {
    const pid = await startSleeping([sleeper, '30'], sleeper);
    const r = adopt(pid, 'cpuid-simulate,arm-not-trapping');
    expect(r).toMatchObject({ error: 'cpuid-arm', syscall: 'cpuid', code: 'EOPNOTSUPP' });
  }, 30_000);
});
