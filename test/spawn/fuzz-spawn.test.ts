// Fuzz of spawn / spawnSync / execFile / execFileSync option validation (lib/spawn/): any
// file, args and options either throw a typed error at once, or start the
// launcher for a program that does not exist and end in child_process's own
// ENOENT — never a crash, an engine TypeError or a hang. The program is always
// a path that cannot exist and `shell` is never set, so no fuzzed string runs.
import * as cp from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hwcapWords } from '../../lib';
import { FeatureSet, catalog, hostArch } from '../../lib';
import { execFile, execFileSync, spawn, spawnSync } from '../../lib';
import { counted, counter, expectTypedOrValue, isTypedError, u64, weird } from '../support/fuzz-helpers';
import { AUXV_ONLY } from '../support/mask-fixture';

const NOWHERE = '/nonexistent/hwcap-fuzz-program';
const present = hwcapWords('kernel');
const names = catalog(hostArch()).map((f) => f.name);

const hwcapsLike = fc.oneof(
  weird,
  fc.record({ hwcap: u64, hwcap2: u64, hwcap3: u64, hwcap4: u64 }, { requiredKeys: [] }),
  fc.record({ hwcap: fc.oneof(u64, weird), hwcap5: weird }, { requiredKeys: [] }),
  fc.array(fc.oneof(fc.constantFrom(...names), fc.string({ maxLength: 8 }), weird), { maxLength: 5 }),
  fc.constant(FeatureSet.current()),
  fc.constant({ words: present }),
  fc.constant({ words: null }),
);
/** A field that is usually valid, sometimes anything. */
const mostly = <T>(good: fc.Arbitrary<T>) => fc.oneof({ arbitrary: good, weight: 6 }, { arbitrary: weird, weight: 1 });
/**
 * x86-64: a valid mask keeps the baseline floor (the level 'x86-64'; its AT_HWCAP bits in words),
 * as one below it is refused at once (BelowBaselineError, lib/launcher/plan.ts).
 */
const floorNames = hostArch() === 'x86_64' ? ['x86-64'] : [];
const floorWord = hostArch() === 'x86_64' ? FeatureSet.fromNames('x86_64', floorNames).words.hwcap : 0n;
const validHwcaps = fc.oneof(
  fc.record({ hwcap: u64.map((v) => v | floorWord), hwcap2: u64 }, { requiredKeys: [] }),
  fc.subarray(names, { maxLength: 6 }).map((n) => [...floorNames, ...n]),
  fc.constant(FeatureSet.current()),
  // A carrier without CPUID words keeps none of them (syscall among them, below the floor).
  fc.constant(hostArch() === 'x86_64' ? { words: present, cpuid: FeatureSet.current().cpuid } : { words: present }),
);
const optionsLike = fc.oneof(
  {
    weight: 4,
    arbitrary: fc
      .record(
        {
          hwcaps: mostly(validHwcaps),
          mode: mostly(fc.constantFrom<unknown>('auto', 'kernel', 'ptrace')),
          follow: mostly(fc.boolean()),
          allowSecurityMasking: mostly(fc.boolean()),
          pdeathsig: mostly(fc.constantFrom<unknown>('SIGTERM', 'SIGKILL', 9, 15)),
          noNewPrivs: mostly(fc.boolean()),
          stdio: mostly(fc.constantFrom<unknown>('ignore', 'pipe', ['ignore', 'ignore', 'ignore'], ['pipe'])),
          env: fc.constant({ PATH: '/nonexistent' }),
        },
        { requiredKeys: ['hwcaps'] },
      )
      .map((o) => ({ ...o, shell: false })),
  },
  {
    weight: 1,
    arbitrary: fc
      .record(
        {
          hwcaps: hwcapsLike,
          mode: fc.oneof(fc.constantFrom<unknown>('auto', 'kernel', 'ptrace', 'PTRACE', ''), weird),
          follow: fc.oneof(fc.boolean(), weird),
          pdeathsig: fc.oneof(fc.constantFrom<unknown>('SIGTERM', 'TERM', 0, 65, 1.5), weird),
          stdio: weird,
          env: weird,
          cwd: weird,
          hwcap: weird, // near misses of hwcaps
          mask: weird,
        },
        { requiredKeys: [] },
      )
      .map((o) => ({ ...o, shell: false })),
  },
  { weight: 1, arbitrary: weird },
);
/** Cases that got past validation and started the launcher. */
let started = 0;
const argsLike = fc.oneof(fc.constant(undefined), fc.array(fc.oneof(fc.string({ maxLength: 6 }), weird), { maxLength: 3 }), weird);

/** Waits for 'close'; a child that does not close within 5 s fails the property. */
function closed(child: cp.ChildProcess): Promise<{ error?: Error; code: number | null }> {
  return new Promise((resolve, reject) => {
    let error: Error | undefined;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error('no close within 5 s'));
    }, 5_000);
    child.on('error', (e) => (error = e));
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ error, code });
    });
  });
}

