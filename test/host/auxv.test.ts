// The three views of the auxv, and writes to the kernel's copy, with real
// system calls. Mutating tests run in child processes so that the test
// runner's own auxv stays intact.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as h from '../../lib';
import * as errs from '../../lib/errors';
import { native } from '../../lib/host/native';
import { hasCapSysResource } from '../../lib';
import { parseShowAuxv, procAuxvPairs, repoRoot, runNode, skipNote, which } from '../support/helpers';

const isX86 = native.arch === 'x86_64';
const privileged = hasCapSysResource();

function pairs(entries: h.AuxvEntry[]): [number, bigint][] {
  return entries.map((e) => [e.type, e.value]);
}

describe('reading the views', () => {
  it('the kernel view equals /proc/self/auxv', () => {
    expect(pairs(h.readAuxv('kernel'))).toEqual(procAuxvPairs());
  });

  it('the process view equals /proc/self/auxv in an unmodified process', () => {
    expect(pairs(h.readAuxv('process'))).toEqual(procAuxvPairs());
  });

  it('both views end with AT_NULL and name every entry', () => {
    for (const view of ['process', 'kernel'] as const) {
      const v = h.readAuxv(view);
      expect(v.at(-1)).toEqual({ type: 0, name: 'AT_NULL', value: 0n });
      for (const e of v) expect(e.name).toBe(h.atName(e.type));
      expect(v.filter((e) => e.type === 0)).toHaveLength(1);
    }
  });

  it('readAuxv() defaults to the process view', () => {
    expect(h.readAuxv()).toEqual(h.readAuxv('process'));
  });

  it('AT names the kernel types, including the newest ones', () => {
    expect(h.AT.AT_HWCAP).toBe(16);
    expect(h.AT.AT_HWCAP2).toBe(26);
    expect(h.AT.AT_HWCAP3).toBe(29);
    expect(h.AT.AT_HWCAP4).toBe(30);
    expect(h.AT.AT_MINSIGSTKSZ).toBe(51);
    expect(h.AT.AT_RSEQ_FEATURE_SIZE).toBe(27);
    expect(h.atName(1000)).toBe('AT_1000');
    expect(Object.isFrozen(h.AT)).toBe(true);
  });

  it('agrees with what ld.so prints for the same process (LD_SHOW_AUXV=1)', () => {
    // ld.so prints the auxv of the very process that then runs readAuxv().
    const r = runNode<{ process: [number, string][]; kernel: [number, string][] }>(
      `const m = (v) => h.readAuxv(v).map(e => [e.type, e.value.toString()]); out({ process: m('process'), kernel: m('kernel') });`,
      { env: { ...process.env, LD_SHOW_AUXV: '1' } },
    );
    const shown = parseShowAuxv(r.stdout);
    expect(shown.size).toBeGreaterThan(10);
    const strings = new Set(['AT_EXECFN', 'AT_PLATFORM', 'AT_BASE_PLATFORM']);
    let compared = 0;
    for (const [type, value] of r.value.process) {
      if (type === 0) continue;
      const known = h.atName(type);
      const label = [...shown.keys()].find((k) => k === known || k === `AT_??? (0x${type.toString(16)})`);
      expect(label, `ld.so shows ${known}`).toBeDefined();
      if (strings.has(known)) continue;
      const text = shown.get(label!)!;
      const parsed = text.startsWith('0x') || known === 'AT_HWCAP' ? BigInt(text.startsWith('0x') ? text : `0x${text}`) : BigInt(text);
      expect(parsed, known).toBe(BigInt(value));
      compared++;
    }
    expect(compared).toBeGreaterThan(10);
    expect(r.value.kernel).toEqual(r.value.process);
  });

  it('finds the process view after unsetenv() shifted the startup envp in place', () => {
    const r = runNode<{ ok: boolean; n: number }>(
      `delete process.env.HWCAP_TEST_A; delete process.env.HWCAP_TEST_B;
       const p = h.readAuxv('process').map(e => e.type + ':' + e.value);
       const k = h.readAuxv('kernel').map(e => e.type + ':' + e.value);
       out({ ok: JSON.stringify(p) === JSON.stringify(k), n: p.length });`,
      { env: { ...process.env, HWCAP_TEST_A: 'a', HWCAP_TEST_B: 'b' } },
    );
    expect(r.value).toEqual({ ok: true, n: expect.any(Number) });
    expect(r.value.n).toBeGreaterThan(5);
  });

  it('reads the process view when the startup stack ends right after the auxv (empty environment)', () => {
    // With no environment the strings above the auxv are few, so a read window
    // runs past the end of the stack mapping and must be cut short, not fail.
    // Only a sanitizer build's variables (npm run test:asan) are kept.
    const sanitizerEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => /^(LD_PRELOAD|ASAN_OPTIONS|UBSAN_OPTIONS)$/.test(k)));
    for (const args of [[], Array.from({ length: 40 }, (_, i) => `a${i}`)]) {
      const r = spawnSync(process.execPath, ['-e', `const h = require(${JSON.stringify(repoRoot)});
        const s = (v) => JSON.stringify(h.readAuxv(v).map((e) => [e.type, String(e.value)]));
        process.stdout.write(String(s('process') === s('kernel')) + ' ' + h.readAuxv('process').length);`, ...args], { env: sanitizerEnv, encoding: 'utf8' });
      expect(r.stderr).toBe('');
      const [same, n] = r.stdout.split(' ');
      expect(same).toBe('true');
      expect(Number(n)).toBeGreaterThan(5);
    }
  });

  it('require() from the repo root gives the API (the README example)', () => {
    const r = spawnSync(process.execPath, ['-e', "const h = require('./'); console.log(h.readAuxv('process').length, h.readAuxv('kernel').length, h.getauxval('AT_HWCAP2'))"], {
      cwd: repoRoot,
      encoding: 'utf8',
    });
    expect(r.status).toBe(0);
    const [p, k, hw2] = r.stdout.trim().split(' ');
    expect(Number(p)).toBeGreaterThan(5);
    expect(k).toBe(p);
    expect(hw2).toBe(`${h.getauxval('AT_HWCAP2')}n`);
  });
});

