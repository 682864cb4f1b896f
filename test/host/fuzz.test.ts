// Fuzz and property tests of the auxv layer (lib/host/auxv.ts, lib/core/words.ts, lib/errors.ts) and of
// the native exports called directly. The rule: whatever goes in, a call either
// returns a well-formed answer or throws a typed error (an Error with a string
// `code`: TypeError/RangeError ERR_* from the argument checks, HwcapError from a
// system call). Nothing crashes the process.
//
// Writes never reach the test runner's own mm: in this process the native
// writers and prctlQuery are replaced by recorders (the argument checks in
// front of them are what is fuzzed here); real writes, real prctl calls and the
// native argument checks of the writers run in a child process.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import * as h from '../../lib';
import * as errs from '../../lib/errors';
import { native } from '../../lib/host/native';
import { hasCapSysResource } from '../../lib';
import { counted, counter, expectTypedCode, expectTypedOrValue, isTypedError, u64, weird } from '../support/fuzz-helpers';
import { repoRoot } from '../support/helpers';

const RUNS = 1000;
const isX86 = native.arch === 'x86_64';
const privileged = hasCapSysResource();
const processView = h.readAuxv('process');
const kernelView = h.readAuxv('kernel');
const capacityWords = native.getAuxvKernel().capacity / 8;

const viewLike = fc.oneof(weird, fc.constantFrom<unknown>('process', 'kernel', 'libc', 'PROCESS', 'stack', undefined));
const atNames = Object.keys(h.AT);
const typeLike = fc.oneof(
  weird,
  fc.integer({ min: -10, max: 2 ** 32 + 10 }),
  fc.integer({ min: 0, max: 60 }),
  fc.constantFrom(...atNames),
  fc.constantFrom(...atNames).map((n) => n.toLowerCase().replace(/^at_/, '')),
  fc.constantFrom(...atNames).map((n) => n.toLowerCase()),
);
const entry = fc.record({
  type: fc.oneof(fc.constantFrom(0, 3, 6, 16, 26, 29, 30, 33, 51), fc.integer({ min: 0, max: 60 }), weird),
  value: fc.oneof(u64, weird),
});
const goodEntry = fc.record({ type: fc.constantFrom<number>(3, 6, 16, 17, 25, 26, 29, 30, 33, 51), value: u64 });
const vectorLike = fc.oneof(
  weird,
  fc.array(goodEntry, { maxLength: 40 }).map((a) => [...a, { type: 0, value: 0n }]),
  fc.array(entry, { maxLength: 40 }),
  fc.array(u64, { maxLength: 80 }),
  fc.array(u64, { maxLength: 70 }).map((a) => [...(a.length % 2 ? a.slice(1) : a), 0n, 0n]),
  fc.bigUint64Array({ maxLength: 80 }),
  fc.array(fc.oneof(u64, weird), { maxLength: 10 }),
);
const maskLike = fc.oneof(
  weird,
  fc.record({ hwcap: u64, hwcap2: u64, hwcap3: u64, hwcap4: u64 }, { requiredKeys: [] }),
  fc.record({ hwcap: fc.oneof(u64, weird), hwcap2: fc.oneof(u64, weird), hwcap5: fc.oneof(u64, weird) }, { requiredKeys: [] }),
  fc.dictionary(fc.oneof(fc.string(), fc.constantFrom('hwcap', 'hwcap2', '__proto__', 'constructor')), fc.oneof(u64, weird), { maxKeys: 5 }),
);
const optionsLike = fc.oneof(
  weird,
  fc.constant(undefined),
  fc.record({ method: fc.oneof(fc.constantFrom<unknown>('auto', 'map', 'auxv', undefined, 'MAP'), weird) }, { requiredKeys: [] }),
);

/** Writes that reached the (recording) native writers in this process. */
const recorded: { fn: string; words: BigUint64Array }[] = [];
let recordedBad = '';

function recorder(fn: string) {
  return (words: BigUint64Array) => {
    // What the TypeScript layer hands the native layer must already be well-formed.
    if (!(words instanceof BigUint64Array)) recordedBad ||= `${fn} got ${typeof words}`;
    else if (words.length === 0 || words.length % 2 !== 0) recordedBad ||= `${fn} got ${words.length} words`;
    else if (words.length > capacityWords) recordedBad ||= `${fn} got ${words.length} words, capacity ${capacityWords}`;
    else if (![...words].some((w, i) => i % 2 === 0 && w === 0n)) recordedBad ||= `${fn} got no AT_NULL`;
    if (fn === 'setMmAuxv' && !privileged) throw new h.HwcapError({ errno: 1, syscall: 'prctl(PR_SET_MM_AUXV)', option: 'auxv' });
    recorded.push({ fn, words });
  };
}

