// hwcap-exec --cpuid: claims of docs/cpuid.md that need a program to see them, each in both ways
// of trapping (the test build's simulated traps, HWCAP_EXEC_FAULT=cpuid-simulate, on any x86-64;
// real CPUID faulting where this machine has it):
// - a rule for LEAF.SUBLEAF masks that subleaf only;
// - CPUID.1:ECX bit 27 (OSXSAVE) is kept whatever a 1:ecx rule says;
// - the seccomp filter's escapes are refused through every entry point: the i386 table (int $0x80
//   from a 64-bit process) and the x32 numbers, and ARCH_SET_CPUID is judged on its whole 64-bit
//   argument;
// - the signal state a trap must put back: SIGSEGV ignored before the exec (inherited SIG_IGN), and
//   a SIG_UNBLOCK of SIGSEGV;
// - through the spawn family: words without FSGSBASE (AT_HWCAP2 bit 1) mask CPUID.7.0:EBX bit 0, and
//   AMD's mirror bits of CPUID.80000001:EDX follow what CPUID.1:EDX drops.
import * as cp from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { FeatureSet, catalog, spawnSync } from '../../lib';
import { canPtrace, hex } from '../support/mask-fixture';
import { cpuidArgs, cpuidFaulting, cpuidProbe, drop7, faultingSkip, host, isX64, reg, run, type ProbeView } from '../support/cpuid-fixture';

const hex8 = (v: number): string => (v >>> 0).toString(16).padStart(8, '0');
const lastJson = <T>(s: string): T => JSON.parse(s.trim().split('\n').pop()!) as T;
const WHERE = ['main', 'thread', 'child'] as const;
const x64Skip = !isX64 ? ' (skipped: x86-64 only)' : !canPtrace ? ' (skipped: no ptrace)' : '';

const ways = [
  { name: 'simulated traps (rdmsr, HWCAP_EXEC_FAULT=cpuid-simulate)', env: { HWCAP_EXEC_FAULT: 'cpuid-simulate' }, probeArgs: ['--simulate'], skip: x64Skip !== '', why: x64Skip },
  { name: 'real CPUID faulting', env: {}, probeArgs: [] as string[], skip: !cpuidFaulting, why: faultingSkip },
];

/** Leaf 7's registers as this CPU answers them (the unmasked probe). */
const leaf7 = (sub: number): number[] => (host?.main[`7.${sub}`] ?? ['0', '0', '0', '0']).map((x) => parseInt(x, 16) >>> 0);
const leaf1ecx = host ? reg(host.main['1'], 2) : 0;
const OSXSAVE = 1 << 27;
/** The lowest set bit of CPUID.1:ECX other than OSXSAVE: the bit a rule that also clears OSXSAVE drops. */
const other1ecx = (() => {
  const v = (leaf1ecx & ~OSXSAVE) >>> 0;
  return (v & -v) >>> 0;
})();

/** Whether int $0x80 works here (a kernel without IA32 emulation kills it): the probe tries it in a child. */
const ia32 = isX64 && (JSON.parse(cp.execFileSync(cpuidProbe, ['--escape-compat'], { encoding: 'utf8' })) as { i386: boolean }).i386;
const ia32Skip = !isX64 || ia32 ? '' : ' (skipped: int $0x80 does not work here: the kernel has no IA32 emulation)';

/** The highest basic leaf, and the --cpuid place of its EBX (refused for the leaves never masked). */
const top = host ? parseInt(host.main['0'][0], 16) >>> 0 : 0;
const INDEXED = [0x4, 0x7, 0xb, 0xd, 0xf, 0x10, 0x12, 0x14, 0x17, 0x18, 0x1d, 0x1e, 0x1f, 0x20, 0x23, 0x24];
const NEVER_MASKED = [0x0, 0x2, 0x4, 0xb, 0xd, 0x1a, 0x1f];
const topRule = INDEXED.includes(top) ? `${top.toString(16)}.0` : top.toString(16);
const topSkip = NEVER_MASKED.includes(top) ? ` (skipped: the highest basic leaf here, 0x${top.toString(16)}, is one that is never masked)` : '';

