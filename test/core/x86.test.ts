// The x86-64 model without this machine: the catalogue, decoding synthetic CPUID words of every
// leaf, XCR0 gating, psABI levels, one name in two places, JSON /1 and /2, and bad input.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { expectCode } from '../support/helpers';
import { fakeCpu, oneBit } from '../support/x86-cpu';
import security from '../../lib/core/tables/security.json';
import {
  CPUID_WORDS,
  CPUID_WORD_NAMES,
  FeatureSet,
  HwcapSchemaError,
  LEVEL_NAMES,
  XCR0,
  catalog,
  cpuidWordName,
  decodeCpuInfo,
  gateCpuid,
  readCpuidWords,
  type CpuidWordName,
} from '../../lib/core/features';
import { baseline, check, parseReport, NODE_REPORT_SCHEMA, type NodeReport } from '../../lib/core/report';

const rows = catalog('x86_64');
const row = (n: string) => rows.find((r) => r.name === n);
const V1 = ['cmov', 'cx8', 'fpu', 'fxsr', 'mmx', 'syscall', 'sse', 'sse2'];
const V2 = [...V1, 'cx16', 'lahf_lm', 'popcnt', 'pni', 'ssse3', 'sse4_1', 'sse4_2'];
const V3 = [...V2, 'avx', 'avx2', 'bmi1', 'bmi2', 'f16c', 'fma', 'abm', 'movbe', 'osxsave'];
const V4 = [...V3, 'avx512f', 'avx512bw', 'avx512cd', 'avx512dq', 'avx512vl'];

describe('the x86-64 catalogue', () => {
  it('has at least 150 rows, unique names and places, each in a known word', () => {
    expect(rows.length).toBeGreaterThanOrEqual(150);
    expect(new Set(rows.map((r) => r.name)).size).toBe(rows.length);
    const places = rows.flatMap((r) => [r, ...(r.also ? [r.also] : [])]).map((p) => `${p.word}:${p.bit}`);
    expect(new Set(places).size).toBe(places.length);
    for (const r of rows) {
      const cpuidWord = r.word.startsWith('CPUID.');
      expect(cpuidWord ? CPUID_WORD_NAMES.includes(r.word as CpuidWordName) : ['AT_HWCAP', 'AT_HWCAP2'].includes(r.word), r.name).toBe(true);
      expect(r.bit).toBeLessThan(cpuidWord ? 32 : 64);
    }
  });

  it('names and places are the kernel cpuinfo ones (cpufeatures.h)', () => {
    const want: [string, string, number][] = [
      ['pni', 'CPUID.1:ECX', 0], ['ssse3', 'CPUID.1:ECX', 9], ['sse4_2', 'CPUID.1:ECX', 20], ['avx', 'CPUID.1:ECX', 28], ['osxsave', 'CPUID.1:ECX', 27],
      ['arat', 'CPUID.6:EAX', 2], ['avx2', 'CPUID.7.0:EBX', 5], ['sha_ni', 'CPUID.7.0:EBX', 29], ['avx512vl', 'CPUID.7.0:EBX', 31],
      ['avx512_vnni', 'CPUID.7.0:ECX', 11], ['user_shstk', 'CPUID.7.0:ECX', 7], ['ibt', 'CPUID.7.0:EDX', 20], ['amx_tile', 'CPUID.7.0:EDX', 24],
      ['avx_vnni', 'CPUID.7.1:EAX', 4], ['avx512_bf16', 'CPUID.7.1:EAX', 5], ['apx', 'CPUID.7.1:EDX', 21], ['xsaveopt', 'CPUID.D.1:EAX', 0],
      ['lahf_lm', 'CPUID.80000001:ECX', 0], ['abm', 'CPUID.80000001:ECX', 5], ['syscall', 'CPUID.80000001:EDX', 11], ['pdpe1gb', 'CPUID.80000001:EDX', 26],
      ['cpb', 'CPUID.80000007:EDX', 9], ['succor', 'CPUID.80000007:EBX', 1], ['clzero', 'CPUID.80000008:EBX', 0], ['npt', 'CPUID.8000000A:EDX', 0],
      ['sev_snp', 'CPUID.8000001F:EAX', 4], ['autoibrs', 'CPUID.80000021:EAX', 8], ['perfmon_v2', 'CPUID.80000022:EAX', 0], ['rng', 'CPUID.C0000001:EDX', 2],
      ['longrun', 'CPUID.80860001:EDX', 1], ['sse2', 'AT_HWCAP', 26], ['dts', 'AT_HWCAP', 21], ['ring3mwait', 'AT_HWCAP2', 0],
    ];
    for (const [name, word, bit] of want) expect(row(name), name).toMatchObject({ word, bit });
    // Bits the header gives no cpuinfo name are rows that /proc/cpuinfo never prints.
    for (const n of ['osxsave', 'avx_ifma', 'sha512', 'cmpccxadd', 'apx', 'autoibrs']) expect(row(n)?.procfs, n).toBe(false);
    for (const n of ['avx2', 'sse2', 'pni', 'avx512f']) expect(row(n)?.procfs, n).toBeUndefined();
    // Kernel-synthetic flags are not rows.
    for (const n of ['constant_tsc', 'rep_good', 'nopl', 'cpuid', 'vmmcall', 'ssbd', 'ibpb', 'pti']) expect(row(n), n).toBeUndefined();
  });

  it('word names follow CPUID.<LEAF>[.<SUB>]:<REG>, the subleaf only for leaves 7, D, 14 and 24', () => {
    expect(cpuidWordName(1, 0, 'ecx')).toBe('CPUID.1:ECX');
    expect(cpuidWordName(7, 0, 'ebx')).toBe('CPUID.7.0:EBX');
    expect(cpuidWordName(0xd, 1, 'eax')).toBe('CPUID.D.1:EAX');
    expect(cpuidWordName(0x24, 0, 'ebx')).toBe('CPUID.24.0:EBX');
    expect(cpuidWordName(0x80000001, 0, 'edx')).toBe('CPUID.80000001:EDX');
    for (const w of CPUID_WORDS) expect(w.name).toBe(cpuidWordName(w.leaf, w.subleaf, w.reg));
  });

  it('security rows are listed once in security.json and match the table: pku, ospke, user_shstk, ibt', () => {
    expect(security.x86_64.map((r) => r.name).sort()).toEqual(['ibt', 'ospke', 'pku', 'user_shstk']);
    for (const s of security.x86_64) expect(row(s.name)).toMatchObject({ word: s.word, bit: s.bit, security: true });
    expect(rows.filter((r) => r.security).length).toBe(security.x86_64.length);
    expect(FeatureSet.fromNames('x86_64', ['avx', 'ibt', 'user_shstk']).securityNames()).toEqual(['user_shstk', 'ibt']);
  });
});