beforeAll(() => {
  vi.spyOn(native, 'setMmMap').mockImplementation(recorder('setMmMap'));
  vi.spyOn(native, 'setMmAuxv').mockImplementation(recorder('setMmAuxv'));
  vi.spyOn(native, 'prctlQuery').mockImplementation((n: number) => {
    if (n % 3 === 0) return 1;
    if (n % 3 === 1) return 0;
    throw new h.HwcapError({ errno: 22, syscall: 'prctl(PR_USER_HWCAP_ENABLED)', option: 'prctlNumber' });
  });
});

afterAll(() => {
  vi.restoreAllMocks();
});

describe('fuzz: reading', () => {
  it('readAuxv(view) answers a vector ending in AT_NULL, or a typed error', () => {
    fc.assert(
      fc.property(viewLike, counted((view) => {
        const r = expectTypedOrValue('readAuxv', view, () => h.readAuxv(view as never));
        if (!r.ok) return;
        expect(['process', 'kernel', undefined]).toContain(view);
        expect(r.value.at(-1)).toEqual({ type: 0, name: 'AT_NULL', value: 0n });
      })),
      { numRuns: RUNS },
    );
  });

  it('getauxval(typeOrName) agrees with the process view, or throws a typed error', () => {
    fc.assert(
      fc.property(typeLike, counted((t) => {
        const r = expectTypedOrValue('getauxval', t, () => h.getauxval(t as never));
        if (!r.ok) return;
        expect(r.value === undefined || typeof r.value === 'bigint').toBe(true);
        const type = typeof t === 'number' ? t : (h.AT as Record<string, number>)[String(t).toUpperCase().replace(/^(?!AT_)/, 'AT_')];
        expect(Number.isInteger(type) && type >= 0 && type <= 0xffff_ffff).toBe(true);
        const e = processView.find((x) => x.type === type);
        if (e && type !== 0 && !(isX86 && type === h.AT.AT_HWCAP)) expect(r.value).toBe(e.value);
      })),
      { numRuns: RUNS * 2 },
    );
  });

  it('hwcapWords(view) gives four bigint words, or a typed error', () => {
    fc.assert(
      fc.property(viewLike, counted((view) => {
        const r = expectTypedOrValue('hwcapWords', view, () => h.hwcapWords(view as never));
        if (!r.ok) return;
        expect(Object.keys(r.value)).toEqual(['hwcap', 'hwcap2', 'hwcap3', 'hwcap4']);
        for (const v of Object.values(r.value)) expect(typeof v).toBe('bigint');
      })),
      { numRuns: RUNS },
    );
  });

  it('parseAuxvBytes(bytes) parses whole pairs and refuses torn buffers with a typed error', () => {
    const bytes = fc.oneof(
      fc.uint8Array({ maxLength: 600 }),
      fc.array(goodEntry, { maxLength: 30 }).map((es) => {
        const b = Buffer.alloc((es.length + 1) * 16);
        es.forEach((e, i) => {
          b.writeBigUInt64LE(BigInt(e.type), i * 16);
          b.writeBigUInt64LE(e.value, i * 16 + 8);
        });
        return new Uint8Array(b);
      }),
    );
    fc.assert(
      fc.property(bytes, fc.nat(15), counted((b, skew) => {
        const view = b.subarray(Math.min(skew, b.length));
        const r = expectTypedOrValue('parseAuxvBytes', view, () => h.parseAuxvBytes(view));
        if (!r.ok) {
          expect(view.byteLength % 16).not.toBe(0);
          return;
        }
        expect(view.byteLength % 16).toBe(0);
        const nul = r.value.findIndex((e) => e.type === 0);
        expect(nul === -1 || nul === r.value.length - 1).toBe(true);
        for (const e of r.value) expect(e.name).toBe(h.atName(e.type));
      })),
      { numRuns: RUNS },
    );
  });

  it('wordsOf(entries) picks the four HWCAP words up to AT_NULL', () => {
    fc.assert(
      fc.property(fc.array(goodEntry, { maxLength: 30 }), counted((es) => {
        const w = h.wordsOf(es);
        const upTo = es.findIndex((e) => e.type === 0);
        const live = upTo < 0 ? es : es.slice(0, upTo);
        for (const [k, t] of Object.entries(h.HWCAP_TYPES)) {
          const last = live.filter((e) => e.type === t).at(-1);
          expect(w[k as keyof h.HwcapWords]).toBe(last ? last.value : 0n);
        }
      })),
      { numRuns: RUNS / 2 },
    );
  });

  it('atName(type) names every number', () => {
    fc.assert(
      fc.property(fc.oneof(fc.integer(), fc.double()), counted((t) => {
        const n = h.atName(t);
        expect(typeof n).toBe('string');
        expect(n.startsWith('AT_')).toBe(true);
      })),
      { numRuns: RUNS / 2 },
    );
  });
});

