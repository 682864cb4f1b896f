import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { probeInheritance } from '../../lib';
import { describe, expect, it } from 'vitest';
import { expectCode } from '../support/helpers';
import { FeatureSet, HwcapSchemaError, hostArch } from '../../lib';
import { cpuidToJSON, wordsToJSON } from '../../lib/core/features';
import { MixedArchError, NODE_REPORT_SCHEMA, baseline, check, fromNodeFeatureDiscovery, nodeReport, parseReport, type NodeReport } from '../../lib';

/** A report as another machine would have written it. */
function report(hostname: string, arch: string, names: string[]): NodeReport {
  const set = FeatureSet.fromNames(arch, names);
  return {
    schema: NODE_REPORT_SCHEMA,
    hostname,
    arch: set.arch,
    kernel: { release: '6.8.0', version: '#1 SMP' },
    libc: { family: 'glibc', version: '2.39' },
    view: 'process',
    words: wordsToJSON(set.words),
    ...(set.arch === 'x86_64' ? { cpuid: cpuidToJSON(set.cpuid) } : {}),
    names: set.names(),
    inheritance: 'unknown',
    createdAt: '2026-01-01T00:00:00.000Z',
  };
}

// Hand-written from the /proc/cpuinfo "Features" lines of three arm64 generations.
const A53 = ['fp', 'asimd', 'evtstrm', 'aes', 'pmull', 'sha1', 'sha2', 'crc32', 'cpuid'];
const N1 = [...A53, 'atomics', 'fphp', 'asimdhp', 'asimdrdm', 'lrcpc', 'dcpop', 'asimddp', 'ssbs'];
const ARMV9 = [...N1, 'jscvt', 'fcma', 'sha3', 'sm3', 'sm4', 'sha512', 'sve', 'asimdfhm', 'dit', 'uscat', 'ilrcpc', 'flagm', 'sb', 'paca', 'pacg',
  'dcpodp', 'sve2', 'sveaes', 'svepmull', 'svebitperm', 'svesha3', 'svesm4', 'flagm2', 'frint', 'svei8mm', 'svebf16', 'i8mm', 'bf16', 'rng', 'bti', 'mte', 'mte3'];

describe('nodeReport()', () => {
  it('describes this machine: schema, hostname, arch, kernel, libc, process-view words and names', () => {
    const r = nodeReport();
    expect(r.schema).toBe('hwcap.node-report/2');
    expect(r.hostname).toBe(os.hostname());
    expect(r.arch).toBe(hostArch());
    expect(r.kernel.release).toBe(os.release());
    expect(['glibc', 'musl', 'unknown']).toContain(r.libc.family);
    const glibc = (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } }).header?.glibcVersionRuntime;
    // node's own report says which libc it runs on; a glibc node must be reported as glibc.
    if (glibc) expect(r.libc).toEqual({ family: 'glibc', version: glibc });
    else expect(r.libc.family).not.toBe('glibc');
    expect(r.names).toEqual(FeatureSet.current('process').names());
    expect(FeatureSet.fromJSON({ ...r, schema: 'hwcap.featureset/2' }).equals(FeatureSet.current())).toBe(true);
    // Filled from the launcher's probe: this kernel's answer, with its reason.
    expect(r.inheritance).toBe(probeInheritance().inherits);
    expect(r.inheritanceReason).toBe(probeInheritance().reason);
    expect(r.inheritance).not.toBe('unknown');
  });

  it('takes the inheritance answer and a node name from the caller', () => {
    const r = nodeReport({ inheritance: false, inheritanceReason: 'kernel without MMF_USER_HWCAP', hostname: 'node-7' });
    expect([r.inheritance, r.inheritanceReason, r.hostname]).toEqual([false, 'kernel without MMF_USER_HWCAP', 'node-7']);
    expectCode(() => nodeReport({ inheritance: 'yes' as never }), RangeError, 'ERR_INVALID_ARG_VALUE');
    expectCode(() => nodeReport({ hostname: '' }), TypeError, 'ERR_INVALID_ARG_TYPE');
  });

  it('survives JSON: parseReport(JSON.stringify(nodeReport())) is the same report', () => {
    const r = nodeReport();
    expect(parseReport(JSON.stringify(r))).toEqual(r);
  });
});

