// Following the tree, one way of making a process at a time: every exec of every descendant is
// masked, whether it came through fork (node's child_process: clone with SIGCHLD), vfork (dash
// runs a simple command with vfork), a thread (clone of a worker thread that then forks), or an
// exec of an exec (no new process at all). And the launcher never adds a bit (AND only): keep
// words with every bit set but one give the host's words without that one bit, never the words.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { canPtrace, hasBits, hex, keep, present, probe, ptraceSkip, removed } from '../support/mask-fixture';
import { repoRoot } from '../support/helpers';
import { launcherFor, runLauncher, testLauncher } from '../support/launcher-run';

const skip = !canPtrace || !hasBits;
const why = ptraceSkip || (hasBits ? '' : ' (skipped: no AT_HWCAP bit to remove here)');
const U64 = (1n << 64n) - 1n;

interface View {
  pid: number;
  process: Record<string, string>;
  prGetAuxv: Record<string, string> | null;
  procAuxv: Record<string, string> | null;
  tracerPid: number;
}

const viewsOf = (stdout: string): View[] => stdout.split('\n').filter((l) => l.startsWith('{"pid"')).map((l) => JSON.parse(l) as View);

function launch(words: { hwcap: bigint; hwcap2: bigint }, program: string[], env: NodeJS.ProcessEnv = process.env) {
  const r = runLauncher(['--mode', 'ptrace', '--hwcap', hex(words.hwcap), '--hwcap2', hex(words.hwcap2), '--', ...program], { env, bin: launcherFor(env) });
  return { ...r, views: viewsOf(r.stdout) };
}

/** Every view of every probe line shows exactly the host's words ANDed with the keep words. */
function expectExactly(views: View[], words: { hwcap: bigint; hwcap2: bigint }, count = 1) {
  expect(views).toHaveLength(count);
  for (const v of views) {
    for (const [name, w] of [['process', v.process], ['prGetAuxv', v.prGetAuxv], ['procAuxv', v.procAuxv]] as const) {
      expect(w, `${name} view`).not.toBeNull();
      expect(BigInt(w!.hwcap), `${name}.hwcap`).toBe(present.hwcap & words.hwcap);
      expect(BigInt(w!.hwcap2), `${name}.hwcap2`).toBe(present.hwcap2 & words.hwcap2);
    }
  }
}

const masked = { hwcap: keep.hwcap!, hwcap2: keep.hwcap2! };
const spawnProbe = `require('child_process').spawnSync(${JSON.stringify(probe)}, { stdio: 'inherit' })`;

describe('ptrace mode follows every way a descendant comes to exec', () => {
  it.skipIf(skip)(`fork: a program node's child_process starts is masked${why}`, () => {
    const r = launch(masked, [process.execPath, '-e', spawnProbe]);
    expect(r.status, r.stderr).toBe(0);
    expectExactly(r.views, masked);
  });

  it.skipIf(skip)(`vfork: a simple command dash runs is masked${why}`, () => {
    const r = launch(masked, ['/bin/sh', '-c', `${probe}; true`]);
    expect(r.status, r.stderr).toBe(0);
    expectExactly(r.views, masked);
  });

  it.skipIf(skip)(`clone: a program a worker thread starts is masked${why}`, () => {
    const worker = `new (require('worker_threads').Worker)(${JSON.stringify(spawnProbe)}, { eval: true })`;
    const r = launch(masked, [process.execPath, '-e', worker]);
    expect(r.status, r.stderr).toBe(0);
    expectExactly(r.views, masked);
  });

  it.skipIf(skip)(`exec after exec, with no new process: each image is masked${why}`, () => {
    const r = launch(masked, ['/bin/sh', '-c', `exec env sh -c 'exec ${probe}'`]);
    expect(r.status, r.stderr).toBe(0);
    expectExactly(r.views, masked);
  });
});

describe('the launcher never adds a bit (AND only)', () => {
  // Every bit kept but the one removed: the words given have bits the host lacks.
  const allButOne = { hwcap: U64 & ~removed.hwcap, hwcap2: U64 & ~removed.hwcap2 };

  it.skipIf(skip)(`keep words with every bit but one give the host's words without it, in every view${why}`, () => {
    const r = launch(allButOne, [probe]);
    expect(r.status, r.stderr).toBe(0);
    expectExactly(r.views, allButOne);
    expect(BigInt(r.views[0]!.process.hwcap)).not.toBe(allButOne.hwcap);
  });

  it.skipIf(skip)(`and in a descendant${why}`, () => {
    const r = launch(allButOne, ['/bin/sh', '-c', `${probe}; true`]);
    expect(r.status, r.stderr).toBe(0);
    expectExactly(r.views, allButOne);
  });
});

// A thread execs while the helper holds a stop of the leader it has taken but not yet handled
// (test build: slow-stop, 30 ms between the two). The exec kills the leader and gives its pid to
// the exec'ing thread, stopped at its exec: whatever the helper then does with the leader's old
// stop must not resume the new image before it is masked.
const auditProbe = path.join(repoRoot, 'build', 'Release', 'hwcap-cpuid-audit-probe');
const leaderSkip = skip || !fs.existsSync(auditProbe) || !fs.existsSync(testLauncher);
describe.skipIf(leaderSkip)(`the leader in a stop the helper took, while another thread execs${leaderSkip && !why ? ' (skipped: no test build or audit probe here)' : why}`, () => {
  for (const kind of ['signals', 'forks']) {
    it(`leader ${kind === 'signals' ? 'taking SIGUSR1 in a loop' : 'forking in a loop'}: the new image is masked (3 runs)`, () => {
      for (let i = 0; i < 3; i++) {
        const words = { hwcap: keep.hwcap!, hwcap2: keep.hwcap2! };
        const r = launch(words, [auditProbe, 'busy-leader-exec', kind, probe], { ...process.env, HWCAP_EXEC_FAULT: 'slow-stop' });
        expect(`run ${i}: ${r.signal ?? r.status} ${r.stderr}`).toBe(`run ${i}: 0 `);
        expectExactly(r.views, words);
      }
    });
  }
});
