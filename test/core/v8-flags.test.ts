// v8Flags(set): V8's --no-enable-X flags for the features a set lacks, as data and against this
// node: every flag is one this node takes, and V8 drops the feature (the CPU feature line that
// `node --v8-options` prints first is V8's CpuFeatures after its flags, read at start-up by
// CpuFeatures::ProbeImpl and printed by FlagList::PrintHelp).
import * as cp from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { expectCode } from '../support/helpers';
import { FeatureSet, catalog, hostArch, v8Flags } from '../../lib';
import { V8_FLAG_NAMES } from '../../lib/core/tables/runtime-knobs';
import { v8FeatureLine } from '../support/v8-features';

const v4 = FeatureSet.fromNames('x86_64', ['x86-64-v4', 'aes', 'pclmulqdq', 'sha_ni', 'vaes', 'vpclmulqdq', 'ibt', 'user_shstk']);
const ALL = ['sse3', 'ssse3', 'sse4-1', 'sse4-2', 'sahf', 'avx', 'avx2', 'fma3', 'bmi1', 'bmi2', 'lzcnt', 'popcnt'].map((f) => `--no-enable-${f}`);

describe('v8Flags', () => {
  it('every entry names a catalogue row', () => {
    const names = new Set(catalog('x86_64').map((r) => r.name));
    for (const n of Object.keys(V8_FLAG_NAMES)) expect(names.has(n), n).toBe(true);
  });

  it('a set at x86-64-v2 relative to a v4 node: the v3 features, in V8 order', () => {
    expect(v8Flags(v4.without(['x86-64-v3']), { relativeTo: v4 })).toEqual(['--no-enable-avx', '--no-enable-avx2', '--no-enable-fma3', '--no-enable-bmi1', '--no-enable-bmi2', '--no-enable-lzcnt']);
  });

  it('each hwcap name maps to its V8 flag', () => {
    const expected: Record<string, string[]> = {
      pni: ['--no-enable-sse3'], ssse3: ['--no-enable-ssse3'], sse4_1: ['--no-enable-sse4-1'], sse4_2: ['--no-enable-sse4-2'],
      lahf_lm: ['--no-enable-sahf'], avx: ['--no-enable-avx'], avx2: ['--no-enable-avx2'],
      fma: ['--no-enable-fma3'], bmi1: ['--no-enable-bmi1'], bmi2: ['--no-enable-bmi2'], abm: ['--no-enable-lzcnt'], popcnt: ['--no-enable-popcnt'],
    };
    // The name alone gone (without() also drops what implies it: pni takes ssse3, sse4_1 … with it).
    const lacking = (name: string) => FeatureSet.fromNames('x86_64', v4.names().filter((n) => n !== name));
    for (const [name, flags] of Object.entries(expected)) expect(v8Flags(lacking(name), { relativeTo: v4 }), name).toEqual(flags);
    // Through without(): the flags of the name and of everything that implies it.
    expect(v8Flags(v4.without(['avx']), { relativeTo: v4 })).toEqual(['--no-enable-avx', '--no-enable-avx2', '--no-enable-fma3']);
    // A set that lacks OSXSAVE alone (say, from words): V8 would not use AVX (it needs OSXSAVE to read XCR0).
    const noOsxsave = FeatureSet.fromNames('x86_64', v4.names().filter((n) => n !== 'osxsave'));
    expect(noOsxsave.has('avx')).toBe(true);
    expect(v8Flags(noOsxsave, { relativeTo: v4 })).toEqual(['--no-enable-avx']);
    // A feature V8 has no flag for: nothing.
    expect(v8Flags(v4.without(['aes', 'avx512f']), { relativeTo: v4 })).toEqual([]);
  });

  it('without relativeTo, every flag for what the set lacks; with it, only what the other has', () => {
    expect(v8Flags(FeatureSet.fromNames('x86_64', ['x86-64']))).toEqual(ALL);
    expect(v8Flags(v4)).toEqual([]);
    expect(v8Flags(v4, { relativeTo: v4 })).toEqual([]);
    const noAvx2 = v4.without(['avx2']);
    expect(v8Flags(noAvx2, { relativeTo: v4 })).toEqual(['--no-enable-avx2']);
    // relativeTo lacks it too: nothing to say.
    expect(v8Flags(noAvx2, { relativeTo: noAvx2 })).toEqual([]);
    expect(v8Flags(FeatureSet.fromNames('x86_64', ['x86-64']), { relativeTo: v4.without(['x86-64-v3']) })).toEqual(ALL.slice(0, 5).concat('--no-enable-popcnt'));
    // None of V8's features is a protection: allowSecurityMasking changes nothing.
    expect(v8Flags(noAvx2, { relativeTo: v4, allowSecurityMasking: true })).toEqual(['--no-enable-avx2']);
  });

  it('empty off x86-64; bad arguments are typed errors', () => {
    expect(v8Flags(FeatureSet.fromNames('arm64', ['fp']))).toEqual([]);
    expect(v8Flags(FeatureSet.fromNames('arm64', []), { relativeTo: FeatureSet.fromNames('arm64', ['fp', 'asimd']) })).toEqual([]);
    expectCode(() => v8Flags({} as never), TypeError, 'ERR_INVALID_ARG_TYPE');
    expectCode(() => v8Flags(v4, null as never), TypeError, 'ERR_INVALID_ARG_TYPE');
    expectCode(() => v8Flags(v4, { relativeTo: {} as never }), TypeError, 'ERR_INVALID_ARG_TYPE');
    expectCode(() => v8Flags(v4, { relativeTo: FeatureSet.fromNames('arm64', []) }), TypeError, 'ERR_INVALID_ARG_TYPE');
    expectCode(() => v8Flags(v4, { allowSecurityMasking: 'yes' as never }), TypeError, 'ERR_INVALID_ARG_TYPE');
  });
});