describe('decoding synthetic CPUID words of every leaf', () => {
  const vendorFor = (word: string) => (word.includes('C0000001') ? 'CentaurHauls' : word.includes('80860001') ? 'GenuineTMx86' : 'GenuineIntel');
  it('every CPUID row is read from its leaf, subleaf and register, and decodes to its name alone', () => {
    for (const r of rows.filter((x) => x.word.startsWith('CPUID.'))) {
      const { fn } = fakeCpu(vendorFor(r.word), oneBit(r.word, r.bit), { maxCentaur: 0xc0000001, maxTransmeta: 0x80860001 });
      const { words } = readCpuidWords(fn);
      const set = FeatureSet.fromWords('x86_64', {}, { ...words, 'CPUID.1:EDX': undefined } as never);
      const expected = r.name === 'fsgsbase' ? ['bit0@CPUID.7.0:EBX'] : [r.name];
      expect(set.names().filter((n) => n !== 'bit0@CPUID.7.0:EAX'), r.name).toEqual(expected);
      const nonzero = Object.entries(words).filter(([, v]) => v !== 0).map(([k]) => k);
      expect(nonzero, r.name).toEqual(r.word === 'CPUID.1:EDX' ? ['CPUID.1:EDX'] : [r.word]);
    }
  });

  it('an unnamed set bit of every word is kept as bit<N>@<WORD>', () => {
    for (const w of CPUID_WORD_NAMES.slice(1)) {
      const t = [...Array(32).keys()].find((b) => !rows.some((r) => r.word === w && r.bit === b));
      if (t === undefined) continue;
      if (w === 'CPUID.80000001:EDX' && ((0x0183f3ff >>> t) & 1)) continue;
      const set = FeatureSet.fromWords('x86_64', {}, { [w]: (1 << t) >>> 0 });
      expect(set.names()).toEqual([`bit${t}@${w}`]);
      expect(set.unknownBits()).toEqual([{ word: w, bit: t, name: `bit${t}@${w}` }]);
      expect(FeatureSet.fromNames('x86_64', set.names()).equals(set)).toBe(true);
    }
  });

  it('a leaf above the maximum reads as 0 (Intel answers it with the highest basic leaf)', () => {
    const { fn, calls } = fakeCpu('GenuineIntel', { '1.0': { ecx: 1 }, '6.0': { eax: 4 } }, { maxBasic: 6, maxExt: 0x80000001 });
    const { words } = readCpuidWords(fn);
    expect(words['CPUID.7.0:EBX']).toBe(0);
    expect(words['CPUID.D.1:EAX']).toBe(0);
    expect(words['CPUID.80000008:EBX']).toBe(0);
    expect(calls).not.toContain('7.0');
    expect(calls).not.toContain('80000008.0');
    expect(words['CPUID.6:EAX']).toBe(4);
  });

  it('leaf 7 subleaf 1 only when 7.0 EAX says so; Centaur and Transmeta leaves only on those vendors', () => {
    const intel = fakeCpu('GenuineIntel', { '7.0': { eax: 0, ebx: 1 << 5 } });
    expect(readCpuidWords(intel.fn).words['CPUID.7.1:EAX']).toBe(0);
    expect(intel.calls).not.toContain('7.1');
    expect(intel.calls).not.toContain('c0000001.0');
    expect(intel.calls).not.toContain('80860001.0');
    const via = fakeCpu('CentaurHauls', { 'c0000001.0': { edx: 1 << 2 } }, { maxCentaur: 0xc0000001 });
    expect(readCpuidWords(via.fn).words['CPUID.C0000001:EDX']).toBe(4);
  });

  it("AMD's copies of CPUID.1:EDX in CPUID.80000001:EDX are not carried, so Intel and AMD agree", () => {
    const amd = fakeCpu('AuthenticAMD', { '80000001.0': { edx: 0x2fd3fbff } });
    const intel = fakeCpu('GenuineIntel', { '80000001.0': { edx: 0x2c100800 } });
    const a = readCpuidWords(amd.fn).words['CPUID.80000001:EDX'];
    const i = readCpuidWords(intel.fn).words['CPUID.80000001:EDX'];
    expect(a & 0x0183f3ff).toBe(0);
    expect(i & a).toBe(i); // what Intel sets, AMD has
    const set = FeatureSet.fromWords('x86_64', {}, { 'CPUID.80000001:EDX': 0x2fd3fbff });
    expect(set.names()).toEqual(['syscall', 'nx', 'mmxext', 'fxsr_opt', 'pdpe1gb', 'rdtscp', 'lm']);
  });

  it('vendor, family, model and stepping decode as Intel and AMD define them', () => {
    const v = (s: string) => {
      const b = Buffer.from(s, 'latin1');
      return { eax: 0x10, ebx: b.readUInt32LE(0), edx: b.readUInt32LE(4), ecx: b.readUInt32LE(8) };
    };
    expect(decodeCpuInfo(v('AuthenticAMD'), { eax: 0x00a00f11, ebx: 0, ecx: 0, edx: 0 })).toEqual({ vendor: 'AuthenticAMD', family: 0x19, model: 0x01, stepping: 1 });
    expect(decodeCpuInfo(v('GenuineIntel'), { eax: 0x000606a6, ebx: 0, ecx: 0, edx: 0 })).toEqual({ vendor: 'GenuineIntel', family: 6, model: 0x6a, stepping: 6 });
    expect(decodeCpuInfo(v('GenuineIntel'), { eax: 0x00000f29, ebx: 0, ecx: 0, edx: 0 })).toMatchObject({ family: 15, model: 2 });
  });
});

