// The spawn family's runtimeEnv option with real children: the knobs for what hwcaps removes
// from this CPU reach the child merged with options.env (or process.env), AND only; without the
// option nothing is added; a bad value is a typed error. x86-64 only (elsewhere there are none).
import * as cp from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FeatureSet, execFileSync, fork, hostArch, runtimeEnv, spawn, spawnSync, v8Flags } from '../../lib';
import { V8_FLAG_NAMES } from '../../lib/core/tables/runtime-knobs';
import type { ForkOptions } from '../../lib/spawn/options';
import { canPtrace, ptraceSkip } from '../support/mask-fixture';
import { expectCode, which } from '../support/helpers';

const isX86 = hostArch() === 'x86_64';
const here = FeatureSet.current();
// A feature this CPU has that every knob covers (glibc, OpenSSL, Go, .NET).
const drop = ['avx2', 'bmi2', 'aes', 'sse4_1'].find((n) => here.has(n));
const set = drop ? here.without([drop]) : here;
const knobs = runtimeEnv(set, { relativeTo: here });
const clean = (env: Record<string, string | undefined>) => Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined)) as NodeJS.ProcessEnv;
const userEnv = clean({ ...process.env, GLIBC_TUNABLES: 'glibc.malloc.perturb=0', GODEBUG: 'madvdontneed=1', OPENSSL_ia32cap: undefined, NPY_DISABLE_CPU_FEATURES: 'AVX512F', DOTNET_EnableAVX2: '1', HWCAP_USER: 'kept' });
const envOf = (out: string) => new Map(out.split('\n').filter(Boolean).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)] as [string, string]));
const opensslInfo = isX86 && which('openssl') ? cp.spawnSync('openssl', ['info', '-cpusettings'], { encoding: 'utf8', env: clean({ ...process.env, OPENSSL_ia32cap: undefined }) }) : undefined;
const hasOpensslInfo = opensslInfo?.status === 0 && /OPENSSL_ia32cap=0x/.test(opensslInfo.stdout);
const vectors = (out: string): [bigint, bigint] => {
  const m = /OPENSSL_ia32cap=0x([0-9a-f]+):0x([0-9a-f]+)/.exec(out)!;
  return [BigInt(`0x${m[1]}`), BigInt(`0x${m[2]}`)];
};

