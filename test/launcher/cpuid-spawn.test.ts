// CPUID masks through the spawn family: a feature set that carries CPUID words gives the
// launcher --cpuid rules, in ptrace mode; where CPUID does not fault the spawn fails closed
// with a HwcapError (stage cpuid-fault). The trap path runs here through the test build's
// simulated traps (HWCAP_TEST_LAUNCHER=1, HWCAP_EXEC_FAULT=cpuid-simulate).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it, expect, afterEach } from 'vitest';
import { FeatureSet, HwcapError, catalog, spawnSync } from '../../lib';
import { repoRoot } from '../support/helpers';
import { canPtrace } from '../support/mask-fixture';
import { cpuidFaulting, cpuidProbe, drop7, faultProbe, faultingSkip, host, isX64, reg, type ProbeView } from '../support/cpuid-fixture';

const skip = !isX64 || !canPtrace;
const why = !isX64 ? ' (skipped: x86-64 only)' : !canPtrace ? ' (skipped: no ptrace)' : '';

/** This machine's feature set, carrying CPUID words without `drop7` (as the x86 catalogue's FeatureSet will). */
function carrier(): { arch: string; words: FeatureSet['words']; cpuid: Record<string, number> } {
  const fs = FeatureSet.current();
  const ebx = reg(host!.main['7.0'], 1);
  return { arch: fs.arch, words: fs.words, cpuid: { 'CPUID.7.0:EBX': (ebx & ~drop7) >>> 0 } };
}

afterEach(() => {
  delete process.env.HWCAP_TEST_LAUNCHER;
});

