// This x86-64 node against the oracles: /proc/cpuinfo flags, the `cpuid` tool (Debian package
// cpuid; scripts/install-x86-tools.sh), glibc's ld.so (--list-diagnostics, --help), and the
// runtimes runtimeEnv() speaks to (glibc, OpenSSL, numpy; Go and .NET where installed).
// The CPU differs between machines: every expectation is read from this machine.
import * as cp from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import { describe, expect, it } from 'vitest';
import { expectCode, which } from '../support/helpers';
import { FeatureSet, catalog, cpuid, hostArch, runtimeEnv, xgetbv, type CpuidWordName } from '../../lib';
import { glibcWords, ldsoLevel } from '../support/glibc-diagnostics';
import { cpuidSnapshot, native } from '../../lib/host';
import { CPUID_WORDS } from '../../lib/core/features';
import { RUNTIME_KNOBS } from '../../lib/core/tables/runtime-knobs';
import { compareNames, parseConfig } from '../kernel/guest/cpuinfo-names.js';

const isX86 = hostArch() === 'x86_64';
const LDSO = '/lib64/ld-linux-x86-64.so.2';
const run = (cmd: string, args: string[], env: NodeJS.ProcessEnv = {}) => cp.spawnSync(cmd, args, { encoding: 'utf8', env: { ...process.env, ...env } });
const cpuinfo = (() => {
  try {
    return fs.readFileSync('/proc/cpuinfo', 'utf8');
  } catch {
    return undefined;
  }
})();
const field = (name: string) => cpuinfo?.split('\n').find((l) => l.startsWith(name))?.split(':')[1]?.trim();
const flags = new Set((field('flags') ?? '').split(/\s+/).filter(Boolean));
const diagnostics = isX86 && fs.existsSync(LDSO) ? run(LDSO, ['--list-diagnostics']) : undefined;
const hasDiagnostics = diagnostics?.status === 0 && /x86\.cpu_features\.features\[0x0\]\.cpuid\[0x0\]/.test(diagnostics.stdout);
const cpuidTool = isX86 ? which('cpuid') : undefined;

const MIRROR = 0x0183f3ff;

describe.skipIf(!isX86)(`cpuid() and xgetbv() on this x86-64 node${isX86 ? '' : ' (skipped: not x86-64)'}`, () => {
  it('leaf 0 is the vendor /proc/cpuinfo names; leaf 1 the family and model', () => {
    const l0 = cpuid(0);
    const vendor = Buffer.concat([l0.ebx, l0.edx, l0.ecx].map((v) => { const b = Buffer.alloc(4); b.writeUInt32LE(v); return b; })).toString('latin1');
    const snap = cpuidSnapshot();
    expect(snap.cpu.vendor).toBe(vendor);
    if (cpuinfo) {
      expect(field('vendor_id')).toBe(vendor);
      expect(String(snap.cpu.family)).toBe(field('cpu family'));
      expect(String(snap.cpu.model)).toBe(field('model'));
    }
    for (const k of ['eax', 'ebx', 'ecx', 'edx'] as const) expect(Number.isInteger(l0[k]) && l0[k] >= 0 && l0[k] <= 0xffffffff).toBe(true);
    expect(cpuid(7)).toEqual(cpuid(7, 0));
  });

  it('xgetbv(0) is XCR0: x87 and SSE always, only states CPUID.D.0 says the CPU supports', () => {
    const xcr0 = xgetbv(0);
    if ((cpuid(1).ecx >>> 27) & 1) {
      expect(typeof xcr0).toBe('bigint');
      expect(xcr0! & 3n).toBe(3n);
      const d0 = cpuid(0xd, 0);
      const supported = (BigInt(d0.edx) << 32n) | BigInt(d0.eax);
      expect(xcr0! & ~supported).toBe(0n);
    } else expect(xcr0).toBeUndefined();
  });

  it('bad arguments are typed errors naming them, never a crash', () => {
    for (const leaf of [-1, 2 ** 32, 1.5, NaN, Infinity]) expectCode(() => cpuid(leaf), RangeError, 'ERR_OUT_OF_RANGE');
    for (const leaf of ['1', 1n, null, undefined, {}]) expectCode(() => cpuid(leaf as never), TypeError, 'ERR_INVALID_ARG_TYPE');
    expectCode(() => cpuid(1, -1), RangeError, 'ERR_OUT_OF_RANGE');
    expectCode(() => cpuid(1, '0' as never), TypeError, 'ERR_INVALID_ARG_TYPE');
    for (const i of [2, -1, 0.5, 0xffffffff]) expectCode(() => xgetbv(i), RangeError, 'ERR_OUT_OF_RANGE');
    expectCode(() => xgetbv('0' as never), TypeError, 'ERR_INVALID_ARG_TYPE');
    // The addon re-checks what the TypeScript layer already refused.
    expectCode(() => native.cpuid(-1), RangeError, 'ERR_OUT_OF_RANGE');
    expectCode(() => native.cpuid('7' as never), TypeError, 'ERR_INVALID_ARG_TYPE');
    expectCode(() => native.xgetbv(7), RangeError, 'ERR_OUT_OF_RANGE');
  });
});