describe.skipIf(!isX86 || !drop || !canPtrace)(`spawn option runtimeEnv (skipped unless x86-64 with avx2, bmi2, aes or sse4_1 and ptrace${ptraceSkip})`, () => {
  it('spawnSync env: the knobs merged with options.env; the user\'s other settings kept', () => {
    const r = spawnSync('env', [], { encoding: 'utf8', hwcaps: set, auxvOnly: true, runtimeEnv: true, env: userEnv });
    expect(r.status, String(r.stderr)).toBe(0);
    const env = envOf(r.stdout as string);
    expect(Object.keys(knobs)).toEqual(expect.arrayContaining(['GLIBC_TUNABLES', 'OPENSSL_ia32cap', 'GODEBUG']));
    expect(env.get('GLIBC_TUNABLES')).toBe(`glibc.malloc.perturb=0:${knobs.GLIBC_TUNABLES}`);
    expect(env.get('GODEBUG')).toBe(`madvdontneed=1,${knobs.GODEBUG}`);
    expect(env.get('OPENSSL_ia32cap')).toBe(knobs.OPENSSL_ia32cap);
    expect(env.get('NPY_DISABLE_CPU_FEATURES')!.split(' ')).toEqual(['AVX512F', ...knobs.NPY_DISABLE_CPU_FEATURES!.split(' ').filter((n) => n !== 'AVX512F')]);
    for (const [k, v] of Object.entries(knobs).filter(([k]) => k.startsWith('DOTNET_'))) expect(env.get(k), k).toBe(v);
    expect(env.get('HWCAP_USER')).toBe('kept');
  });

  it('without runtimeEnv (or with false) nothing is added', () => {
    for (const opt of [{}, { runtimeEnv: false }]) {
      const r = spawnSync('env', [], { encoding: 'utf8', hwcaps: set, auxvOnly: true, env: userEnv, ...opt });
      const env = envOf(r.stdout as string);
      expect(env.get('GLIBC_TUNABLES')).toBe('glibc.malloc.perturb=0');
      expect(env.get('GODEBUG')).toBe('madvdontneed=1');
      expect(env.has('OPENSSL_ia32cap')).toBe(false);
    }
  });

  it('without options.env the knobs are merged into process.env; every form of hwcaps says the same', async () => {
    const saved = process.env.GODEBUG;
    process.env.GODEBUG = 'madvdontneed=1';
    try {
      const forms = [set, set.names(), { words: set.words, cpuid: set.cpuid }];
      for (const hwcaps of forms) {
        const out = execFileSync('env', [], { encoding: 'utf8', hwcaps, auxvOnly: true, runtimeEnv: true }) as string;
        expect(envOf(out).get('GODEBUG'), JSON.stringify(hwcaps, (_, v) => (typeof v === 'bigint' ? String(v) : v)).slice(0, 80)).toBe(`madvdontneed=1,${knobs.GODEBUG}`);
      }
      const child = spawn('env', [], { hwcaps: set, auxvOnly: true, runtimeEnv: true });
      let text = '';
      child.stdout!.on('data', (c: Buffer) => (text += c.toString()));
      const code = await new Promise((resolve) => child.on('close', resolve));
      expect(code).toBe(0);
      expect(envOf(text).get('GLIBC_TUNABLES')).toBe(knobs.GLIBC_TUNABLES);
    } finally {
      if (saved === undefined) delete process.env.GODEBUG;
      else process.env.GODEBUG = saved;
    }
  });

  it('words of bits to keep: the knobs for the auxv bits they remove (sse2, CPUID.1:EDX bit 26), nothing else', () => {
    const words = { hwcap: here.words.hwcap & ~(1n << 26n) };
    const r = spawnSync('env', [], { encoding: 'utf8', hwcaps: words, auxvOnly: true, runtimeEnv: true, env: userEnv });
    expect(r.status, String(r.stderr)).toBe(0);
    const env = envOf(r.stdout as string);
    expect(env.get('GLIBC_TUNABLES')).toBe('glibc.malloc.perturb=0:glibc.cpu.hwcaps=-SSE2');
    expect(env.get('OPENSSL_ia32cap')).toBe('~0x4000000:~0x0');
    expect(env.get('GODEBUG')).toBe('madvdontneed=1');
  });

  it.skipIf(!hasOpensslInfo)("openssl info -cpusettings in the child: the user's cleared bits and ours (skipped: no openssl 3 with `info -cpusettings`)", () => {
    const [d1, d2] = vectors(opensslInfo!.stdout);
    // the user clears the lowest bit of each of OpenSSL's vectors (bit 10 of the first is OpenSSL's own flag)
    const low = (v: bigint) => v & -v;
    const u1 = low(d1 & ~0x400n);
    const u2 = low(d2);
    const r = spawnSync('openssl', ['info', '-cpusettings'], { encoding: 'utf8', hwcaps: set, auxvOnly: true, runtimeEnv: true, env: { ...userEnv, OPENSSL_ia32cap: `~0x${u1.toString(16)}:~0x${u2.toString(16)}` } });
    expect(r.status, String(r.stderr)).toBe(0);
    const [m1, m2] = vectors(r.stdout as string);
    const [k1, k2] = vectors(cp.spawnSync('openssl', ['info', '-cpusettings'], { encoding: 'utf8', env: { ...userEnv, OPENSSL_ia32cap: knobs.OPENSSL_ia32cap } }).stdout);
    expect([k1, k2]).not.toEqual([d1, d2]); // ours clear something
    expect(m1).toBe(k1 & ~u1);
    expect(m2).toBe(k2 & ~u2);
  });

  it("a user's OPENSSL_ia32cap the merge refuses is a typed error before anything runs", () => {
    const e = expectCode(() => spawnSync('env', [], { hwcaps: set, auxvOnly: true, runtimeEnv: true, env: { ...userEnv, OPENSSL_ia32cap: 'avx2' } }), RangeError, 'ERR_INVALID_ARG_VALUE');
    expect(e.message).toContain('OPENSSL_ia32cap');
  });
});

