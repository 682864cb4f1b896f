import * as fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { expectCode, probeLdShowAuxv, skipNote } from '../support/helpers';
import { runs } from '../support/fuzz-helpers';
import fc from 'fast-check';
import { hwcapWords } from '../../lib';
import { ARCHES, CPUID_WORD_NAMES, FeatureSet, HwcapSchemaError, catalog, closeMatches, decodeWords, hostArch, normalizeArch } from '../../lib';

const isX86 = hostArch() === 'x86_64';
const cpuinfoFlags = (() => {
  try {
    const line = fs.readFileSync('/proc/cpuinfo', 'utf8').split('\n').find((l) => /^flags\s*:/.test(l));
    return line ? new Set(line.split(':')[1].trim().split(/\s+/)) : undefined;
  } catch {
    return undefined;
  }
})();
const canCrossCheckX86 = isX86 && cpuinfoFlags !== undefined;
const noX86 = skipNote(!canCrossCheckX86, isX86 ? 'no flags line in /proc/cpuinfo' : `this machine is ${hostArch()}, not x86-64`);
const shown = probeLdShowAuxv();

describe('tables', () => {
  it('every architecture has a table with unique names and bits in range', () => {
    for (const arch of ARCHES) {
      const rows = catalog(arch);
      expect(rows.length).toBeGreaterThan(0);
      expect(new Set(rows.map((r) => r.name)).size).toBe(rows.length);
      expect(new Set(rows.map((r) => `${r.word}:${r.bit}`)).size).toBe(rows.length);
      for (const r of rows) expect(r.bit >= 0 && r.bit < 64 && Number.isInteger(r.bit)).toBe(true);
    }
  });

  it('arm64 has HWCAP 0–47, HWCAP2 0–63 and HWCAP3 0–11 with the kernel cpuinfo names', () => {
    const rows = catalog('arm64');
    const bits = (w: string) => rows.filter((r) => r.word === w).map((r) => r.bit).sort((a, b) => a - b);
    expect(bits('AT_HWCAP')).toEqual([...Array(48).keys()]);
    expect(bits('AT_HWCAP2')).toEqual([...Array(64).keys()]);
    expect(bits('AT_HWCAP3')).toEqual([...Array(12).keys()]);
    const at = (name: string) => rows.find((r) => r.name === name);
    expect(at('smei16i64')).toEqual({ name: 'smei16i64', word: 'AT_HWCAP2', bit: 24 });
    expect(at('pacg')).toEqual({ name: 'pacg', word: 'AT_HWCAP', bit: 31, security: true });
    expect(at('poe')).toMatchObject({ word: 'AT_HWCAP2', bit: 63 });
    expect(at('sve')).toEqual({ name: 'sve', word: 'AT_HWCAP', bit: 22 });
    const security = rows.filter((r) => r.security).map((r) => r.name);
    for (const n of ['paca', 'pacg', 'bti', 'mte', 'mte3', 'gcs']) expect(security).toContain(n);
  });

  it('x86 names follow the kernel: bit 21 dts, 25 sse, 19 clflush, 28 ht, no bit 10; HWCAP2 ring3mwait, fsgsbase', () => {
    const rows = catalog('x64');
    const byBit = new Map(rows.filter((r) => r.word === 'AT_HWCAP').map((r) => [r.bit, r.name]));
    expect([byBit.get(21), byBit.get(25), byBit.get(19), byBit.get(28), byBit.get(10), byBit.get(20)]).toEqual(['dts', 'sse', 'clflush', 'ht', undefined, undefined]);
    expect(rows.filter((r) => r.word === 'AT_HWCAP2').map((r) => [r.bit, r.name])).toEqual([[0, 'ring3mwait']]);
    // fsgsbase is one feature with two places: CPUID.7.0:EBX bit 0 and AT_HWCAP2 bit 1.
    expect(rows.find((r) => r.name === 'fsgsbase')).toEqual({ name: 'fsgsbase', word: 'CPUID.7.0:EBX', bit: 0, also: { word: 'AT_HWCAP2', bit: 1 } });
  });

  it('normalizeArch accepts uname -m and process.arch names and rejects others', () => {
    expect(['x64', 'amd64', 'arm64', 'ppc64', 'loong64', 'riscv64', 's390x'].map((a) => normalizeArch(a))).toEqual(['x86_64', 'x86_64', 'aarch64', 'ppc64le', 'loongarch64', 'riscv64', 's390x']);
    const e = expectCode(() => normalizeArch('mips'), RangeError, 'ERR_INVALID_ARG_VALUE');
    expect(e.message).toContain('arch');
    expectCode(() => normalizeArch(42 as unknown as string), TypeError, 'ERR_INVALID_ARG_TYPE');
    expectCode(() => catalog('sparc64'), RangeError, 'ERR_INVALID_ARG_VALUE');
  });
});

