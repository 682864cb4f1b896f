// Shared pieces of the fuzz and property tests: the "typed error" rule, value
// generators that reach the odd corners of JavaScript, and a case counter.
import fc from 'fast-check';

/**
 * A fixed seed by default, so that `npm test` is reproducible; HWCAP_FUZZ_SEED=<n>
 * picks another, HWCAP_FUZZ_SEED=random a fresh one per run (printed on failure).
 */
const seedEnv = process.env.HWCAP_FUZZ_SEED;
if (seedEnv !== 'random') fc.configureGlobal({ seed: seedEnv ? Number(seedEnv) : 0x5eed });

/** A typed error: an Error carrying a string `code` (ERR_* from the argument checks, EPERM … from HwcapError). */
export function isTypedError(err: unknown): boolean {
  const code = err instanceof Error ? (err as { code?: unknown }).code : undefined;
  return typeof code === 'string' && code.length > 0;
}

function describeValue(v: unknown): string {
  try {
    if (typeof v === 'bigint') return `${v}n`;
    if (typeof v === 'symbol') return v.toString();
    return JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? `${x}n` : x))?.slice(0, 200) ?? String(v);
  } catch {
    return Object.prototype.toString.call(v);
  }
}

/**
 * Calls fn; returns its value, or undefined when it threw a typed error.
 * Anything else that comes out (an engine TypeError, a thrown string …) fails
 * the property with the input that caused it.
 */
export function expectTypedOrValue<T>(label: string, input: unknown, fn: () => T): { ok: true; value: T } | { ok: false; err: Error } {
  try {
    return { ok: true, value: fn() };
  } catch (err) {
    if (isTypedError(err)) return { ok: false, err: err as Error };
    const e = err as Error;
    throw new Error(`${label}(${describeValue(input)}) threw an untyped ${e?.name ?? typeof err}: ${e?.message ?? String(err)}`, { cause: err });
  }
}

/**
 * Calls fn, which must throw a typed error with exactly this code: a regression test of an input
 * that once came out untyped. A value returned, an untyped error or another code fails.
 */
export function expectTypedCode(label: string, input: unknown, fn: () => unknown, code: string): Error {
  let value: unknown;
  try {
    value = fn();
  } catch (err) {
    const got = err instanceof Error ? (err as { code?: unknown }).code : undefined;
    if (got !== code) throw new Error(`${label}(${describeValue(input)}) threw ${err instanceof Error ? `${err.name} code ${String(got)}` : typeof err}, not ${code}: ${(err as Error)?.message ?? String(err)}`, { cause: err });
    return err as Error;
  }
  throw new Error(`${label}(${describeValue(input)}) returned ${describeValue(value)} instead of throwing ${code}`);
}

/**
 * HWCAP_FUZZ_SCALE (default 1) scales every run count. StrykerJS runs the core's tests once per
 * mutant, at 0.1 (test/core/vitest.stryker.config.mts); `npm test` runs them in full.
 */
const scaleEnv = Number(process.env.HWCAP_FUZZ_SCALE ?? '1');
export const FUZZ_SCALE = Number.isFinite(scaleEnv) && scaleEnv > 0 ? Math.min(scaleEnv, 1) : 1;
export const runs = (n: number): number => Math.max(5, Math.round(n * FUZZ_SCALE));

export const u64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });

/** Values no caller should pass, and some that a caller might by mistake. */
export const weird: fc.Arbitrary<unknown> = fc.oneof(
  { withCrossShrink: true },
  fc.anything({
    withBigInt: true,
    withBoxedValues: true,
    withMap: true,
    withSet: true,
    withTypedArray: true,
    withSparseArray: true,
    withNullPrototype: true,
    withDate: true,
    withObjectString: true,
  }),
  fc.constantFrom<unknown>(
    NaN, Infinity, -Infinity, -0, 2 ** 53, 2 ** 32, 2 ** 31, -1, 1.5, Number.MAX_VALUE, Number.MIN_VALUE,
    Symbol('s'), () => 1, null, undefined, '', ' ', 'AT_HWCAP2', 'hwcap2', 'process', 'kernel', 'libc', 'auto', 'map', 'auxv',
    '__proto__', 'constructor', 'toString', 16n, -1n, 1n << 64n, 1n << 63n, [], [0n, 0n], [[]], {}, { type: 0, value: 0n },
    new Uint8Array(16), Buffer.alloc(32), new ArrayBuffer(16), new DataView(new ArrayBuffer(16)), new Uint32Array(4),
    new BigInt64Array([-1n, 0n]), new Float64Array([NaN]), Object.create(null), new Map([[1, 2]]), new Set([1]), new Date(NaN), /x/,
    new Error('e'), Promise.resolve(1), new WeakMap(),
  ),
  fc.integer({ min: -5, max: 100 }),
  fc.double(),
  fc.string(),
  u64,
);

/** Counts every case run, so that the suite can show that it ran at least 10,000. */
export const counter = { cases: 0 };
export function counted<A extends unknown[], R>(fn: (...a: A) => R): (...a: A) => R {
  return (...a: A) => {
    counter.cases++;
    return fn(...a);
  };
}
