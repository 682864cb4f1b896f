// Where the helper's messages about a descendant go: that descendant's stderr, without harming what
// the program writes there. A regular file is written through the program's own open file
// description (its offset shared), so the message lands between the program's lines instead of
// being written over by them; a pipe and /dev/null still take it without blocking.
import * as cp from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launcherPath } from '../../lib';
import { canPtrace, hasBits, hex, keep, ptraceSkip } from '../support/mask-fixture';
import { skipNote } from '../support/helpers';

const testLauncher = path.join(path.dirname(launcherPath()), 'hwcap-exec-test');
const maskArgs = ['--mode', 'ptrace', '--hwcap', hex(keep.hwcap!), '--hwcap2', hex(keep.hwcap2!)];
const skip = !canPtrace || !hasBits || !fs.existsSync(testLauncher);
const why = ptraceSkip || skipNote(skip, !hasBits ? 'no AT_HWCAP bit to remove here' : `no test launcher at ${testLauncher}`);

let tmp = '';
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hwcap-helper-stderr-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

// The shell writes a line, runs a descendant whose masking fails (the test build's
// descendant-mask-fails: the helper kills it and says so on its stderr), then writes another.
const script = 'printf "program line 1\\n" >&2; /bin/true; printf "program line 2 after the kill\\n" >&2; exit 0';
const env = { ...process.env, HWCAP_EXEC_FAULT: 'descendant-mask-fails' };
/** The lines, without the shell's own "Killed" notice for the killed child. */
const linesOf = (text: string): string[] => text.split('\n').filter((l) => l !== 'Killed');

describe('the helper\'s message about a killed descendant, on that descendant\'s stderr', () => {
  it.skipIf(skip)(`a regular file (2>file, no O_APPEND): the program's lines and the message are all intact, in order${why}`, () => {
    const file = path.join(tmp, 'stderr.txt');
    const fd = fs.openSync(file, 'w');
    try {
      const r = cp.spawnSync(testLauncher, [...maskArgs, '--', '/bin/sh', '-c', script], { stdio: ['ignore', 'pipe', fd], env, timeout: 15_000 });
      expect(r.status).toBe(0);
    } finally {
      fs.closeSync(fd);
    }
    const text = fs.readFileSync(file, 'utf8');
    const lines = linesOf(text);
    expect(lines[0]).toBe('program line 1');
    expect(lines[1]).toMatch(/^hwcap-exec: pid \d+: patch-stack: process_vm_writev: EIO; killed it$/);
    expect(lines[2]).toBe('program line 2 after the kill');
  });

  it.skipIf(skip)(`a regular file opened for append (2>>file): the same${why}`, () => {
    const file = path.join(tmp, 'stderr-append.txt');
    fs.writeFileSync(file, 'earlier\n');
    const fd = fs.openSync(file, 'a');
    try {
      const r = cp.spawnSync(testLauncher, [...maskArgs, '--', '/bin/sh', '-c', script], { stdio: ['ignore', 'pipe', fd], env, timeout: 15_000 });
      expect(r.status).toBe(0);
    } finally {
      fs.closeSync(fd);
    }
    const lines = linesOf(fs.readFileSync(file, 'utf8'));
    expect(lines.slice(0, 2)).toEqual(['earlier', 'program line 1']);
    expect(lines[2]).toMatch(/killed it$/);
    expect(lines[3]).toBe('program line 2 after the kill');
  });

  it.skipIf(skip)(`a pipe: the message between the program's lines; /dev/null: the program still runs on${why}`, () => {
    const r = cp.spawnSync(testLauncher, [...maskArgs, '--', '/bin/sh', '-c', script], { stdio: ['ignore', 'pipe', 'pipe'], env, encoding: 'utf8', timeout: 15_000 });
    expect(r.status).toBe(0);
    const lines = linesOf(r.stderr);
    expect(lines[0]).toBe('program line 1');
    expect(lines[1]).toMatch(/killed it$/);
    expect(lines[2]).toBe('program line 2 after the kill');
    const n = cp.spawnSync(testLauncher, [...maskArgs, '--', '/bin/sh', '-c', `${script.replace('exit 0', 'echo done')}`], { stdio: ['ignore', 'pipe', 'ignore'], env, encoding: 'utf8', timeout: 15_000 });
    expect(n.status).toBe(0);
    expect(n.stdout).toBe('done\n');
  });
});