describe('this machine (x86-64 cross-checks against /proc/cpuinfo)', () => {
  it.skipIf(!canCrossCheckX86)(`every set AT_HWCAP bit decodes to a name in /proc/cpuinfo flags${noX86}`, () => {
    const { hwcap } = hwcapWords('process');
    const names = decodeWords('x86_64', { hwcap });
    expect(names.length).toBeGreaterThan(0);
    for (const n of names) expect(cpuinfoFlags!.has(n), n).toBe(true);
  });

  it.skipIf(!canCrossCheckX86)(`every CPUID.1:EDX name in /proc/cpuinfo flags is decoded${noX86}`, () => {
    const set = FeatureSet.current('process');
    for (const r of catalog('x86_64').filter((r) => r.word === 'AT_HWCAP')) {
      if (cpuinfoFlags!.has(r.name)) expect(set.has(r.name), r.name).toBe(true);
    }
  });

  it.skipIf(!shown.ok)(`the process view agrees with LD_SHOW_AUXV=1 of a fresh child${skipNote(!shown.ok, shown.ok ? '' : shown.reason)}`, () => {
    if (!shown.ok) throw new Error('unreachable: skipped');
    const w = hwcapWords('kernel');
    // On x86-64, glibc prints the kernel's AT_HWCAP (not its synthetic getauxval answer).
    expect(shown.hwcap).toBe(w.hwcap);
    // ld.so prints AT_HWCAP2 whenever the vector has it; the kernel view has it when it is not 0.
    expect(shown.hwcap2 ?? 0n).toBe(w.hwcap2);
  });

  it('current() is cached for the process view and immutable', () => {
    const a = FeatureSet.current();
    expect(FeatureSet.current('process')).toBe(a);
    expect(Object.isFrozen(a)).toBe(true);
    expect(Object.isFrozen(a.words)).toBe(true);
    expect(() => {
      (a.words as { hwcap: bigint }).hwcap = 0n;
    }).toThrow(TypeError);
    expect(FeatureSet.current('kernel').arch).toBe(hostArch());
  });
});

const word = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
const wordsArb = fc.record({ hwcap: word, hwcap2: word, hwcap3: word, hwcap4: word });
/** x86-64's CPUID words (CPUID.1:EDX is AT_HWCAP's low half, given by the words), any of them left out. */
const cpuidArb = fc.record(Object.fromEntries(CPUID_WORD_NAMES.filter((n) => n !== 'CPUID.1:EDX').map((n) => [n, fc.integer({ min: 0, max: 0xffffffff })])) as Record<string, fc.Arbitrary<number>>, { requiredKeys: [] }) as fc.Arbitrary<Record<string, number>>;

describe('round trips on every architecture', () => {
  for (const arch of ARCHES) {
    it(`${arch}: words → names → words, and JSON, keep every bit (unknown ones included${arch === 'x86_64' ? ', CPUID words too' : ''})`, () => {
      fc.assert(
        fc.property(wordsArb, arch === 'x86_64' ? cpuidArb : fc.constant({}), (w, cw) => {
          const a = FeatureSet.fromWords(arch, w, cw as never);
          const b = FeatureSet.fromNames(arch, a.names());
          expect(b.words).toEqual(w);
          expect(b.cpuid).toEqual(a.cpuid);
          expect(b.equals(a)).toBe(true);
          const c = FeatureSet.fromJSON(JSON.stringify(a));
          expect(c.equals(a)).toBe(true);
          for (const u of a.unknownBits()) expect(a.has(u.name)).toBe(true);
        }),
        { numRuns: runs(200) },
      );
    });
  }

  it('unknown bits are named bit<N>@AT_HWCAPn and survive set operations', () => {
    const a = FeatureSet.fromWords('aarch64', { hwcap: 1n | (1n << 50n), hwcap2: 1n << 40n, hwcap4: 1n << 3n });
    expect(a.names()).toEqual(['fp', 'bit50@AT_HWCAP', 'smebi32i32', 'bit3@AT_HWCAP4']);
    expect(a.unknownBits()).toEqual([
      { word: 'AT_HWCAP', bit: 50, name: 'bit50@AT_HWCAP' },
      { word: 'AT_HWCAP4', bit: 3, name: 'bit3@AT_HWCAP4' },
    ]);
    const b = FeatureSet.fromNames('aarch64', ['fp', 'bit50@AT_HWCAP', 'bit3@at_hwcap4']);
    expect(a.intersect(b).names()).toEqual(['fp', 'bit50@AT_HWCAP', 'bit3@AT_HWCAP4']);
    expect(a.without(['bit50@AT_HWCAP']).has('bit50@AT_HWCAP')).toBe(false);
    expect(a.toJSON().words).toEqual({ AT_HWCAP: '0x4000000000001', AT_HWCAP2: '0x10000000000', AT_HWCAP3: '0x0', AT_HWCAP4: '0x8' });
  });
});