describe('getauxval and hwcapWords', () => {
  const processView = h.readAuxv('process');

  it('matches the process view for every type but glibc x86-64 AT_HWCAP', () => {
    for (const e of processView) {
      if (e.type === h.AT.AT_NULL) continue;
      if (isX86 && e.type === h.AT.AT_HWCAP) continue;
      expect(h.getauxval(e.type), e.name).toBe(e.value);
      expect(h.getauxval(e.name), e.name).toBe(e.value);
    }
  });

  it.skipIf(!isX86)('glibc x86-64 answers AT_HWCAP with its own bits, not the kernel word (x86-64 only)', () => {
    const kernelWord = processView.find((e) => e.type === h.AT.AT_HWCAP)!.value;
    const libc = h.getauxval('AT_HWCAP')!;
    expect(libc).not.toBe(kernelWord);
    expect(libc & 2n).toBe(2n); // HWCAP_X86_64 (sysdeps/x86/dl-hwcap.h)
    expect(h.hwcapWords('libc').hwcap).toBe(libc);
    expect(h.hwcapWords('process').hwcap).toBe(kernelWord);
  });

  it('answers undefined for a type the vector lacks', () => {
    const absent = [h.AT.AT_HWCAP4, h.AT.AT_L3_CACHEGEOMETRY, 4000].find((t) => !processView.some((e) => e.type === t))!;
    expect(h.getauxval(absent)).toBeUndefined();
  });

  it('accepts names with or without the AT_ prefix', () => {
    expect(h.getauxval('HWCAP2')).toBe(h.getauxval('AT_HWCAP2'));
    expect(h.getauxval('at_pagesz')).toBe(4096n);
  });

  it('hwcapWords gives all four words, an absent one as 0n', () => {
    for (const view of ['process', 'kernel', 'libc'] as const) {
      const w = h.hwcapWords(view);
      expect(Object.keys(w)).toEqual(['hwcap', 'hwcap2', 'hwcap3', 'hwcap4']);
      for (const v of Object.values(w)) expect(typeof v).toBe('bigint');
    }
    const k = h.hwcapWords('kernel');
    expect(k.hwcap2).toBe(h.getauxval('AT_HWCAP2') ?? 0n);
    expect(k.hwcap3).toBe(h.getauxval('AT_HWCAP3') ?? 0n);
  });
});

