// The hwcap-exec launcher under valgrind memcheck: every path it can take
// (arguments, program lookup, nothing to mask, kernel mode, ptrace mode with
// and without following the tree, the fault switch, --check-inherited) runs
// with no memcheck error in the launcher or in its helper.
//
// How valgrind and ptrace mode get along: valgrind runs the launcher on its
// synthetic CPU in the launcher's own pid, and follows fork, so the helper
// (a forked child) runs under memcheck too and PTRACE_SEIZEs the valgrind
// process. At execve valgrind hands over to the real program (no
// --trace-children), whose new stack the helper patches as usual: the program
// is masked and the helper's whole life, up to its _exit, is checked.
// What memcheck cannot see: the launcher after its execve (it is the program
// by then), and kernel mode's PR_SET_MM_MAP, which the kernel refuses with
// EINVAL under valgrind (valgrind emulates brk, so the brk the launcher
// passes is not the kernel's); that path is checked up to the refusal.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { addonDir } from '../../lib/host/native';
import { hwcapWords } from '../../lib';
import { probePtrace } from '../../lib';
import { which } from '../support/helpers';

const valgrind = which('valgrind');
// The shipped launcher is linked statically, and memcheck sees the heap (malloc, free, leaks) only
// of a dynamically linked program, whose allocator it replaces through its preload; a suppression
// file would not give that back. So memcheck runs a dynamic build of the same sources, with the
// test build's fault points (binding.gyp: hwcap-exec-memcheck), for every case.
const launcher = path.join(addonDir, 'hwcap-exec-memcheck');
const testLauncher = launcher;
const probe = path.join(addonDir, 'hwcap-probe');
const sanitized = fs.existsSync(launcher) && /libasan/.test(spawnSync('ldd', [launcher], { encoding: 'utf8' }).stdout ?? '');
const canPtrace = probePtrace().ok;
const skip = !valgrind || !fs.existsSync(launcher) || !fs.existsSync(testLauncher) || sanitized;
const why = !valgrind ? ' (skipped: valgrind is not installed)' : sanitized ? ' (skipped: this launcher is built with ASan, which valgrind cannot run)' : '';
const logs = fs.mkdtempSync(path.join(os.tmpdir(), 'hwcap-valgrind-'));
/** A file without execute permission (no system file can be relied on for that). */
const notExecutable = path.join(logs, 'not-executable');
fs.writeFileSync(notExecutable, '#!/bin/sh\necho ran\n', { mode: 0o644 });
afterAll(() => fs.rmSync(logs, { recursive: true, force: true }));

const present = hwcapWords('kernel');
const word = present.hwcap2 !== 0n ? '--hwcap2' : '--hwcap';
const keep = present.hwcap2 !== 0n ? present.hwcap2 & (present.hwcap2 - 1n) : present.hwcap & (present.hwcap - 1n);
const maskArgs = [word, `0x${keep.toString(16)}`];

interface Run {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  reports: string[];
  processes: number;
}

let n = 0;
/** Runs the launcher under memcheck; `reports` holds every non-empty memcheck log (one per process). */
function memcheck(args: string[], env: NodeJS.ProcessEnv = {}, stdio?: ('pipe' | 'ignore')[], bin = launcher): Run {
  const prefix = path.join(logs, `run${n++}`);
  const r = spawnSync(
    valgrind!,
    ['-q', '--error-exitcode=99', '--leak-check=full', '--show-leak-kinds=definite,indirect', '--errors-for-leak-kinds=definite,indirect', `--log-file=${prefix}.%p`, bin, ...args],
    { encoding: 'utf8', timeout: 60_000, env: { ...process.env, ...env }, stdio: stdio ?? ['ignore', 'pipe', 'pipe'] },
  );
  const files = fs.readdirSync(logs).filter((f) => f.startsWith(`${path.basename(prefix)}.`));
  const reports = files.map((f) => fs.readFileSync(path.join(logs, f), 'utf8')).filter((t) => t.trim() !== '');
  return { status: r.status, signal: r.signal, stdout: r.stdout ?? '', stderr: r.stderr ?? '', reports, processes: files.length };
}

