// Fail closed with the helper ALIVE: masking fails at the exec stop while the program is stopped
// there and the helper goes on running, so PTRACE_O_EXITKILL plays no part. The helper itself
// must kill the program before it runs one instruction of its own: it prints nothing, it dies
// by SIGKILL, and the status line names the stage that failed.
//
// The faults are the test build's (hwcap-exec-test, HWCAP_EXEC_FAULT; native/launcher/faults.h):
//   inject-fails             the injected prctl(PR_SET_MM_MAP) is refused (EPERM)
//   readback-mismatch        the kernel's copy reads back with one AT_HWCAP2 bit other than written
//   readback-mismatch-later  the same at an exec after the first (a descendant's image)
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HwcapError, spawn } from '../../lib';
import { AUXV_ONLY, canPtrace, hasBits, hex, keep, probe, ptraceSkip } from '../support/mask-fixture';
import { skipNote } from '../support/helpers';
import { runLauncher, testLauncher, type Run } from '../support/launcher-run';

const maskArgs = ['--hwcap', hex(keep.hwcap!), '--hwcap2', hex(keep.hwcap2!)];
const skip = !canPtrace || !hasBits || !fs.existsSync(testLauncher);
const why = ptraceSkip || skipNote(skip, !hasBits ? 'no AT_HWCAP bit to remove here' : `no test launcher at ${testLauncher}`);

let tmp = '';
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hwcap-fail-closed-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function run(fault: string, program: string[]): Run {
  return runLauncher(['--mode', 'ptrace', ...maskArgs, '--', ...program], { env: { ...process.env, HWCAP_EXEC_FAULT: fault }, timeout: 15_000 });
}

const firstImage: [string, string, string, string][] = [
  ['inject-fails', 'inject', 'prctl(PR_SET_MM_MAP)', 'EPERM'],
  ['readback-mismatch', 'verify', 'open(/proc/<pid>/auxv)', 'EPROTO'],
];

describe('masking fails with the helper alive: the helper kills the program before it runs', () => {
  it.skipIf(skip).each(firstImage)(`%s: hwcap-probe prints nothing, dies by SIGKILL, and the status names stage %s${why}`, (fault, stage, syscall, code) => {
    const r = run(fault, [probe]);
    expect(r.stdout).toBe('');
    expect(r.signal).toBe('SIGKILL');
    expect(r.status).toBeNull();
    const exec = r.records.find((x) => x.stage === 'exec');
    expect(exec).toMatchObject({ stage: 'exec', mode: 'ptrace' });
    expect(r.records.filter((x) => x.stage !== 'exec')).toEqual([
      { stage, syscall, errno: os.constants.errno[code as keyof typeof os.constants.errno], code, message: `pid ${exec!.pid}: ${stage}: ${syscall}: ${code}; killed it` },
    ]);
  });

  it.skipIf(skip).each(firstImage)(`%s: a shell told to leave a file first leaves none${why}`, (fault) => {
    const marker = path.join(tmp, `ran-${fault}`);
    const r = run(fault, ['/bin/sh', '-c', `: > ${marker}; echo ran`]);
    expect(r.signal).toBe('SIGKILL');
    expect(r.stdout).toBe('');
    expect(fs.existsSync(marker)).toBe(false);
  });

  it.skipIf(skip).each(firstImage)(`%s through spawn(): an 'error' HwcapError naming stage %s, nothing printed${why}`, async (fault, stage, syscall, code) => {
    const before = process.env.HWCAP_TEST_LAUNCHER;
    process.env.HWCAP_TEST_LAUNCHER = '1';
    let child;
    try {
      child = spawn(probe, [], { hwcaps: keep, ...AUXV_ONLY, mode: 'ptrace', env: { ...process.env, HWCAP_EXEC_FAULT: fault } });
    } finally {
      if (before === undefined) delete process.env.HWCAP_TEST_LAUNCHER;
      else process.env.HWCAP_TEST_LAUNCHER = before;
    }
    const got = await new Promise<{ error?: Error; stdout: string; events: string[] }>((resolve) => {
      let stdout = '';
      let error: Error | undefined;
      const events: string[] = [];
      child.stdout?.setEncoding('utf8').on('data', (d: string) => (stdout += d));
      child.on('spawn', () => events.push('spawn'));
      child.on('error', (e) => {
        events.push('error');
        error = e;
      });
      child.on('close', () => {
        events.push('close');
        resolve({ error, stdout, events });
      });
    });
    expect(got.stdout).toBe('');
    expect(got.events).toEqual(['error', 'close']);
    expect(got.error).toBeInstanceOf(HwcapError);
    expect(got.error).toMatchObject({ stage, syscall, code, path: probe });
  });

  it.skipIf(skip)(`readback-mismatch-later: a descendant's image is killed before it runs, the tree goes on${why}`, () => {
    // sh is the first image (masked); the probe it starts is a later exec, whose masking fails.
    const r = run('readback-mismatch-later', ['/bin/sh', '-c', `${probe}; echo "probe ended with $?"`]);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('probe ended with 137\n'); // 128 + SIGKILL, and not one line from the probe
    expect(r.records.map((x) => x.stage)).toEqual(['exec', 'masked']);
    // The helper's line, then the shell's own word for a child killed by a signal.
    expect(r.stderr).toMatch(/^hwcap-exec: pid \d+: verify: open\(\/proc\/<pid>\/auxv\): EPROTO; killed it\n/);
  });

  it.skipIf(skip)(`readback-mismatch-later leaves the first image alone: it runs, masked${why}`, () => {
    const r = run('readback-mismatch-later', [probe]);
    expect(r.signal).toBeNull();
    expect(r.status).toBe(0);
    const v = JSON.parse(r.stdout) as { process: Record<string, string> };
    expect(BigInt(v.process.hwcap2) & ~keep.hwcap2!).toBe(0n);
    expect(r.records.map((x) => x.stage)).toEqual(['exec', 'masked']);
  });
});
