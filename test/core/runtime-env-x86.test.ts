// mergeRuntimeEnv against the real runtimes of this x86-64 node: a user's own OPENSSL_ia32cap and
// GLIBC_TUNABLES merged with runtimeEnv's knobs keep the user's features off and turn ours off
// too (AND only). The CPU differs between machines: every feature used is read from this one.
import * as cp from 'node:child_process';
import * as fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { which } from '../support/helpers';
import { FeatureSet, catalog, hostArch, mergeRuntimeEnv, runtimeEnv, type CpuidWordName } from '../../lib';
import { glibcWords } from '../support/glibc-diagnostics';
import { RUNTIME_KNOBS } from '../../lib/core/tables/runtime-knobs';

const isX86 = hostArch() === 'x86_64';
const LDSO = '/lib64/ld-linux-x86-64.so.2';
const clean = (env: Record<string, string | undefined>) => Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined)) as NodeJS.ProcessEnv;
const base = clean({ ...process.env, OPENSSL_ia32cap: undefined, GLIBC_TUNABLES: undefined });
const run = (cmd: string, args: string[], env: Record<string, string | undefined>) => cp.spawnSync(cmd, args, { encoding: 'utf8', env: clean(env) });
const knob = (runtime: string) => RUNTIME_KNOBS.find((k) => k.runtime === runtime)!;

const openssl = isX86 ? which('openssl') : undefined;
const opensslInfo = openssl ? run(openssl, ['info', '-cpusettings'], base) : undefined;
const hasOpensslInfo = opensslInfo?.status === 0 && /OPENSSL_ia32cap=0x/.test(opensslInfo.stdout);

describe.skipIf(!hasOpensslInfo)('mergeRuntimeEnv against OpenSSL (skipped: no openssl 3 with `info -cpusettings`)', () => {
  const vectors = (out: string): [bigint, bigint] => {
    const m = /OPENSSL_ia32cap=0x([0-9a-f]+):0x([0-9a-f]+)/.exec(out)!;
    return [BigInt(`0x${m[1]}`), BigInt(`0x${m[2]}`)];
  };
  const here = FeatureSet.current();
  const [d1, d2] = vectors(opensslInfo?.stdout ?? 'OPENSSL_ia32cap=0x0:0x0');
  // The knob's features this CPU has and OpenSSL sees (bit set in its vector); fxsr is left out,
  // as clearing it makes OpenSSL clear other bits too.
  const places = Object.entries(knob('openssl').names)
    .filter(([n]) => here.has(n) && n !== 'fxsr')
    .map(([n, [p]]) => {
      const [v, bit] = p!.split(':');
      return { name: n, vec: v === 'v1' ? 0 : 1, bit: 1n << BigInt(bit!) };
    })
    .filter((p) => ((p.vec === 0 ? d1 : d2) & p.bit) !== 0n);
  const inV1 = places.filter((p) => p.vec === 0);
  const inV2 = places.filter((p) => p.vec === 1);

  it("the user's cleared bits stay cleared and ours are cleared too (~X:~X merged with ~Y:~Y)", () => {
    expect(inV1.length).toBeGreaterThanOrEqual(2);
    expect(inV2.length).toBeGreaterThanOrEqual(2);
    const user = [inV1[0]!, inV2[0]!];
    const ours = [inV1.at(-1)!, inV2.at(-1)!];
    const userValue = `~0x${user[0]!.bit.toString(16)}:~0x${user[1]!.bit.toString(16)}`;
    const knobs = runtimeEnv(here.without(ours.map((p) => p.name)), { relativeTo: here });
    const env = mergeRuntimeEnv({ ...base, OPENSSL_ia32cap: userValue }, knobs);
    const [m1, m2] = vectors(run(openssl!, ['info', '-cpusettings'], env).stdout);
    for (const p of [...user, ...ours]) expect(((p.vec === 0 ? m1 : m2) & p.bit) === 0n, `${p.name} under ${env.OPENSSL_ia32cap}`).toBe(true);
    // nothing else changed: the merged value is the user's and ours, ANDed
    const [k1, k2] = vectors(run(openssl!, ['info', '-cpusettings'], { ...base, OPENSSL_ia32cap: knobs.OPENSSL_ia32cap }).stdout);
    expect(m1).toBe(k1 & ~user[0]!.bit);
    expect(m2).toBe(k2 & ~user[1]!.bit);
  });

  it("a bare vector of the user's loses our bits; a missing second part stays 0", () => {
    const ours = [inV1.at(-1)!, inV2.at(-1)!];
    const knobs = runtimeEnv(here.without(ours.map((p) => p.name)), { relativeTo: here });
    const env = mergeRuntimeEnv({ ...base, OPENSSL_ia32cap: `0x${d1.toString(16)}:0x${d2.toString(16)}` }, knobs);
    const [m1, m2] = vectors(run(openssl!, ['info', '-cpusettings'], env).stdout);
    expect(m1).toBe(d1 & ~ours[0]!.bit);
    expect(m2).toBe(d2 & ~ours[1]!.bit);
    const [n1, n2] = vectors(run(openssl!, ['info', '-cpusettings'], mergeRuntimeEnv({ ...base, OPENSSL_ia32cap: '~0x0' }, knobs)).stdout);
    expect(n1).toBe(d1 & ~ours[0]!.bit);
    expect(n2).toBe(0n);
  });
});

