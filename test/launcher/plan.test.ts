// The one mask plan (lib/launcher/plan.ts): every form of options.hwcaps becomes one plan; the
// plan only removes (AND only); spawn takes a plan as it is; errors name their option; and on
// x86-64 a CPUID mask below the baseline is refused before anything runs (the floor).
import { describe, it, expect } from 'vitest';
import * as cp from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BelowBaselineError, FeatureSet, hostArch, maskPlan, probePath, spawnSync } from '../../lib';
import { launcherArgv } from '../../lib/launcher';
import { cpuidFaulting, faultingSkip, isX64 } from '../support/cpuid-fixture';
import { canPtrace, ptraceSkip } from '../support/mask-fixture';
import { hwcap } from '../support/cli-harness';

const arch = hostArch();
const here = FeatureSet.current();
const x86 = arch === 'x86_64';
const notX86 = x86 ? '' : ` (skipped: ${arch} is not x86-64)`;
/** A feature of this machine above the floor that the plan can hide: avx2, else the last name it has. */
const victim = here.has(x86 ? 'avx2' : 'asimd') ? (x86 ? 'avx2' : 'asimd') : here.names().filter((n) => !n.startsWith('bit')).at(-1)!;
const FLOOR = ['cmov', 'cx8', 'fpu', 'fxsr', 'mmx', 'syscall', 'sse', 'sse2'];