describe('set operations', () => {
  const a = FeatureSet.fromNames('arm64', ['fp', 'asimd', 'aes', 'sve', 'paca', 'bti']);
  const b = FeatureSet.fromNames('arm64', ['fp', 'asimd', 'sha1']);

  it('intersect, union, without, diff, isSubsetOf, equals', () => {
    expect(a.intersect(b).names()).toEqual(['fp', 'asimd']);
    expect(a.union(b).names()).toEqual(['fp', 'asimd', 'aes', 'sha1', 'sve', 'paca', 'bti']);
    expect(a.without(['sve', 'aes']).names()).toEqual(['fp', 'asimd', 'paca', 'bti']);
    expect(a.diff(b)).toEqual({ missing: ['sha1'], extra: ['aes', 'sve', 'paca', 'bti'] });
    expect(a.intersect(b).isSubsetOf(a)).toBe(true);
    expect(a.isSubsetOf(b)).toBe(false);
    expect(a.equals(FeatureSet.fromNames('aarch64', a.names()))).toBe(true);
    expect(a.equals(b)).toBe(false);
    expect(a.securityNames()).toEqual(['paca', 'bti']);
    expect(a.size).toBe(6);
  });

  it('has() answers for table names, is case-tolerant, and throws on names no table has', () => {
    expect(a.has('sve')).toBe(true);
    expect(a.has('sve2')).toBe(false);
    expect(a.has('SVE')).toBe(true);
    const e = expectCode(() => a.has('svee'), RangeError, 'ERR_INVALID_ARG_VALUE');
    expect(e.message).toMatch(/did you mean 'sve'/);
  });

  it('combining two architectures is a typed error naming the argument', () => {
    const x = FeatureSet.fromNames('x86_64', ['sse2']);
    const e = expectCode(() => a.intersect(x), RangeError, 'ERR_INVALID_ARG_VALUE');
    expect(e.message).toMatch(/'other'.*x86_64.*aarch64/);
    expectCode(() => a.union({} as FeatureSet), TypeError, 'ERR_INVALID_ARG_TYPE');
    expect(a.equals(x)).toBe(false);
  });
});

