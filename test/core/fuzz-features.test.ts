// Fuzz and property tests of feature names, FeatureSet, node reports,
// baselines, check() and the NFD import (lib/core/feature-set.ts, lib/core/report.ts,
// lib/core/nfd.ts): any input answers or throws a typed error (a string `code`:
// ERR_* argument errors, HwcapSchemaError ERR_HWCAP_*, MixedArchError), and
// the set algebra holds on random sets of every architecture.
import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as h from '../../lib';
import { ARCHES, FeatureSet, catalog, closeMatches, decodeWords, normalizeArch, type Arch } from '../../lib';
import { parseReport } from '../../lib';
import { counted, counter, expectTypedCode, expectTypedOrValue, runs, u64, weird } from '../support/fuzz-helpers';
import { repoRoot } from '../support/helpers';

const RUNS = runs(600);
/** Values for documents: anything, and anything JSON can carry. */
const docValue = fc.oneof(weird, fc.jsonValue());
const archLike = fc.oneof(weird, fc.constantFrom<unknown>(...ARCHES, 'x64', 'arm64', 'ppc64', 'loong64', 'X86_64', 'i386', 'ppc64be', 'riscv32', 'mips', 'constructor', '__proto__'));
const arch = fc.constantFrom<Arch>(...ARCHES);
const words = fc.record({ hwcap: u64, hwcap2: u64, hwcap3: u64, hwcap4: u64 }, { requiredKeys: [] });
/** A random set of one architecture, with named and unnamed bits. */
const setOf = (a: Arch) => words.map((w) => FeatureSet.fromWords(a, w));
const twoSets = arch.chain((a) => fc.tuple(setOf(a), setOf(a), setOf(a)));
const nameLike = (a: Arch) =>
  fc.oneof(
    fc.constantFrom(...catalog(a).map((f) => f.name)),
    fc.constantFrom(...catalog(a).map((f) => f.name.toUpperCase())),
    fc.tuple(fc.integer({ min: 0, max: 70 }), fc.constantFrom('AT_HWCAP', 'AT_HWCAP2', 'AT_HWCAP3', 'AT_HWCAP4', 'at_hwcap2', 'AT_HWCAP5')).map(([b, w]) => `bit${b}@${w}`),
    fc.string({ maxLength: 12 }),
    weird,
  );

describe('fuzz: architectures and names', () => {
  it('normalizeArch and catalog answer an architecture, or throw a typed error', () => {
    fc.assert(
      fc.property(archLike, counted((a) => {
        const n = expectTypedOrValue('normalizeArch', a, () => normalizeArch(a as never));
        const c = expectTypedOrValue('catalog', a, () => catalog(a as never));
        expect(c.ok).toBe(n.ok);
        if (n.ok) expect(ARCHES).toContain(n.value);
      })),
      { numRuns: RUNS },
    );
  });

  it('closeMatches(arch, name) suggests at most three table names', () => {
    fc.assert(
      fc.property(arch, fc.oneof(fc.string({ maxLength: 20 }), weird), counted((a, n) => {
        const r = expectTypedOrValue('closeMatches', n, () => closeMatches(a, n as never));
        if (!r.ok) return;
        expect(r.value.length).toBeLessThanOrEqual(3);
        for (const m of r.value) expect(catalog(a).some((f) => f.name === m)).toBe(true);
      })),
      { numRuns: RUNS / 2 },
    );
  });

  it('decodeWords(arch, words) gives one name per set bit, in word and bit order', () => {
    fc.assert(
      fc.property(arch, words, counted((a, w) => {
        const names = decodeWords(a, w);
        const bits = Object.values(w).reduce((n, x) => n + x.toString(2).replace(/0/g, '').length, 0);
        expect(names).toHaveLength(bits);
        expect(new Set(names).size).toBe(names.length);
      })),
      { numRuns: RUNS / 2 },
    );
  });
});

