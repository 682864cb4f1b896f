// hwcap exec --runtime-env and hwcap env as a user runs them: the runtime knobs for what is
// dropped reach the command merged with the user's own values (AND only); -v names them and
// --json gives them; hwcap env prints the merged values. x86-64 only (elsewhere there are none).
import * as cp from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FeatureSet, hostArch, probePtrace, probeInheritance, v8Flags } from '../../lib';
import { V8_FLAG_NAMES } from '../../lib/core/tables/runtime-knobs';
import { hwcap } from '../support/cli-harness';

const here = FeatureSet.current('process');
const isX86 = hostArch() === 'x86_64';
const canMask = probeInheritance().inherits === true || probePtrace().ok;
// A feature this CPU has that the glibc, OpenSSL and Go knobs cover.
const drop = ['avx2', 'bmi2', 'aes', 'sse4_1'].find((n) => here.has(n));
const user = { GLIBC_TUNABLES: 'glibc.malloc.perturb=0', GODEBUG: 'madvdontneed=1', OPENSSL_ia32cap: undefined, NPY_DISABLE_CPU_FEATURES: undefined };
const envOf = (out: string) => new Map(out.split('\n').filter(Boolean).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)] as [string, string]));

describe.skipIf(!isX86 || !drop || !canMask)('hwcap exec --runtime-env (skipped unless x86-64 with avx2, bmi2, aes or sse4_1, and ptrace or kernel inheritance)', () => {
  it('the command sees the knobs merged with its environment; without --runtime-env it does not', () => {
    const r = hwcap(['exec', '--auxv-only', '--runtime-env', '--drop', drop!, '--', 'env'], { env: user });
    expect(r.status, r.stderr).toBe(0);
    const env = envOf(r.stdout);
    expect(env.get('GLIBC_TUNABLES')).toMatch(/^glibc\.malloc\.perturb=0:glibc\.cpu\.hwcaps=(-[A-Z0-9_]+,)*-[A-Z0-9_]+$/);
    expect(env.get('GODEBUG')).toMatch(new RegExp(`^madvdontneed=1,(.*,)?cpu\\.${drop}=off`));
    expect(env.get('OPENSSL_ia32cap')).toMatch(/^~0x[0-9a-f]+:~0x[0-9a-f]+$/);
    expect(r.stderr).toContain('--runtime-env sets the knobs');
    const plain = envOf(hwcap(['exec', '--auxv-only', '--drop', drop!, '--', 'env'], { env: user }).stdout);
    expect(plain.get('GLIBC_TUNABLES')).toBe('glibc.malloc.perturb=0');
    expect(plain.get('GODEBUG')).toBe('madvdontneed=1');
    expect(plain.has('OPENSSL_ia32cap')).toBe(false);
  });

  it('-v names the variables set; --json gives them, as the command sees them', () => {
    const v = hwcap(['exec', '-v', '--auxv-only', '--runtime-env', '--drop', drop!, '--', 'env'], { env: user });
    const line = /^hwcap exec: runtime env: (.*)$/m.exec(v.stderr)?.[1];
    expect(line, v.stderr).toBeDefined();
    const names = line!.split(' ');
    expect(names).toEqual(expect.arrayContaining(['GLIBC_TUNABLES', 'OPENSSL_ia32cap', 'GODEBUG']));
    const j = hwcap(['exec', '--json', '--auxv-only', '--runtime-env', '--drop', drop!, '--', 'env'], { env: user });
    expect(j.status, j.stderr).toBe(0);
    const doc = JSON.parse(j.stderr.trim().split('\n')[0]!) as { runtimeEnv: Record<string, string> };
    expect(Object.keys(doc.runtimeEnv)).toEqual(names);
    const env = envOf(j.stdout);
    for (const [k, val] of Object.entries(doc.runtimeEnv)) expect(env.get(k), k).toBe(val);
    const without = JSON.parse(hwcap(['exec', '--json', '--auxv-only', '--drop', drop!, '--', 'true'], { env: user }).stderr.trim().split('\n')[0]!) as { runtimeEnv: object };
    expect(without.runtimeEnv).toEqual({});
  });

  it("a user's OPENSSL_ia32cap the merge refuses: exit 125 naming it, the command never runs", () => {
    const r = hwcap(['exec', '--auxv-only', '--runtime-env', '--drop', drop!, '--', 'sh', '-c', 'echo ran'], { env: { ...user, OPENSSL_ia32cap: '~avx2' } });
    expect(r.status).toBe(125);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('OPENSSL_ia32cap');
  });
});