describe.skipIf(isX86)('cpuid() off x86-64 (skipped: this is x86-64)', () => {
  it('throws ERR_HWCAP_UNSUPPORTED_ARCH', () => {
    expectCode(() => cpuid(0), Error, 'ERR_HWCAP_UNSUPPORTED_ARCH');
    expect(FeatureSet.current().level()).toBeUndefined();
  });
});

describe.skipIf(!isX86 || !cpuinfo)(`FeatureSet.current() against /proc/cpuinfo flags${isX86 && cpuinfo ? '' : ' (skipped: not x86-64, or no /proc/cpuinfo)'}`, () => {
  it('names exactly the catalogued flags the kernel prints, with every exception explained', () => {
    // The rules are shared with the kernel guest's model boots (test/kernel/guest/names.js).
    const set = FeatureSet.current();
    const release = os.release();
    const configFile = [`/boot/config-${release}`].find((f) => fs.existsSync(f));
    const r = compareNames({
      catalog: catalog('x86_64'),
      set,
      flags,
      vendor: cpuidSnapshot().cpu.vendor,
      family: cpuidSnapshot().cpu.family,
      cmdline: fs.existsSync('/proc/cmdline') ? fs.readFileSync('/proc/cmdline', 'utf8') : '',
      config: configFile ? parseConfig(fs.readFileSync(configFile, 'utf8')) : undefined,
    });
    // Set in CPUID (and usable by the OS's XCR0) but not printed, each for a reason:
    for (const d of r.missing) expect(d.reason, `${d.name} is set but /proc/cpuinfo does not print it, for no known reason`).toBeDefined();
    // Printed by the kernel but not in the set:
    for (const d of r.extra) expect(d.reason, `/proc/cpuinfo prints ${d.name} but the set lacks it`).toBeDefined();
    // Not a catalogue row: the kernel's synthetic flags; a procfs: false row the kernel prints is wrong.
    expect(r.hiddenButPrinted).toEqual([]);
    // The comparison covers most of the line.
    expect(r.compared.length).toBeGreaterThan(flags.size / 2);
  });

  it('the XSAVE families appear exactly as the kernel gates them', () => {
    const set = FeatureSet.current();
    for (const n of ['avx', 'avx2', 'fma', 'avx512f', 'avx512vl', 'amx_tile', 'avx_vnni']) expect(set.has(n), n).toBe(flags.has(n));
  });

  it("the level is the highest glibc-hwcaps level ld.so --help calls supported", () => {
    const help = run(LDSO, ['--help']);
    if (help.status !== 0) return expect.unreachable(`${LDSO} --help failed: ${help.stderr}`);
    expect(FeatureSet.current().level()).toBe(ldsoLevel(help.stdout));
  });
});

describe.skipIf(!cpuidTool)('raw CPUID words against the cpuid tool (skipped: no `cpuid`; scripts/install-x86-tools.sh installs it)', () => {
  it('every word hwcap reads equals the tool\'s raw leaf (AMD mirror bits cleared), or is 0 where the leaf is absent', () => {
    const out = run(cpuidTool!, ['-1', '-r']).stdout;
    const tool = new Map<string, Record<string, number>>();
    for (const m of out.matchAll(/^\s+0x([0-9a-f]{8}) 0x([0-9a-f]{2}): eax=0x([0-9a-f]{8}) ebx=0x([0-9a-f]{8}) ecx=0x([0-9a-f]{8}) edx=0x([0-9a-f]{8})$/gm)) {
      tool.set(`${parseInt(m[1]!, 16)}.${parseInt(m[2]!, 16)}`, { eax: parseInt(m[3]!, 16), ebx: parseInt(m[4]!, 16), ecx: parseInt(m[5]!, 16), edx: parseInt(m[6]!, 16) });
    }
    expect(tool.size).toBeGreaterThan(5);
    const snap = cpuidSnapshot();
    const vendorLeaf = (leaf: number) => (leaf >= 0xc0000000 ? ['CentaurHauls', '  Shanghai  '] : leaf >= 0x80860000 ? ['GenuineTMx86', 'TransmetaCPU'] : undefined);
    for (const w of CPUID_WORDS) {
      const r = tool.get(`${w.leaf}.${w.subleaf}`);
      const vendors = vendorLeaf(w.leaf);
      const expected = r && (!vendors || vendors.includes(snap.cpu.vendor)) ? r[w.reg]! : 0;
      const mask = w.name === 'CPUID.80000001:EDX' ? ~MIRROR : ~0;
      expect(snap.words[w.name], w.name).toBe((expected & mask) >>> 0);
    }
  });
});