describe('fuzz: FeatureSet', () => {
  it('fromWords(arch, words) round-trips through names(), fromNames and JSON', () => {
    fc.assert(
      fc.property(arch, words, counted((a, w) => {
        const s = FeatureSet.fromWords(a, w);
        expect(FeatureSet.fromNames(a, s.names()).equals(s)).toBe(true);
        expect(FeatureSet.fromJSON(JSON.stringify(s)).equals(s)).toBe(true);
        expect(FeatureSet.fromJSON(s.toJSON()).equals(s)).toBe(true);
        for (const n of s.names()) expect(s.has(n)).toBe(true);
        expect(s.size).toBe(s.names().length);
        expect(s.unknownBits().every((u) => s.names().includes(u.name))).toBe(true);
      })),
      { numRuns: RUNS },
    );
  });

  it('fromWords / fromNames / has / without take any input and answer or throw a typed error', () => {
    fc.assert(
      fc.property(
        arch.chain((a) => fc.tuple(fc.constant(a), archLike, fc.oneof(weird, words), fc.oneof(weird, fc.array(nameLike(a), { maxLength: 6 })), nameLike(a))),
        counted(([a, someArch, w, names, name]) => {
          expectTypedOrValue('FeatureSet.fromWords', [someArch, w], () => FeatureSet.fromWords(someArch as never, w as never));
          const fromNames = expectTypedOrValue('FeatureSet.fromNames', names, () => FeatureSet.fromNames(a, names as never));
          const set = FeatureSet.fromWords(a, { hwcap: 0xffn, hwcap2: 0x3n });
          const has = expectTypedOrValue('FeatureSet.has', name, () => set.has(name as never));
          if (has.ok) expect(typeof has.value).toBe('boolean');
          const w2 = expectTypedOrValue('FeatureSet.without', names, () => set.without(names as never));
          if (w2.ok) {
            expect(w2.value.isSubsetOf(set)).toBe(true);
            if (fromNames.ok) expect(w2.value.intersect(fromNames.value).names()).toEqual([]);
          }
        }),
      ),
      { numRuns: RUNS },
    );
  });

  it('intersect, union, diff, isSubsetOf and equals obey the set laws', () => {
    fc.assert(
      fc.property(twoSets, counted(([a, b, c]) => {
        const i = a.intersect(b);
        const u = a.union(b);
        expect(i.isSubsetOf(a) && i.isSubsetOf(b)).toBe(true);
        expect(a.isSubsetOf(u) && b.isSubsetOf(u)).toBe(true);
        expect(i.equals(b.intersect(a))).toBe(true);
        expect(u.equals(b.union(a))).toBe(true);
        expect(a.intersect(b.union(c)).equals(i.union(a.intersect(c)))).toBe(true);
        const d = a.diff(b);
        expect(FeatureSet.fromNames(a.arch, d.missing).equals(b.without(a.names()))).toBe(true);
        expect(FeatureSet.fromNames(a.arch, d.extra).equals(a.without(b.names()))).toBe(true);
        expect(a.isSubsetOf(b)).toBe(d.extra.length === 0);
        expect(a.equals(b)).toBe(d.extra.length === 0 && d.missing.length === 0);
        expect(a.without(a.names()).size).toBe(0);
      })),
      { numRuns: RUNS },
    );
  });

  it('the binary operations refuse other architectures and non-sets with a typed error', () => {
    const x86 = FeatureSet.fromWords('x86_64', { hwcap: 1n });
    fc.assert(
      fc.property(fc.oneof(weird, words.map((w) => FeatureSet.fromWords('aarch64', w))), counted((o) => {
        for (const op of ['intersect', 'union', 'diff', 'isSubsetOf'] as const) {
          const r = expectTypedOrValue(`FeatureSet.${op}`, o, () => (x86[op] as (x: unknown) => unknown)(o));
          expect(r.ok).toBe(false);
        }
        expect(x86.equals(o as never)).toBe(false);
      })),
      { numRuns: RUNS / 2 },
    );
  });

  it('fromJSON(document) reads what toJSON wrote: the same words, names and architecture', () => {
    fc.assert(
      fc.property(arch.chain(setOf), counted((set) => {
        const back = FeatureSet.fromJSON(JSON.stringify(set.toJSON()));
        expect(back.equals(set)).toBe(true);
        expect(back.arch).toBe(set.arch);
        expect(FeatureSet.fromJSON(set.toJSON() as never).equals(set)).toBe(true);
      })),
      { numRuns: RUNS / 2 },
    );
  });

  it('fromJSON refuses a document whose names disagree with its words (ERR_HWCAP_SCHEMA at names)', () => {
    // One name too many (a feature the words lack) or one too few (a set bit left out).
    const broken = arch.chain((a) =>
      fc.tuple(setOf(a), fc.constantFrom(...catalog(a).map((f) => f.name)), fc.nat(), fc.boolean()).map(([set, extra, pick, add]) => {
        const names = set.names();
        if (add && !set.has(extra)) return { doc: { ...set.toJSON(), names: [...names, extra] }, why: `adds ${extra}` };
        if (names.length === 0) return { doc: { ...set.toJSON(), names: [extra] }, why: `adds ${extra} to an empty set` };
        const drop = names[pick % names.length]!;
        return { doc: { ...set.toJSON(), names: names.filter((n) => n !== drop) }, why: `leaves out ${drop}` };
      }),
    );
    fc.assert(
      fc.property(broken, counted(({ doc, why }) => {
        const e = expectTypedCode('FeatureSet.fromJSON', why, () => FeatureSet.fromJSON(doc as never), 'ERR_HWCAP_SCHEMA');
        expect(e.message, why).toMatch(/^names: disagree with the words/);
      })),
      { numRuns: RUNS },
    );
  });

  it('fromJSON refuses a broken schema, arch, words or JSON text with its exact code, and reads any document it accepts by its words', () => {
    const good = FeatureSet.fromWords('aarch64', { hwcap: 0xfffn, hwcap2: 1n << 40n }).toJSON() as unknown as Record<string, unknown>;
    const validArch = (a: unknown) => {
      try {
        normalizeArch(a as never);
        return true;
      } catch {
        return false;
      }
    };
    const badWord = fc.oneof(docValue.filter((v) => typeof v !== 'string' || !/^0x[0-9a-f]{1,16}$/i.test(v)), fc.constantFrom('0x', '-0x1', '0x1' + '0'.repeat(16), ' 0x1', '1e3', '0xg'));
    // [document, the code it must be refused with]
    const refusedDoc = fc.oneof(
      docValue.filter((v) => v !== 'hwcap.featureset/1').map((v) => [{ ...good, schema: v }, 'ERR_HWCAP_SCHEMA'] as const),
      docValue.filter((v) => !validArch(v)).map((v) => [{ ...good, arch: v }, 'ERR_HWCAP_SCHEMA'] as const),
      fc.tuple(fc.constantFrom('AT_HWCAP', 'AT_HWCAP2'), badWord).map(([k, v]) => [{ ...good, words: { ...(good.words as object), [k]: v } }, 'ERR_HWCAP_SCHEMA'] as const),
      fc.tuple(fc.constantFrom('AT_HWCAP5', 'hwcap', '__proto__x'), fc.string()).map(([k, v]) => [{ ...good, words: { ...(good.words as object), [k]: v } }, 'ERR_HWCAP_SCHEMA'] as const),
      docValue.filter((v) => v !== undefined && (!Array.isArray(v) || v.some((n) => typeof n !== 'string'))).map((v) => [{ ...good, names: v }, 'ERR_HWCAP_SCHEMA'] as const),
      fc.oneof(fc.constantFrom<unknown>(null, 5, 'x', [], true), fc.integer()).map((v) => [v, typeof v === 'string' ? 'ERR_HWCAP_BAD_JSON' : 'ERR_HWCAP_SCHEMA'] as const),
    );
    fc.assert(
      fc.property(refusedDoc, counted(([doc, code]) => void expectTypedCode('FeatureSet.fromJSON', doc, () => FeatureSet.fromJSON(doc as never), code))),
      { numRuns: RUNS * 2 },
    );
    // Text edits: not JSON any more is ERR_HWCAP_BAD_JSON; still JSON is accepted only with words that say what it has.
    const text = fc.tuple(fc.nat(200), fc.nat(20), fc.string({ maxLength: 8 })).map(([at, del, ins]) => {
      const str = JSON.stringify(good);
      return str.slice(0, at) + ins + str.slice(at + del);
    });
    fc.assert(
      fc.property(text, counted((doc) => {
        let parsed: unknown;
        try {
          parsed = JSON.parse(doc);
        } catch {
          expectTypedCode('FeatureSet.fromJSON', doc, () => FeatureSet.fromJSON(doc), 'ERR_HWCAP_BAD_JSON');
          return;
        }
        const r = expectTypedOrValue('FeatureSet.fromJSON', doc, () => FeatureSet.fromJSON(doc));
        if (!r.ok) return void expect((r.err as Error & { code: string }).code).toBe('ERR_HWCAP_SCHEMA');
        const w = (parsed as { words: Record<string, string> }).words;
        const word = (k: string) => (w[k] === undefined ? 0n : BigInt(w[k]!));
        expect(r.value.words).toEqual({ hwcap: word('AT_HWCAP'), hwcap2: word('AT_HWCAP2'), hwcap3: word('AT_HWCAP3'), hwcap4: word('AT_HWCAP4') });
      })),
      { numRuns: RUNS },
    );
  });
});