describe('fuzz: masks and writes (native writers recorded, not called)', () => {
  it('checkMask(mask) keeps only the four words as u64 bigints, or throws a typed error', () => {
    fc.assert(
      fc.property(maskLike, counted((m) => {
        const r = expectTypedOrValue('checkMask', m, () => h.checkMask(m));
        if (!r.ok) return;
        for (const [k, v] of Object.entries(r.value)) {
          expect(['hwcap', 'hwcap2', 'hwcap3', 'hwcap4']).toContain(k);
          expect(typeof v).toBe('bigint');
          expect(v >= 0n && v < 1n << 64n).toBe(true);
        }
      })),
      { numRuns: RUNS },
    );
  });

  it('applyMask(entries, checkMask(mask)) never adds a bit', () => {
    fc.assert(
      fc.property(fc.array(goodEntry, { maxLength: 30 }), maskLike, counted((es, m) => {
        const checked = expectTypedOrValue('checkMask', m, () => h.checkMask(m));
        if (!checked.ok) return;
        const out = h.applyMask(es, checked.value);
        out.forEach((e, i) => expect(e.value & ~es[i].value).toBe(0n));
      })),
      { numRuns: RUNS / 2 },
    );
  });

  it('writeAuxv(vector, options) hands the native writer whole, terminated, padded words, or throws a typed error', () => {
    fc.assert(
      fc.property(vectorLike, optionsLike, counted((v, o) => {
        recorded.length = 0;
        const r = expectTypedOrValue('writeAuxv', [v, o], () => h.writeAuxv(v as never, o as never));
        expect(recordedBad).toBe('');
        if (!r.ok) {
          expect(recorded).toHaveLength(0);
          return;
        }
        expect(recorded).toHaveLength(1);
        const words = recorded[0].words;
        // Padded to the kernel's capacity: PR_SET_MM_AUXV copies only the bytes it is given.
        expect(words.length).toBe(capacityWords);
        expect(r.value.words).toBe(words.length);
        expect(recorded[0].fn).toBe(r.value.method === 'map' ? 'setMmMap' : 'setMmAuxv');
        // The words written begin with the vector given, through its AT_NULL; the rest is zero.
        const given: bigint[] = Array.isArray(v) && typeof v[0] !== 'bigint'
          ? (v as { type: number | string; value: bigint }[]).flatMap((e) => [BigInt(typeof e.type === 'number' ? e.type : (h.AT as Record<string, number>)[String(e.type).toUpperCase().replace(/^(?!AT_)/, 'AT_')]), e.value])
          : [...(v as bigint[])];
        expect([...words.slice(0, given.length)]).toEqual(given);
        expect([...words.slice(given.length)].every((w) => w === 0n)).toBe(true);
      })),
      { numRuns: RUNS * 2 },
    );
  });

  it('maskHwcaps(mask, options) answers words within the kernel view, or throws a typed error', () => {
    const before = h.hwcapWords('kernel');
    fc.assert(
      fc.property(maskLike, optionsLike, counted((m, o) => {
        recorded.length = 0;
        const r = expectTypedOrValue('maskHwcaps', [m, o], () => h.maskHwcaps(m as never, o as never));
        expect(recordedBad).toBe('');
        if (!r.ok) return;
        for (const k of ['hwcap', 'hwcap2', 'hwcap3', 'hwcap4'] as const) expect(r.value[k] & ~before[k]).toBe(0n);
      })),
      { numRuns: RUNS },
    );
    // The recorders kept every write away from this process's kernel view.
    expect(h.readAuxv('kernel')).toEqual(kernelView);
  });

  it('userHwcapEnabled(options) answers a state, or throws a typed error (prctl recorded, not called)', () => {
    const opts = fc.oneof(weird, fc.record({ prctlNumber: fc.oneof(weird, fc.integer(), fc.integer({ min: 1, max: 0x7fff_ffff })) }, { requiredKeys: [] }));
    fc.assert(
      fc.property(opts, counted((o) => {
        const r = expectTypedOrValue('userHwcapEnabled', o, () => h.userHwcapEnabled(o as never));
        if (!r.ok) return;
        expect(['enforced', 'not-enforced', 'unknown']).toContain(r.value.state);
        expect(typeof r.value.reason).toBe('string');
      })),
      { numRuns: RUNS },
    );
  });

  it('the error helpers build typed errors from any value', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), weird, fc.integer({ min: 1, max: 200 }), counted((name, expected, actual, errno) => {
        for (const e of [errs.invalidArgType(name, expected, actual), errs.outOfRange(name, expected, actual), errs.invalidArgValue(name, expected, actual)]) {
          expect(isTypedError(e)).toBe(true);
          expect(e.message).toContain(name);
        }
        const he = new h.HwcapError({ errno, syscall: name });
        expect(isTypedError(he)).toBe(true);
        expect(he.message.endsWith(`, ${name}`)).toBe(true);
        expect(errs.fromSystemError(actual, name)).toBeInstanceOf(Error);
      })),
      { numRuns: RUNS / 2 },
    );
  });
});