describe.skipIf(!hasDiagnostics)(`against ld.so --list-diagnostics${hasDiagnostics ? '' : ' (skipped: not x86-64 or glibc before 2.33)'}`, () => {
  it('the raw words equal glibc\'s x86.cpu_features.features[I].cpuid[R]', () => {
    const raw = glibcWords(diagnostics!.stdout, 'cpuid');
    expect(Object.keys(raw).length).toBeGreaterThanOrEqual(10);
    const snap = cpuidSnapshot();
    for (const [w, v] of Object.entries(raw) as [CpuidWordName, number][]) {
      const mask = w === 'CPUID.80000001:EDX' ? ~MIRROR : ~0;
      expect(snap.words[w], w).toBe((v & mask) >>> 0);
    }
  });

  it("the gated XSAVE families agree with glibc's active bits", () => {
    const active = glibcWords(diagnostics!.stdout, 'active');
    const set = FeatureSet.current();
    for (const n of ['avx', 'fma', 'f16c', 'avx2', 'vaes', 'vpclmulqdq', 'avx512f', 'avx512bw', 'avx512vl', 'avx_vnni', 'amx_tile']) {
      const r = catalog('x86_64').find((x) => x.name === n)!;
      const bit = ((active[r.word as CpuidWordName] ?? 0) >>> r.bit) & 1;
      expect(set.has(n), n).toBe(bit === 1);
    }
  });
});