describe.each(ways)('$name', ({ env: extra, probeArgs, skip, why }) => {
  const env = { ...process.env, ...extra };
  const probe = (...mode: string[]) => ['--', cpuidProbe, ...probeArgs, ...mode];

  // 1. LEAF.SUBLEAF masks that subleaf only. Both directions: every register of 7.1 cleared leaves
  // 7.0 (non-zero on every CPU with leaf 7) as the CPU answers it; every register of 7.0 cleared
  // leaves 7.1-7.3 as the CPU answers them (the sweep, pinned to CPU 0, against an unmasked sweep).
  const seven = leaf7(0).some((x) => x !== 0);
  it.skipIf(skip || !seven)(`a rule for 7.1 masks subleaf 1 only: 7.0 is answered as the CPU answers it${why}${seven ? '' : ' (skipped: this CPU has no leaf 7)'}`, () => {
    const zero1 = ['eax', 'ebx', 'ecx', 'edx'].flatMap((r) => ['--cpuid', `7.1:${r}=0`]);
    const r = run([...zero1, ...probe()], env);
    expect(r.status, r.stderr).toBe(0);
    const v = lastJson<ProbeView>(r.stdout);
    for (const where of WHERE) {
      expect(v[where]['7.0']).toEqual(host!.main['7.0']);
      expect(v[where]['7.1']).toEqual(['00000000', '00000000', '00000000', '00000000']);
    }
  });

  it.skipIf(skip || !seven)(`a rule for 7.0 masks subleaf 0 only: 7.1, 7.2 and 7.3 are answered as the CPU answers them${why}${seven ? '' : ' (skipped: this CPU has no leaf 7)'}`, async () => {
    const plain = JSON.parse(cp.execFileSync(cpuidProbe, ['--sweep'], { encoding: 'utf8' })) as Record<string, string[]>;
    // Clearing all of 7.0 clears pku, ospke, user_shstk and ibt where the CPU has them.
    const zero0 = ['eax', 'ebx', 'ecx', 'edx'].flatMap((r) => ['--cpuid', `7.0:${r}=0`]);
    const r = run(['--allow-security-masking', ...zero0, ...probe('--sweep')], env);
    expect(r.status, r.stderr).toBe(0);
    const seen = JSON.parse(r.stdout) as Record<string, string[]>;
    expect(seen['7.0']).toEqual(['00000000', '00000000', '00000000', '00000000']);
    for (const k of ['7.1', '7.2', '7.3']) expect([k, seen[k]]).toEqual([k, plain[k]]);
  });

  // 2. OSXSAVE stays true to the OS: a 1:ecx rule that clears it clears the rest of what it asks.
  it.skipIf(skip || !(leaf1ecx & OSXSAVE))(`CPUID.1:ECX bit 27 (OSXSAVE) is kept when a 1:ecx rule clears it; the rule's other bits are cleared${why}${leaf1ecx & OSXSAVE ? '' : ' (skipped: the OS has not set OSXSAVE here)'}`, () => {
    for (const drop of [OSXSAVE, OSXSAVE | other1ecx]) {
      const r = run([...cpuidArgs, '--cpuid', `1:ecx=${hex8(~drop)}`, ...probe()], env);
      expect(r.status, r.stderr).toBe(0);
      const v = lastJson<ProbeView>(r.stdout);
      for (const where of WHERE) expect(hex8(reg(v[where]['1'], 2))).toBe(hex8((leaf1ecx & ~(drop & ~OSXSAVE)) >>> 0));
      expect(String(r.records.find((x) => x.stage === 'masked')?.cpuid ?? '')).not.toMatch(new RegExp(`1:ecx=${hex8(~drop)}`));
    }
  });

  // 3. The escapes through the i386 table (int $0x80 from this 64-bit process) and the x32
  // numbers (the filter sees them whether or not the kernel has x32: seccomp runs before the
  // kernel's dispatch, so a kernel without x32 answers ENOSYS only to what the filter lets through).
  it.skipIf(skip || !ia32)(`refuses the escapes through int $0x80 (i386): clone(CLONE_UNTRACED) EPERM, clone3 ENOSYS, ARCH_SET_CPUID EPERM, a SIGSEGV handler ENOSYS; CPUID stays masked${why}${ia32Skip}`, () => {
    const r = run([...cpuidArgs, ...probe('--escape-compat')], env);
    expect(r.status, r.stderr).toBe(0);
    const v = lastJson<Record<string, number | string | boolean>>(r.stdout);
    expect(v).toMatchObject({ i386: true, i386Clone: -1, i386Clone3: -38, i386SetCpuid: -1, i386SignalSegv: -38 });
    expect(parseInt(String(v.leaf7ebx), 16) & drop7).toBe(0);
  });

  // The helper learns the mask from the i386 mask calls too: a trap's forced SIGSEGV unblocks it,
  // and the helper blocks it again only where its record says the program had blocked it.
  it.skipIf(skip || !ia32)(`keeps SIGSEGV blocked across a trap when int $0x80 rt_sigprocmask or sigprocmask (i386) blocked it${why}${ia32Skip}`, () => {
    const r = run([...cpuidArgs, ...probe('--escape-compat')], env);
    expect(r.status, r.stderr).toBe(0);
    const v = lastJson<Record<string, unknown>>(r.stdout);
    // [blocked by the call, still blocked after the CPUID that trapped]
    expect(v).toMatchObject({ i386: true, i386RtSigprocmask: [true, true], i386Sigprocmask: [true, true] });
  });

  it.skipIf(skip)(`refuses the escapes through the x32 numbers: clone(CLONE_UNTRACED) EPERM, ARCH_SET_CPUID EPERM; CPUID stays masked${why}`, () => {
    const r = run([...cpuidArgs, ...probe('--escape-compat')], env);
    expect(r.status, r.stderr).toBe(0);
    const v = lastJson<Record<string, number | string | boolean>>(r.stdout);
    expect(v).toMatchObject({ x32Clone: -1, x32CloneErrno: 1, x32SetCpuid: -1, x32SetCpuidErrno: 1 });
    expect(parseInt(String(v.leaf7ebx), 16) & drop7).toBe(0);
  });

  // 4. ARCH_SET_CPUID is judged on the whole 64-bit argument: the kernel turns faulting off for
  // any nonzero value, 1 << 32 included.
  it.skipIf(skip)(`refuses arch_prctl(ARCH_SET_CPUID, 1 << 32) (EPERM); CPUID stays masked after it${why}`, () => {
    const r = run([...cpuidArgs, ...probe('--escape-wide')], env);
    expect(r.status, r.stderr).toBe(0);
    const v = lastJson<Record<string, number | string>>(r.stdout);
    expect(v).toMatchObject({ setCpuidWide: -1, setCpuidWideErrno: 1 });
    expect(parseInt(String(v.leaf7ebx), 16) & drop7).toBe(0);
  });

  // docs/cpuid.md: an out-of-range basic leaf answers as the highest basic leaf (Intel's rule), and
  // then that leaf's mask applies to it too, so the mask cannot be read around. The highest leaf is
  // all zeros on many CPUs (this one's too, often), where no answer could show it: the test build's
  // cpuid-synthetic-top gives it, and every basic leaf above it, the same non-zero words.
  it.skipIf(skip || topSkip !== '')(`an out-of-range basic leaf that answers as the highest basic leaf gets that leaf's mask (synthetic highest leaf)${why}${topSkip}`, () => {
    const faults = [extra.HWCAP_EXEC_FAULT, 'cpuid-synthetic-top'].filter(Boolean).join(',');
    for (const leaf of [top, top + 1, 0x3fffffff]) {
      const r = run([...cpuidArgs, '--cpuid', `${topRule}:ebx=0`, ...probe('--leaf', leaf.toString(16))], { ...env, HWCAP_EXEC_FAULT: faults });
      expect(r.status, r.stderr).toBe(0);
      expect(lastJson<Record<string, string[]>>(r.stdout)[`${leaf.toString(16)}.0`]).toEqual(['5a5a5a5a', '00000000', '0f0f0f0f', 'f0f0f0f0']);
    }
  });

  // 5. SIGSEGV ignored before the exec: the kernel keeps SIG_IGN across execve, and the helper must
  // learn it at the exec stop (the forced signal of a trap resets it to SIG_DFL).
  it.skipIf(skip)(`keeps SIGSEGV ignored when the program inherited SIG_IGN across its exec (sh: trap '' SEGV; exec)${why}`, () => {
    const cmd = [cpuidProbe, ...probeArgs, '--inherited-ign'].join(' ');
    const r = run([...cpuidArgs, '--', 'sh', '-c', `trap '' SEGV; exec ${cmd}`], env);
    expect(r.status, r.stderr).toBe(0);
    const v = lastJson<{ before: string; after: string; ignored: boolean; leaf7ebx: string }>(r.stdout);
    expect(BigInt(`0x${v.before}`) & (1n << 10n)).toBe(1n << 10n);
    expect(v.after).toBe(v.before);
    expect(v.ignored).toBe(true);
    expect(parseInt(v.leaf7ebx, 16) & drop7).toBe(0);
  });

  // 6. sigprocmask(SIG_UNBLOCK): the helper's record follows it, or a trap puts SIGSEGV back blocked.
  it.skipIf(skip)(`keeps SIGSEGV unblocked after SIG_BLOCK then SIG_UNBLOCK of it${why}`, () => {
    const r = run([...cpuidArgs, ...probe('--unblock-segv')], env);
    expect(r.status, r.stderr).toBe(0);
    const v = lastJson<{ blocked: string; before: string; after: string }>(r.stdout);
    expect(BigInt(`0x${v.blocked}`) & (1n << 10n)).toBe(1n << 10n);
    expect(BigInt(`0x${v.before}`) & (1n << 10n)).toBe(0n);
    expect(v.after).toBe(v.before);
  });
});