describe('gating by XCR0', () => {
  const all = FeatureSet.fromNames('x86_64', [...V4, 'osxsave', 'vaes', 'avx512_vnni', 'amx_tile', 'amx_int8', 'apx', 'gfni', 'aes']).cpuid;
  const gatedNames = (xcr0: bigint | undefined, words = all) => FeatureSet.fromWords('x86_64', {}, { ...gateCpuid(words, xcr0), 'CPUID.1:EDX': undefined } as never).names();
  const full = XCR0.X87 | XCR0.SSE | XCR0.YMM | XCR0.OPMASK | XCR0.ZMM_HI256 | XCR0.HI16_ZMM | XCR0.XTILECFG | XCR0.XTILEDATA | XCR0.APX;

  it('with every state enabled nothing is cleared', () => {
    expect(gatedNames(full)).toEqual(FeatureSet.fromWords('x86_64', {}, { ...all, 'CPUID.1:EDX': undefined } as never).names());
  });
  it('no YMM state: the AVX family and AVX-512 go, SSE and AES-NI stay', () => {
    const n = gatedNames(XCR0.X87 | XCR0.SSE);
    for (const f of ['avx', 'avx2', 'fma', 'f16c', 'vaes', 'avx512f', 'avx512_vnni']) expect(n, f).not.toContain(f);
    for (const f of ['sse4_2', 'aes', 'gfni', 'osxsave']) expect(n, f).toContain(f);
  });
  it('YMM without the opmask and ZMM states: AVX stays, AVX-512 goes', () => {
    const n = gatedNames(XCR0.X87 | XCR0.SSE | XCR0.YMM | XCR0.OPMASK | XCR0.ZMM_HI256);
    expect(n).toContain('avx2');
    expect(n).not.toContain('avx512f');
    expect(n).not.toContain('avx512_vnni');
  });
  it('AMX needs both tile states; APX needs its own state', () => {
    expect(gatedNames(full & ~XCR0.XTILEDATA)).not.toContain('amx_tile');
    expect(gatedNames(full & ~XCR0.XTILECFG)).not.toContain('amx_int8');
    expect(gatedNames(full & ~XCR0.APX)).not.toContain('apx');
    expect(gatedNames(full & ~XCR0.APX)).toContain('amx_tile');
  });
  it('OSXSAVE clear, or XCR0 unreadable: every XSAVE group goes', () => {
    const noOs = { ...all, 'CPUID.1:ECX': (all['CPUID.1:ECX'] & ~(1 << 27)) >>> 0 };
    for (const n of [gatedNames(full, noOs), gatedNames(undefined)]) {
      for (const f of ['avx', 'avx512f', 'amx_tile', 'apx']) expect(n, f).not.toContain(f);
      expect(n).toContain('sse4_2');
    }
    expectCode(() => gateCpuid(all, 7 as never), TypeError, 'ERR_INVALID_ARG_TYPE');
  });
});