describe('writing the kernel view', () => {
  it('a MAP write changes /proc/self/auxv and PR_GET_AUXV, and not getauxval or the stack copy', () => {
    const r = runNode<Record<string, bigint | [number, string][]>>(`
      const before = h.hwcapWords('kernel');
      const libcBefore = h.getauxval('AT_HWCAP2');
      const now = h.maskHwcaps({ hwcap: 0n, hwcap2: 0n }, { method: 'map' });
      const fs = require('fs');
      const b = fs.readFileSync('/proc/self/auxv'); const proc = {};
      for (let o = 0; o < b.length; o += 16) proc[b.readBigUInt64LE(o)] = b.readBigUInt64LE(o + 8);
      out({ before: before.hwcap, before2: before.hwcap2, now: now.hwcap, now2: now.hwcap2,
            kernel: h.hwcapWords('kernel').hwcap, kernel2: h.hwcapWords('kernel').hwcap2,
            proc: proc[16], proc2: proc[26],
            libcBefore, libcAfter: h.getauxval('AT_HWCAP2'),
            stack: h.hwcapWords('process').hwcap, stack2: h.hwcapWords('process').hwcap2 });`);
    const v = r.value;
    expect(v.before).not.toBe(0n);
    expect(v.now).toBe(0n);
    expect(v.kernel).toBe(0n);
    expect(v.proc).toBe(0n);
    // AT_HWCAP2 masked with 0n reads 0n whether or not the vector has it.
    expect(v.kernel2).toBe(0n);
    expect(v.proc2 ?? 0n).toBe(0n);
    expect(v.libcAfter).toBe(v.libcBefore);
    expect(v.stack).toBe(v.before);
    expect(v.stack2).toBe(v.before2);
  });

  /**
   * Writes a vector that fills saved_auxv, then a short one, with `method`; returns the raw
   * PR_GET_AUXV buffer (to the kernel's capacity, past AT_NULL) after each write.
   */
  function longThenShort(method: 'map' | 'auxv') {
    return runNode<{ capacity: number; long: string[]; short: string[]; afterLong: string[]; afterShort: string[]; method: string }>(`
      const { native } = require(${JSON.stringify(path.join(repoRoot, 'dist', 'host', 'native.js'))});
      const capacity = native.getAuxvKernel().capacity;
      const long = [...Array.from({ length: capacity / 16 - 1 }, (_, i) => ({ type: 99, value: BigInt(i + 1) })), { type: 0, value: 0n }];
      h.writeAuxv(long, { method: ${JSON.stringify(method)} });
      const afterLong = Array.from(native.getAuxvKernel().raw, String);
      const short = [...h.readAuxv('process').filter(e => e.type === 16 || e.type === 6), { type: 0, value: 0n }];
      const res = h.writeAuxv(short, { method: ${JSON.stringify(method)} });
      const afterShort = Array.from(native.getAuxvKernel().raw, String);
      out({ capacity, long: long.flatMap(e => [String(e.type), String(e.value)]), short: short.flatMap(e => [String(e.type), String(e.value)]), afterLong, afterShort, method: res.method });`);
  }

  function expectNoStaleTail(v: ReturnType<typeof longThenShort>['value']) {
    // The raw buffer is the whole saved copy: the long vector fills it, so the read sees it all.
    expect(v.afterLong).toHaveLength(v.capacity / 8);
    expect(v.afterLong).toEqual(v.long);
    // After the short vector, nothing of the long one is left past its AT_NULL.
    expect(v.afterShort).toHaveLength(v.capacity / 8);
    expect(v.afterShort.slice(0, v.short.length)).toEqual(v.short);
    expect(v.afterShort.slice(v.short.length).filter((w) => w !== '0')).toEqual([]);
  }

  it("no stale tail survives a shorter vector: the raw PR_GET_AUXV buffer past AT_NULL is zero (method 'map')", () => {
    const r = longThenShort('map');
    expect(r.value.method).toBe('map');
    expectNoStaleTail(r.value);
  });

  // PR_SET_MM_AUXV copies only the bytes it is given: only writeAuxv's padding clears the tail.
  it.skipIf(!privileged)(`no stale tail survives a shorter vector written with PR_SET_MM_AUXV (method 'auxv')${skipNote(!privileged, 'needs CAP_SYS_RESOURCE, which this process lacks')}`, () => {
    const r = longThenShort('auxv');
    expect(r.value.method).toBe('auxv');
    expectNoStaleTail(r.value);
  });

  it("writeAuxv hands the kernel the vector padded with zeros to saved_auxv's capacity", () => {
    // The native writer is wrapped in the child, so what reaches prctl is seen as it is.
    const r = runNode<{ handed: string[]; capacity: number; wrote: string[] }>(`
      const { native } = require(${JSON.stringify(path.join(repoRoot, 'dist', 'host', 'native.js'))});
      const real = native.setMmMap; let handed;
      native.setMmMap = (b) => { handed = Array.from(b, String); return real.call(native, b); };
      const short = [...h.readAuxv('kernel').filter(e => e.type === 16 || e.type === 6), { type: 0, value: 0n }];
      h.writeAuxv(short, { method: 'map' });
      out({ handed, capacity: native.getAuxvKernel().capacity, wrote: short.flatMap(e => [String(e.type), String(e.value)]) });`);
    const { handed, capacity, wrote } = r.value;
    expect(wrote).toHaveLength(6);
    expect(handed).toHaveLength(capacity / 8);
    expect(handed.slice(0, wrote.length)).toEqual(wrote);
    expect(handed.slice(wrote.length).every((w) => w === '0')).toBe(true);
  });

  it("method 'auto' picks 'map' without CAP_SYS_RESOURCE and 'auxv' with it", () => {
    const r = runNode<{ method: string }>(`out(h.writeAuxv(h.readAuxv('kernel')));`);
    expect(r.value.method).toBe(privileged ? 'auxv' : 'map');
  });

  it.skipIf(privileged)(`PR_SET_MM_AUXV without CAP_SYS_RESOURCE is EPERM with its hint${skipNote(privileged, 'this process holds CAP_SYS_RESOURCE')}`, () => {
    let err: unknown;
    try {
      h.writeAuxv(h.readAuxv('kernel'), { method: 'auxv' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(h.HwcapError);
    const e = err as h.HwcapError;
    expect(e.message).toBe('EPERM: operation not permitted, prctl(PR_SET_MM_AUXV)');
    expect(e).toMatchObject({ code: 'EPERM', errno: 1, syscall: 'prctl(PR_SET_MM_AUXV)', option: 'auxv' });
    expect(e.hint).toBe("needs CAP_SYS_RESOURCE; method 'map' needs none");
    expect(h.readAuxv('kernel')).toEqual(h.readAuxv('process'));
  });

  it.skipIf(!privileged)(`PR_SET_MM_AUXV with CAP_SYS_RESOURCE writes the kernel view${skipNote(!privileged, 'no CAP_SYS_RESOURCE here')}`, () => {
    const r = runNode<{ k: bigint }>(`h.maskHwcaps({ hwcap: 0n }, { method: 'auxv' }); out({ k: h.hwcapWords('kernel').hwcap });`);
    expect(r.value.k).toBe(0n);
  });

  const nobody = ['--reuid', '65534', '--regid', '65534', '--clear-groups'];
  const setpriv = which('setpriv');
  const nobodyCanRead =
    !!setpriv && spawnSync(setpriv, [...nobody, 'test', '-r', path.join(repoRoot, 'dist', 'index.js')]).status === 0 &&
    spawnSync(setpriv, [...nobody, 'test', '-x', repoRoot]).status === 0;

  it.skipIf(!nobodyCanRead)(`the MAP path works unprivileged, as uid 65534 with no capabilities${skipNote(!nobodyCanRead, setpriv ? 'uid 65534 cannot read the package' : 'setpriv is not installed')}`, () => {
    const r = runNode<{ cap: string; uid: number; before: bigint; after: bigint; method: string }>(
      `const cap = require('fs').readFileSync('/proc/self/status', 'utf8').match(/CapEff:\\s*(\\w+)/)[1];
       const before = h.hwcapWords('kernel').hwcap;
       const w = h.writeAuxv(h.readAuxv('kernel').map(e => e.type === 16 ? { type: 16, value: e.value & ~1n } : e));
       out({ cap, uid: process.getuid(), before, after: h.hwcapWords('kernel').hwcap, method: w.method });`,
      { wrapper: [setpriv!, ...nobody] },
    );
    expect(r.value.uid).toBe(65534);
    expect(BigInt(`0x${r.value.cap}`)).toBe(0n);
    expect(r.value.method).toBe('map');
    expect(r.value.after).toBe(r.value.before & ~1n);
  });

  it('random masks written in a child never add a bit', () => {
    const masks = fc.sample(fc.record({ hwcap: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), hwcap2: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }) }), 20);
    const r = runNode<{ before: h.HwcapWords; results: h.HwcapWords[] }>(`
      const masks = ${JSON.stringify(masks.map((m) => ({ hwcap: m.hwcap.toString(), hwcap2: m.hwcap2.toString() })))};
      const before = h.hwcapWords('kernel'); const results = [];
      for (const m of masks) { results.push(h.maskHwcaps({ hwcap: BigInt(m.hwcap), hwcap2: BigInt(m.hwcap2) }, { method: 'map' })); }
      out({ before, results });`);
    let prev = r.value.before;
    r.value.results.forEach((w, i) => {
      for (const k of ['hwcap', 'hwcap2', 'hwcap3', 'hwcap4'] as const) expect(w[k] & ~prev[k], `mask ${i} ${k}`).toBe(0n);
      expect(w.hwcap).toBe(prev.hwcap & masks[i].hwcap);
      prev = w;
    });
  });
});

