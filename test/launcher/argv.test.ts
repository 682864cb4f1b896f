// lib/launcher/argv.ts against the real launcher: every flag it builds is one hwcap-exec accepts.
import { describe, it, expect } from 'vitest';
import * as cp from 'node:child_process';
import { launcherPath } from '../../lib';
import { launcherArgv, outcomeOf, parseStatus } from '../../lib/launcher';

describe('launcherArgv', () => {
  it('builds the flags in order, words in hex, then -- and the program', () => {
    expect(
      launcherArgv({ mode: 'ptrace', follow: false, keep: { hwcap2: 0x10n, hwcap: 0xffn }, statusFd: 3, pdeathsig: 15, noNewPrivs: true, allowSecurityMasking: true, argv0: 'x' }, '/bin/true', ['a']),
    ).toEqual(['--mode', 'ptrace', '--no-follow', '--hwcap', '0xff', '--hwcap2', '0x10', '--status-fd', '3', '--pdeathsig', '15', '--no-new-privs', '--allow-security-masking', '--argv0', 'x', '--', '/bin/true', 'a']);
    expect(launcherArgv({ mode: 'kernel', follow: true, keep: {}, noNewPrivs: false, allowSecurityMasking: false }, 'p', [])).toEqual(['--mode', 'kernel', '--', 'p']);
  });

  it('every flag it builds is accepted by hwcap-exec (no args stage)', () => {
    const argv = launcherArgv({ mode: 'kernel', follow: true, noVerify: true, keep: { hwcap: (1n << 64n) - 1n }, statusFd: 3, pdeathsig: 15, noNewPrivs: true, allowSecurityMasking: true, argv0: 'named' }, 'sh', ['-c', 'echo "$0"']);
    const r = cp.spawnSync(launcherPath(), argv, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe', 'pipe'], timeout: 10_000 });
    const records = parseStatus(String(r.output?.[3] ?? ''));
    expect(records.find((x) => x.stage === 'args')).toBeUndefined();
    expect(outcomeOf(records).ok).toBe(true);
    expect(r.stdout).toBe('named\n');
    expect(r.status).toBe(0);
  });
});