describe('psABI levels', () => {
  it('level names expand in fromNames to the level and every level below, with what every CPU of the level has', () => {
    // Beyond the psABI's lists: clflush (HotSpot needs it), tsc and lm on every x86-64 CPU, xsave on every AVX one.
    const every = ['clflush', 'tsc', 'lm'];
    expect(FeatureSet.fromNames('x86_64', ['x86-64-v3']).equals(FeatureSet.fromNames('x86_64', [...V3, ...every, 'xsave']))).toBe(true);
    expect(FeatureSet.fromNames('x86_64', ['x86-64']).equals(FeatureSet.fromNames('x86_64', [...V1, ...every]))).toBe(true);
    expect(FeatureSet.fromNames('x86_64', ['x86-64-v2']).equals(FeatureSet.fromNames('x86_64', [...V2, ...every]))).toBe(true);
    expect(FeatureSet.fromNames('x86_64', ['X86-64-V4 ']).equals(FeatureSet.fromNames('x86_64', [...V4, ...every, 'xsave']))).toBe(true);
    // A set meets a level by the psABI's list alone.
    expect(FeatureSet.fromNames('x86_64', V3).has('x86-64-v3')).toBe(true);
    expect(FeatureSet.fromNames('x86_64', V1).level()).toBe('x86-64');
    expect(LEVEL_NAMES).toEqual(['x86-64', 'x86-64-v2', 'x86-64-v3', 'x86-64-v4']);
  });
  it('level() is the highest level met, undefined below x86-64 and off x86-64', () => {
    expect(FeatureSet.fromNames('x86_64', V1).level()).toBe('x86-64');
    expect(FeatureSet.fromNames('x86_64', V2).level()).toBe('x86-64-v2');
    expect(FeatureSet.fromNames('x86_64', [...V3, 'avx512f']).level()).toBe('x86-64-v3');
    expect(FeatureSet.fromNames('x86_64', V4).level()).toBe('x86-64-v4');
    expect(FeatureSet.fromNames('x86_64', V4.filter((n) => n !== 'popcnt')).level()).toBe('x86-64');
    expect(FeatureSet.fromNames('x86_64', V1.filter((n) => n !== 'syscall')).level()).toBeUndefined();
    expect(FeatureSet.fromNames('arm64', ['fp', 'asimd']).level()).toBeUndefined();
    expect(FeatureSet.fromNames('x86_64', V4).has('x86-64-v3')).toBe(true);
    expect(FeatureSet.fromNames('x86_64', V2).has('x86-64-v3')).toBe(false);
  });
  it('without(level) caps the set below that level; without(avx) drops what needs AVX', () => {
    const v4 = FeatureSet.fromNames('x86_64', [...V4, 'avx512_vnni', 'vaes', 'aes']);
    expect(v4.without(['x86-64-v4']).level()).toBe('x86-64-v3');
    const capped = v4.without(['x86-64-v3']);
    expect(capped.level()).toBe('x86-64-v2');
    expect(capped.has('avx512f')).toBe(false);
    expect(capped.has('aes')).toBe(true);
    const noAvx = v4.without(['avx']);
    for (const f of ['avx', 'avx2', 'fma', 'vaes', 'avx512f', 'avx512_vnni']) expect(noAvx.has(f), f).toBe(false);
    expect(noAvx.has('bmi2')).toBe(true);
    expect(v4.without(['avx512f']).has('avx2')).toBe(true);
    expect(v4.without(['avx512f']).has('avx512vl')).toBe(false);
    expect(v4.without(['osxsave']).has('avx')).toBe(false);
  });
  it('a level name on another architecture, or a level that does not exist, is an unknown name', () => {
    const e = expectCode(() => FeatureSet.fromNames('x86_64', ['x86-64-v5']), RangeError, 'ERR_INVALID_ARG_VALUE') as Error & { suggestions: string[] };
    expect(e.suggestions).toContain('x86-64-v4');
    expectCode(() => FeatureSet.fromNames('arm64', ['x86-64-v2']), RangeError, 'ERR_INVALID_ARG_VALUE');
    expectCode(() => FeatureSet.fromNames('x86_64', []).without(['x86-64-v9']), RangeError, 'ERR_INVALID_ARG_VALUE');
    expectCode(() => FeatureSet.fromNames('x86_64', []).has('x86-64-v1'), RangeError, 'ERR_INVALID_ARG_VALUE');
  });
});