function maskedProbe(stdout: string): boolean {
  const lines = stdout.split('\n').filter((l) => l.startsWith('{'));
  if (lines.length === 0) return false;
  const k = word === '--hwcap2' ? 'hwcap2' : 'hwcap';
  return lines.every((l) => {
    const v = JSON.parse(l) as Record<string, Record<string, string> | null>;
    return [v.process, v.prGetAuxv, v.procAuxv].every((x) => !x || (BigInt(x[k]) & ~keep) === 0n);
  });
}

describe.skipIf(skip)(`hwcap-exec under valgrind memcheck${why}`, () => {
  const plain: [string, string[], number][] = [
    ['--help', ['--help'], 0],
    ['an unknown option', ['--bogus', '--', '/bin/true'], 125],
    ['a bad word', ['--hwcap2', '0xzz', '--', '/bin/true'], 125],
    ['no program', ['--mode', 'ptrace'], 125],
    ['a missing program', [...maskArgs, '--', '/nonexistent/program'], 127],
    ['a program not on PATH', [...maskArgs, '--', 'hwcap-no-such-program'], 127],
    ['a file that is not executable', [...maskArgs, '--', notExecutable], 126],
    ['nothing to mask (straight execve)', ['--', '/bin/true'], 0],
    ['--pdeathsig and --no-new-privs', ['--pdeathsig', 'TERM', '--no-new-privs', '--', '/bin/true'], 0],
    ['--check-inherited', ['--check-inherited', '0x0', '0x0', '0x0', '0x0'], 1],
    // valgrind's emulated brk makes the kernel refuse PR_SET_MM_MAP (EINVAL): the failure path is what runs.
    ['kernel mode', ['--mode', 'kernel', ...maskArgs, '--', probe], 125],
  ];

  it.each(plain)('%s: no memcheck error', (_label, args, status) => {
    const r = memcheck(args);
    expect(r.reports, r.reports.join('\n')).toEqual([]);
    expect(r.status, r.stderr).toBe(status);
  });

  it.skipIf(!canPtrace)('ptrace mode, following the tree: the probe is masked, launcher and helper are clean', () => {
    const r = memcheck(['--mode', 'ptrace', ...maskArgs, '--', probe]);
    expect(r.reports, r.reports.join('\n')).toEqual([]);
    expect(r.status, r.stderr).toBe(0);
    expect(maskedProbe(r.stdout), r.stdout).toBe(true);
    expect(r.processes).toBeGreaterThanOrEqual(3); // launcher, the middle fork, the helper
  });

  it.skipIf(!canPtrace)('ptrace mode, first exec only (--no-follow)', () => {
    const r = memcheck(['--mode', 'ptrace', '--no-follow', ...maskArgs, '--', probe]);
    expect(r.reports, r.reports.join('\n')).toEqual([]);
    expect(r.status).toBe(0);
    expect(maskedProbe(r.stdout)).toBe(true);
  });

  it.skipIf(!canPtrace)('ptrace mode over a tree: sh runs the probe three times, every exec masked', () => {
    const r = memcheck(['--mode', 'ptrace', ...maskArgs, '--', '/bin/sh', '-c', `for i in 1 2 3; do ${probe}; done`]);
    expect(r.reports, r.reports.join('\n')).toEqual([]);
    expect(r.status).toBe(0);
    expect(r.stdout.split('\n').filter((l) => l.startsWith('{'))).toHaveLength(3);
    expect(maskedProbe(r.stdout)).toBe(true);
  });

  it.skipIf(!canPtrace)('ptrace mode with the status fd: JSON status lines, no error', () => {
    const r = memcheck(['--mode', 'ptrace', '--status-fd', '3', ...maskArgs, '--', probe], {}, ['ignore', 'pipe', 'pipe', 'pipe']);
    expect(r.reports, r.reports.join('\n')).toEqual([]);
    expect(r.status).toBe(0);
  });

  it.skipIf(!canPtrace).each(['helper-before-seize', 'helper-after-seize', 'helper-at-exec-stop', 'helper-during-patch', 'helper-during-inject'])(
    'ptrace mode with HWCAP_EXEC_FAULT=%s: killed, never unmasked, no memcheck error',
    (fault) => {
      const r = memcheck(['--mode', 'ptrace', ...maskArgs, '--', probe], { HWCAP_EXEC_FAULT: fault }, undefined, testLauncher);
      expect(r.reports, r.reports.join('\n')).toEqual([]);
      expect(r.stdout).toBe('');
      expect(r.status === 125 || r.signal === 'SIGKILL', `${r.status} ${r.signal}`).toBe(true);
    },
  );
});