describe('masks as pure functions (property)', () => {
  const u64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
  const entry = fc.record({ type: fc.constantFrom(3, 6, 16, 26, 29, 30, 33, 51), value: u64 });

  it('applyMask never sets a bit that was not set, and touches only HWCAP words', () => {
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 30 }), fc.record({ hwcap: u64, hwcap2: u64, hwcap3: u64, hwcap4: u64 }, { requiredKeys: [] }), (entries, mask) => {
        const out = h.applyMask(entries, mask);
        expect(out).toHaveLength(entries.length);
        out.forEach((e, i) => {
          expect(e.type).toBe(entries[i].type);
          expect(e.value & ~entries[i].value).toBe(0n);
          if (![16, 26, 29, 30].includes(e.type)) expect(e.value).toBe(entries[i].value);
        });
      }),
      { numRuns: 2000 },
    );
  });
});

describe('PR_USER_HWCAP_ENABLED', () => {
  it("answers 'unknown' without a number, and makes no prctl", () => {
    const r = runNode<h.UserHwcapState>(`out(h.userHwcapEnabled());`, { env: { ...process.env, HWCAP_PR_USER_HWCAP_ENABLED: '' } });
    if (native.PR_USER_HWCAP_ENABLED === undefined) {
      expect(r.value).toMatchObject({ state: 'unknown', source: 'none' });
      expect(r.value.prctl).toBeUndefined();
    } else {
      expect(r.value.source).toBe('headers');
    }
  });

  it('asks a configured number and reads EINVAL as unknown', () => {
    // 0x7ffffff0 is far outside every assigned prctl range; the kernel answers EINVAL.
    const viaOption = h.userHwcapEnabled({ prctlNumber: 0x7ffffff0 });
    expect(viaOption).toMatchObject({ state: 'unknown', source: 'option', prctl: 0x7ffffff0 });
    expect(viaOption.reason).toMatch(/EINVAL/);
    const r = runNode<h.UserHwcapState>(`out(h.userHwcapEnabled());`, { env: { ...process.env, HWCAP_PR_USER_HWCAP_ENABLED: '0x7ffffff0' } });
    expect(r.value).toMatchObject({ state: 'unknown', source: 'environment', prctl: 0x7ffffff0 });
  });

  it('refuses a malformed configured number', () => {
    expect(() => h.userHwcapEnabled({ prctlNumber: -1 })).toThrow(expect.objectContaining({ name: 'RangeError', code: 'ERR_OUT_OF_RANGE' }));
    expect(() => h.userHwcapEnabled({ prctlNumber: '4' as unknown as number })).toThrow(expect.objectContaining({ name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' }));
    const r = spawnSync(process.execPath, ['-e', `try { require(${JSON.stringify(repoRoot)}).userHwcapEnabled() } catch (e) { console.log(e.code) }`], {
      env: { ...process.env, HWCAP_PR_USER_HWCAP_ENABLED: 'sixty' },
      encoding: 'utf8',
    });
    expect(r.stdout.trim()).toBe('ERR_OUT_OF_RANGE');
  });
});

describe('probeAuxvAccess', () => {
  it('reports what this process may do, and leaves the kernel view as it was', () => {
    const before = h.readAuxv('kernel');
    const a = h.probeAuxvAccess();
    expect(a.prGetAuxv.ok).toBe(true);
    expect(a.prSetMmAuxv.ok).toBe(privileged);
    if (!privileged) expect(a.prSetMmAuxv).toMatchObject({ ok: false, code: 'EPERM' });
    expect(a.prSetMmMap.ok).toBe(true);
    expect(h.readAuxv('kernel')).toEqual(before);
  });
});

describe('bad input', () => {
  const cap = (native.getAuxvKernel().capacity / 16) | 0;
  const good = h.readAuxv('kernel');
  type Case = [string, () => unknown, string, string];
  const cases: Case[] = [
    ['getauxval(-1)', () => h.getauxval(-1), 'RangeError', 'ERR_OUT_OF_RANGE'],
    ['getauxval(1.5)', () => h.getauxval(1.5), 'RangeError', 'ERR_OUT_OF_RANGE'],
    ['getauxval(2**32)', () => h.getauxval(2 ** 32), 'RangeError', 'ERR_OUT_OF_RANGE'],
    ['getauxval(NaN)', () => h.getauxval(NaN), 'RangeError', 'ERR_OUT_OF_RANGE'],
    ['getauxval(null)', () => h.getauxval(null as never), 'TypeError', 'ERR_INVALID_ARG_TYPE'],
    ['getauxval(16n)', () => h.getauxval(16n as never), 'TypeError', 'ERR_INVALID_ARG_TYPE'],
    ["getauxval('AT_BOGUS')", () => h.getauxval('AT_BOGUS'), 'RangeError', 'ERR_INVALID_ARG_VALUE'],
    ["readAuxv('libc')", () => h.readAuxv('libc' as never), 'RangeError', 'ERR_INVALID_ARG_VALUE'],
    ['readAuxv(1)', () => h.readAuxv(1 as never), 'TypeError', 'ERR_INVALID_ARG_TYPE'],
    ["hwcapWords('stack')", () => h.hwcapWords('stack' as never), 'RangeError', 'ERR_INVALID_ARG_VALUE'],
    ['writeAuxv(odd words)', () => h.writeAuxv([16n, 1n, 0n]), 'RangeError', 'ERR_INVALID_ARG_VALUE'],
    ['writeAuxv(no AT_NULL)', () => h.writeAuxv([16n, 1n]), 'RangeError', 'ERR_INVALID_ARG_VALUE'],
    ['writeAuxv([])', () => h.writeAuxv([]), 'RangeError', 'ERR_INVALID_ARG_VALUE'],
    ['writeAuxv(entries after AT_NULL)', () => h.writeAuxv([0n, 0n, 16n, 1n]), 'RangeError', 'ERR_INVALID_ARG_VALUE'],
    ['writeAuxv(longer than saved_auxv)', () => h.writeAuxv([...Array.from({ length: cap + 1 }, () => ({ type: 16, value: 1n })), { type: 0, value: 0n }]), 'RangeError', 'ERR_OUT_OF_RANGE'],
    ['writeAuxv(value not bigint)', () => h.writeAuxv([{ type: 16, value: 1 as never }, { type: 0, value: 0n }]), 'TypeError', 'ERR_INVALID_ARG_TYPE'],
    ['writeAuxv(negative word)', () => h.writeAuxv([16n, -1n, 0n, 0n]), 'RangeError', 'ERR_OUT_OF_RANGE'],
    ['writeAuxv(word >= 2**64)', () => h.writeAuxv([16n, 1n << 64n, 0n, 0n]), 'RangeError', 'ERR_OUT_OF_RANGE'],
    ['writeAuxv(mixed words)', () => h.writeAuxv([16n, 1 as never, 0n, 0n]), 'TypeError', 'ERR_INVALID_ARG_TYPE'],
    ['writeAuxv(type -1)', () => h.writeAuxv([{ type: -1, value: 1n }, { type: 0, value: 0n }]), 'RangeError', 'ERR_OUT_OF_RANGE'],
    ["writeAuxv('x')", () => h.writeAuxv('x' as never), 'TypeError', 'ERR_INVALID_ARG_TYPE'],
    ['writeAuxv(method bogus)', () => h.writeAuxv(good, { method: 'bogus' as never }), 'RangeError', 'ERR_INVALID_ARG_VALUE'],
    ['writeAuxv(options null)', () => h.writeAuxv(good, null as never), 'TypeError', 'ERR_INVALID_ARG_TYPE'],
    ['maskHwcaps({ hwcap: 1 })', () => h.maskHwcaps({ hwcap: 1 as never }), 'TypeError', 'ERR_INVALID_ARG_TYPE'],
    ['maskHwcaps({ hwcap5: 1n })', () => h.maskHwcaps({ hwcap5: 1n } as never), 'RangeError', 'ERR_INVALID_ARG_VALUE'],
    ['maskHwcaps({ hwcap: -1n })', () => h.maskHwcaps({ hwcap: -1n }), 'RangeError', 'ERR_OUT_OF_RANGE'],
    ['maskHwcaps(null)', () => h.maskHwcaps(null as never), 'TypeError', 'ERR_INVALID_ARG_TYPE'],
    ["maskHwcaps(['sse'])", () => h.maskHwcaps(['sse'] as never), 'TypeError', 'ERR_INVALID_ARG_TYPE'],
    // The native layer checks again what it is given.
    ["native.getauxval('16')", () => native.getauxval('16' as never), 'TypeError', 'ERR_INVALID_ARG_TYPE'],
    ['native.getauxval(-3)', () => native.getauxval(-3), 'RangeError', 'ERR_OUT_OF_RANGE'],
    ['native.setMmMap(Uint32Array)', () => native.setMmMap(new Uint32Array(4) as never), 'TypeError', 'ERR_INVALID_ARG_TYPE'],
    ['native.setMmMap(odd)', () => native.setMmMap(new BigUint64Array(3)), 'RangeError', 'ERR_OUT_OF_RANGE'],
    ['native.setMmMap(no AT_NULL)', () => native.setMmMap(new BigUint64Array([16n, 1n])), 'RangeError', 'ERR_OUT_OF_RANGE'],
    ['native.setMmMap(huge)', () => native.setMmMap(new BigUint64Array(1 << 20)), 'RangeError', 'ERR_OUT_OF_RANGE'],
    ['native.setMmAuxv()', () => (native.setMmAuxv as () => void)(), 'TypeError', 'ERR_INVALID_ARG_TYPE'],
    ['native.prctlQuery(0)', () => native.prctlQuery(0), 'RangeError', 'ERR_OUT_OF_RANGE'],
    ['native.prctlQuery(PR_SET_MM)', () => native.prctlQuery(35), 'RangeError', 'ERR_OUT_OF_RANGE'],
    ['native.prctlQuery(PR_CAPBSET_DROP)', () => native.prctlQuery(24), 'RangeError', 'ERR_OUT_OF_RANGE'],
    ['native.prctlQuery(PR_SET_PTRACER)', () => native.prctlQuery(0x59616d61), 'RangeError', 'ERR_OUT_OF_RANGE'],
    ['userHwcapEnabled({ prctlNumber: PR_CAPBSET_DROP })', () => h.userHwcapEnabled({ prctlNumber: 24 }), 'RangeError', 'ERR_OUT_OF_RANGE'],
    ['userHwcapEnabled({ prctlNumber: PR_GET_AUXV })', () => h.userHwcapEnabled({ prctlNumber: 0x41555856 }), 'RangeError', 'ERR_OUT_OF_RANGE'],
    ['atName(symbol)', () => h.atName(Symbol('s') as never), 'TypeError', 'ERR_INVALID_ARG_TYPE'],
    ['parseAuxvBytes(null)', () => h.parseAuxvBytes(null as never), 'TypeError', 'ERR_INVALID_ARG_TYPE'],
    ['wordsOf(null)', () => h.wordsOf(null as never), 'TypeError', 'ERR_INVALID_ARG_TYPE'],
    ['wordsOf([null])', () => h.wordsOf([null] as never), 'TypeError', 'ERR_INVALID_ARG_TYPE'],
    ['applyMask(entries, null)', () => h.applyMask([{ type: 16, value: 1n }], null as never), 'TypeError', 'ERR_INVALID_ARG_TYPE'],
    ['applyMask(entries, { hwcap: 5 })', () => h.applyMask([{ type: 16, value: 1n }], { hwcap: 5 as never }), 'TypeError', 'ERR_INVALID_ARG_TYPE'],
    ['applyMask(5, {})', () => h.applyMask(5 as never, {}), 'TypeError', 'ERR_INVALID_ARG_TYPE'],
    ["errnoOf('EBOGUS')", () => errs.errnoOf('EBOGUS'), 'RangeError', 'ERR_INVALID_ARG_VALUE'],
    ["errnoOf('constructor')", () => errs.errnoOf('constructor'), 'RangeError', 'ERR_INVALID_ARG_VALUE'],
    ['native.setErrorFactory(1)', () => native.setErrorFactory(1 as never), 'TypeError', 'ERR_INVALID_ARG_TYPE'],
  ];

  it.each(cases)('%s throws %s %s', (_label, fn, name, code) => {
    let err: unknown;
    try {
      fn();
    } catch (e) {
      err = e;
    }
    expect(err, 'threw').toBeInstanceOf(Error);
    expect((err as Error).name).toBe(name);
    expect((err as { code?: string }).code).toBe(code);
  });

  it('a configured prctl number never reaches the kernel when it is an assigned one', () => {
    // 24 is PR_CAPBSET_DROP: with zero arguments it would drop CAP_CHOWN from the bounding set.
    const r = runNode<{ before: string; after: string; code: string }>(`
      const bnd = () => /CapBnd:\\s*(\\w+)/.exec(require('fs').readFileSync('/proc/self/status', 'utf8'))[1];
      const before = bnd(); let code = '';
      try { h.userHwcapEnabled(); } catch (e) { code = e.code; }
      out({ before, after: bnd(), code });`, { env: { ...process.env, HWCAP_PR_USER_HWCAP_ENABLED: '24' } });
    expect(r.value.code).toBe('ERR_OUT_OF_RANGE');
    expect(r.value.after).toBe(r.value.before);
  });

  it('fromSystemError renders any value without throwing', () => {
    const e = errs.fromSystemError([Object.create(null)], 'x');
    expect(e).toBeInstanceOf(Error);
    expect(e.message).toContain('[Object: null prototype]');
  });

  it('a failed write leaves the kernel view untouched', () => {
    const before = h.readAuxv('kernel');
    expect(() => h.writeAuxv([16n, 1n])).toThrow(expect.objectContaining({ name: 'RangeError', code: 'ERR_INVALID_ARG_VALUE' }));
    expect(h.readAuxv('kernel')).toEqual(before);
  });

  it('errors name the argument', () => {
    expect(() => h.getauxval(-1)).toThrow(/"typeOrName"/);
    expect(() => h.maskHwcaps({ hwcap: 1 as never })).toThrow(/"mask\.hwcap"/);
    expect(() => h.writeAuxv([16n, 1n])).toThrow(/'entriesOrWords'.*AT_NULL/);
  });
});

describe('the /proc fallback parser', () => {
  it('parses /proc/self/auxv bytes into the kernel view', () => {
    const parsed = h.parseAuxvBytes(fs.readFileSync('/proc/self/auxv'));
    expect(parsed).toEqual(h.readAuxv('kernel'));
  });

  it('reads 8-byte words, never 32-bit pairs, and rejects a torn buffer', () => {
    const b = Buffer.alloc(32);
    b.writeBigUInt64LE(16n, 0);
    b.writeBigUInt64LE(0x1_0000_0001n, 8);
    expect(h.parseAuxvBytes(b)).toEqual([
      { type: 16, name: 'AT_HWCAP', value: 0x1_0000_0001n },
      { type: 0, name: 'AT_NULL', value: 0n },
    ]);
    expect(() => h.parseAuxvBytes(b.subarray(0, 24))).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
  });
});