describe('one name wherever it shows', () => {
  it('sse2 is AT_HWCAP bit 26 and CPUID.1:EDX bit 26; masking it clears both', () => {
    const s = FeatureSet.fromNames('x86_64', ['sse', 'sse2']);
    expect(s.words.hwcap).toBe((1n << 25n) | (1n << 26n));
    expect(s.cpuid['CPUID.1:EDX']).toBe((1 << 25) | (1 << 26));
    const t = s.without(['sse2']);
    expect(t.words.hwcap).toBe(1n << 25n);
    expect(t.cpuid['CPUID.1:EDX']).toBe(1 << 25);
    expect(FeatureSet.fromWords('x86_64', {}, { 'CPUID.1:EDX': 1 << 26 }).names()).toEqual(['sse2']);
  });
  it('fsgsbase is CPUID.7.0:EBX bit 0 and AT_HWCAP2 bit 1; one place alone shows as that bit', () => {
    const s = FeatureSet.fromNames('x86_64', ['fsgsbase']);
    expect(s.words.hwcap2).toBe(2n);
    expect(s.cpuid['CPUID.7.0:EBX']).toBe(1);
    expect(s.without(['fsgsbase']).names()).toEqual([]);
    const cpuOnly = FeatureSet.fromWords('x86_64', {}, { 'CPUID.7.0:EBX': 1 });
    expect(cpuOnly.names()).toEqual(['bit0@CPUID.7.0:EBX']);
    expect(cpuOnly.has('fsgsbase')).toBe(false);
    expect(FeatureSet.fromWords('x86_64', { hwcap2: 2n }).names()).toEqual(['bit1@AT_HWCAP2']);
    expect(s.intersect(cpuOnly).names()).toEqual(['bit0@CPUID.7.0:EBX']);
  });
  it('the cpuid record is frozen, complete on x86-64 and empty elsewhere', () => {
    const s = FeatureSet.fromNames('x86_64', ['avx2']);
    expect(Object.keys(s.cpuid)).toEqual([...CPUID_WORD_NAMES]);
    expect(Object.isFrozen(s.cpuid)).toBe(true);
    expect(FeatureSet.fromNames('arm64', ['fp']).cpuid).toEqual({});
  });
});