describe('maskPlan: one plan for every form of options.hwcaps', () => {
  const set = here.without([victim]);
  const forms: [string, () => unknown][] = [
    ['a FeatureSet', () => set],
    ['an array of names', () => set.names()],
    ['a carrier of words', () => ({ words: set.words, arch, cpuid: set.cpuid })],
  ];
  it.each(forms)('%s: the same kept set, auxv words, CPUID rules and launcher flags', (_, hwcaps) => {
    const p = maskPlan(hwcaps() as never, { mode: 'ptrace' });
    const q = maskPlan(set, { mode: 'ptrace' });
    expect(p.kept.equals(q.kept)).toBe(true);
    expect(p.keep).toEqual(q.keep);
    expect(p.cpuidArgs).toEqual(q.cpuidArgs);
    expect(p.launcherPrefix()).toEqual(q.launcherPrefix());
    // The victim and what implies it (x86-64: avx2 takes avx512f, avx_vnni … with it).
    expect([...p.lost].sort()).toEqual(here.names().filter((n) => !set.has(n)).sort());
    expect(p.lost).toContain(victim);
    expect(p.kept.has(victim)).toBe(false);
  });

  it('the launcher prefix is the launcher argv before `--`, and launcherArgv is prefix, `--`, program, arguments', () => {
    const p = maskPlan(set, { mode: 'ptrace', follow: false });
    const prefix = p.launcherPrefix({ pdeathsig: 15 });
    expect(prefix).toEqual(launcherArgv(p.launcherOptions({ pdeathsig: 15 }), 'x', []).slice(0, -2));
    expect(p.launcherArgv('/bin/echo', ['a', '--'], { pdeathsig: 15 })).toEqual([...prefix, '--', '/bin/echo', 'a', '--']);
    expect(prefix.slice(0, 3)).toEqual(['--mode', 'ptrace', '--no-follow']);
    for (const r of p.cpuidArgs) expect(prefix.join(' ')).toContain(`--cpuid ${r}`);
    expect(prefix).not.toContain('--');
  });

  it('AND only: nothing is kept that this machine lacks, and a keep set of everything removes nothing', () => {
    const lacking = (x86 ? ['avx512f', 'pku', 'user_shstk', 'amx_tile'] : ['sve2', 'mte', 'sme']).filter((n) => !here.has(n));
    const p = maskPlan([...here.names().filter((n) => !n.startsWith('bit')), ...lacking]);
    expect(p.kept.intersect(here).equals(p.kept)).toBe(true);
    for (const n of lacking) expect(p.kept.has(n), n).toBe(false);
    expect(p.absent).toEqual(expect.arrayContaining(lacking));
    const all = maskPlan(here);
    expect(all.cpuid).toEqual([]);
    expect(all.lost).toEqual([]);
    expect(all.kept.equals(here)).toBe(true);
    // Words of bits to keep stand for this machine less what they remove, never more.
    for (const words of [{ hwcap: 0n }, { hwcap2: 0n }, { hwcap: here.words.hwcap & 0xffn, hwcap2: ~0n & ((1n << 64n) - 1n) }]) {
      const w = maskPlan(words, { auxvOnly: true });
      expect(w.keepSet.intersect(here).equals(w.keepSet), JSON.stringify(words, (_, v: unknown) => (typeof v === 'bigint' ? v.toString(16) : v))).toBe(true);
      if (words.hwcap !== undefined) expect(w.keepSet.words.hwcap & ~words.hwcap).toBe(0n);
      expect(w.keep).toEqual(words);
    }
  });

  it('a plan given as options.hwcaps is taken as it is; a mask option beside it that disagrees is a typed error naming it', () => {
    const p = maskPlan(set, { auxvOnly: true, mode: 'ptrace' });
    expect(() => spawnSync('/bin/true', [], { hwcaps: p, auxvOnly: false })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE', option: 'auxvOnly' }));
    expect(() => spawnSync('/bin/true', [], { hwcaps: p, mode: 'kernel' })).toThrow(/options\.mode.*disagrees with the plan/);
  });

  it.skipIf(!canPtrace)(`spawn with a plan masks the child as the plan says (hwcap-probe's views)${ptraceSkip}`, () => {
    const p = maskPlan(set, { auxvOnly: true, mode: 'ptrace' });
    const r = spawnSync(probePath(), [], { hwcaps: p, auxvOnly: true, encoding: 'utf8' });
    expect(r.error).toBeUndefined();
    const views = JSON.parse(String(r.stdout).trim().split('\n')[0]!) as Record<string, unknown>;
    expect(JSON.stringify(views)).toContain(`0x${p.kept.words.hwcap.toString(16)}`);
  });

  it('the report fields (keepSet, kept, lost, absent, security, unmasked) are worked out on first read, the same each read, and frozen', () => {
    const words = { hwcap: here.words.hwcap & ~(here.words.hwcap & -here.words.hwcap) };
    for (const auxvOnly of [true, false]) {
      const p = maskPlan(words, { auxvOnly, mode: 'ptrace', allowBelowBaseline: true });
      const q = maskPlan(p.keepSet, { auxvOnly, mode: 'ptrace', allowBelowBaseline: true });
      expect(p.keepSet).toBe(p.keepSet);
      expect(p.kept.equals(q.kept)).toBe(true);
      for (const k of ['lost', 'absent', 'security', 'unmasked'] as const) {
        expect(p[k], k).toBe(p[k]);
        expect(Object.isFrozen(p[k]), k).toBe(true);
        expect(p[k], k).toEqual(q[k]);
      }
      // The lowest AT_HWCAP bit of this machine is what the words drop.
      expect(p.lost.length).toBeGreaterThan(0);
      expect(p.toJSON().lost).toEqual([...p.lost]);
    }
  });

  it.skipIf(!x86)(`CPUID words a carrier brings are checked when the plan is made, even when nothing reads the set they stand for${notX86}`, () => {
    for (const auxvOnly of [true, false]) {
      const bad = { words: here.words, arch, cpuid: { 'CPUID.5:EAX': 1 } };
      expect(() => maskPlan(bad as never, { auxvOnly, mode: 'ptrace' }), `auxvOnly ${auxvOnly}`).toThrow(expect.objectContaining({ option: 'hwcaps' }));
      expect(() => spawnSync('/bin/true', [], { hwcaps: bad as never, auxvOnly, mode: 'ptrace' })).toThrow(expect.objectContaining({ option: 'hwcaps' }));
    }
  });

  it('errors carry the option they concern', () => {
    expect(() => maskPlan(['no-such-feature-name'])).toThrow(expect.objectContaining({ option: 'hwcaps' }));
    expect(() => maskPlan(set, { mode: 'bogus' as never })).toThrow(expect.objectContaining({ option: 'mode' }));
    expect(() => maskPlan(set, { auxvOnly: 1 as never })).toThrow(expect.objectContaining({ option: 'auxvOnly' }));
    expect(() => maskPlan(set, { env: 'x' as never })).toThrow(expect.objectContaining({ option: 'env' }));
  });

  it.skipIf(!x86 || !here.has(victim))(`x86-64: a CPUID mask in mode 'kernel' is refused naming options.mode${notX86}`, () => {
    expect(() => maskPlan(set, { mode: 'kernel' })).toThrow(expect.objectContaining({ option: 'mode', message: expect.stringMatching(/only mode 'ptrace'/) }));
    expect(maskPlan(set, { mode: 'kernel', auxvOnly: true }).cpuid).toEqual([]);
  });
});

// Words of bits to keep name FSGSBASE twice: AT_HWCAP2 bit 1 and CPUID.7.0:EBX bit 0. The plan is
// made against a synthetic machine that has it (maskPlan's `here`), so it runs on any x86-64, with
// or without fsgsbase (test/launcher/cpuid-claims.test.ts runs a program under it where the CPU has it).
describe('words of bits to keep, on a synthetic machine with fsgsbase', () => {
  const synthetic = x86
    ? FeatureSet.fromWords('x86_64', { ...here.words, hwcap2: here.words.hwcap2 | 2n }, { ...here.cpuid, 'CPUID.7.0:EBX': (here.cpuid['CPUID.7.0:EBX']! | 1) >>> 0 })
    : here;
  it.skipIf(!x86)(`AT_HWCAP2 without FSGSBASE (bit 1) gives the CPUID rule 7.0:ebx=fffffffe, and nothing else; with it, no rule${notX86}`, () => {
    const w = synthetic.words;
    const p = maskPlan({ hwcap: w.hwcap, hwcap2: w.hwcap2 & ~2n }, { mode: 'ptrace' }, synthetic);
    expect(p.cpuid).toEqual([{ leaf: 7, subleaf: 0, reg: 'ebx', keep: 0xfffffffe }]);
    expect(p.cpuidArgs).toEqual(['7.0:ebx=fffffffe']);
    expect(p.lost).toEqual(['fsgsbase']);
    expect(maskPlan({ hwcap: w.hwcap, hwcap2: w.hwcap2 }, { mode: 'ptrace' }, synthetic).cpuid).toEqual([]);
    // Words that leave AT_HWCAP2 out keep it: no rule.
    expect(maskPlan({ hwcap: w.hwcap }, { mode: 'ptrace' }, synthetic).cpuid).toEqual([]);
  });
});

// AMD copies CPUID.1:EDX bits 0-9, 12-17, 23 and 24 into CPUID.80000001:EDX. A feature set holds
// them once (CPUID.1:EDX), so a plan that drops one of them must also mask AMD's copy, whether or
// not this CPU is an AMD one (cpuid-claims.test.ts runs a program under it on AMD).
describe("AMD's mirror of CPUID.1:EDX, on a synthetic machine with vme and sep", () => {
  const synthetic = x86 ? FeatureSet.fromWords('x86_64', { ...here.words, hwcap: here.words.hwcap | 2n | (1n << 11n) }, here.cpuid) : here;
  it.skipIf(!x86)(`dropping vme (mirrored, bit 1) masks it in 1:edx and in 80000001:edx; dropping sep (bit 11, not mirrored) masks 1:edx alone${notX86}`, () => {
    const MIRROR = 0x0183f3ff;
    const rule = (p: { cpuid: readonly { leaf: number; subleaf?: number; reg: string; keep: number }[] }, leaf: number) => p.cpuid.find((r) => r.leaf === leaf && r.reg === 'edx');
    const vme = maskPlan(synthetic.without(['vme']), { mode: 'ptrace' }, synthetic);
    const edx1 = rule(vme, 1)!.keep;
    const amd = rule(vme, 0x80000001)!.keep;
    expect(edx1 & 2).toBe(0);
    expect(amd & 2).toBe(0);
    // AMD's copy keeps what CPUID.1:EDX keeps of the mirrored bits.
    expect((amd & MIRROR) >>> 0).toBe((edx1 & MIRROR) >>> 0);
    expect(vme.cpuidArgs).toContain(`80000001:edx=${amd.toString(16).padStart(8, '0')}`);
    expect(vme.lost).toEqual(['vme']);
    const sep = maskPlan(synthetic.without(['sep']), { mode: 'ptrace' }, synthetic);
    expect(rule(sep, 1)!.keep & (1 << 11)).toBe(0);
    expect(rule(sep, 0x80000001)).toBeUndefined();
  });
});

describe('the x86-64 baseline floor', () => {
  it.skipIf(!x86)(`a CPUID mask that removes a baseline feature is a BelowBaselineError naming them, with the fix${notX86}`, () => {
    for (const drop of FLOOR.filter((n) => here.has(n))) {
      let e: unknown;
      try {
        maskPlan(here.without([drop]));
      } catch (x) {
        e = x;
      }
      expect(e, drop).toBeInstanceOf(BelowBaselineError);
      expect(e).toMatchObject({ code: 'ERR_HWCAP_BELOW_BASELINE', option: 'hwcaps', features: [drop] });
      expect((e as Error).message).toMatch(/x86-64 baseline/);
      expect((e as BelowBaselineError).hint).toMatch(/hwcaps: \['x86-64', …\].*auxvOnly: true.*allowBelowBaseline: true/);
    }
    // The example keeps fpu, sse and sse2 and loses the rest of the floor.
    expect(() => maskPlan(['fpu', 'sse', 'sse2'])).toThrow(expect.objectContaining({ features: FLOOR.filter((n) => !['fpu', 'sse', 'sse2'].includes(n) && here.has(n)) }));
    // The level keeps it.
    expect(() => maskPlan(['x86-64'])).not.toThrow();
    expect(() => maskPlan(['x86-64', 'sse4_2'])).not.toThrow();
    // Words of bits to keep: AT_HWCAP bit 0 is fpu, in CPUID.1:EDX too.
    expect(() => maskPlan({ hwcap: here.words.hwcap & ~1n })).toThrow(BelowBaselineError);
  });

  it.skipIf(!x86)(`the floor is CPUID's: auxvOnly masks the auxv alone and passes; allowBelowBaseline lets the CPUID rule through${notX86}`, () => {
    const below = here.without(['sse2']);
    expect(maskPlan(below, { auxvOnly: true }).cpuid).toEqual([]);
    const allowed = maskPlan(below, { allowBelowBaseline: true });
    const edx = allowed.cpuid.find((r) => r.leaf === 1 && r.reg === 'edx');
    expect(edx && (edx.keep & (1 << 26))).toBe(0);
  });

  it.skipIf(!x86)(`spawn refuses it synchronously and nothing runs; the CLI exits 2 naming the features and --features x86-64${notX86}`, () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hwcap-floor-'));
    const marker = path.join(dir, 'ran');
    try {
      expect(() => spawnSync('/bin/sh', ['-c', `touch ${marker}`], { hwcaps: here.without(['fpu']) })).toThrow(BelowBaselineError);
      const r = hwcap(['exec', '--drop', 'fpu', '--', '/bin/sh', '-c', `touch ${marker}`]);
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(/^hwcap exec: the mask removes the x86-64 baseline feature fpu from CPUID.*\nhint: keep the baseline: .*--features x86-64,….*--auxv-only.*--allow-below-baseline/);
      const f = hwcap(['exec', '--features', 'fpu,sse,sse2', '--', 'env', 'LD_SHOW_AUXV=1', '/bin/true']);
      expect(f.status).toBe(2);
      expect(f.stderr).toMatch(/baseline features cmov cx8 fxsr mmx/);
      expect(fs.existsSync(marker)).toBe(false);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it.skipIf(!isX64 || !cpuidFaulting)(`why: with --allow-below-baseline, a dynamic glibc program stops at glibc's ISA check (exit 127), a static one without libc runs${faultingSkip}`, () => {
    const r = hwcap(['exec', '--allow-below-baseline', '--drop', 'fpu', '--', '/bin/true']);
    expect(r.status).toBe(127);
    expect(r.stderr).toMatch(/CPU ISA level is lower than required/);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hwcap-floor-'));
    try {
      const src = path.join(dir, 'exit7.c');
      // No libc: _start calls exit_group(7) itself.
      fs.writeFileSync(src, 'void _start(void) { __asm__ volatile("mov $231, %eax\\n mov $7, %edi\\n syscall"); }\n');
      const bin = path.join(dir, 'exit7');
      cp.execFileSync('cc', ['-static', '-nostdlib', '-O1', '-o', bin, src]);
      expect(hwcap(['exec', '--drop', 'fpu', '--', bin]).status).toBe(2);
      expect(hwcap(['exec', '--allow-below-baseline', '--drop', 'fpu', '--', bin]).status).toBe(7);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