describe('fuzz: the native exports, called directly', () => {
  it('the reading exports check their arguments (getauxval, getAuxvKernel, readStartupAuxv, mmMapSize)', () => {
    fc.assert(
      fc.property(fc.oneof(weird, fc.integer({ min: -3, max: 70 })), weird, counted((a, b) => {
        const g = expectTypedOrValue('native.getauxval', a, () => native.getauxval(a as never));
        if (g.ok) expect(g.value === undefined || typeof g.value === 'bigint').toBe(true);
        if (g.ok) expect(typeof a).toBe('number');
        const k = expectTypedOrValue('native.getAuxvKernel', a, () => (native.getAuxvKernel as (...x: unknown[]) => ReturnType<typeof native.getAuxvKernel>)(a, b));
        expect(k.ok).toBe(true);
        const s = expectTypedOrValue('native.readStartupAuxv', a, () => (native.readStartupAuxv as (...x: unknown[]) => BigUint64Array)(a, b));
        if (s.ok) expect(s.value).toBeInstanceOf(BigUint64Array);
        expectTypedOrValue('native.mmMapSize', a, () => (native.mmMapSize as (...x: unknown[]) => number)(a, b));
      })),
      { numRuns: RUNS },
    );
  });

  // The writers, prctlQuery and setErrorFactory change the process that calls
  // them, so they are fuzzed in a child that also does real writes through the
  // public API and checks what the kernel kept.
  it('the writers, prctlQuery and setErrorFactory (in a child, with real writes)', () => {
    const child = `
      const fc = require(${JSON.stringify(path.join(repoRoot, 'node_modules', 'fast-check'))});
      const h = require(${JSON.stringify(repoRoot)});
      const { native } = require(${JSON.stringify(path.join(repoRoot, 'dist', 'host', 'native.js'))});
      const typed = (e) => e instanceof Error && typeof e.code === 'string' && e.code.length > 0;
      let cases = 0; const bad = [];
      const show = (x) => { try { return JSON.stringify(x, (_k, v) => typeof v === 'bigint' ? v + 'n' : v).slice(0, 120); } catch { return String(x); } };
      function run(label, x, fn) {
        cases++;
        try { fn(); } catch (e) { if (!typed(e)) bad.push(label + '(' + show(x) + '): ' + (e && e.name) + ': ' + (e && e.message)); }
      }
      const u64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
      const weird = fc.oneof(fc.anything({ withBigInt: true, withTypedArray: true, withBoxedValues: true, withNullPrototype: true }),
        fc.constantFrom(NaN, -1, 1.5, 2 ** 40, null, undefined, 'x', 16n, new Uint32Array(4), new BigInt64Array(4), new BigUint64Array(3), new BigUint64Array(1 << 20), new ArrayBuffer(16)));
      const vec = fc.oneof(weird, fc.bigUint64Array({ maxLength: 90 }),
        fc.array(u64, { maxLength: 70 }).map((a) => BigUint64Array.from([...(a.length % 2 ? a.slice(1) : a), 0n, 0n])));
      const N = ${Number(process.env.HWCAP_FUZZ_CHILD_RUNS ?? 400)};
      for (const x of fc.sample(vec, N)) run('native.setMmMap', x, () => native.setMmMap(x));
      for (const x of fc.sample(vec, N)) run('native.setMmAuxv', x, () => native.setMmAuxv(x));
      const nums = fc.oneof(weird, fc.integer({ min: -2, max: 100 }), fc.integer({ min: 0x1000, max: 0x7fffffff }), fc.double());
      for (const x of fc.sample(nums, N)) run('native.prctlQuery', x, () => native.prctlQuery(x));
      for (const x of fc.sample(weird.filter((x) => typeof x !== 'function'), N / 4)) run('native.setErrorFactory', x, () => native.setErrorFactory(x));
      // Real writes through the public API: what the kernel keeps is what was written.
      const entries = fc.array(fc.record({ type: fc.constantFrom(3, 6, 16, 17, 25, 26, 29, 30, 33, 51, 99), value: u64 }), { maxLength: 30 });
      for (const es of fc.sample(entries, N)) run('writeAuxv', es, () => {
        const v = [...es, { type: 0, value: 0n }];
        h.writeAuxv(v, { method: 'map' });
        const k = h.readAuxv('kernel').map((e) => e.type + ':' + e.value).join(',');
        const want = v.map((e) => e.type + ':' + e.value).join(',');
        if (k !== want) bad.push('writeAuxv kept ' + k + ' for ' + want);
      });
      h.writeAuxv(h.readAuxv('process'), { method: 'map' });
      const masks = fc.oneof(weird, fc.record({ hwcap: u64, hwcap2: u64, hwcap3: u64, hwcap4: u64 }, { requiredKeys: [] }));
      for (const m of fc.sample(masks, N)) run('maskHwcaps', m, () => {
        const before = h.hwcapWords('kernel');
        const now = h.maskHwcaps(m, { method: 'map' });
        const after = h.hwcapWords('kernel');
        for (const k of ['hwcap', 'hwcap2', 'hwcap3', 'hwcap4']) {
          if ((now[k] & ~before[k]) !== 0n || now[k] !== after[k]) bad.push('maskHwcaps ' + k + ': ' + before[k] + ' -> ' + now[k] + ' / ' + after[k]);
        }
      });
      process.stdout.write('@@' + JSON.stringify({ cases, bad: bad.slice(0, 20), nbad: bad.length }) + '\\n');
    `;
    const r = spawnSync(process.execPath, ['-e', child], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, HWCAP_PR_USER_HWCAP_ENABLED: '' } });
    expect(r.signal, r.stderr).toBeNull();
    expect(r.status, r.stderr).toBe(0);
    const line = r.stdout.split('\n').find((l) => l.startsWith('@@'));
    expect(line, r.stderr).toBeDefined();
    const res = JSON.parse(line!.slice(2)) as { cases: number; bad: string[]; nbad: number };
    expect(res.bad).toEqual([]);
    expect(res.cases).toBeGreaterThanOrEqual(2000);
    counter.cases += res.cases;
    // A child that runs about 2,800 cases with real writes: 15 s alone here, more beside the suite.
  }, 120_000);
});