describe('JSON', () => {
  const set = FeatureSet.fromNames('x86_64', [...V3, 'fsgsbase', 'sha_ni', 'bit3@CPUID.80000021:EAX']);
  it('a /2 document carries every CPUID word and round-trips', () => {
    const j = set.toJSON();
    expect(j.schema).toBe('hwcap.featureset/2');
    expect(Object.keys(j.cpuid ?? {})).toEqual([...CPUID_WORD_NAMES]);
    expect(j.cpuid?.['CPUID.7.0:EBX']).toBe('0x20000129');
    expect(j.cpuid?.['CPUID.1:EDX']).toBe(`0x${set.words.hwcap.toString(16).padStart(8, '0')}`);
    expect(FeatureSet.fromJSON(JSON.stringify(set)).equals(set)).toBe(true);
    expect(FeatureSet.fromJSON(JSON.stringify(set)).level()).toBe('x86-64-v3');
    expect(FeatureSet.fromNames('arm64', ['fp']).toJSON()).not.toHaveProperty('cpuid');
  });
  it('reads /1 documents: x86 with fsgsbase in AT_HWCAP2, and arm64', () => {
    const v1 = { schema: 'hwcap.featureset/1', arch: 'x86_64', words: { AT_HWCAP: '0x6000000', AT_HWCAP2: '0x2' }, names: ['sse', 'sse2', 'fsgsbase'] };
    const s = FeatureSet.fromJSON(v1);
    expect(s.names()).toEqual(['sse', 'sse2', 'fsgsbase']);
    expect(s.has('fsgsbase')).toBe(true);
    expect(FeatureSet.fromJSON({ schema: 'hwcap.featureset/1', arch: 'aarch64', words: { AT_HWCAP: '0x3' }, names: ['fp', 'asimd'] }).names()).toEqual(['fp', 'asimd']);
  });
  const good = set.toJSON();
  const bad: [string, object, string][] = [
    ['names that disagree with a CPUID word', { ...good, names: good.names.filter((n) => n !== 'avx2') }, 'names'],
    ['CPUID.1:EDX that disagrees with AT_HWCAP', { ...good, cpuid: { ...good.cpuid, 'CPUID.1:EDX': '0x1' } }, "cpuid['CPUID.1:EDX']"],
    ['an unknown CPUID word', { ...good, cpuid: { 'CPUID.5:EAX': '0x1' } }, 'cpuid.CPUID.5:EAX'],
    ['a lower-case CPUID word', { ...good, cpuid: { 'cpuid.7.0:ebx': '0x1' } }, 'cpuid.cpuid.7.0:ebx'],
    ['a 33-bit CPUID word', { ...good, cpuid: { 'CPUID.7.0:EBX': '0x100000000' } }, 'cpuid.CPUID.7.0:EBX'],
    ['a number CPUID word', { ...good, cpuid: { 'CPUID.7.0:EBX': 5 } }, 'cpuid.CPUID.7.0:EBX'],
    ['cpuid that is an array', { ...good, cpuid: [] }, 'cpuid'],
    ['CPUID words in an arm64 document', { ...FeatureSet.fromNames('arm64', ['fp']).toJSON(), cpuid: { 'CPUID.1:ECX': '0x0' } }, 'cpuid'],
  ];
  for (const [what, doc, path] of bad) {
    it(`rejects ${what}`, () => {
      const e = expectCode(() => FeatureSet.fromJSON(JSON.parse(JSON.stringify(doc))), HwcapSchemaError, 'ERR_HWCAP_SCHEMA') as HwcapSchemaError;
      expect(e.path).toBe(path);
    });
  }
});

