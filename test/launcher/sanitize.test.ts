// The sanitized build (npm run test:asan) keeps its log path in every child: the options are
// compiled into each executable (native/sanitize/default_options.c), so a child started with a
// replaced environment, which has no ASAN_OPTIONS, still writes its report to the log directory
// where scripts/asan.sh looks for reports. hwcap-sanitize-canary, built only there, has a
// deliberate bug to set one off. In a plain build there is no canary and these tests skip.
import * as cp from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { launcherPath, spawn } from '../../lib';
import { skipNote } from '../support/helpers';
import { AUXV_ONLY } from '../support/mask-fixture';

const release = path.dirname(launcherPath());
const canary = path.join(release, 'hwcap-sanitize-canary');
const logs = process.env.HWCAP_SANITIZE_LOG_DIR;
const skip = !fs.existsSync(canary) || !logs;
const why = skipNote(skip, 'not the sanitized build (npm run test:asan builds build/Release/hwcap-sanitize-canary and sets HWCAP_SANITIZE_LOG_DIR)');

/** The report a child of this pid and name wrote (log_exe_name=1: <prefix>.<exe>.<pid>), read and removed. */
function takeReport(prefix: string, pid: number): string | undefined {
  const file = path.join(logs!, `${prefix}.hwcap-sanitize-canary.${pid}`);
  if (!fs.existsSync(file)) return undefined;
  const text = fs.readFileSync(file, 'utf8');
  fs.rmSync(file); // a report this test caused on purpose must not fail the asan run
  return text;
}

describe('sanitizer reports from children with a replaced environment', () => {
  it.skipIf(skip)(`a heap overflow in a child spawned with env: {} is reported in the log directory${why}`, () => {
    const r = cp.spawnSync(canary, ['heap-overflow'], { env: {}, encoding: 'utf8' });
    expect(r.status === 0 && r.signal === null).toBe(false);
    expect(r.stderr).toBe(''); // not to stderr: to the log file
    const report = takeReport('asan', r.pid!);
    expect(report, `no asan.hwcap-sanitize-canary.${r.pid} in ${logs}`).toMatch(/ERROR: AddressSanitizer: heap-buffer-overflow/);
  });

  // GCC 12's UBSan beside ASan writes to stderr whatever log_path says (native/sanitize/default_options.c):
  // what holds is that the child stops and says why.
  it.skipIf(skip)(`undefined behaviour in a child spawned with env: {} stops it, with the report on its stderr${why}`, () => {
    const r = cp.spawnSync(canary, ['shift'], { env: {}, encoding: 'utf8' });
    expect(r.status === 0 && r.signal === null).toBe(false);
    const report = takeReport('ubsan', r.pid!) ?? r.stderr;
    expect(report).toMatch(/runtime error: shift exponent 64/);
  });

  it.skipIf(skip)(`through the masked spawn too: the launcher execs the canary with env: {}${why}`, async () => {
    const child = spawn(canary, ['heap-overflow'], { env: {}, hwcaps: { hwcap2: 0n }, ...AUXV_ONLY });
    const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    expect(code).not.toBe(0);
    expect(takeReport('asan', child.pid!)).toMatch(/heap-buffer-overflow/);
  });

  it.skipIf(skip)(`every sanitized executable carries the log path${why}`, () => {
    for (const exe of ['hwcap-exec', 'hwcap-exec-test', 'hwcap-probe']) {
      const bytes = fs.readFileSync(path.join(release, exe));
      expect(bytes.includes(`log_path=${logs}/asan`), exe).toBe(true);
      expect(bytes.includes(`log_path=${logs}/ubsan`), exe).toBe(true);
    }
  });
});