describe('inputs that fuzzing found untyped, now typed', () => {
  // Public pure functions of lib/host/auxv.ts, lib/core/words.ts and lib/errors.ts that did not check
  // their arguments: a wrong type came out as an engine TypeError
  // ("Cannot read properties of null") without a code.
  // Explicit inputs (random ones hit these only now and then), then random ones of the same
  // kind; each must throw the exact code of Node's argument checks.
  const refused = (label: string, fn: (x: unknown) => unknown, code: (x: unknown) => string, known: unknown[], bad: (x: unknown) => boolean) => {
    for (const x of known) {
      expect(bad(x), `${label}: a known input must be one the filter keeps`).toBe(true);
      expectTypedCode(label, x, () => fn(x), code(x));
    }
    fc.assert(fc.property(weird.filter(bad), counted((x) => void expectTypedCode(label, x, () => fn(x), code(x)))), { numRuns: 300 });
  };
  const notBytes = (x: unknown) => !(x instanceof Uint8Array);
  const notArray = (x: unknown) => !Array.isArray(x);
  const notMaskObject = (x: unknown) => typeof x !== 'object' || x === null || Array.isArray(x);
  const TYPE = () => 'ERR_INVALID_ARG_TYPE';

  it('parseAuxvBytes(non-bytes) throws ERR_INVALID_ARG_TYPE', () => refused('parseAuxvBytes', (x) => h.parseAuxvBytes(x as never), TYPE, [null, undefined, {}], notBytes));
  it('wordsOf(non-array) throws ERR_INVALID_ARG_TYPE', () => refused('wordsOf', (x) => h.wordsOf(x as never), TYPE, [null, 5, 'x'], notArray));
  it('wordsOf([null]) throws ERR_INVALID_ARG_TYPE naming entries[0]', () => {
    const e = expectTypedCode('wordsOf', [null], () => h.wordsOf([null] as never), 'ERR_INVALID_ARG_TYPE');
    expect(e.message).toContain('"entries[0]"');
  });
  // eslint-disable-next-line no-sparse-arrays
  it('wordsOf(sparse array) throws ERR_INVALID_ARG_TYPE (a hole reads as undefined)', () => void expectTypedCode('wordsOf', '[ , ]', () => h.wordsOf([, ] as never), 'ERR_INVALID_ARG_TYPE'));
  it('applyMask(entries, non-mask) throws ERR_INVALID_ARG_TYPE', () => refused('applyMask', (x) => h.applyMask([{ type: 16, value: 1n }], x as never), TYPE, [null, undefined, [1n]], notMaskObject));
  it('applyMask(entries, { hwcap: 5 }) throws ERR_INVALID_ARG_TYPE naming mask.hwcap', () => {
    const e = expectTypedCode('applyMask', { hwcap: 5 }, () => h.applyMask([{ type: 16, value: 1n }], { hwcap: 5 } as never), 'ERR_INVALID_ARG_TYPE');
    expect(e.message).toContain('"mask.hwcap"');
  });
  it('applyMask(non-array, {}) throws ERR_INVALID_ARG_TYPE', () => refused('applyMask', (x) => h.applyMask(x as never, {}), TYPE, [null, 5, {}], notArray));
  it('errnoOf(non-string) throws ERR_INVALID_ARG_TYPE, errnoOf(unknown code) ERR_INVALID_ARG_VALUE', () => {
    expectTypedCode('errnoOf', 'EBOGUS', () => errs.errnoOf('EBOGUS'), 'ERR_INVALID_ARG_VALUE');
    refused('errnoOf', (x) => errs.errnoOf(x as never), TYPE, [null, 5], (x) => typeof x !== 'string');
  });
  it('fromSystemError(object without toString) returns an Error that renders the value', () => {
    const e = errs.fromSystemError([Object.create(null)], 'x');
    expect(e).toBeInstanceOf(Error);
    expect(e.message).toContain('[Object: null prototype]');
  });
  it('atName(symbol) throws ERR_INVALID_ARG_TYPE', () => void expectTypedCode('atName', 'Symbol()', () => h.atName(Symbol('s') as never), 'ERR_INVALID_ARG_TYPE'));

  it('a configured PR_USER_HWCAP_ENABLED number never changes process state (24 = PR_CAPBSET_DROP would drop CAP_CHOWN)', () => {
    // native.prctlQuery refuses a few state-changing prctls but not PR_CAPBSET_DROP,
    // PR_SET_TIMERSLACK, PR_SET_CHILD_SUBREAPER, PR_TASK_PERF_EVENTS_DISABLE …
    const code = `const fs = require('fs'); const bnd = () => /CapBnd:\\s*(\\w+)/.exec(fs.readFileSync('/proc/self/status', 'utf8'))[1];
      const b = bnd(); let e; try { require(${JSON.stringify(repoRoot)}).userHwcapEnabled({ prctlNumber: 24 }); } catch (x) { e = x.code; }
      console.log(JSON.stringify({ before: b, after: bnd(), e }));`;
    const r = spawnSync(process.execPath, ['-e', code], { encoding: 'utf8' });
    const v = JSON.parse(r.stdout) as { before: string; after: string };
    expect(v.after).toBe(v.before);
  });
});

describe('fuzz: totals', () => {
  it(`ran at least 10,000 cases in this file`, () => {
    expect(counter.cases).toBeGreaterThanOrEqual(10_000);
    fs.writeSync(1, `fuzz.test.ts: ${counter.cases} cases\n`);
  });
});