describe.skipIf(!isX86 || !drop)('hwcap env merges with this environment (skipped unless x86-64 with avx2, bmi2, aes or sse4_1)', () => {
  it("prints each variable merged: the user's GLIBC_TUNABLES, GODEBUG and OPENSSL_ia32cap kept", () => {
    const alone = JSON.parse(hwcap(['env', '--drop', drop!, '--json'], { env: { ...user, GLIBC_TUNABLES: undefined, GODEBUG: undefined } }).stdout) as Record<string, string>;
    const r = hwcap(['env', '--drop', drop!, '--json'], { env: { ...user, GLIBC_TUNABLES: 'glibc.cpu.hwcaps=-ERMS:glibc.malloc.perturb=0', OPENSSL_ia32cap: '~0x1:~0x1' } });
    expect(r.status, r.stderr).toBe(0);
    const vars = JSON.parse(r.stdout) as Record<string, string>;
    expect(vars.GLIBC_TUNABLES).toBe(`glibc.cpu.hwcaps=-ERMS,${alone.GLIBC_TUNABLES!.split('=')[1]}:glibc.malloc.perturb=0`);
    expect(vars.GODEBUG).toBe(`madvdontneed=1,${alone.GODEBUG}`);
    const [a1, a2] = alone.OPENSSL_ia32cap!.split(':').map((p) => BigInt(p.slice(1)));
    expect(vars.OPENSSL_ia32cap).toBe(`~0x${(a1! | 1n).toString(16)}:~0x${(a2! | 1n).toString(16)}`);
    const sh = hwcap(['env', '--drop', drop!], { env: { ...user } });
    expect(sh.stdout).toMatch(/^export GLIBC_TUNABLES=glibc\.malloc\.perturb=0:glibc\.cpu\.hwcaps=/m);
    const bad = hwcap(['env', '--drop', drop!], { env: { ...user, OPENSSL_ia32cap: 'x' } });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('OPENSSL_ia32cap');
  });
});

// A feature this CPU has that V8 has a flag for.
const v8Drop = ['avx2', 'sse4_2', 'popcnt', 'bmi2'].find((n) => here.has(n) && V8_FLAG_NAMES[n]);
const v8Flag = v8Drop ? `--no-enable-${V8_FLAG_NAMES[v8Drop]![0]}` : '';
const printArgv = ['-p', 'JSON.stringify(process.execArgv.slice(0, -2))'];
/** V8's CPU feature line (`node --v8-options` prints it first), as NAME=0|1 words, if this node prints one. */
const featureLine = (out: string) => {
  const line = out.split('\n')[0] ?? '';
  return /^(?:\w+=\d+ ?)+$/.test(line) ? line.trim().split(' ') : undefined;
};

const v8PrintsFeatures = isX86 && featureLine(cp.spawnSync(process.execPath, ['--v8-options'], { encoding: 'utf8' }).stdout) !== undefined;

