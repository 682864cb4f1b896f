// hwcap-exec --cpuid under valgrind memcheck: the argument parser, the fault probe, the
// helper's table, its trap answers, the signal-state tracking and restores (simulated
// traps, HWCAP_EXEC_FAULT=cpuid-simulate) and the arming's failure path, with no memcheck
// error in the launcher or its helper. Under valgrind the helper's own CPUID is valgrind's
// synthetic CPU, so only cleanliness and exit status are checked here, not the values.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { which } from '../support/helpers';
import { canPtrace } from '../support/mask-fixture';
import { cpuidArgs, cpuidFaulting, cpuidProbe, isX64, launcher } from '../support/cpuid-fixture';

/** The dynamically linked test build: memcheck sees the heap only of a dynamic program. */
const memcheckLauncher = path.join(path.dirname(launcher), 'hwcap-exec-memcheck');

const valgrind = which('valgrind');
const sanitized = fs.existsSync(launcher) && /libasan/.test(spawnSync('ldd', [launcher], { encoding: 'utf8' }).stdout ?? '');
const built = fs.existsSync(memcheckLauncher);
const skip = !valgrind || !isX64 || sanitized || !canPtrace || !built;
const why = !valgrind ? ' (skipped: valgrind is not installed)' : !built ? ' (skipped: no hwcap-exec-memcheck build)' : !isX64 ? ' (skipped: x86-64 only)' : sanitized ? ' (skipped: an ASan build)' : !canPtrace ? ' (skipped: no ptrace)' : '';
const logs = fs.mkdtempSync(path.join(os.tmpdir(), 'hwcap-cpuid-valgrind-'));
afterAll(() => fs.rmSync(logs, { recursive: true, force: true }));

let n = 0;
function memcheck(args: string[], env: NodeJS.ProcessEnv = {}, stderr: 'pipe' | 'ignore' = 'pipe') {
  const prefix = path.join(logs, `run${n++}`);
  const r = spawnSync(valgrind!, ['-q', '--error-exitcode=99', '--leak-check=full', '--show-leak-kinds=definite,indirect', '--errors-for-leak-kinds=definite,indirect', `--log-file=${prefix}.%p`, memcheckLauncher, ...args], {
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', stderr],
  });
  const files = fs.readdirSync(logs).filter((f) => f.startsWith(`${path.basename(prefix)}.`));
  const reports = files.map((f) => fs.readFileSync(path.join(logs, f), 'utf8')).filter((t) => t.trim() !== '');
  return { status: r.status, signal: r.signal, stdout: r.stdout ?? '', reports };
}

describe.skipIf(skip)(`hwcap-exec --cpuid under valgrind memcheck${why}`, () => {
  it.each([['a bad rule', ['--cpuid', '7:ebx=0', '--', '/bin/true'], 125], ['--probe-cpuid-fault', ['--probe-cpuid-fault'], 0]] as const)('%s: no memcheck error', (_l, args, status) => {
    const r = memcheck([...args]);
    expect(r.reports, r.reports.join('\n')).toEqual([]);
    expect(r.status).toBe(status);
  });

  it.each(['', '--block-all', '--ignore-segv', '--handler-blocked', '--cpuid-in-handler', '--escape'])('simulated traps, probe mode %j: the helper answers and restores with no memcheck error', (mode) => {
    const r = memcheck([...cpuidArgs, '--', cpuidProbe, '--simulate', ...(mode ? [mode] : [])], { HWCAP_EXEC_FAULT: 'cpuid-simulate' });
    expect(r.reports, r.reports.join('\n')).toEqual([]);
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toMatch(/^\{.*\}$/);
  });

  it.skipIf(cpuidFaulting)('the arming fails in the image (skip-cpuid-probe): killed, no memcheck error', () => {
    // stderr not a socket: the helper's message then needs no pidfd_getfd, which valgrind does not know.
    const r = memcheck([...cpuidArgs, '--', cpuidProbe], { HWCAP_EXEC_FAULT: 'skip-cpuid-probe' }, 'ignore');
    expect(r.reports, r.reports.join('\n')).toEqual([]);
    expect(r.signal).toBe('SIGKILL');
    expect(r.stdout).toBe('');
  });
});