describe('fuzz: reports, baselines, check', () => {
  const here = h.nodeReport();
  const { cpuid: _cpuid, cpu: _cpu, level: _level, ...base } = here;
  const reportOf = (a: Arch, w: Partial<h.HwcapWords>, host: string) => {
    const j = FeatureSet.fromWords(a, w).toJSON();
    return parseReport({ ...base, hostname: host, arch: a, words: j.words, ...(j.cpuid ? { cpuid: j.cpuid } : {}), names: j.names });
  };

  it('baseline(reports) is within every report, and check() agrees with isSubsetOf', () => {
    fc.assert(
      fc.property(
        arch.chain((a) => fc.tuple(fc.constant(a), fc.array(words, { minLength: 1, maxLength: 8 }), words)),
        counted(([a, ws, probe]) => {
          const reports = ws.map((w, i) => (i % 2 ? reportOf(a, w, `node-${i}`) : FeatureSet.fromWords(a, w)));
          const b = h.baseline(reports);
          for (const r of reports) {
            const set = r instanceof FeatureSet ? r : FeatureSet.fromJSON({ ...r, schema: 'hwcap.featureset/1' });
            expect(b.isSubsetOf(set)).toBe(true);
            expect(h.check(b, r)).toEqual({ ok: true, missing: [] });
          }
          const node = FeatureSet.fromWords(a, probe);
          const c = h.check(b, node);
          expect(c.ok).toBe(b.isSubsetOf(node));
          expect(c.missing).toEqual(node.diff(b).missing);
        }),
      ),
      { numRuns: RUNS / 2 },
    );
  });

  it('baseline, check and parseReport take any input and answer or throw a typed error', () => {
    const mixed = fc.array(fc.tuple(arch, words), { minLength: 2, maxLength: 5 }).map((xs) => xs.map(([a, w], i) => reportOf(a, w, `n${i}`)));
    const mutatedReport = fc.tuple(fc.constantFrom('schema', 'hostname', 'arch', 'words', 'names', 'inheritance', 'kernel', 'libc', 'view'), docValue).map(([k, v]) => ({ ...here, [k]: v }));
    fc.assert(
      fc.property(fc.oneof(docValue, mixed, fc.array(fc.oneof(docValue, mutatedReport), { maxLength: 4 })), fc.oneof(docValue, mutatedReport), counted((reports, one) => {
        const b = expectTypedOrValue('baseline', reports, () => h.baseline(reports as never));
        if (b.ok) expect(b.value).toBeInstanceOf(FeatureSet);
        expectTypedOrValue('parseReport', one, () => parseReport(one as never));
        expectTypedOrValue('check', one, () => h.check(FeatureSet.current(), one as never));
        expectTypedOrValue('check', reports, () => h.check(reports as never, here));
      })),
      { numRuns: RUNS },
    );
  });

  it('a mixed-architecture baseline throws MixedArchError naming the odd nodes', () => {
    fc.assert(
      fc.property(fc.uniqueArray(arch, { minLength: 2, maxLength: 3 }), words, counted((as, w) => {
        const reports = as.map((a, i) => reportOf(a, w, `node-${i}`));
        const r = expectTypedOrValue('baseline', as, () => h.baseline(reports));
        expect(r.ok).toBe(false);
        if (!r.ok) expect((r.err as Error & { code: string }).code).toBe('ERR_HWCAP_MIXED_ARCH');
      })),
      { numRuns: runs(100) },
    );
  });

  it('nodeReport(options) answers a report that parses back, or throws a typed error', () => {
    const opts = fc.oneof(weird, fc.record({ hostname: fc.oneof(fc.string(), weird), inheritance: fc.oneof(fc.constantFrom<unknown>(true, false, 'unknown'), weird), inheritanceReason: fc.oneof(fc.string(), weird) }, { requiredKeys: [] }));
    fc.assert(
      fc.property(opts, counted((o) => {
        const r = expectTypedOrValue('nodeReport', o, () => h.nodeReport(o as never));
        if (r.ok && r.value.hostname !== '') expect(parseReport(JSON.stringify(r.value)).names).toEqual(r.value.names);
      })),
      { numRuns: runs(200) },
    );
  });

  it('fromNodeFeatureDiscovery(json, options) takes any input and answers or throws a typed error', () => {
    const fixtures = ['nodes.json', 'nodefeatures.json'].map((f) => fs.readFileSync(path.join(repoRoot, 'test', 'fixtures', 'nfd', f), 'utf8'));
    const text = fc.tuple(fc.constantFrom(...fixtures), fc.nat(3000), fc.nat(30), fc.string({ maxLength: 8 })).map(([s, at, del, ins]) => s.slice(0, at) + ins + s.slice(at + del));
    const objectMutated = fc.tuple(fc.constantFrom(...fixtures), fc.constantFrom('items', 'kind', 'apiVersion', 'metadata'), docValue).map(([s, k, v]) => ({ ...JSON.parse(s), [k]: v }));
    const opts = fc.oneof(fc.constant(undefined), weird, fc.record({ arch: archLike }, { requiredKeys: [] }));
    fc.assert(
      fc.property(fc.oneof(docValue, text, objectMutated), opts, counted((doc, o) => {
        const r = expectTypedOrValue('fromNodeFeatureDiscovery', doc, () => h.fromNodeFeatureDiscovery(doc, o as never));
        if (r.ok) expect(Array.isArray(r.value)).toBe(true);
      })),
      { numRuns: RUNS },
    );
  });
});