describe.skipIf(skip)(`spawn with CPUID words${why}`, () => {
  it("refuses mode 'kernel': only the ptrace helper answers CPUID", () => {
    expect(() => spawnSync(cpuidProbe, [], { hwcaps: carrier(), mode: 'kernel' })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
  });

  it.skipIf(cpuidFaulting)('fails closed where CPUID does not fault: a HwcapError, stage cpuid-fault, nothing run', () => {
    const r = spawnSync(cpuidProbe, [], { hwcaps: carrier(), encoding: 'utf8' });
    expect(r.error).toBeInstanceOf(HwcapError);
    expect(r.error).toMatchObject({ stage: 'cpuid-fault', code: faultProbe.code });
    expect((r.error as HwcapError).hint).toMatch(/CPUID faulting/);
    expect(r.stdout ?? '').toBe('');
  });

  it('simulated traps (test build): every thread and fork of the child sees the masked leaf', () => {
    process.env.HWCAP_TEST_LAUNCHER = '1';
    const r = spawnSync(cpuidProbe, ['--simulate'], { hwcaps: carrier(), encoding: 'utf8', env: { ...process.env, HWCAP_EXEC_FAULT: 'cpuid-simulate' } });
    expect(r.error).toBeUndefined();
    expect(r.status).toBe(0);
    const v = JSON.parse(String(r.stdout)) as ProbeView;
    for (const where of ['main', 'thread', 'child'] as const) {
      expect(reg(v[where]['7.0'], 1)).toBe((reg(host!.main['7.0'], 1) & ~drop7) >>> 0);
      expect(v[where]['80000001']).toEqual(host!.main['80000001']);
    }
  });

  // Issue 13's "done when", literally: node spawned with a FeatureSet without avx2 and avx512f
  // (those of them this CPU has); hwcap's own cpuid() and FeatureSet.current() in node's main
  // thread and in a worker thread execute CPUID there, and see neither.
  const gone = ['avx2', 'avx512f'].filter((n) => isX64 && FeatureSet.current().has(n));
  it.skipIf(!cpuidFaulting || gone.length === 0)(`real faulting: node spawned with FeatureSet.current().without([${gone.join(', ')}]) sees neither in the CPUID of its main thread and of a worker${cpuidFaulting ? (gone.length ? '' : ' (skipped: this CPU has neither)') : faultingSkip}`, () => {
    const script = `
const { Worker, isMainThread, parentPort } = require('node:worker_threads');
const h = require(${JSON.stringify(repoRoot)});
const view = () => ({ ebx7: h.cpuid(7, 0).ebx, has: ${JSON.stringify(gone)}.filter((n) => h.FeatureSet.current().has(n)) });
if (isMainThread) new Worker(__filename, { eval: false }).on('message', (worker) => console.log(JSON.stringify({ main: view(), worker })));
else parentPort.postMessage(view());
`;
    const file = path.join(os.tmpdir(), `hwcap-done-when-${process.pid}.js`);
    fs.writeFileSync(file, script);
    try {
      const r = spawnSync(process.execPath, [file], { hwcaps: FeatureSet.current().without(gone), encoding: 'utf8', timeout: 60_000 });
      expect(r.error).toBeUndefined();
      expect(r.status, String(r.stderr)).toBe(0);
      const v = JSON.parse(String(r.stdout)) as Record<'main' | 'worker', { ebx7: number; has: string[] }>;
      for (const where of ['main', 'worker'] as const) {
        expect(v[where].has).toEqual([]);
        expect(v[where].ebx7 & ((1 << 5) | (1 << 16))).toBe(0); // avx2 (bit 5) and avx512f (bit 16) of 7.0:EBX
      }
    } finally {
      fs.rmSync(file, { force: true });
    }
  });

  it.skipIf(!cpuidFaulting)(`real faulting: every thread and fork of the child sees the masked leaf${faultingSkip}`, () => {
    const r = spawnSync(cpuidProbe, [], { hwcaps: carrier(), encoding: 'utf8' });
    expect(r.status).toBe(0);
    const v = JSON.parse(String(r.stdout)) as ProbeView;
    for (const where of ['main', 'thread', 'child'] as const) expect(reg(v[where]['7.0'], 1) & drop7).toBe(0);
  });
});

/** The catalogue's name of the bit `drop7` of CPUID.7.0:EBX (avx2 where the CPU has it). */
const drop7Name = (): string => catalog('x86_64').find((r) => r.word === 'CPUID.7.0:EBX' && 1 << r.bit === drop7)!.name;
const simulated = (): NodeJS.ProcessEnv => {
  process.env.HWCAP_TEST_LAUNCHER = '1';
  return { ...process.env, HWCAP_EXEC_FAULT: 'cpuid-simulate' };
};

describe.skipIf(skip)(`every form of options.hwcaps masks CPUID as it masks the auxv${why}`, () => {
  const leaf1edx = () => reg(host!.main['1'], 3);

  it.each([
    ['a FeatureSet', () => FeatureSet.current().without([drop7Name()])],
    ['an array of feature names', () => FeatureSet.current().without([drop7Name()]).names()],
  ])('%s without a CPUID feature: the child (simulated traps) sees CPUID without it', (_, hwcaps) => {
    const r = spawnSync(cpuidProbe, ['--simulate'], { hwcaps: hwcaps(), encoding: 'utf8', env: simulated() });
    expect(r.error).toBeUndefined();
    const v = JSON.parse(String(r.stdout)) as ProbeView;
    for (const where of ['main', 'thread', 'child'] as const) expect(reg(v[where]['7.0'], 1) & drop7).toBe(0);
  });

  it('words of bits to keep: AT_HWCAP is CPUID.1:EDX, and the child sees both without the bit (one mask)', () => {
    const edx = leaf1edx();
    const fpu = edx & -edx;
    const keep = { hwcap: BigInt((edx & ~fpu) >>> 0) };
    // fpu is below the x86-64 baseline: allowed for this static probe only.
    const r = spawnSync(cpuidProbe, ['--simulate'], { hwcaps: keep, allowBelowBaseline: true, encoding: 'utf8', env: simulated() });
    expect(r.error).toBeUndefined();
    const v = JSON.parse(String(r.stdout)) as ProbeView;
    for (const where of ['main', 'thread', 'child'] as const) expect(reg(v[where]['1'], 3)).toBe((edx & ~fpu) >>> 0);
  });

  it.skipIf(cpuidFaulting)('words of bits to keep, where CPUID does not fault: a HwcapError at stage cpuid-fault, nothing run', () => {
    const edx = leaf1edx();
    const r = spawnSync(cpuidProbe, [], { hwcaps: { hwcap: BigInt((edx & ~(edx & -edx)) >>> 0) }, allowBelowBaseline: true, encoding: 'utf8' });
    expect(r.error).toMatchObject({ stage: 'cpuid-fault' });
    expect((r.error as HwcapError).hint).toMatch(/auxvOnly: true/);
    expect(r.stdout ?? '').toBe('');
  });

  it('a set that removes no CPUID feature of this CPU masks no CPUID and needs no faulting', () => {
    const r = spawnSync(cpuidProbe, [], { hwcaps: FeatureSet.current(), encoding: 'utf8' });
    expect(r.error).toBeUndefined();
    expect(r.status).toBe(0);
    expect((JSON.parse(String(r.stdout)) as ProbeView).main['7.0']).toEqual(host!.main['7.0']);
  });

  it("auxvOnly: the auxv is masked, CPUID is the CPU's, and mode 'kernel' is allowed", () => {
    const set = FeatureSet.current().without([drop7Name(), 'fpu']);
    const r = spawnSync(cpuidProbe, [], { hwcaps: set, auxvOnly: true, encoding: 'utf8', env: { ...process.env, LD_SHOW_AUXV: '1' } });
    expect(r.error).toBeUndefined();
    expect(r.status).toBe(0);
    const out = String(r.stdout);
    const v = JSON.parse(out.slice(out.indexOf('{'))) as ProbeView;
    expect(v.main['7.0']).toEqual(host!.main['7.0']);
    expect(reg(v.main['1'], 3)).toBe(leaf1edx());
    expect(out).toMatch(new RegExp(`AT_HWCAP: +0*${(set.words.hwcap).toString(16)}\\b`));
    expect(() => spawnSync(cpuidProbe, [], { hwcaps: set, auxvOnly: true, mode: 'kernel' })).not.toThrow();
    expect(() => spawnSync(cpuidProbe, [], { hwcaps: set, auxvOnly: 'yes' as never })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE', message: expect.stringContaining('options.auxvOnly') }));
  });
});