describe('baseline() and check()', () => {
  const a53 = report('pi-1', 'aarch64', A53);
  const n1 = report('graviton2-1', 'aarch64', N1);
  const v9 = report('grace-1', 'arm64', ARMV9);

  it('the baseline of three arm64 generations is the oldest core’s set', () => {
    const b = baseline([v9, n1, a53]);
    expect(b.arch).toBe('aarch64');
    expect(b.names()).toEqual(A53);
    expect(baseline([v9, n1]).names()).toEqual(FeatureSet.fromNames('arm64', N1).names());
    expect(baseline([v9]).equals(FeatureSet.fromNames('arm64', ARMV9))).toBe(true);
  });

  it('accepts FeatureSets, parsed reports and JSON-read reports alike', () => {
    const b = baseline([FeatureSet.fromNames('arm64', N1), parseReport(JSON.stringify(v9))]);
    expect(b.names()).toEqual(FeatureSet.fromNames('arm64', N1).names());
  });

  it('check() lists what a node lacks', () => {
    const need = baseline([v9, n1]);
    expect(check(need, v9)).toEqual({ ok: true, missing: [] });
    expect(check(need, a53)).toEqual({ ok: false, missing: ['atomics', 'fphp', 'asimdhp', 'asimdrdm', 'lrcpc', 'dcpop', 'asimddp', 'ssbs'] });
    const x = report('x1', 'x86_64', ['sse', 'sse2']);
    expect(check(need, x)).toMatchObject({ ok: false, archMismatch: { required: 'aarch64', node: 'x86_64' } });
    expectCode(() => check({} as FeatureSet, v9), TypeError, 'ERR_INVALID_ARG_TYPE');
  });

  it('mixed architectures raise MixedArchError naming the odd nodes', () => {
    const x = report('epyc-7', 'x86_64', ['sse', 'sse2']);
    const e = expectCode(() => baseline([a53, n1, x, v9]), MixedArchError, 'ERR_HWCAP_MIXED_ARCH') as MixedArchError;
    expect(e).toBeInstanceOf(RangeError);
    expect(e.odd).toEqual(['epyc-7']);
    expect(e.byArch).toEqual({ aarch64: ['pi-1', 'graviton2-1', 'grace-1'], x86_64: ['epyc-7'] });
    expect(e.message).toMatch(/odd nodes: epyc-7/);
  });

  it('no reports, or not a list, is a typed error', () => {
    expectCode(() => baseline([]), RangeError, 'ERR_INVALID_ARG_VALUE');
    expectCode(() => baseline(undefined as never), TypeError, 'ERR_INVALID_ARG_TYPE');
    expectCode(() => baseline([{ hostname: 'h' } as never]), HwcapSchemaError, 'ERR_HWCAP_SCHEMA');
  });
});

describe('parseReport() errors', () => {
  const good = report('n', 'aarch64', A53);
  const cases: [string, unknown, string, string][] = [
    ['not JSON', 'hostname: n', 'ERR_HWCAP_BAD_JSON', ''],
    ['null', 'null', 'ERR_HWCAP_SCHEMA', ''],
    ['a FeatureSet document', FeatureSet.fromNames('arm64', ['fp']).toJSON(), 'ERR_HWCAP_SCHEMA', 'schema'],
    ['a future version', { ...good, schema: 'hwcap.node-report/7' }, 'ERR_HWCAP_SCHEMA_VERSION', 'schema'],
    ['no hostname', { ...good, hostname: undefined }, 'ERR_HWCAP_SCHEMA', 'hostname'],
    ['a bad inheritance', { ...good, inheritance: 'maybe' }, 'ERR_HWCAP_SCHEMA', 'inheritance'],
    ['a bad word', { ...good, words: { AT_HWCAP: 'ff' } }, 'ERR_HWCAP_SCHEMA', 'words.AT_HWCAP'],
    ['edited names', { ...good, names: ['fp'] }, 'ERR_HWCAP_SCHEMA', 'names'],
  ];
  for (const [what, doc, code, p] of cases) {
    it(`rejects ${what} with ${code}`, () => {
      const e = expectCode(() => parseReport(typeof doc === 'string' ? doc : JSON.parse(JSON.stringify(doc))), HwcapSchemaError, code) as HwcapSchemaError;
      expect(e.path).toBe(p);
    });
  }
});