describe('inputs that fuzzing found untyped', () => {
  it("normalizeArch('constructor') / ('__proto__') throw ERR_INVALID_ARG_VALUE (the ALIASES lookup reached Object.prototype)", () => {
    for (const a of ['constructor', '__proto__', 'valueOf', 'hasOwnProperty']) expectTypedCode('normalizeArch', a, () => normalizeArch(a), 'ERR_INVALID_ARG_VALUE');
  });
  it('nodeReport({ inheritanceReason: object without toString }) throws ERR_INVALID_ARG_TYPE (String() of it throws)', () =>
    void expectTypedCode('nodeReport', 'inheritanceReason: Object.create(null)', () => h.nodeReport({ inheritanceReason: Object.create(null) }), 'ERR_INVALID_ARG_TYPE'));
  it('closeMatches(arch, non-string) throws ERR_INVALID_ARG_TYPE', () => {
    for (const n of [null, 5, {}]) void expectTypedCode('closeMatches', n, () => closeMatches('x86_64', n as never), 'ERR_INVALID_ARG_TYPE');
    fc.assert(fc.property(weird.filter((n) => typeof n !== 'string'), counted((n) => void expectTypedCode('closeMatches', n, () => closeMatches('x86_64', n as never), 'ERR_INVALID_ARG_TYPE'))), { numRuns: runs(200) });
  });
  it('fromJSON / parseReport of an object holding a bigint throw ERR_HWCAP_SCHEMA (the message builder calls JSON.stringify)', () => {
    const doc = { ...FeatureSet.fromWords('x86_64', { hwcap: 1n }).toJSON(), arch: 1n };
    void expectTypedCode('FeatureSet.fromJSON', doc, () => FeatureSet.fromJSON(doc), 'ERR_HWCAP_SCHEMA');
    void expectTypedCode('parseReport', doc, () => parseReport({ ...h.nodeReport(), arch: 1n } as never), 'ERR_HWCAP_SCHEMA');
  });
});

describe('fuzz: totals', () => {
  it('ran at least 5,000 cases in this file', () => {
    expect(counter.cases).toBeGreaterThanOrEqual(runs(5_000));
    fs.writeSync(1, `fuzz-features.test.ts: ${counter.cases} cases\n`);
  });
});