describe('bad input to the CPUID calls', () => {
  it('fromWords checks the cpuid record: known words, uint32 values, x86-64 only, CPUID.1:EDX = AT_HWCAP', () => {
    expectCode(() => FeatureSet.fromWords('x86_64', {}, 5 as never), TypeError, 'ERR_INVALID_ARG_TYPE');
    expectCode(() => FeatureSet.fromWords('x86_64', {}, null as never), TypeError, 'ERR_INVALID_ARG_TYPE');
    expectCode(() => FeatureSet.fromWords('x86_64', {}, { 'CPUID.5:EAX': 1 } as never), RangeError, 'ERR_INVALID_ARG_VALUE');
    expectCode(() => FeatureSet.fromWords('x86_64', {}, { 'CPUID.1:ECX': -1 }), RangeError, 'ERR_OUT_OF_RANGE');
    expectCode(() => FeatureSet.fromWords('x86_64', {}, { 'CPUID.1:ECX': 2 ** 32 }), RangeError, 'ERR_OUT_OF_RANGE');
    expectCode(() => FeatureSet.fromWords('x86_64', {}, { 'CPUID.1:ECX': 1.5 }), RangeError, 'ERR_OUT_OF_RANGE');
    expectCode(() => FeatureSet.fromWords('x86_64', {}, { 'CPUID.1:ECX': NaN }), RangeError, 'ERR_OUT_OF_RANGE');
    expectCode(() => FeatureSet.fromWords('x86_64', {}, { 'CPUID.1:ECX': 1n } as never), TypeError, 'ERR_INVALID_ARG_TYPE');
    expectCode(() => FeatureSet.fromWords('x86_64', {}, { 'CPUID.1:ECX': '1' } as never), TypeError, 'ERR_INVALID_ARG_TYPE');
    expectCode(() => FeatureSet.fromWords('arm64', {}, { 'CPUID.1:ECX': 1 }), RangeError, 'ERR_INVALID_ARG_VALUE');
    expectCode(() => FeatureSet.fromWords('x86_64', { hwcap: 1n }, { 'CPUID.1:EDX': 2 }), RangeError, 'ERR_INVALID_ARG_VALUE');
    expect(FeatureSet.fromWords('x86_64', { hwcap: 1n }, { 'CPUID.1:EDX': 1 }).names()).toEqual(['fpu']);
  });
  it('unknown-bit names must name a word of the arch and a bit of its width', () => {
    expectCode(() => FeatureSet.fromNames('x86_64', ['bit32@CPUID.7.0:EBX']), RangeError, 'ERR_INVALID_ARG_VALUE');
    expectCode(() => FeatureSet.fromNames('x86_64', ['bit1@CPUID.5:EAX']), RangeError, 'ERR_INVALID_ARG_VALUE');
    expectCode(() => FeatureSet.fromNames('arm64', ['bit1@CPUID.7.0:EBX']), RangeError, 'ERR_INVALID_ARG_VALUE');
    expect(FeatureSet.fromNames('x86_64', ['bit3@cpuid.7.0:ebx']).names()).toEqual(['bmi1']); // a named bit decodes to its name
  });
  it('readCpuidWords checks the function and what it returns', () => {
    expectCode(() => readCpuidWords(5 as never), TypeError, 'ERR_INVALID_ARG_TYPE');
    expectCode(() => readCpuidWords((() => null) as never), TypeError, 'ERR_INVALID_ARG_TYPE');
    expectCode(() => readCpuidWords(() => ({ eax: -1, ebx: 0, ecx: 0, edx: 0 })), RangeError, 'ERR_OUT_OF_RANGE');
    expectCode(() => readCpuidWords(() => ({ eax: 0, ebx: '0', ecx: 0, edx: 0 }) as never), TypeError, 'ERR_INVALID_ARG_TYPE');
  });
});

/** A report as an x86 node would write it, from a synthetic CPU. */
function x86Report(hostname: string, names: string[], vendor: string): NodeReport {
  const set = FeatureSet.fromNames('x86_64', names);
  const j = set.toJSON();
  return parseReport({
    schema: NODE_REPORT_SCHEMA, hostname, arch: 'x86_64', kernel: { release: '6.8.0', version: '#1' }, libc: { family: 'glibc', version: '2.39' },
    view: 'process', words: j.words, cpuid: j.cpuid, cpu: { vendor, family: vendor === 'GenuineIntel' ? 6 : 0x19, model: 1, stepping: 0 }, names: j.names,
    inheritance: false, createdAt: '2026-01-01T00:00:00.000Z',
  });
}

