// A launcher that is already traced cannot be seized by its helper (a process has one tracer).
// Under a foreign tracer such as strace it fails closed (125, nothing run) and names the tracer
// by its exe. Inside a followed masked tree its tracer is the tree's hwcap helper, which narrows
// the mask for it instead (test/launcher/nesting.test.ts); only what that cannot do, a CPUID mask
// under a tree whose mask is auxv only, fails closed with the outer helper named and a hint.
import * as cp from 'node:child_process';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import * as h from '../../lib';
import { addonDir } from '../../lib/host/native';
import { which } from '../support/helpers';
import { AUXV_ONLY, canPtrace, hex, keep, ptraceSkip } from '../support/mask-fixture';

const launcher = path.join(addonDir, 'hwcap-exec');
const strace = which('strace');
const args = ['--mode', 'ptrace', '--hwcap', hex(keep.hwcap ?? 0n), '--', '/bin/echo', 'ran'];

describe.skipIf(!canPtrace)(`an already traced launcher fails closed, with a hint${ptraceSkip}`, () => {
  it.skipIf(!strace)(`under strace: 125, nothing run, the tracer named${strace ? '' : ' (skipped: strace is not installed)'}`, () => {
    const r = cp.spawnSync(strace!, ['-f', '-o', '/dev/null', launcher, ...args], { encoding: 'utf8' });
    expect(r.status).toBe(125);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('traced by a foreign tracer');
    expect(r.stderr).toContain(strace!);
  });

  it('inside a masked tree: the inner masked spawn runs (nested under the outer helper); the library gives no error', () => {
    const outer = h.spawnSync(launcher, args, { hwcaps: keep, ...AUXV_ONLY, mode: 'ptrace', encoding: 'utf8' });
    expect(outer.status, outer.stderr as string).toBe(0);
    expect(outer.stdout).toBe('ran\n');
    const script = `const h = require(${JSON.stringify(path.resolve(__dirname, '../../dist'))});
      const r = h.spawnSync('/bin/echo', ['ran'], { hwcaps: { hwcap: ${keep.hwcap ?? 0n}n }, auxvOnly: true, mode: 'ptrace', encoding: 'utf8' });
      console.log(JSON.stringify({ status: r.status, error: r.error && r.error.message, out: r.stdout }));`;
    const r = h.spawnSync(process.execPath, ['-e', script], { hwcaps: keep, ...AUXV_ONLY, mode: 'ptrace', encoding: 'utf8' });
    expect(r.status, r.stderr as string).toBe(0);
    expect(JSON.parse((r.stdout as string).trim())).toEqual({ status: 0, out: 'ran\n' });
  });

  const notX64 = process.arch === 'x64' ? '' : ' (skipped: CPUID masks are x86-64 only)';
  // A CPUID feature this CPU has that the auxv does not carry (CPUID.7.0:EBX): dropping it makes a CPUID mask.
  const leaf7 = process.arch === 'x64' ? h.FeatureSet.current().names().find((n) => h.catalog('x86_64').find((row) => row.name === n)?.word === 'CPUID.7.0:EBX' && n !== 'fsgsbase') : undefined;
  it.skipIf(notX64 !== '')(`inside a masked tree whose mask is auxv only, an inner CPUID mask: 125, nothing run, the outer helper named, the hint${notX64}`, () => {
    const r = cp.spawnSync(launcher, [...args.slice(0, 4), '--', launcher, '--mode', 'ptrace', '--cpuid', '1:edx=0xfffffffe', '--', '/bin/echo', 'ran'], { encoding: 'utf8' });
    expect(r.status).toBe(125);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/EOPNOTSUPP \(inside a masked tree: traced by its hwcap helper, pid \d+, whose mask is auxv only.*use auxvOnly \/ --auxv-only/);
  });

  it.skipIf(notX64 !== '' || !leaf7)(`the same from the library: a HwcapError with its own hint (use auxvOnly), option auxvOnly, and Linux's text for errno 95${notX64}`, () => {
    // The inner spawn drops a CPUID.7 feature with a CPUID mask; the outer tree masks the auxv alone.
    const script = `const h = require(${JSON.stringify(path.resolve(__dirname, '../../dist'))});
      const r = h.spawnSync('/bin/echo', ['ran'], { hwcaps: h.FeatureSet.current().without([${JSON.stringify(leaf7)}]), mode: 'ptrace', encoding: 'utf8' });
      const e = r.error || {};
      console.log(JSON.stringify({ out: r.stdout, name: e.name, code: e.code, message: e.message, stage: e.stage, option: e.option, hint: e.hint }));`;
    const r = h.spawnSync(process.execPath, ['-e', script], { hwcaps: keep, ...AUXV_ONLY, mode: 'ptrace', encoding: 'utf8' });
    expect(r.status, r.stderr as string).toBe(0);
    const e = JSON.parse((r.stdout as string).trim()) as Record<string, string | undefined>;
    expect(e.out).toBeFalsy();
    expect(e).toMatchObject({ name: 'HwcapError', code: 'ENOTSUP', stage: 'seize', option: 'auxvOnly' });
    expect(e.message).toBe("ENOTSUP: operation not supported, prctl(PR_HWCAP_NEST) '/bin/echo'");
    expect(e.hint).toMatch(/^this spawn runs inside a masked tree whose mask is auxv only: .*pass auxvOnly: true/);
    expect(e.hint).not.toMatch(/Yama/);
  });

  it.skipIf(notX64 !== '' || !leaf7)(`the same from the command: exit 125 and the hint says --auxv-only${notX64}`, () => {
    const cli = path.resolve(__dirname, '../../dist/cli.js');
    const r = cp.spawnSync(process.execPath, [cli, 'exec', '--auxv-only', '--drop', 'fpu', '--', process.execPath, cli, 'exec', '--drop', leaf7!, '--', '/bin/echo', 'ran'], { encoding: 'utf8' });
    expect(r.status).toBe(125);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/hwcap exec: cannot run \/bin\/echo masked: prctl\(PR_HWCAP_NEST\) failed at launcher step seize \(ENOTSUP\).*\nhint: this spawn runs inside a masked tree whose mask is auxv only: .*pass --auxv-only/);
  });
});
