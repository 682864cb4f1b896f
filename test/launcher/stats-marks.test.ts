// The launcher's step marks on its --stats-fd line (native/launcher/report.h): the helper up, the
// launcher seized, the program's first exec stop and that image masked, each in microseconds from
// the launcher's start. npm run bench splits a masked spawn with them (bench/README.md).
import { describe, it, expect } from 'vitest';
import { canPtrace, hex, keep, ptraceSkip } from '../support/mask-fixture';
import { runLauncher } from '../support/launcher-run';

const maskArgs = ['--hwcap', hex(keep.hwcap!), '--hwcap2', hex(keep.hwcap2!)];
const ORDER = ['helper_us', 'seized_us', 'exec_stop_us', 'masked_us'] as const;

/** The `first` object of a run's stats line, and the run's wall time in microseconds. */
function marksOf(args: string[], env?: NodeJS.ProcessEnv): { first: Record<string, number>; wallUs: number } {
  const t0 = process.hrtime.bigint();
  const r = runLauncher(['--mode', 'ptrace', ...maskArgs, ...args], { stats: true, env });
  const wallUs = Number(process.hrtime.bigint() - t0) / 1000;
  expect([r.status, r.signal], r.stderr).toEqual([0, null]);
  const stats = r.records.find((x) => x.stage === 'stats');
  expect(stats, JSON.stringify(r.records)).toBeDefined();
  return { first: stats!.first as Record<string, number>, wallUs };
}

describe('hwcap-exec --stats-fd: where the masked start spent its time', () => {
  it.skipIf(!canPtrace).each([['--no-follow'], ['--follow']])(`%s: each step's mark follows the one before, all within the run${ptraceSkip}`, (follow) => {
    const { first, wallUs } = marksOf([follow, '--', '/bin/true']);
    expect(Object.keys(first)).toEqual([...ORDER]);
    let before = 0;
    for (const k of ORDER) {
      expect(first[k], k).toBeGreaterThan(before);
      before = first[k]!;
    }
    expect(first.masked_us).toBeLessThan(wallUs);
  });

  it.skipIf(!canPtrace)(`a pause of 500 ms at the first exec stop (test build) lands between the exec stop's mark and the masked one${ptraceSkip}`, () => {
    const { first } = marksOf(['--', '/bin/true'], { ...process.env, HWCAP_EXEC_FAULT: 'pause-at-exec-stop' });
    expect(first.masked_us! - first.exec_stop_us!).toBeGreaterThanOrEqual(500_000);
    expect(first.exec_stop_us! - first.seized_us!).toBeLessThan(500_000);
  });
});