describe('baselines and checks of x86 nodes', () => {
  // Every x86-64 CPU also has clflush and tsc, and every AVX one xsave (what a level name keeps).
  const westmere = [...V2, 'clflush', 'tsc', 'aes', 'pclmulqdq', 'lm', 'nx', 'rdtscp', 'pdpe1gb', 'ht'];
  const icelake = [...V4, 'clflush', 'tsc', 'xsave', 'aes', 'pclmulqdq', 'lm', 'nx', 'rdtscp', 'pdpe1gb', 'ht', 'sha_ni', 'avx512_vnni', 'vaes', 'fsgsbase', 'ibt', '3dnowprefetch'];
  const zen3 = [...V3, 'clflush', 'tsc', 'xsave', 'aes', 'pclmulqdq', 'lm', 'nx', 'rdtscp', 'pdpe1gb', 'ht', 'sha_ni', 'vaes', 'fsgsbase', 'mmxext', 'sse4a', 'clzero', '3dnowprefetch', 'user_shstk'];

  it('an Intel and an AMD node: the baseline is the bitwise intersection, vendor-only bits drop out', () => {
    const b = baseline([x86Report('icx', icelake, 'GenuineIntel'), x86Report('milan', zen3, 'AuthenticAMD')]);
    expect(b.level()).toBe('x86-64-v3');
    for (const f of ['sha_ni', 'vaes', 'fsgsbase', 'abm', '3dnowprefetch']) expect(b.has(f), f).toBe(true);
    for (const f of ['avx512f', 'mmxext', 'clzero', 'sse4a', 'ibt', 'user_shstk']) expect(b.has(f), f).toBe(false);
    expect(parseReport(JSON.stringify(x86Report('milan', zen3, 'AuthenticAMD'))).cpu).toEqual({ vendor: 'AuthenticAMD', family: 0x19, model: 1, stepping: 0 });
  });

  it('check --features x86-64-v3,avx512f: a v3 node misses exactly avx512f; a v4 node passes', () => {
    const need = FeatureSet.fromNames('x86_64', ['x86-64-v3', 'avx512f']);
    expect(check(need, x86Report('milan', zen3, 'AuthenticAMD'))).toEqual({ ok: false, missing: ['avx512f'] });
    expect(check(need, x86Report('icx', icelake, 'GenuineIntel'))).toEqual({ ok: true, missing: [] });
    expect(check(need, x86Report('wsm', westmere, 'GenuineIntel')).missing.sort()).toEqual(['abm', 'avx', 'avx2', 'avx512f', 'bmi1', 'bmi2', 'f16c', 'fma', 'movbe', 'osxsave', 'xsave']);
  });

  it('the baseline of a v3 node with an x86-64-v2 report is x86-64-v2, and keeps what both have', () => {
    const b = baseline([x86Report('milan', zen3, 'AuthenticAMD'), x86Report('wsm', westmere, 'GenuineIntel')]);
    expect(b.level()).toBe('x86-64-v2');
    expect(b.has('aes')).toBe(true);
    expect(b.has('avx')).toBe(false);
    const v2only = FeatureSet.fromNames('x86_64', ['x86-64-v2']);
    expect(baseline([x86Report('milan', zen3, 'AuthenticAMD'), v2only]).equals(v2only)).toBe(true);
  });

  it('a /1 x86 report has no CPUID words: its baseline keeps only the auxv part', () => {
    const r2 = x86Report('milan', zen3, 'AuthenticAMD');
    const { cpuid: _c, cpu: _p, level: _l, ...rest } = r2;
    const hw = FeatureSet.fromWords('x86_64', { hwcap: BigInt(r2.words.AT_HWCAP), hwcap2: BigInt(r2.words.AT_HWCAP2) });
    const r1 = parseReport({ ...rest, schema: 'hwcap.node-report/1', names: [...hw.names().filter((n) => !n.startsWith('bit')), 'fsgsbase'] });
    expect(r1.schema).toBe(NODE_REPORT_SCHEMA);
    const b = baseline([r2, r1]);
    expect(b.has('sse2')).toBe(true);
    expect(b.has('fsgsbase')).toBe(true);
    expect(b.has('avx2')).toBe(false);
    expect(b.level()).toBeUndefined();
  });

  it('parseReport rejects a bad cpu field', () => {
    const r = x86Report('milan', zen3, 'AuthenticAMD');
    for (const cpu of [5, { vendor: 1, family: 1, model: 1, stepping: 1 }, { vendor: 'x', family: -1, model: 1, stepping: 1 }, { vendor: 'x', family: 1.5, model: 1, stepping: 1 }]) {
      const e = expectCode(() => parseReport({ ...r, cpu }), HwcapSchemaError, 'ERR_HWCAP_SCHEMA') as HwcapSchemaError;
      expect(e.path).toBe('cpu');
    }
  });
});

describe('round trips of random CPUID words', () => {
  const u32 = fc.integer({ min: 0, max: 0xffff_ffff });
  const words = fc.record(Object.fromEntries(CPUID_WORD_NAMES.slice(1).map((n) => [n, u32])) as Record<CpuidWordName, fc.Arbitrary<number>>, { requiredKeys: [] });
  const auxv = fc.record({ hwcap: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), hwcap2: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }) });
  it('words → names → words, JSON, and set laws keep every bit (AMD mirror bits aside)', () => {
    fc.assert(
      fc.property(auxv, words, words, (w, c, d) => {
        const a = FeatureSet.fromWords('x86_64', w, c);
        expect(FeatureSet.fromNames('x86_64', a.names()).equals(a)).toBe(true);
        expect(FeatureSet.fromJSON(JSON.stringify(a)).equals(a)).toBe(true);
        expect(a.cpuid['CPUID.80000001:EDX'] & 0x0183f3ff).toBe(0);
        for (const [k, v] of Object.entries(c)) if (k !== 'CPUID.80000001:EDX') expect(a.cpuid[k as CpuidWordName]).toBe(v);
        const b = FeatureSet.fromWords('x86_64', {}, d);
        expect(a.intersect(b).isSubsetOf(a)).toBe(true);
        expect(a.union(b).diff(a).missing).toEqual([]);
        expect(a.without(a.names()).names()).toEqual([]);
      }),
      { numRuns: 150 },
    );
  });
});