describe.skipIf(!isX86 || !v8Drop || !canMask)('hwcap exec --runtime-env -- node: V8\'s flags (skipped unless x86-64 with avx2, sse4_2, popcnt or bmi2, and ptrace or kernel inheritance)', () => {
  const want = v8Drop ? v8Flags(here.without([v8Drop]), { relativeTo: here }) : [];

  it('the flags go right after node, before the user\'s own; -v and --json name them', () => {
    expect(want).toContain(v8Flag);
    const r = hwcap(['exec', '-v', '--auxv-only', '--runtime-env', '--drop', v8Drop!, '--', 'node', '--stack-size=1000', ...printArgv]);
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([...want, '--stack-size=1000']);
    expect(r.stderr).toContain(`hwcap exec: node flags: ${want.join(' ')}\n`);
    const j = hwcap(['exec', '--json', '--auxv-only', '--runtime-env', '--drop', v8Drop!, '--', 'node', '-e', '0']);
    expect(j.status, j.stderr).toBe(0);
    expect((JSON.parse(j.stderr.trim().split('\n')[0]!) as { nodeFlags: string[] }).nodeFlags).toEqual(want);
  });

  it.skipIf(!v8PrintsFeatures)('V8 in the command leaves the feature unused (its CPU feature line; skipped: this node prints none)', () => {
    const plain = featureLine(hwcap(['exec', '--auxv-only', '--drop', v8Drop!, '--', 'node', '--v8-options']).stdout);
    const masked = featureLine(hwcap(['exec', '--auxv-only', '--runtime-env', '--drop', v8Drop!, '--', 'node', '--v8-options']).stdout);
    const feature = V8_FLAG_NAMES[v8Drop!]![0]!.toUpperCase().replace(/-/g, '_');
    expect(plain).toContain(`${feature}=1`);
    expect(masked).toContain(`${feature}=0`);
  });

  it('node by another name: a link to the node hwcap runs on; a command that is not node gets nothing', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hwcap-node-'));
    try {
      const link = path.join(dir, 'js-runtime');
      fs.symlinkSync(process.execPath, link);
      const r = hwcap(['exec', '--auxv-only', '--runtime-env', '--drop', v8Drop!, '--', link, ...printArgv]);
      expect(r.status, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toEqual(want);
      // Not node: argv unchanged, and -v says nothing of node flags.
      const sh = hwcap(['exec', '-v', '--auxv-only', '--runtime-env', '--drop', v8Drop!, '--', 'sh', '-c', 'echo "$@"', 'sh', 'a', '--enable-avx2']);
      expect(sh.status, sh.stderr).toBe(0);
      expect(sh.stdout).toBe('a --enable-avx2\n');
      expect(sh.stderr).not.toContain('node flags');
      const j = hwcap(['exec', '--json', '--auxv-only', '--runtime-env', '--drop', v8Drop!, '--', 'true']);
      expect((JSON.parse(j.stderr.trim().split('\n')[0]!) as { nodeFlags: string[] }).nodeFlags).toEqual([]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('an argument that would turn a feature back on: exit 2 naming it, the command never runs', () => {
    const enable = v8Flag.replace('--no-', '--');
    for (const arg of [enable, enable.replace(/-/g, '_').replace(/^__/, '--'), enable.slice(1), `${enable}=true`]) {
      const r = hwcap(['exec', '--auxv-only', '--runtime-env', '--drop', v8Drop!, '--', 'node', arg, '-p', '"ran"']);
      expect(r.status, arg).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toContain(JSON.stringify(arg));
    }
    // Without --runtime-env nothing is set, so nothing is refused or added.
    const plain = hwcap(['exec', '--auxv-only', '--drop', v8Drop!, '--', 'node', enable, ...printArgv]);
    expect(plain.status, plain.stderr).toBe(0);
    expect(JSON.parse(plain.stdout)).toEqual([enable]);
    // A flag for a feature that stays is the user's business.
    const other = Object.entries(V8_FLAG_NAMES).find(([n, f]) => here.has(n) && !want.includes(`--no-enable-${f[0]}`));
    if (other) {
      const ok = hwcap(['exec', '--auxv-only', '--runtime-env', '--drop', v8Drop!, '--', 'node', `--enable-${other[1][0]}`, ...printArgv]);
      expect(ok.status, ok.stderr).toBe(0);
      expect(JSON.parse(ok.stdout)).toEqual([...want, `--enable-${other[1][0]}`]);
    }
  });
});

describe.skipIf(!isX86 || !v8Drop)('hwcap env: V8\'s flags (skipped unless x86-64 with avx2, sse4_2, popcnt or bmi2)', () => {
  it('a comment line after the exports, harmless under eval; --node-flags prints them alone (--json: an array), and --json alone has only the variables', () => {
    const want = v8Flags(here.without([v8Drop!]), { relativeTo: here });
    const r = hwcap(['env', '--drop', v8Drop!], { env: user });
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines.at(-1)).toBe(`# node: ${want.join(' ')}`);
    expect(lines.slice(0, -1).every((l) => l.startsWith('export '))).toBe(true);
    expect(JSON.parse(hwcap(['env', '--drop', v8Drop!, '--node-flags', '--json'], { env: user }).stdout)).toEqual(want);
    expect(hwcap(['env', '--drop', v8Drop!, '--node-flags'], { env: user }).stdout).toBe(`${want.join(' ')}\n`);
    const vars = JSON.parse(hwcap(['env', '--drop', v8Drop!, '--json'], { env: user }).stdout) as Record<string, unknown>;
    expect(Object.values(vars).every((v) => typeof v === 'string')).toBe(true);
    // Node takes them as they are printed (their effect: test/core/v8-flags.test.ts).
    const applied = cp.spawnSync(process.execPath, [...want, '-e', '0'], { encoding: 'utf8' });
    expect(applied.status, applied.stderr).toBe(0);
    // A feature V8 has no flag for: no comment line, nodeFlags [].
    const aes = here.has('aes') ? hwcap(['env', '--drop', 'aes'], { env: user }) : undefined;
    if (aes) expect(aes.stdout).not.toContain('# node:');
  });
});
