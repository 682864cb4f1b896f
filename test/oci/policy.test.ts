// lib/oci without a container: the policy from annotations and the node's file, the edit of a
// config.json and of a process spec, and /proc/cpuinfo's filter. The engines' tests
// (runc.test.ts, engines.test.ts) run the same edit under real runtimes.
import { describe, expect, it, vi } from 'vitest';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { decidePolicy, editBundle, editConfig, editProcess, FeatureSet, filterCpuinfo, maskOf, OciError, policyFromAnnotations, readNodeConfig, type OciConfig } from '../../lib';
import { parseRuncArgv } from '../../lib/oci/runtime';
import { auxvDrop, tmp } from '../support/oci-fixture';

// The CPUID-faulting probe as this file sets it: the real one unless a test says the node has no
// faulting (the refusal of a CPUID mask there; this machine may well fault).
const probe = vi.hoisted(() => ({ noFaulting: false }));
vi.mock('../../lib/launcher/probes', async (real) => {
  const m = await real<typeof import('../../lib/launcher/probes')>();
  return { ...m, probeCpuidFault: () => (probe.noFaulting ? { ok: false, code: 'ENODEV', reason: 'arch_prctl(ARCH_SET_CPUID): ENODEV' } : m.probeCpuidFault()) };
});

const here = FeatureSet.current();
const arch = here.arch;

function oci(f: () => unknown): OciError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(OciError);
    return e as OciError;
  }
  throw new Error('no OciError');
}

const config = (annotations?: Record<string, string>): OciConfig => ({
  ociVersion: '1.0.2',
  process: { args: ['/bin/sh', '-c', 'true'], env: ['PATH=/bin', 'A=1'], cwd: '/' },
  mounts: [{ destination: '/proc', type: 'proc', source: 'proc' }],
  ...(annotations ? { annotations } : {}),
});