// Through the spawn family (lib/launcher/plan.ts maskPlan): the child of a spawn with options.hwcaps.
afterEach(() => {
  delete process.env.HWCAP_TEST_LAUNCHER;
});
const spawnWays = [
  { name: 'simulated traps (test build)', simulate: true, skip: x64Skip !== '', why: x64Skip },
  { name: 'real CPUID faulting', simulate: false, skip: !cpuidFaulting, why: faultingSkip },
];
/** FSGSBASE: AT_HWCAP2 bit 1, CPUID.7.0:EBX bit 0. */
const fsgsbase = isX64 && (FeatureSet.current().words.hwcap2 & 2n) !== 0n && (leaf7(0)[1]! & 1) !== 0;
/** AMD's mirror bits of CPUID.1:EDX in CPUID.80000001:EDX (AMD APM vol. 3, E.4.2) that this CPU sets in both. */
const AMD_MIRROR = 0x0183f3ff;
/** CPUID.1:EDX bits of the x86-64 baseline (fpu, cx8, cmov, mmx, fxsr): a set without one is refused (BelowBaselineError). */
const FLOOR_EDX = (1 << 0) | (1 << 8) | (1 << 15) | (1 << 23) | (1 << 24);
const mirrored = (() => {
  if (!host) return 0;
  const both = reg(host.main['1'], 3) & reg(host.main['80000001'], 3) & AMD_MIRROR & ~FLOOR_EDX;
  return (both & -both) >>> 0;
})();
const mirroredName = mirrored ? catalog('x86_64').find((r) => r.word === 'AT_HWCAP' && 1 << r.bit === mirrored)?.name : undefined;

