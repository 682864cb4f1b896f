// The README's cluster walk-through, step by step: reports from three x86-64
// nodes (this machine's own, and two hand-made smaller ones), a baseline,
// check passing and failing, then a command run with the baseline sees the
// masked words.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FeatureSet, catalog } from '../../lib';
import { probeInheritance, probePtrace } from '../../lib';
import { parseShowAuxv } from '../support/helpers';
import { hwcap, tempDir } from '../support/cli-harness';
import { maskPlan } from '../../lib/launcher';
import { cpuidFaulting } from '../support/cpuid-fixture';

const here = FeatureSet.current('process');
const canMask = probeInheritance().inherits === true || probePtrace().ok;
const dir = tempDir('hwcap-cluster-');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const at = (f: string) => path.join(dir, f);

// Two smaller nodes of this architecture: each lacks one AT_HWCAP feature this one has,
// node-3 also every AT_HWCAP2 feature.
const hw1 = new Set(catalog(here.arch).filter((r) => r.word === 'AT_HWCAP').map((r) => r.name));
const mine = here.names().filter((n) => hw1.has(n));
const [lack2, lack3] = [mine.at(-1)!, mine.at(-2)!];
const node2 = here.without([lack2]);
const hw2 = new Set(catalog(here.arch).filter((r) => r.word === 'AT_HWCAP2' || r.also?.word === 'AT_HWCAP2').map((r) => r.name));
const node3 = here.without([lack3, ...here.names().filter((n) => hw2.has(n))]);
const handMade = (hostname: string, set: FeatureSet) =>
  JSON.stringify({ schema: 'hwcap.node-report/2', hostname, arch: set.arch, words: set.toJSON().words, ...(set.toJSON().cpuid ? { cpuid: set.toJSON().cpuid } : {}), names: set.names() }, null, 2);

describe('a cluster walk-through', () => {
  it('1. every node writes a report', () => {
    const r = hwcap(['report', '--hostname', 'node-1']);
    expect(r.status).toBe(0);
    fs.writeFileSync(at('node-1.json'), r.stdout);
    fs.writeFileSync(at('node-2.json'), handMade('node-2', node2));
    fs.writeFileSync(at('node-3.json'), handMade('node-3', node3));
  });

  it('2. baseline: the common features on stdout, who lacks what on stderr', () => {
    const r = hwcap(['baseline', at('node-1.json'), at('node-2.json'), at('node-3.json')]);
    expect(r.status).toBe(0);
    const base = FeatureSet.fromJSON(r.stdout);
    expect(base.equals(here.intersect(node2).intersect(node3))).toBe(true);
    expect(r.stderr).toContain(`node-2) lacks ${lack2}\n`);
    expect(r.stderr).toMatch(new RegExp(`node-3\\) lacks ${lack3}`));
    fs.writeFileSync(at('baseline.json'), r.stdout);
  });

  it('3. check: this node passes, a node missing a feature fails with exit 1', () => {
    expect(hwcap(['check', at('baseline.json')]).status).toBe(0);
    expect(hwcap(['check', at('baseline.json'), '--report', at('node-3.json')]).status).toBe(0);
    const fail = hwcap(['check', at('node-2.json'), '--report', at('node-3.json')]);
    expect(fail.status).toBe(1);
    expect(fail.stdout).toContain(`lacks `);
    expect(fail.stdout).toContain(lack3);
  });

  it('4. diff: what this node has beyond the baseline', () => {
    const r = hwcap(['diff', at('node-1.json'), at('baseline.json')]);
    expect(r.status).toBe(1);
    expect(r.stdout.split('\n')[0].split(': ')[1].split(' ').sort()).toEqual(here.diff(FeatureSet.fromJSON(fs.readFileSync(at('baseline.json'), 'utf8'))).extra.sort());
  });

  it.skipIf(!canMask)(`5. exec with the baseline: the command sees the masked words${canMask ? '' : ' (skipped: no masking mode works here)'}`, () => {
    const base = FeatureSet.fromJSON(fs.readFileSync(at('baseline.json'), 'utf8'));
    // x86-64: a baseline that removes CPUID features of this CPU masks CPUID through CPUID
    // faulting; without it hwcap exec fails closed, and --auxv-only masks the auxv alone.
    const needsFaulting = maskPlan(base).cpuid.length > 0 && !cpuidFaulting;
    if (needsFaulting) {
      const closed = hwcap(['exec', '--baseline', at('baseline.json'), '--', '/bin/true']);
      expect(closed.status).toBe(125);
      expect(closed.stderr).toMatch(/launcher step cpuid-fault .*\nhint: .*--auxv-only/);
    }
    const r = hwcap(['exec', ...(needsFaulting ? ['--auxv-only'] : []), '--baseline', at('baseline.json'), '--', 'env', 'LD_SHOW_AUXV=1', '/bin/true']);
    expect(r.status, r.stderr).toBe(0);
    const shown = parseShowAuxv(r.stdout);
    expect(BigInt(`0x${shown.get('AT_HWCAP')!.replace(/^0x/, '')}`)).toBe(base.words.hwcap);
    expect(BigInt(shown.get('AT_HWCAP2') ?? '0x0')).toBe(base.words.hwcap2);
  });
});