describe('fuzz: spawn option validation', () => {
  it('spawn(file, args, options) throws a typed error at once, or ends in ENOENT', async () => {
    await fc.assert(
      fc.asyncProperty(argsLike, optionsLike, counted(async (args, options) => {
        const r = expectTypedOrValue('spawn', [args, options], () => spawn(NOWHERE, args as never, options as never));
        // At once: an argument check, with Node's ERR_* code; nothing was started.
        if (!r.ok) return void expect((r.err as NodeJS.ErrnoException).code).toMatch(/^ERR_/);
        started++;
        const done = await closed(r.value);
        expect(done.error, 'a program that does not exist').toBeDefined();
        expect((done.error as NodeJS.ErrnoException).code).toBe('ENOENT');
      })),
      { numRuns: 400 },
    );
  }, 120_000);

  it('spawnSync(file, args, options) throws a typed error at once, or returns the ENOENT of a missing program', () => {
    fc.assert(
      fc.property(argsLike, optionsLike, counted((args, options) => {
        const r = expectTypedOrValue('spawnSync', [args, options], () => spawnSync(NOWHERE, args as never, { ...(typeof options === 'object' ? options : {}), timeout: 5_000 } as never));
        // At once: an argument check, with Node's ERR_* code; nothing was started.
        if (!r.ok) return void expect((r.err as NodeJS.ErrnoException).code).toMatch(/^ERR_/);
        started++;
        expect(r.value.error).toBeDefined();
        expect((r.value.error as NodeJS.ErrnoException).code).toBe('ENOENT');
      })),
      { numRuns: 400 },
    );
  }, 120_000);

  it('execFile(file, args, options, callback) throws a typed error at once, or calls back with ENOENT', async () => {
    await fc.assert(
      fc.asyncProperty(argsLike, optionsLike, counted(async (args, options) => {
        let cb: ((e: Error | null) => void) | undefined;
        const called = new Promise<Error | null>((resolve) => (cb = resolve));
        const r = expectTypedOrValue('execFile', [args, options], () => execFile(NOWHERE, args as never, options as never, (e) => cb!(e)));
        // At once: an argument check, with Node's ERR_* code; nothing was started.
        if (!r.ok) return void expect((r.err as NodeJS.ErrnoException).code).toMatch(/^ERR_/);
        started++;
        const e = await Promise.race([called, new Promise<'hang'>((res) => setTimeout(() => res('hang'), 5_000))]);
        expect(e).not.toBe('hang');
        expect((e as NodeJS.ErrnoException).code).toBe('ENOENT');
      })),
      { numRuns: 200 },
    );
  }, 120_000);

  it('execFileSync(file, args, options) always throws a typed error: at once, or the ENOENT of a missing program', () => {
    fc.assert(
      fc.property(argsLike, optionsLike, counted((args, options) => {
        const opts = typeof options === 'object' && options !== null && !Array.isArray(options) ? { ...options, timeout: 5_000 } : options;
        let thrown: unknown;
        try {
          execFileSync(NOWHERE, args as never, opts as never);
        } catch (e) {
          thrown = e;
        }
        expect(thrown, 'a program that does not exist cannot succeed').toBeDefined();
        expect(isTypedError(thrown), String(thrown)).toBe(true);
        // At once: an argument check (ERR_*); past the checks: the missing program's ENOENT.
        const code = (thrown as { code: string }).code;
        expect(code === 'ENOENT' || code.startsWith('ERR_'), code).toBe(true);
        if (code === 'ENOENT') started++;
      })),
      { numRuns: 300 },
    );
  }, 120_000);

  it('the file argument: anything but a usable path is a typed error', () => {
    // A real name (a non-empty string without NUL) would be run: only the others are given here.
    const unusable = (file: unknown) => !(typeof file === 'string' && file !== '' && !file.includes('\0'));
    fc.assert(
      fc.property(fc.oneof(weird.filter(unusable), fc.constantFrom('', 'a\0b')), counted((file) => {
        const r = expectTypedOrValue('spawn', file, () => spawn(file as never, [], { hwcaps: { hwcap2: 0n }, ...AUXV_ONLY }));
        expect(r.ok).toBe(false);
        // Node's own codes: not a string is ERR_INVALID_ARG_TYPE, '' or a NUL byte ERR_INVALID_ARG_VALUE.
        if (!r.ok) expect((r.err as NodeJS.ErrnoException).code).toBe(typeof file === 'string' ? 'ERR_INVALID_ARG_VALUE' : 'ERR_INVALID_ARG_TYPE');
      })),
      { numRuns: 300 },
    );
  });

  it('ran at least 1,000 cases in this file, a fifth of them past validation', () => {
    expect(counter.cases).toBeGreaterThanOrEqual(1_000);
    expect(started).toBeGreaterThanOrEqual(200);
    process.stdout.write(`fuzz-spawn.test.ts: ${counter.cases} cases, ${started} started the launcher\n`);
  });
});