describe.skipIf(!hasDiagnostics)(`runtimeEnv() against glibc${hasDiagnostics ? '' : ' (skipped: not x86-64 or glibc before 2.33)'}`, () => {
  const glibc = RUNTIME_KNOBS.find((k) => k.runtime === 'glibc')!;
  const before = glibcWords(diagnostics?.stdout ?? '', 'active');
  const activeBit = (words: Partial<Record<CpuidWordName, number>>, name: string) => {
    const r = catalog('x86_64').find((x) => x.name === name)!;
    const word = r.word === 'AT_HWCAP' ? 'CPUID.1:EDX' : (r.word as CpuidWordName);
    return ((words[word] ?? 0) >>> r.bit) & 1;
  };

  it('each glibc knob clears its feature\'s active bit (every knob whose feature is active here)', () => {
    const here = FeatureSet.current();
    let tried = 0;
    for (const name of Object.keys(glibc.names)) {
      if (!activeBit(before, name)) continue;
      const env = runtimeEnv(here.without([name]), { relativeTo: here, allowSecurityMasking: true });
      expect(env.GLIBC_TUNABLES, name).toContain(`-${glibc.names[name]![0]}`);
      const after = glibcWords(run(LDSO, ['--list-diagnostics'], { GLIBC_TUNABLES: env.GLIBC_TUNABLES }).stdout, 'active');
      expect(activeBit(after, name), `${name} still active under ${env.GLIBC_TUNABLES}`).toBe(0);
      tried++;
    }
    expect(tried).toBeGreaterThan(10);
  });

  it('under the tunables for an x86-64-v2 set, ld.so calls x86-64-v3 unsupported and keeps v2', () => {
    const here = FeatureSet.current();
    const env = runtimeEnv(here.without(['x86-64-v3']), { relativeTo: here });
    const help = run(LDSO, ['--help'], { GLIBC_TUNABLES: env.GLIBC_TUNABLES });
    expect(help.stdout).not.toMatch(/x86-64-v3 \(supported/);
    expect(help.stdout).not.toMatch(/x86-64-v4 \(supported/);
    if (here.has('x86-64-v2')) expect(help.stdout).toMatch(/x86-64-v2 \(supported/);
    const after = glibcWords(run(LDSO, ['--list-diagnostics'], { GLIBC_TUNABLES: env.GLIBC_TUNABLES }).stdout, 'active');
    expect(activeBit(after, 'sse4_2')).toBe(activeBit(before, 'sse4_2'));
  });
});

const openssl = isX86 ? which('openssl') : undefined;
const opensslInfo = openssl ? run(openssl, ['info', '-cpusettings']) : undefined;
const hasOpensslInfo = opensslInfo?.status === 0 && /OPENSSL_ia32cap=0x/.test(opensslInfo.stdout);

describe.skipIf(!hasOpensslInfo)('runtimeEnv() against OpenSSL (skipped: no openssl 3 with `info -cpusettings`)', () => {
  const vectors = (out: string) => {
    const m = /OPENSSL_ia32cap=0x([0-9a-f]+):0x([0-9a-f]+)/.exec(out)!;
    return [BigInt(`0x${m[1]}`), BigInt(`0x${m[2]}`)];
  };
  it('OPENSSL_ia32cap clears the capability bits of the dropped features, and only those', () => {
    const here = FeatureSet.current();
    const drop = ['avx2', 'sha_ni', 'aes', 'vaes', 'pclmulqdq'].filter((n) => here.has(n));
    expect(drop.length).toBeGreaterThan(0);
    const env = runtimeEnv(here.without(drop), { relativeTo: here });
    const [a0, b0] = vectors(opensslInfo!.stdout);
    const [a1, b1] = vectors(run(openssl!, ['info', '-cpusettings'], { OPENSSL_ia32cap: env.OPENSSL_ia32cap }).stdout);
    const knob = RUNTIME_KNOBS.find((k) => k.runtime === 'openssl')!;
    const cleared = [0n, 0n];
    for (const n of Object.keys(knob.names)) {
      if (here.has(n) && !here.without(drop).has(n)) {
        const [v, bit] = knob.names[n]![0]!.split(':');
        cleared[v === 'v1' ? 0 : 1]! |= 1n << BigInt(bit!);
      }
    }
    expect(cleared[0]! | cleared[1]!).not.toBe(0n);
    expect(a1).toBe(a0! & ~cleared[0]!);
    expect(b1).toBe(b0! & ~cleared[1]!);
  });
});

const numpyProbe = isX86 && which('python3') ? run('python3', ['-c', 'import numpy._core._multiarray_umath as m, json; print(json.dumps([m.__cpu_dispatch__, m.__cpu_features__]))']) : undefined;
const hasNumpy = numpyProbe?.status === 0;

describe.skipIf(!hasNumpy)('runtimeEnv() against numpy (skipped: no python3 with numpy 2)', () => {
  it('NPY_DISABLE_CPU_FEATURES turns off the dispatch targets that need a dropped feature', () => {
    const [dispatch, features] = JSON.parse(numpyProbe!.stdout) as [string[], Record<string, boolean>];
    const here = FeatureSet.current();
    const env = runtimeEnv(here.without(['avx2']), { relativeTo: here });
    const off = env.NPY_DISABLE_CPU_FEATURES!.split(' ');
    const probe = run('python3', ['-c', 'import numpy._core._multiarray_umath as m, json; print(json.dumps(m.__cpu_features__))'], { NPY_DISABLE_CPU_FEATURES: env.NPY_DISABLE_CPU_FEATURES });
    expect(probe.status, probe.stderr).toBe(0);
    const after = JSON.parse(probe.stdout) as Record<string, boolean>;
    const targets = dispatch.filter((d) => off.includes(d) && features[d]);
    expect(targets.length).toBeGreaterThan(0);
    for (const d of targets) expect(after[d], d).toBe(false);
    for (const d of dispatch.filter((x) => !off.includes(x))) expect(after[d], d).toBe(features[d]);
  });
});

describe.skipIf(!(isX86 && which('go')))('runtimeEnv() against Go (skipped: no go toolchain here)', () => {
  it('GODEBUG names Go internal/cpu options', () => {
    const env = runtimeEnv(FeatureSet.current().without(['avx2']), { relativeTo: FeatureSet.current() });
    const r = run('go', ['version'], { GODEBUG: env.GODEBUG });
    expect(r.stderr).not.toMatch(/unknown cpu feature/);
  });
});

describe.skipIf(!(isX86 && which('dotnet')))('runtimeEnv() against .NET (skipped: no dotnet here)', () => {
  it('DOTNET_Enable* variables are accepted', () => {
    const env = runtimeEnv(FeatureSet.current().without(['avx2']), { relativeTo: FeatureSet.current() });
    expect(run('dotnet', ['--info'], env).status).toBe(0);
  });
});
