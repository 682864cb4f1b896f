// The one rule for spawn's mode 'auto' (resolveMode), and the layering that keeps the host
// layer from running the launcher itself.
import { describe, it, expect } from 'vitest';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { probe as machineProbe, probeInheritance, probePtrace, resolveMode, spawnSync, hwcapWords, probePath } from '../../lib';
import type { InheritanceProbe, PtraceProbe } from '../../lib';
import { repoRoot } from '../support/helpers';

const inherits = (v: InheritanceProbe['inherits']): InheritanceProbe => ({ inherits: v, reason: 'test' });
const PTRACE_OK: PtraceProbe = { ok: true, reason: 'test' };
const PTRACE_NO: PtraceProbe = { ok: false, code: 'EPERM', reason: 'test' };

describe('resolveMode', () => {
  it('auto is kernel where the kernel inherits, else ptrace, else null when ptrace is known not to work', () => {
    expect(resolveMode('auto', { inheritance: inherits(true) })).toBe('kernel');
    expect(resolveMode(undefined, { inheritance: inherits(true), ptrace: PTRACE_NO })).toBe('kernel');
    expect(resolveMode('auto', { inheritance: inherits(false) })).toBe('ptrace');
    expect(resolveMode('auto', { inheritance: inherits('unknown') })).toBe('ptrace');
    expect(resolveMode('auto', { inheritance: inherits(false), ptrace: PTRACE_OK })).toBe('ptrace');
    expect(resolveMode('auto', { inheritance: inherits(false), ptrace: PTRACE_NO })).toBeNull();
    expect(resolveMode('auto', { inheritance: inherits('unknown'), ptrace: () => PTRACE_NO })).toBeNull();
  });

  it('kernel and ptrace are themselves, and no probe runs for them', () => {
    const never = (): never => {
      throw new Error('probed');
    };
    expect(resolveMode('kernel', { inheritance: never, ptrace: never })).toBe('kernel');
    expect(resolveMode('ptrace', { inheritance: never, ptrace: never })).toBe('ptrace');
  });

  it('a bad mode is a typed error naming the argument', () => {
    expect(() => resolveMode('magic' as never, { inheritance: inherits(true) }, 'options.mode')).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE', message: expect.stringMatching(/options\.mode/) }));
    expect(() => resolveMode(3 as never, { inheritance: inherits(true) })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE', message: expect.stringMatching(/"mode"/) }));
  });

  it("resolveMode() with no facts decides for this machine, from its own probes (probe().autoMode)", () => {
    expect(resolveMode()).toBe(machineProbe().autoMode);
    expect(resolveMode('auto')).toBe(machineProbe().autoMode);
    expect(resolveMode('ptrace')).toBe('ptrace');
    expect(() => resolveMode('magic' as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
    expect(() => resolveMode('auto', null as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE', message: expect.stringMatching(/"facts"/) }));
  });

  it("probe().autoMode is resolveMode's answer on this machine's probes", () => {
    expect(machineProbe().autoMode).toBe(resolveMode('auto', { inheritance: probeInheritance(), ptrace: probePtrace() }));
  });

  const auto = resolveMode('auto', { inheritance: probeInheritance(), ptrace: probePtrace() });
  it.skipIf(auto === null)(`a masked spawn in mode auto runs in the mode resolveMode picks (TracerPid shows ptrace)${auto === null ? ' (skipped: neither mode works here)' : ''}`, () => {
    const r = spawnSync(probePath(), [], { hwcaps: hwcapWords('kernel'), encoding: 'utf8' });
    expect(r.error).toBeUndefined();
    const view = JSON.parse(String(r.stdout)) as { tracerPid: number };
    expect(view.tracerPid !== 0).toBe(auto === 'ptrace');
  });
});

describe('layering: core <- host <- launcher/spawn <- cli', () => {
  const importsOf = (dir: string): { file: string; spec: string }[] =>
    fs
      .readdirSync(path.join(repoRoot, 'lib', dir))
      .filter((f) => f.endsWith('.ts'))
      .flatMap((f) => [...fs.readFileSync(path.join(repoRoot, 'lib', dir, f), 'utf8').matchAll(/^import[^;]*?from '([^']+)'/gms)].map((m) => ({ file: `${dir}/${f}`, spec: m[1] as string })));

  it('the host layer imports neither the launcher, spawn nor cli rooms', () => {
    const bad = importsOf('host').filter((i) => /^\.\.\/(launcher|spawn|cli)(\/|$)/.test(i.spec));
    expect(bad).toEqual([]);
  });

  it('the launcher room does not import spawn or cli; spawn does not import cli', () => {
    expect(importsOf('launcher').filter((i) => /^\.\.\/(spawn|cli)(\/|$)/.test(i.spec))).toEqual([]);
    expect(importsOf('spawn').filter((i) => /^\.\.\/cli(\/|$)/.test(i.spec))).toEqual([]);
  });

  it('spawn and launcher reach other rooms through their entries, not deep files (core excepted)', () => {
    const deep = [...importsOf('spawn'), ...importsOf('launcher')].filter((i) => /^\.\.\/(host|launcher|spawn)\//.test(i.spec));
    expect(deep).toEqual([]);
  });
});