describe('spawn option runtimeEnv: a bad value', () => {
  it('a non-boolean is ERR_INVALID_ARG_TYPE naming options.runtimeEnv, with or without hwcaps', () => {
    for (const v of ['yes', 1, null, {}]) {
      expect(expectCode(() => spawnSync('true', [], { hwcaps: here, runtimeEnv: v as never }), TypeError, 'ERR_INVALID_ARG_TYPE').message).toContain('options.runtimeEnv');
      expect(expectCode(() => spawn('true', [], { runtimeEnv: v as never }), TypeError, 'ERR_INVALID_ARG_TYPE').message).toContain('options.runtimeEnv');
    }
  });

  it('near misses name it', () => {
    for (const k of ['runtimeenv', 'knobs']) {
      expect(expectCode(() => spawnSync('true', [], { [k]: true } as never), RangeError, 'ERR_INVALID_ARG_VALUE').message).toContain('options.runtimeEnv');
    }
  });
});

// fork: V8's flags (v8Flags) for what hwcaps removes join the child's execArgv, after the
// caller's, so that V8 (which takes a flag's last setting) never turns one back on.
const v8Drop = ['avx2', 'sse4_2', 'popcnt', 'bmi2'].find((n) => here.has(n) && V8_FLAG_NAMES[n]);
const v8Set = v8Drop ? here.without([v8Drop]) : here;
const v8Want = v8Flags(v8Set, { relativeTo: here });
/** fork a module that sends its process.execArgv back, and wait for it to exit. */
async function forkedExecArgv(options: ForkOptions): Promise<string[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hwcap-v8-'));
  const mod = path.join(dir, 'argv.js');
  fs.writeFileSync(mod, "process.send(process.execArgv, () => process.disconnect());\n");
  try {
    const child = fork(mod, [], options);
    const reply = new Promise<string[]>((resolve) => child.once('message', (m) => resolve(m as string[])));
    const exited = new Promise<[number | null, string | null]>((resolve) => child.on('exit', (c, sig) => resolve([c, sig])));
    const argv = await reply;
    expect(await exited).toEqual([0, null]);
    return argv;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe.skipIf(!isX86 || !v8Drop || !canPtrace)(`fork option runtimeEnv: V8's flags (skipped unless x86-64 with avx2, sse4_2, popcnt or bmi2 and ptrace${ptraceSkip})`, () => {
  it("the flags follow the caller's execArgv, and a caller's --enable-X earlier does not win", async () => {
    const flag = V8_FLAG_NAMES[v8Drop!]![0]!;
    expect(v8Want).toContain(`--no-enable-${flag}`);
    const execArgv = ['--stack-size=1000', `--enable-${flag}`];
    const argv = await forkedExecArgv({ hwcaps: v8Set, auxvOnly: true, runtimeEnv: true, execArgv });
    expect(argv).toEqual([...execArgv, ...v8Want]);
    // V8 with that command line leaves the feature unused (its CPU feature line, see test/core/v8-flags.test.ts).
    const line = cp.spawnSync(process.execPath, [...argv, '--v8-options'], { encoding: 'utf8' }).stdout.split('\n')[0]!;
    const feature = flag.toUpperCase().replace(/-/g, '_');
    if (/^(?:\w+=\d+ ?)+$/.test(line)) expect(line.split(' ')).toContain(`${feature}=0`);
  });

  it("without options.execArgv the flags follow the parent's process.execArgv", async () => {
    const argv = await forkedExecArgv({ hwcaps: v8Set, auxvOnly: true, runtimeEnv: true });
    expect(argv).toEqual([...process.execArgv, ...v8Want]);
  });

  it('without runtimeEnv (or with false), or with nothing removed, no flag is added', async () => {
    for (const opt of [{}, { runtimeEnv: false }]) {
      expect(await forkedExecArgv({ hwcaps: v8Set, auxvOnly: true, execArgv: ['--stack-size=1000'], ...opt })).toEqual(['--stack-size=1000']);
    }
    expect(await forkedExecArgv({ hwcaps: here, auxvOnly: true, runtimeEnv: true, execArgv: ['--stack-size=1000'] })).toEqual(['--stack-size=1000']);
  });

  it('a bad hwcaps with runtimeEnv is the same typed error as without', () => {
    for (const runtimeEnv of [true, false]) {
      expectCode(() => fork('x.js', [], { hwcaps: 42 as never, runtimeEnv }), TypeError, 'ERR_INVALID_ARG_TYPE');
      expectCode(() => fork('x.js', [], { hwcaps: FeatureSet.fromNames('arm64', ['fp']), runtimeEnv }), RangeError, 'ERR_INVALID_ARG_VALUE');
    }
  });
});
