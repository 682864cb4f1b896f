// The launcher's stages: one list in C (`hwcap-exec --list-stages`), one in TypeScript
// (lib/launcher/stages.ts), compared here; and every stage turns into a HwcapError with a hint.
import { describe, it, expect } from 'vitest';
import * as cp from 'node:child_process';
import { HwcapError, LAUNCHER_STAGES, launcherPath } from '../../lib';
import { outcomeOf, parseStatus, setupError } from '../../lib/launcher';

const launcher = launcherPath();
const listed = cp.spawnSync(launcher, ['--list-stages'], { encoding: 'utf8', timeout: 10_000 });
const launcherStages = LAUNCHER_STAGES.filter((s) => s.source === 'launcher').map((s) => s.name);
const HWCAP_OPTIONS = ['hwcaps', 'mode', 'follow', 'allowSecurityMasking', 'pdeathsig', 'noNewPrivs'];

describe('launcher stages', () => {
  it('TypeScript lists exactly the stages that hwcap-exec --list-stages prints', () => {
    expect(listed.status).toBe(0);
    const c = listed.stdout.split('\n').map((l) => l.trim()).filter(Boolean);
    expect(c.length).toBeGreaterThanOrEqual(16);
    expect(new Set(c).size).toBe(c.length);
    expect([...c].sort()).toEqual([...launcherStages].sort());
  });

  it('each stage has a name, a hint, and an option only where a hwcap option decides it', () => {
    expect(new Set(LAUNCHER_STAGES.map((s) => s.name)).size).toBe(LAUNCHER_STAGES.length);
    for (const s of LAUNCHER_STAGES) {
      expect(s.name).toMatch(/^[a-z][a-z-]*$/);
      expect(s.hint.length).toBeGreaterThan(10);
      if (s.option !== undefined) expect(HWCAP_OPTIONS).toContain(s.option);
    }
  });

  it.each(LAUNCHER_STAGES.filter((s) => s.kind === 'setup').map((s) => [s.name, s] as const))('a failure at %s is a HwcapError with its stage, hint, option and the launcher message', (name, s) => {
    const line = JSON.stringify({ stage: name, syscall: 'prctl(PR_SET_MM_MAP)', errno: 1, code: 'EPERM', message: `${name} went wrong` });
    const outcome = outcomeOf(parseStatus(`${line}\n`));
    expect(outcome.ok).toBe(false);
    if (outcome.ok) return;
    const e = setupError(outcome, '/bin/true');
    expect(e).toBeInstanceOf(HwcapError);
    expect(e).toMatchObject({ code: 'EPERM', errno: 1, stage: name, hint: s.hint, detail: `${name} went wrong`, path: '/bin/true' });
    expect(e.option).toBe(s.option);
  });

  it('a status line that is not JSON, or not a record, fails closed as stage status (EPROTO)', () => {
    for (const text of ['{"stage":"exec","mode":"kernel"\n', '42\n', 'hello\n']) {
      const outcome = outcomeOf(parseStatus(text));
      expect(outcome).toMatchObject({ ok: false, errno: 71, record: { stage: 'status' } });
      if (!outcome.ok) expect(setupError(outcome, 'x').hint).toBe(LAUNCHER_STAGES.find((s) => s.name === 'status')?.hint);
    }
  });

  it('only an exec in kernel mode, or an exec then masked, means the program runs masked', () => {
    expect(outcomeOf(parseStatus('{"stage":"exec","mode":"kernel","pid":1}\n')).ok).toBe(true);
    expect(outcomeOf(parseStatus('{"stage":"exec","mode":"ptrace","pid":1}\n{"stage":"masked","pid":1}\n')).ok).toBe(true);
    expect(outcomeOf(parseStatus('{"stage":"exec","mode":"ptrace","pid":1}\n'))).toMatchObject({ ok: false, errno: 10 });
    expect(outcomeOf(parseStatus(''))).toMatchObject({ ok: false, errno: 10, reason: expect.stringMatching(/before it reported/) });
  });
});