describe.each(spawnWays)('spawn, $name', ({ simulate, skip, why }) => {
  const spawnProbe = (hwcaps: unknown): ProbeView => {
    let env: NodeJS.ProcessEnv = process.env;
    if (simulate) {
      process.env.HWCAP_TEST_LAUNCHER = '1';
      env = { ...process.env, HWCAP_EXEC_FAULT: 'cpuid-simulate' };
    }
    const r = spawnSync(cpuidProbe, simulate ? ['--simulate'] : [], { hwcaps: hwcaps as never, encoding: 'utf8', env });
    expect(r.error).toBeUndefined();
    expect(r.status, String(r.stderr)).toBe(0);
    return JSON.parse(String(r.stdout)) as ProbeView;
  };

  // 7. Words of bits to keep without FSGSBASE: AT_HWCAP2 bit 1 is CPUID.7.0:EBX bit 0 (no auxvOnly).
  it.skipIf(skip || !fsgsbase)(`words without FSGSBASE (AT_HWCAP2 bit 1) mask CPUID.7.0:EBX bit 0, and nothing else of it${why}${fsgsbase ? '' : ' (skipped: no fsgsbase here)'}`, () => {
    const w = FeatureSet.current().words;
    const v = spawnProbe({ hwcap: w.hwcap, hwcap2: w.hwcap2 & ~2n });
    for (const where of WHERE) expect(hex8(reg(v[where]['7.0'], 1))).toBe(hex8(leaf7(0)[1]! & ~1));
  });

  // 8. AMD's mirror bits: a set without a CPUID.1:EDX feature that 80000001:EDX mirrors lacks it in both.
  it.skipIf(skip || !mirroredName)(`a set without ${mirroredName ?? 'a mirrored CPUID.1:EDX feature'} masks its AMD mirror bit in CPUID.80000001:EDX too${why}${mirroredName ? '' : ' (skipped: this CPU mirrors no CPUID.1:EDX bit in 80000001:EDX, as Intel does not; the unit test of cpuidKeepOf covers it)'}`, () => {
    const v = spawnProbe(FeatureSet.current().without([mirroredName!]));
    for (const where of WHERE) {
      expect(reg(v[where]['1'], 3) & mirrored).toBe(0);
      expect(reg(v[where]['80000001'], 3) & mirrored).toBe(0);
    }
  });
});