describe('the policy', () => {
  it('is none without io.hwcap.* annotations or a node file', () => {
    expect(policyFromAnnotations(undefined)).toBeUndefined();
    expect(policyFromAnnotations({ 'org.opencontainers.image.title': 'x' })).toBeUndefined();
    expect(decidePolicy({}, undefined)).toBeUndefined();
  });

  it.each([
    [{ 'io.hwcap.drop': 'avx3' }, 'io.hwcap.drop', 'avx3', /unknown feature 'avx3'/],
    [{ 'io.hwcap.features': '' }, 'io.hwcap.features', '', /names no feature/],
    [{ 'io.hwcap.dorp': 'x' }, 'io.hwcap.dorp', 'x', /unknown annotation/],
    [{ 'io.hwcap.baseline': 'relative.json' }, 'io.hwcap.baseline', 'relative.json', /must be absolute/],
    [{ 'io.hwcap.baseline': '{]' }, 'io.hwcap.baseline', '{]', /not JSON/],
    [{ 'io.hwcap.baseline': '{"schema":"hwcap.featureset/9"}' }, 'io.hwcap.baseline', '{"schema":"hwcap.featureset/9"}', /not a hwcap feature set or node report/],
    [{ 'io.hwcap.runtime-env': '1', 'io.hwcap.drop': 'avx' }, 'io.hwcap.runtime-env', '1', /must be 'true' or 'false'/],
    [{ 'io.hwcap.auxv-only': 'true' }, 'annotations', undefined, /without a keep set: nothing to mask/],
  ])('refuses %j naming the annotation and the value', (annotations, source, value, message) => {
    const e = oci(() => policyFromAnnotations(annotations, 'x86_64'));
    expect(e).toMatchObject({ reason: 'policy', code: 'EINVAL', source });
    if (value !== undefined) expect(e.value).toBe(value);
    expect(e.message).toMatch(message);
  });

  it('reads the node file: its runtime, launcher path and policy; a relative baseline is beside the file', () => {
    const dir = tmp('hwcap-oci-policy-');
    try {
      fs.writeFileSync(path.join(dir, 'b.json'), JSON.stringify(here.toJSON()));
      const file = path.join(dir, 'runtime.json');
      fs.writeFileSync(file, JSON.stringify({ schema: 'hwcap.runtime-config/1', runtime: '/usr/sbin/runc', launcherPath: '/.hwcap/exec', policy: { baseline: 'b.json', drop: auxvDrop().name, 'auxv-only': true } }));
      const c = readNodeConfig(file, true)!;
      expect(c).toMatchObject({ runtime: '/usr/sbin/runc', launcherPath: '/.hwcap/exec', policy: { auxvOnly: true, drop: { names: [auxvDrop().name] } } });
      expect(c.policy!.baseline!.set.equals(here)).toBe(true);
      expect(readNodeConfig(path.join(dir, 'none.json'), false)).toBeUndefined();
      expect(oci(() => readNodeConfig(path.join(dir, 'none.json'), true))).toMatchObject({ reason: 'config', code: 'ENOENT' });
      fs.writeFileSync(file, JSON.stringify({ schema: 'hwcap.runtime-config/1', policy: { dorp: 'avx2' } }));
      expect(oci(() => readNodeConfig(file, true)).message).toMatch(/unknown policy key "dorp"/);
      fs.writeFileSync(file, JSON.stringify({ schema: 'hwcap.runtime-config/1', policy: { drop: 'avx3' } }));
      expect(oci(() => readNodeConfig(file, true))).toMatchObject({ reason: 'policy', source: `${file}: policy.drop`, value: 'avx3' });
      fs.writeFileSync(file, JSON.stringify({ schema: 'other/1' }));
      expect(oci(() => readNodeConfig(file, true)).message).toMatch(/"schema" must be "hwcap.runtime-config\/1"/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the edit', () => {
  const drop = auxvDrop();
  const opts = { launcher: '/host/hwcap-exec', cpuinfoSource: '/bundle/hwcap-cpuinfo', cpuinfo: `processor\t: 0\nflags\t\t: ${drop.name} constant_tsc sse2\n` };

  it('is none without a policy, and leaves the argument untouched', () => {
    const c = config();
    const before = JSON.stringify(c);
    expect(editConfig(c, opts)).toBeUndefined();
    expect(JSON.stringify(c)).toBe(before);
  });

  it('puts the launcher in front of process.args, mounts it and the filtered cpuinfo read-only, records the mask', () => {
    const c = config({ 'io.hwcap.drop': drop.name, 'io.hwcap.auxv-only': 'true' });
    const before = JSON.stringify(c);
    const e = editConfig(c, opts)!;
    expect(JSON.stringify(c)).toBe(before);
    const args = e.config.process!.args!;
    expect(args[0]).toBe('/.hwcap-exec');
    expect(args.slice(-4)).toEqual(['--', '/bin/sh', '-c', 'true']);
    expect(e.config.process!.env).toEqual(['PATH=/bin', 'A=1']);
    expect(e.config.mounts!.slice(-2)).toEqual([
      { destination: '/.hwcap-exec', type: 'bind', source: '/host/hwcap-exec', options: ['bind', 'ro', 'nosuid', 'nodev'] },
      { destination: '/proc/cpuinfo', type: 'bind', source: '/bundle/hwcap-cpuinfo', options: ['bind', 'ro', 'nosuid', 'nodev', 'noexec'] },
    ]);
    expect(maskOf(e.config.annotations)).toEqual(e.mask);
    expect(e.mask.keep).not.toContain(drop.name);
    expect(e.cpuinfo).toBe('processor\t: 0\nflags\t\t: constant_tsc sse2\n');
    // Edited twice (a create retried), it is masked once.
    const again = editConfig(e.config, opts)!;
    expect(again.config.process!.args).toEqual(args);
    expect(again.config.mounts!.filter((m) => m.destination === '/.hwcap-exec')).toHaveLength(1);
  });

  it("ANDs the annotations' keep set with the node's default: a pod narrows the node's mask, never widens it", () => {
    const other = here.names().find((n) => n !== drop.name && !here.securityNames().includes(n) && FeatureSet.fromNames(arch, [n]).words.hwcap !== 0n && n !== 'fpu')!;
    const node = { file: '/etc/hwcap/runtime.json', policy: decidePolicy({ 'io.hwcap.drop': other, 'io.hwcap.auxv-only': 'true' }, undefined)! };
    const e = editConfig(config({ 'io.hwcap.drop': drop.name, 'io.hwcap.auxv-only': 'true' }), { ...opts, node })!;
    expect(e.mask.keep).not.toContain(drop.name);
    expect(e.mask.keep).not.toContain(other);
    // A pod that asks for everything this node has keeps the node's mask.
    const wide = editConfig(config({ 'io.hwcap.baseline': JSON.stringify(here.toJSON()), 'io.hwcap.auxv-only': 'true' }), { ...opts, node })!;
    expect(wide.mask.keep).not.toContain(other);
  });

  it('refuses a node that lacks a feature of the baseline, naming it, before anything is written', () => {
    const dir = tmp('hwcap-oci-edit-');
    try {
      const lacked = here.arch === 'x86_64' ? (['pku', 'user_shstk', 'avx512_fp16', 'amx_tile'].find((n) => !here.has(n)) ?? '') : '';
      if (!lacked) return;
      const c = config({ 'io.hwcap.baseline': JSON.stringify(here.union(FeatureSet.fromNames(arch, [lacked])).toJSON()), 'io.hwcap.auxv-only': 'true' });
      const text = `${JSON.stringify(c, null, 1)}\n`;
      fs.writeFileSync(path.join(dir, 'config.json'), text);
      const e = oci(() => editBundle(dir, { launcher: '/host/hwcap-exec' }));
      expect(e).toMatchObject({ reason: 'node-lacks', code: 'ENOTSUP', source: 'io.hwcap.baseline', value: lacked });
      expect(fs.readFileSync(path.join(dir, 'config.json'), 'utf8')).toBe(text);
      expect(fs.readdirSync(dir)).toEqual(['config.json']);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('edits a process spec for exec as the container was masked, and refuses one without args', () => {
    const e = editConfig(config({ 'io.hwcap.drop': drop.name, 'io.hwcap.auxv-only': 'true' }), opts)!;
    const spec = editProcess({ args: ['ls', '-l'], env: ['X=1'], cwd: '/tmp', user: { uid: 5 } }, e.mask);
    expect(spec).toMatchObject({ cwd: '/tmp', user: { uid: 5 }, env: ['X=1'] });
    expect(spec.args).toEqual([...e.config.process!.args!.slice(0, -3), 'ls', '-l']);
    expect(oci(() => editProcess({ args: [] }, e.mask))).toMatchObject({ reason: 'bundle', source: 'process.args' });
  });

  it.skipIf(arch !== 'x86_64')('refuses to drop a security feature without io.hwcap.allow-security-masking, naming it (a node with pku)', () => {
    const withPku = here.union(FeatureSet.fromNames(arch, ['pku']));
    const e = oci(() => editConfig(config({ 'io.hwcap.drop': 'pku' }), { ...opts, here: withPku }));
    expect(e).toMatchObject({ reason: 'security', code: 'EPERM', source: 'annotations', value: 'pku' });
    expect(e.message).toBe('annotations: masking would drop security feature pku, which protects the container');
    expect(e.hint).toMatch(/io\.hwcap\.allow-security-masking=true/);
    const allowed = editConfig(config({ 'io.hwcap.drop': 'pku', 'io.hwcap.allow-security-masking': 'true' }), { ...opts, here: withPku })!;
    expect(allowed.mask.keep).not.toContain('pku');
    expect(allowed.mask.allowSecurityMasking).toBe(true);
  });

  it.skipIf(arch !== 'x86_64')('refuses a CPUID mask on a node whose CPUID does not fault, and takes an auxv-only one there', () => {
    probe.noFaulting = true;
    try {
      const e = oci(() => editConfig(config({ 'io.hwcap.drop': drop.name }), opts));
      expect(e).toMatchObject({ reason: 'cpuid-fault', code: 'ENODEV', source: 'annotations' });
      expect(e.message).toBe('annotations: the mask removes CPUID features, and CPUID faulting does not work on this node (arch_prctl(ARCH_SET_CPUID): ENODEV)');
      expect(e.hint).toMatch(/io\.hwcap\.auxv-only=true/);
      expect(editConfig(config({ 'io.hwcap.drop': drop.name, 'io.hwcap.auxv-only': 'true' }), opts)!.mask.cpuid).toEqual([]);
    } finally {
      probe.noFaulting = false;
    }
  });

  it.skipIf(arch !== 'x86_64')('merges the runtime knobs into process.env AND only (io.hwcap.runtime-env)', () => {
    const avx2 = here.has('avx2');
    if (!avx2) return;
    const c = config({ 'io.hwcap.drop': 'avx2', 'io.hwcap.auxv-only': 'true', 'io.hwcap.runtime-env': 'true' });
    c.process!.env = ['PATH=/bin', 'GLIBC_TUNABLES=glibc.malloc.check=1'];
    const e = editConfig(c, opts)!;
    const env = e.config.process!.env!;
    expect(env[0]).toBe('PATH=/bin');
    expect(env.find((kv) => kv.startsWith('GLIBC_TUNABLES='))).toMatch(/^GLIBC_TUNABLES=glibc\.malloc\.check=1:glibc\.cpu\.hwcaps=.*-AVX2/);
    expect(env.filter((kv) => kv.startsWith('GLIBC_TUNABLES='))).toHaveLength(1);
    expect(e.mask.env.GLIBC_TUNABLES).toBeDefined();
  });
});

describe("runc's command line", () => {
  it('refuses an option of create, run or exec that runc 1.1 lacks, and one without its value', () => {
    for (const argv of [['create', '--newflag', 'x', 'id'], ['run', '--bundle', '/b', '--keep-going', 'id'], ['exec', '--pidfd-socket', '/s', 'id', 'true']]) {
      const e = oci(() => parseRuncArgv(argv));
      expect(e).toMatchObject({ reason: 'usage', source: argv.find((a) => a.startsWith('--') && !['--bundle'].includes(a)) });
      expect(e.message).toMatch(/^unknown option --/);
      expect(e.hint).toMatch(/runc 1\.1's options/);
    }
    expect(oci(() => parseRuncArgv(['create', '--bundle']))).toMatchObject({ reason: 'usage', message: 'option --bundle needs a value' });
    // Every other command's options are runc's business: they pass through unread.
    expect(parseRuncArgv(['--root', '/r', 'state', '--newflag', 'id'])).toMatchObject({ command: 'state', positionals: ['id'] });
    expect(parseRuncArgv(['--root', '/r', 'create', '-b', '/b', '--pid-file=/p', 'id'])).toMatchObject({ command: 'create', positionals: ['id'], globals: ['--root', '/r'] });
  });
});

describe('/proc/cpuinfo', () => {
  it("filters x86-64's flags and arm64's Features to the kept set, keeping the kernel's own flags and every other line", () => {
    const x86 = 'processor\t: 0\nflags\t\t: fpu avx avx2 constant_tsc cpuid_fault\nbugs\t\t: spectre_v1\n\nprocessor\t: 1\nflags\t\t: fpu avx avx2\n';
    expect(filterCpuinfo(x86, 'x86_64', ['fpu', 'avx'])).toBe('processor\t: 0\nflags\t\t: fpu avx constant_tsc cpuid_fault\nbugs\t\t: spectre_v1\n\nprocessor\t: 1\nflags\t\t: fpu avx\n');
    const arm = 'processor\t: 0\nBogoMIPS\t: 50.00\nFeatures\t: fp asimd evtstrm aes sve\nCPU implementer\t: 0x41\n';
    expect(filterCpuinfo(arm, 'aarch64', ['fp', 'asimd', 'evtstrm'])).toBe('processor\t: 0\nBogoMIPS\t: 50.00\nFeatures\t: fp asimd evtstrm\nCPU implementer\t: 0x41\n');
    expect(filterCpuinfo(arm, 'riscv64', [])).toBe(arm);
  });
});