const isX86 = hostArch() === 'x86_64';
const node = (args: string[]) => cp.spawnSync(process.execPath, args, { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } });
/** V8's CPU features after its flags, from the line `node --v8-options` prints first (SSE3=1 …). */
const v8Features = (flags: string[]): Record<string, number> | undefined => {
  const r = node([...flags, '--v8-options']);
  return r.status === 0 ? v8FeatureLine(r.stdout) : undefined;
};
const baseline = isX86 ? v8Features([]) : undefined;
/** V8's feature name for a flag: sse4-1 → SSE4_1. */
const featureOf = (flag: string) => flag.toUpperCase().replace(/-/g, '_');

describe.skipIf(!isX86)('v8Flags against this node (x86-64 only)', () => {
  const flags = [...new Set(Object.values(V8_FLAG_NAMES).flat())];

  it('every flag of the table is one this V8 lists', () => {
    const options = node(['--v8-options']).stdout;
    for (const f of flags) expect(options, f).toMatch(new RegExp(`^  --enable-${f} \\(`, 'm'));
  });

  it('every flag v8Flags produces runs node without a warning', () => {
    const produced = v8Flags(FeatureSet.fromNames('x86_64', ['x86-64']));
    expect(produced).toEqual(flags.map((f) => `--no-enable-${f}`));
    for (const f of produced) {
      const r = node([f, '-e', '0']);
      expect({ f, status: r.status, stderr: r.stderr }).toEqual({ f, status: 0, stderr: '' });
    }
    // All at once, as fork and hwcap exec pass them.
    const r = node([...produced, '-p', 'process.execArgv.slice(0, -2).join(" ")']);
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe(produced.join(' '));
  });

  it.skipIf(!baseline)('V8 drops each feature this CPU has when its flag says so (V8 prints no CPU feature line otherwise)', () => {
    const here = FeatureSet.current();
    let checked = 0;
    for (const [name, vflags] of Object.entries(V8_FLAG_NAMES)) {
      if (!here.has(name)) continue;
      const feature = featureOf(vflags[0]!);
      // V8 already leaves it unused here (say, its own dependency check): nothing to observe.
      if (baseline![feature] !== 1) continue;
      const produced = v8Flags(here.without([name]), { relativeTo: here });
      expect(produced, name).toContain(`--no-enable-${vflags[0]}`);
      const after = v8Features(produced);
      expect(after?.[feature], `${name}: ${produced.join(' ')}`).toBe(0);
      checked++;
    }
    // This CPU had at least one feature V8 uses (every x86-64 CPU V8 runs on has some, e.g. SSE3).
    expect(checked).toBeGreaterThan(0);
  });

  it.skipIf(!baseline)('a flag of the same name later on the command line wins: ours must come last (V8 prints no CPU feature line otherwise)', () => {
    const feature = Object.entries(baseline!).find(([k, v]) => v === 1 && k !== 'ATOM')?.[0];
    expect(feature).toBeDefined();
    const flag = feature!.toLowerCase().replace(/_/g, '-');
    expect(v8Features([`--enable-${flag}`, `--no-enable-${flag}`])?.[feature!]).toBe(0);
    expect(v8Features([`--no-enable-${flag}`, `--enable-${flag}`])?.[feature!]).toBe(1);
  });
});