// The probe itself: without the filter the same calls go through, so the refusals above are the filter's.
describe.skipIf(!isX64)(`the escape probe without hwcap${isX64 ? '' : ' (skipped: x86-64 only)'}`, () => {
  it('int $0x80 clone(CLONE_UNTRACED), clone3(CLONE_UNTRACED) and arch_prctl(ARCH_SET_CPUID) succeed (where int $0x80 works); x32 answers ENOSYS where the kernel has no x32, or succeeds', () => {
    const v = JSON.parse(cp.execFileSync(cpuidProbe, ['--escape-compat'], { encoding: 'utf8' })) as Record<string, number>;
    if (ia32) {
      expect(v.i386Clone).toBeGreaterThan(0);
      expect(v.i386Clone3).toBeGreaterThan(0);
      expect((v as Record<string, unknown>).i386RtSigprocmask).toEqual([true, true]);
      expect(v.i386SetCpuid === 0 || v.i386SetCpuid === -19).toBe(true); // -ENODEV without faulting
      expect(v.i386SignalSegv).toBeGreaterThanOrEqual(0);
    }
    if (v.x32GetpidErrno === 38) expect(v.x32CloneErrno).toBe(38);
    else expect(v.x32Clone).toBeGreaterThan(0);
    const w = JSON.parse(cp.execFileSync(cpuidProbe, ['--escape-wide'], { encoding: 'utf8' })) as Record<string, number>;
    expect(w.setCpuidWide === 0 || w.setCpuidWideErrno === 19).toBe(true);
  });

  it.skipIf(x64Skip !== '')(`under an auxv mask alone (a followed tree, no CPUID): the i386 and x32 escapes are refused too${x64Skip}`, () => {
    const present = FeatureSet.current().words;
    const r = run(['--mode', 'ptrace', '--hwcap', hex(present.hwcap), '--', cpuidProbe, '--escape-compat']);
    expect(r.status, r.stderr).toBe(0);
    expect(lastJson<Record<string, number>>(r.stdout)).toMatchObject({ ...(ia32 ? { i386Clone: -1, i386SetCpuid: -1 } : {}), x32CloneErrno: 1, x32SetCpuidErrno: 1 });
  });
});

// README "Nesting": a CPUID mask nests only under a tree that masks CPUID itself. Under an auxv-only
// tree no helper answers CPUID, so the inner spawn fails closed (before its program runs), with the hint.
describe.skipIf(x64Skip !== '')(`a CPUID mask nested under an auxv-only tree${x64Skip}`, () => {
  it('fails closed: 125, EOPNOTSUPP at stage seize with the auxvOnly hint, nothing run', async () => {
    const { launcher } = await import('../support/cpuid-fixture');
    const present = FeatureSet.current().words;
    const r = run(['--mode', 'ptrace', '--hwcap', hex(present.hwcap), '--', launcher, '--status-fd', '2', '--mode', 'ptrace', ...cpuidArgs, '--', cpuidProbe]);
    expect(r.status).toBe(125);
    expect(r.stdout).toBe('');
    const inner = JSON.parse(r.stderr.trim().split('\n').pop()!) as Record<string, unknown>;
    expect(inner).toMatchObject({ stage: 'seize', code: 'EOPNOTSUPP' });
    expect(String(inner.message)).toMatch(/auxvOnly/);
  });
});
