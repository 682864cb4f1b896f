// hwcap's x86-64 model on CPUs other than this one, and which runtimes honour a CPUID that lacks a
// feature. qemu-user (qemu-x86_64, Debian's qemu-user; scripts/install-x86-tools.sh) runs node,
// glibc's ld.so and OpenSSL on its CPU models: qemu answers CPUID, and builds AT_HWCAP, as that
// CPU would. Under each model, hwcap (the built CLI, in the emulated node) is checked against
// glibc (the level ld.so --help calls supported, and the bits ld.so --list-diagnostics calls
// active), OpenSSL (OPENSSL_ia32cap, `openssl info -cpusettings`) and V8 (the CPU feature line
// `node --v8-options` prints first: what V8's code generation will use).
//
// `max,-avx2` is the answer the launcher's helper gives under a mask that drops avx2 (the CPUID
// tests' mask, test/support/cpuid-fixture.ts): 7.0:EBX with bit 5 cleared, nothing else. So this
// file also checks, on any x86-64 machine, what a CPUID-masked program does with that answer; the
// helper giving it is checked by the simulated traps (test/launcher/cpuid.test.ts) and, where the
// CPU has CPUID faulting, by real programs (test/launcher/cpuid-programs.test.ts).
import * as cp from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FeatureSet, catalog, hostArch, type CpuidWordName } from '../../lib';
import { RUNTIME_KNOBS } from '../../lib/core/tables/runtime-knobs';
import { glibcWords, ldsoLevel } from '../support/glibc-diagnostics';
import { repoRoot, which } from '../support/helpers';
import { v8FeatureLine } from '../support/v8-features';

const LDSO = '/lib64/ld-linux-x86-64.so.2';
const cli = path.join(repoRoot, 'dist', 'cli.js');
const qemu = hostArch() === 'x86_64' ? which('qemu-x86_64') : undefined;
const openssl = qemu ? which('openssl') : undefined;

