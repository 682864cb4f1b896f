// A launcher that is already traced cannot be seized by its helper (a process has one tracer):
// it fails closed (125, nothing run) and says whose tracer it is, an outer hwcap helper (a
// masked spawn inside a masked tree; nesting is designed in docs/launcher-protocol.md, not
// built) or a foreign tracer such as strace, named by its exe.
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

  it('inside a masked tree: 125, nothing run, the outer helper named; the library gives the seize error with that detail', () => {
    const outer = h.spawnSync(launcher, args, { hwcaps: keep, ...AUXV_ONLY, mode: 'ptrace', encoding: 'utf8' });
    expect(outer.status).toBe(125);
    expect(outer.stdout).toBe('');
    expect(outer.stderr).toMatch(/inside a masked tree: traced by its hwcap helper, pid \d+/);
    const script = `const h = require(${JSON.stringify(path.resolve(__dirname, '../../dist'))});
      const r = h.spawnSync('/bin/echo', ['ran'], { hwcaps: { hwcap: ${keep.hwcap ?? 0n}n }, auxvOnly: true, mode: 'ptrace', encoding: 'utf8' });
      console.log(JSON.stringify({ code: r.error && r.error.code, stage: r.error && r.error.stage, detail: r.error && r.error.detail, out: r.stdout }));`;
    const r = h.spawnSync(process.execPath, ['-e', script], { hwcaps: keep, ...AUXV_ONLY, mode: 'ptrace', encoding: 'utf8' });
    expect(r.status, r.stderr as string).toBe(0);
    const v = JSON.parse((r.stdout as string).trim()) as Record<string, string | null>;
    expect(v).toMatchObject({ code: 'EPERM', stage: 'seize', out: null });
    expect(v.detail).toContain('inside a masked tree');
  });
});