const diagnostics = isX86 && fs.existsSync(LDSO) ? run(LDSO, ['--list-diagnostics'], base) : undefined;
const hasDiagnostics = diagnostics?.status === 0 && /x86\.cpu_features\.features\[0x0\]\.cpuid\[0x0\]/.test(diagnostics.stdout);

describe.skipIf(!hasDiagnostics)(`mergeRuntimeEnv against glibc${hasDiagnostics ? '' : ' (skipped: not x86-64 or glibc before 2.33)'}`, () => {
  const glibc = knob('glibc');
  const before = glibcWords(diagnostics?.stdout ?? '', 'active');
  const activeBit = (words: Partial<Record<CpuidWordName, number>>, name: string) => {
    const r = catalog('x86_64').find((x) => x.name === name)!;
    const word = r.word === 'AT_HWCAP' ? 'CPUID.1:EDX' : (r.word as CpuidWordName);
    return ((words[word] ?? 0) >>> r.bit) & 1;
  };

  it("a user's glibc.cpu.hwcaps entry and ours: both features inactive, the user's other tunables kept", () => {
    const here = FeatureSet.current();
    // Two features glibc has active here, neither a protection nor one the other implies.
    const active = Object.keys(glibc.names).filter((n) => activeBit(before, n) && !['ibt', 'user_shstk', 'osxsave', 'xsave', 'avx', 'avx512f', 'sse2', 'cmov', 'cx8'].includes(n));
    const user = ['avx512bw', 'avx2', 'sse4_2'].find((n) => active.includes(n)) ?? active[0]!;
    const ours = ['bmi2', 'movbe', 'popcnt', 'erms'].find((n) => active.includes(n) && n !== user) ?? active.find((n) => n !== user)!;
    expect(user && ours).toBeTruthy();
    const userValue = `glibc.cpu.hwcaps=-${glibc.names[user]![0]}:glibc.malloc.perturb=0`;
    const knobs = runtimeEnv(here.without([ours]), { relativeTo: here });
    const env = mergeRuntimeEnv({ ...base, GLIBC_TUNABLES: userValue }, knobs);
    expect(env.GLIBC_TUNABLES).toBe(`glibc.cpu.hwcaps=-${glibc.names[user]![0]},-${glibc.names[ours]![0]}:glibc.malloc.perturb=0`);
    const after = glibcWords(run(LDSO, ['--list-diagnostics'], env).stdout, 'active');
    expect(activeBit(after, user), `${user} under ${env.GLIBC_TUNABLES}`).toBe(0);
    expect(activeBit(after, ours), `${ours} under ${env.GLIBC_TUNABLES}`).toBe(0);
  });
});