/** Runs argv under qemu-user as CPU `cpu`; stdout (qemu's warnings about features TCG lacks go to stderr). */
function under(cpu: string, argv: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = cp.spawnSync(qemu!, ['-cpu', cpu, ...argv], { encoding: 'utf8', timeout: 120_000 });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

// Probed: qemu-user runs this node with the built CLI, and ld.so prints its diagnostics under it.
const why = ((): string => {
  if (hostArch() !== 'x86_64') return 'not x86-64';
  if (!qemu) return 'no qemu-x86_64; scripts/install-x86-tools.sh installs qemu-user';
  if (!fs.existsSync(cli)) return 'no dist/cli.js (npm run build:ts)';
  if (!fs.existsSync(LDSO)) return `no ${LDSO}`;
  const r = under('max', [process.execPath, cli, '--version']);
  if (r.status !== 0) return `node under qemu-x86_64 -cpu max failed (status ${r.status}): ${r.stderr.trim().split('\n').pop()}`;
  if (!/^x86\.cpu_features\.features\[0x0\]\.active\[0x0\]=/m.test(under('max', [LDSO, '--list-diagnostics']).stdout)) return 'ld.so --list-diagnostics prints no cpu_features (glibc before 2.33)';
  return '';
})();
const skip = why !== '';
const skipNote = skip ? ` (skipped: ${why})` : '';

/** What each program sees on one CPU model. */
interface View {
  set: FeatureSet;
  ldsoLevel: string;
  active: Partial<Record<CpuidWordName, number>>;
  ia32cap?: [bigint, bigint];
  /** V8's CPU features (SSE3=1 AVX2=0 …), or undefined where this node prints no such line. */
  v8?: Record<string, number>;
}

/** V8's feature line (`node --v8-options`, first line) → hwcap's name of each feature it names. */
const V8_NAMES: Record<string, string> = {
  SSE3: 'pni', SSSE3: 'ssse3', SSE4_1: 'sse4_1', SSE4_2: 'sse4_2', SAHF: 'lahf_lm', AVX: 'avx',
  AVX2: 'avx2', FMA3: 'fma', BMI1: 'bmi1', BMI2: 'bmi2', LZCNT: 'abm', POPCNT: 'popcnt',
};

function view(cpu: string): View {
  const json = under(cpu, [process.execPath, cli, 'show', '--json']);
  if (json.status !== 0) throw new Error(`hwcap show --json under ${cpu}: status ${json.status}: ${json.stderr}`);
  const help = under(cpu, [LDSO, '--help']);
  const diag = under(cpu, [LDSO, '--list-diagnostics']);
  const v8 = v8FeatureLine(under(cpu, [process.execPath, '--v8-options']).stdout);
  const ossl = openssl ? /OPENSSL_ia32cap=0x([0-9a-f]+):0x([0-9a-f]+)/.exec(under(cpu, [openssl, 'info', '-cpusettings']).stdout) : null;
  return {
    set: FeatureSet.fromJSON(JSON.parse(json.stdout)),
    ldsoLevel: ldsoLevel(help.stdout),
    active: glibcWords(diag.stdout, 'active'),
    ia32cap: ossl ? [BigInt(`0x${ossl[1]}`), BigInt(`0x${ossl[2]}`)] : undefined,
    v8,
  };
}

// Intel and AMD CPUs at each psABI level TCG can emulate (it has no AVX-512): core2duo (baseline
// x86-64), Nehalem and Opteron_G5 (v2), Haswell and EPYC (v3); the most TCG emulates (max, an
// AMD vendor string), and that CPU as a mask without avx2 leaves it.
const MODELS = ['core2duo', 'Nehalem', 'Opteron_G5', 'Haswell', 'EPYC', 'max', 'max,-avx2'] as const;
const views = new Map<string, View>();
beforeAll(() => {
  if (!skip) for (const m of MODELS) views.set(m, view(m));
}, 300_000);

// Features glibc marks active from their CPUID bit alone, or from the bit and XCR0 (the XSAVE
// families), as hwcap gates them: sysdeps/x86/cpu-features.c, update_active (glibc 2.36).
const GLIBC_ACTIVE = ['pni', 'ssse3', 'sse4_1', 'sse4_2', 'popcnt', 'cx16', 'movbe', 'pclmulqdq', 'aes', 'bmi1', 'bmi2', 'abm', 'avx', 'avx2', 'fma', 'f16c', 'avx512f', 'avx512vl', 'sha_ni'];

describe.skipIf(skip).each(MODELS)(`under qemu-user -cpu %s${skipNote}`, (cpu) => {
  it("hwcap's level is the highest level glibc's ld.so --help calls supported", () => {
    const v = views.get(cpu)!;
    expect(v.set.level() ?? 'x86-64').toBe(v.ldsoLevel);
  });

  it("hwcap has a feature exactly where glibc's ld.so marks it active", () => {
    const v = views.get(cpu)!;
    const rows = catalog('x86_64');
    const seen: string[] = [];
    for (const n of GLIBC_ACTIVE) {
      const r = rows.find((x) => x.name === n)!;
      expect(r, n).toBeDefined();
      const word = r.word === 'AT_HWCAP' ? 'CPUID.1:EDX' : (r.word as CpuidWordName);
      const active = ((v.active[word] ?? 0) >>> r.bit) & 1;
      expect(`${n}=${v.set.has(n) ? 1 : 0}`).toBe(`${n}=${active}`);
      if (active) seen.push(n);
    }
    expect(seen.length).toBeGreaterThan(0); // the model answered something beyond SSE2
  });

  it.skipIf(!openssl)(`OpenSSL's OPENSSL_ia32cap has a capability bit exactly where hwcap has the feature${openssl ? '' : ' (skipped: no openssl)'}`, () => {
    const v = views.get(cpu)!;
    expect(v.ia32cap).toBeDefined();
    const knob = RUNTIME_KNOBS.find((k) => k.runtime === 'openssl')!;
    for (const [n, [where]] of Object.entries(knob.names)) {
      const [vec, bit] = where!.split(':');
      const set = (v.ia32cap![vec === 'v1' ? 0 : 1]! >> BigInt(bit!)) & 1n;
      expect(`${n}=${v.set.has(n) ? 1 : 0}`).toBe(`${n}=${set}`);
    }
  });
});

// Probed once on the host: a node whose --v8-options starts with V8's feature line.
const v8Line = !skip && v8FeatureLine(cp.spawnSync(process.execPath, ['--v8-options'], { encoding: 'utf8' }).stdout) !== undefined;

describe.skipIf(skip || !v8Line).each(MODELS)(`V8 under qemu-user -cpu %s${skip ? skipNote : v8Line ? '' : ' (skipped: this node prints no CPU feature line)'}`, (cpu) => {
  it('V8 uses a feature exactly where hwcap has it', () => {
    const v = views.get(cpu)!;
    expect(v.v8).toBeDefined();
    for (const [feature, name] of Object.entries(V8_NAMES)) {
      expect(v.v8![feature], feature).toBeDefined();
      expect(`${feature}=${v.v8![feature]}`).toBe(`${feature}=${v.set.has(name) ? 1 : 0}`);
    }
  });
});

describe.skipIf(skip)(`a CPUID that lacks avx2, as the helper answers under a mask that drops it${skipNote}`, () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hwcap-x86-models-'));
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('hwcap sees the same CPU without avx2 and nothing else; glibc falls back to x86-64-v2; OpenSSL drops its AVX2 bit; V8 its AVX2', () => {
    const full = views.get('max')!;
    const masked = views.get('max,-avx2')!;
    expect(full.set.has('avx2')).toBe(true);
    expect(full.set.diff(masked.set)).toEqual({ missing: [], extra: ['avx2'] });
    expect(full.ldsoLevel).toBe('x86-64-v3');
    expect(masked.ldsoLevel).toBe('x86-64-v2');
    if (full.ia32cap && masked.ia32cap) {
      expect(masked.ia32cap[0]).toBe(full.ia32cap[0]);
      expect(masked.ia32cap[1]).toBe(full.ia32cap[1] & ~(1n << 5n));
    }
    if (full.v8 && masked.v8) expect(masked.v8).toEqual({ ...full.v8, AVX2: 0 }); // V8's JIT: no AVX2 code
  });

  it("hwcap check against the full CPU's feature set fails there, naming avx2 alone", () => {
    const baseline = path.join(tmp, 'max.json');
    fs.writeFileSync(baseline, JSON.stringify(views.get('max')!.set.toJSON()));
    const ok = under('max', [process.execPath, cli, 'check', baseline]);
    expect(ok.status, ok.stdout + ok.stderr).toBe(0);
    const r = under('max,-avx2', [process.execPath, cli, 'check', baseline]);
    expect(r.status).toBe(1);
    expect(r.stdout + r.stderr).toMatch(/\bavx2\b/);
    expect(r.stdout + r.stderr).not.toMatch(/\b(avx|fma|bmi2|avx512f)\b/);
  });
});