describe('fromNodeFeatureDiscovery()', () => {
  const fixture = (f: string) => fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'nfd', f), 'utf8');

  it('reads kubectl get nodefeatures -A -o json, merging objects of one node', () => {
    const nodes = fromNodeFeatureDiscovery(fixture('nodefeatures.json'));
    expect(nodes.map((n) => n.node)).toEqual(['worker-x86-1', 'worker-arm-1']);
    const [x, arm] = nodes;
    expect(x.arch).toBe('x86_64');
    expect(x.archSource).toBe('flags');
    expect(x.names).toEqual(['fpu', 'cx8', 'sep', 'cmov', 'mmx', 'fxsr', 'sse', 'sse2', 'ht', 'pni', 'cx16', 'sse4_1', 'sse4_2', 'aes', 'avx', 'avx2', 'avx512f', 'adx']);
    expect(x.unmapped).toEqual([]);
    expect(x.warnings).toEqual([]); // a NodeFeature object: NFD's label blacklist does not apply
    expect(arm.arch).toBe('aarch64');
    expect(arm.names).toEqual(['fp', 'asimd', 'evtstrm', 'aes', 'pmull', 'sha1', 'sha2', 'crc32', 'atomics', 'fphp', 'asimdhp', 'cpuid', 'asimdrdm', 'lrcpc', 'dcpop', 'asimddp', 'ssbs', 'pacg']);
    expect(arm.unmapped).toEqual(['TLB']);
    expect(arm.features!.has('pacg')).toBe(true);
  });

  it('reads kubectl get nodes -o json labels, with the arch from kubernetes.io/arch', () => {
    const nodes = fromNodeFeatureDiscovery(JSON.parse(fixture('nodes.json')));
    expect(nodes.map((n) => [n.node, n.arch, n.archSource])).toEqual([
      ['graviton-a', 'aarch64', 'label'],
      ['graviton-b', 'aarch64', 'label'],
      ['epyc-1', 'x86_64', 'label'],
    ]);
    expect(nodes[0].names).toEqual(['fp', 'asimd', 'aes', 'pmull', 'sha1', 'sha2', 'crc32', 'atomics', 'sve', 'sve2', 'bti']);
    expect(nodes[2].names).toEqual(['fpu', 'fxsr', 'fma', 'avx2']);
    expect(nodes[2].unmapped).toEqual([]); // AVX10_VERSION=1 is an attribute, not a flag
    expect(nodes[2].warnings[0]).toMatch(/^epyc-1: only node labels .* hides .*BMI1, BMI2, .*POPCNT.*SSE42/);
    expect(nodes[0].warnings).toEqual([]);
    const b = baseline(nodes.slice(0, 2).map((n) => n.features!));
    expect(b.names()).toEqual(['fp', 'asimd', 'aes', 'pmull', 'sha1', 'sha2', 'crc32', 'atomics']);
    expect(() => baseline(nodes.map((n) => n.features!))).toThrow(MixedArchError);
  });

  it('options.arch applies where the input does not say; unknown arch leaves everything unmapped', () => {
    const doc = { kind: 'NodeFeature', metadata: { name: 'n1' }, spec: { features: { flags: { 'cpu.cpuid': { elements: { VSX: {}, ALTIVEC: {}, EFPFLOAT: {}, MMA: {}, NX_GZIP: {} } } } } } };
    const [n] = fromNodeFeatureDiscovery(doc, { arch: 'ppc64le' });
    expect([n.arch, n.archSource, n.names, n.unmapped]).toEqual(['ppc64le', 'option', ['vsx', 'efpsingle', 'altivec', 'mma'], ['NX_GZIP']]);
    const [u] = fromNodeFeatureDiscovery({ kind: 'NodeFeature', metadata: { name: 'n2' }, spec: { features: { flags: { 'cpu.cpuid': { elements: { FOO: {} } } } } } });
    expect([u.arch, u.features, u.unmapped]).toEqual([undefined, undefined, ['FOO']]);
  });

  it('bad documents are typed errors', () => {
    expectCode(() => fromNodeFeatureDiscovery('{"items": ['), HwcapSchemaError, 'ERR_HWCAP_BAD_JSON');
    expectCode(() => fromNodeFeatureDiscovery({ items: [{ kind: 'Pod', metadata: { name: 'p' } }] }), HwcapSchemaError, 'ERR_HWCAP_SCHEMA');
    expectCode(() => fromNodeFeatureDiscovery({ items: [{ kind: 'Node', metadata: {} }] }), HwcapSchemaError, 'ERR_HWCAP_SCHEMA');
    expectCode(() => fromNodeFeatureDiscovery({ kind: 'NodeFeature', metadata: { name: 'n' }, spec: { features: { flags: { 'cpu.cpuid': { elements: ['AVX'] } } } } }), HwcapSchemaError, 'ERR_HWCAP_SCHEMA');
    expectCode(() => fromNodeFeatureDiscovery({ items: [] }, { arch: 'vax' }), RangeError, 'ERR_INVALID_ARG_VALUE');
  });
});

describe('nodeReport() option checks', () => {
  it('a non-string inheritanceReason is a TypeError naming it', () => {
    const e = expectCode(() => nodeReport({ inheritance: false, inheritanceReason: Object.create(null) }), TypeError, 'ERR_INVALID_ARG_TYPE');
    expect(e.message).toContain('options.inheritanceReason');
  });
});