describe('bad input', () => {
  it('fromNames: an unknown name is a RangeError naming the argument with close matches', () => {
    const e = expectCode(() => FeatureSet.fromNames('arm64', ['fp', 'smei16i6']), RangeError, 'ERR_INVALID_ARG_VALUE') as Error & { suggestions: string[] };
    expect(e.message).toContain("'names[1]'");
    expect(e.suggestions[0]).toBe('smei16i64');
    expect(closeMatches('x86_64', 'sse22')[0]).toBe('sse2');
    expect(closeMatches('x86_64', 'neon')).toEqual([]);
    expect(closeMatches('x86_64', 'avx512')[0]).toBe('avx512f');
    expectCode(() => FeatureSet.fromNames('arm64', 'fp' as unknown as string[]), TypeError, 'ERR_INVALID_ARG_TYPE');
    expectCode(() => FeatureSet.fromNames('arm64', [1 as unknown as string]), TypeError, 'ERR_INVALID_ARG_TYPE');
    expectCode(() => FeatureSet.fromNames('arm64', ['bit64@AT_HWCAP']), RangeError, 'ERR_INVALID_ARG_VALUE');
    expectCode(() => FeatureSet.fromNames('arm64', ['bit1@AT_HWCAP5']), RangeError, 'ERR_INVALID_ARG_VALUE');
  });

  it('fromWords: words are validated (bigint, 0 ≤ w < 2^64, known keys)', () => {
    expectCode(() => FeatureSet.fromWords('x86_64', { hwcap: 1 as unknown as bigint }), TypeError, 'ERR_INVALID_ARG_TYPE');
    expectCode(() => FeatureSet.fromWords('x86_64', { hwcap: -1n }), RangeError, 'ERR_OUT_OF_RANGE');
    expectCode(() => FeatureSet.fromWords('x86_64', { hwcap: 1n << 64n }), RangeError, 'ERR_OUT_OF_RANGE');
    expectCode(() => FeatureSet.fromWords('x86_64', { hwcap5: 1n } as never), RangeError, 'ERR_INVALID_ARG_VALUE');
    expect(FeatureSet.fromWords('x86_64', {}).names()).toEqual([]);
  });

  const good = FeatureSet.fromNames('x86_64', ['sse', 'sse2', 'fsgsbase']).toJSON();
  const cases: [string, unknown, string, string?][] = [
    ['not JSON', '{"schema": ', 'ERR_HWCAP_BAD_JSON'],
    ['an array', '[]', 'ERR_HWCAP_SCHEMA'],
    ['no schema', { ...good, schema: undefined }, 'ERR_HWCAP_SCHEMA', 'schema'],
    ['another document', { ...good, schema: 'hwcap.node-report/1' }, 'ERR_HWCAP_SCHEMA', 'schema'],
    ['a newer version', { ...good, schema: 'hwcap.featureset/3' }, 'ERR_HWCAP_SCHEMA_VERSION', 'schema'],
    ['a bad arch', { ...good, arch: 'vax' }, 'ERR_HWCAP_SCHEMA', 'arch'],
    ['no words', { ...good, words: undefined }, 'ERR_HWCAP_SCHEMA', 'words'],
    ['a number word', { ...good, words: { AT_HWCAP: 5 } }, 'ERR_HWCAP_SCHEMA', 'words.AT_HWCAP'],
    ['a 65-bit word', { ...good, words: { AT_HWCAP: '0x10000000000000000' } }, 'ERR_HWCAP_SCHEMA', 'words.AT_HWCAP'],
    ['an unknown word', { ...good, words: { AT_HWCAP9: '0x1' } }, 'ERR_HWCAP_SCHEMA', 'words.AT_HWCAP9'],
    ['names that disagree', { ...good, names: ['sse'] }, 'ERR_HWCAP_SCHEMA', 'names'],
  ];
  for (const [what, doc, code, path] of cases) {
    it(`fromJSON rejects ${what} with ${code}`, () => {
      const e = expectCode(() => FeatureSet.fromJSON(typeof doc === 'string' ? doc : JSON.parse(JSON.stringify(doc))), HwcapSchemaError, code) as HwcapSchemaError;
      if (path) expect(e.path).toBe(path);
    });
  }

  it('fromJSON accepts a document without names (the words are the truth)', () => {
    const { names: _n, ...rest } = good;
    expect(FeatureSet.fromJSON(rest).names()).toEqual(['sse', 'sse2', 'fsgsbase']);
  });
});

describe('inputs that once slipped past the checks', () => {
  it('normalizeArch does not reach Object.prototype', () => {
    for (const a of ['constructor', '__proto__', 'valueOf', 'hasOwnProperty']) expectCode(() => normalizeArch(a), RangeError, 'ERR_INVALID_ARG_VALUE');
  });

  it('closeMatches names a non-string name', () => {
    for (const n of [null, 5, {}]) expectCode(() => closeMatches('x86_64', n as never), TypeError, 'ERR_INVALID_ARG_TYPE');
  });

  it('fromJSON of a document holding a bigint gives a schema error, not a JSON.stringify crash', () => {
    const doc = { ...FeatureSet.fromWords('x86_64', { hwcap: 1n }).toJSON(), arch: 1n };
    const e = expectCode(() => FeatureSet.fromJSON(doc), HwcapSchemaError, 'ERR_HWCAP_SCHEMA');
    expect(e.message).toContain('1n');
  });
});
