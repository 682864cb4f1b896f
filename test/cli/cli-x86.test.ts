// The command on x86-64: hwcap env, the level in hwcap show, psABI levels in check and exec, and
// the CPUID words in show --json. Expected values come from the library in this process.
import * as cp from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FeatureSet, catalog, probeInheritance, probePtrace, runtimeEnv, v8Flags } from '../../lib';
import { hwcap, tempDir } from '../support/cli-harness';
import { cpuidFaulting } from '../support/cpuid-fixture';

const here = FeatureSet.current('process');
const isX86 = here.arch === 'x86_64';
const dir = tempDir('hwcap-x86-');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const LDSO = '/lib64/ld-linux-x86-64.so.2';

describe.skipIf(!isX86)(`hwcap on x86-64${isX86 ? '' : ' (skipped: not x86-64)'}`, () => {
  it('show prints the psABI level, and --json carries the CPUID words', () => {
    const r = hwcap(['show']);
    expect(r.status).toBe(0);
    expect(r.stdout.split('\n')[0]).toMatch(new RegExp(`, level ${here.level()}$`));
    const j = JSON.parse(hwcap(['show', '--json']).stdout) as { schema: string; cpuid: Record<string, string> };
    expect(j.schema).toBe('hwcap.featureset/2');
    expect(FeatureSet.fromJSON(j).equals(here)).toBe(true);
    expect(Number(j.cpuid['CPUID.7.0:EBX'])).toBe(here.cpuid['CPUID.7.0:EBX']);
  });

  it('report records the vendor, family, model and level', () => {
    const rep = JSON.parse(hwcap(['report']).stdout) as { schema: string; cpu: { vendor: string; family: number }; level: string };
    expect(rep.schema).toBe('hwcap.node-report/2');
    expect(rep.cpu.vendor).toMatch(/^(GenuineIntel|AuthenticAMD|HygonGenuine|CentaurHauls| {2}Shanghai {2}|.{12})$/);
    expect(rep.level).toBe(here.level());
  });

  it('check --features x86-64-v3,avx512f: exit 0 with both, else 1 naming exactly what is missing', () => {
    const need = FeatureSet.fromNames('x86_64', ['x86-64-v3', 'avx512f']);
    const missing = here.diff(need).missing;
    const r = hwcap(['check', '--features', 'x86-64-v3,avx512f', '--json']);
    expect(r.status).toBe(missing.length ? 1 : 0);
    expect((JSON.parse(r.stdout) as { missing: string[] }).missing).toEqual(missing);
    expect(hwcap(['check', '--features', 'x86-64-v5']).stderr).toMatch(/unknown feature 'x86-64-v5' on x86_64; did you mean .*'x86-64-v4'/);
  });

  it('env --json is runtimeEnv() of the kept set relative to this node; --node-flags --json is v8Flags() of it', () => {
    const r = hwcap(['env', '--drop', 'avx2', '--json']);
    expect(r.status).toBe(0);
    const noAvx2 = here.without(['avx2']);
    expect(JSON.parse(r.stdout)).toEqual(runtimeEnv(noAvx2, { relativeTo: here }));
    expect(JSON.parse(hwcap(['env', '--drop', 'avx2', '--node-flags', '--json']).stdout)).toEqual(v8Flags(noAvx2, { relativeTo: here }));
    const v2 = hwcap(['env', '--features', 'x86-64-v2', '--json']);
    const v2set = FeatureSet.fromNames('x86_64', ['x86-64-v2']);
    expect(JSON.parse(v2.stdout)).toEqual(runtimeEnv(v2set, { relativeTo: here }));
    const base = path.join(dir, 'v2.json');
    fs.writeFileSync(base, JSON.stringify(FeatureSet.fromNames('x86_64', ['x86-64-v2'])));
    expect(hwcap(['env', '--baseline', base, '--json']).stdout).toBe(v2.stdout);
  });

  it.skipIf(!fs.existsSync(LDSO))('env prints export lines a shell evaluates: ld.so then calls x86-64-v3 unsupported', () => {
    const r = hwcap(['env', '--features', 'x86-64-v2']);
    expect(r.status).toBe(0);
    const lines = r.stdout.trim().split('\n').filter(Boolean);
    // Export lines, then (if V8 has flags for what the set lacks) one comment line naming them.
    const nodeFlags = v8Flags(FeatureSet.fromNames('x86_64', ['x86-64-v2']), { relativeTo: here });
    if (nodeFlags.length) expect(lines.pop()).toBe(`# node: ${nodeFlags.join(' ')}`);
    for (const line of lines) expect(line).toMatch(/^export [A-Za-z_][A-Za-z0-9_]*=/);
    const sh = cp.spawnSync('sh', ['-c', `${r.stdout}\n${LDSO} --help`], { encoding: 'utf8' });
    expect(sh.stdout).not.toMatch(/x86-64-v3 \(supported/);
    if (here.has('x86-64-v2')) expect(sh.stdout).toMatch(/x86-64-v2 \(supported/);
  });

  it('baseline --from-nfd warns about nodes known only from labels, whose blacklisted flags NFD hid', () => {
    const labels = path.join(__dirname, '..', 'fixtures', 'nfd', 'x86-nodes.json');
    const crs = path.join(__dirname, '..', 'fixtures', 'nfd', 'x86-nodefeatures.json');
    const r = hwcap(['baseline', '--from-nfd', labels]);
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/^hwcap: warning: icx-1: only node labels describe this node, and NFD's default label blacklist hides /m);
    expect(r.stderr).toMatch(/^hwcap: warning: milan-old: /m);
    const c = hwcap(['baseline', '--from-nfd', crs]);
    expect(c.stderr).not.toMatch(/warning/);
    expect(FeatureSet.fromJSON(c.stdout).level()).toBe('x86-64-v3');
  });

  it('env usage errors exit 2', () => {
    expect(hwcap(['env']).status).toBe(2);
    expect(hwcap(['env', '--features', 'sse2', '--baseline', 'x.json']).status).toBe(2);
    expect(hwcap(['env', '--drop', 'avx9']).stderr).toMatch(/unknown feature 'avx9'/);
    const arm = path.join(dir, 'arm.json');
    fs.writeFileSync(arm, JSON.stringify(FeatureSet.fromNames('arm64', ['fp'])));
    const r = hwcap(['env', '--baseline', arm]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/is for aarch64; this machine is x86_64/);
  });

  const canMask = probeInheritance().inherits === true || probePtrace().ok;
  it.skipIf(!canMask)(`exec --features x86-64-v3: CPUID masked through faulting, or 125 without it; --auxv-only masks the auxv part and says what CPUID still shows${canMask ? '' : ' (skipped: no masking mode works here)'}`, () => {
    const auxv = new Set(catalog('x86_64').filter((x) => x.word.startsWith('AT_') || x.also?.word.startsWith('AT_')).map((x) => x.name));
    const hidden = here.diff(FeatureSet.fromNames('x86_64', ['x86-64-v3']).intersect(here)).extra.filter((n) => !auxv.has(n) && !n.includes('@AT_'));
    expect(hidden.length).toBeGreaterThan(0);
    const r = hwcap(['exec', '--allow-security-masking', '--features', 'x86-64-v3', '--', '/bin/true']);
    if (cpuidFaulting) {
      expect(r.status, r.stderr).toBe(0);
      expect(r.stderr).not.toMatch(/--auxv-only/);
    } else {
      expect(r.status).toBe(125);
      expect(r.stderr).toMatch(/launcher step cpuid-fault/);
    }
    const a = hwcap(['exec', '--allow-security-masking', '--auxv-only', '--features', 'x86-64-v3', '--', '/bin/true']);
    expect(a.status, a.stderr).toBe(0);
    // Every removed feature: AT_HWCAP is CPUID.1:EDX, masked in the auxv alone.
    const removed = here.diff(FeatureSet.fromNames('x86_64', ['x86-64-v3']).intersect(here)).extra;
    expect(a.stderr).toMatch(new RegExp(`note: --auxv-only: the command still sees ${removed.length} features? in CPUID: `));
  });
});
