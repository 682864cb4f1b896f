// hwcap exec --runtime-env and hwcap env as a user runs them: the runtime knobs for what is
// dropped reach the command merged with the user's own values (AND only); -v names them and
// --json gives them; hwcap env prints the merged values. x86-64 only (elsewhere there are none).
import { describe, expect, it } from 'vitest';
import { FeatureSet, hostArch, probePtrace, probeInheritance } from '../../lib';
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
