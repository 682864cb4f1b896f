// Real programs under hwcap-exec --cpuid with real CPUID faulting: glibc's ld.so
// (--help and --list-diagnostics), the `cpuid` tool (scripts/install-cpuid-tool.sh),
// node with worker threads, and a static binary. Every test needs CPUID faulting
// and is skipped, with the launcher's own probe result, where it is unavailable.
import { describe, it, expect, afterAll } from 'vitest';
import * as cp from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { cpuidProbeSources, which } from '../support/helpers';
import { cpuidArgs, cpuidFaulting, cpuidProbe, drop7, drop81, expectMaskedLeaves, faultingSkip, hasAvx2, run, stats, type ProbeView } from '../support/cpuid-fixture';

const ldso = '/lib64/ld-linux-x86-64.so.2';
const hasLdso = fs.existsSync(ldso);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hwcap-cpuid-programs-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe.skipIf(!cpuidFaulting)(`real programs under a CPUID mask${faultingSkip}`, () => {
  const plainHelp = hasLdso ? cp.execFileSync(ldso, ['--help'], { encoding: 'utf8' }) : '';
  const v3 = /x86-64-v3 \(supported/.test(plainHelp);

  it.skipIf(!hasLdso || !v3 || !hasAvx2)("glibc's ld.so --help no longer calls x86-64-v3 supported once avx2 is dropped", () => {
    const r = run([...cpuidArgs, '--', ldso, '--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/x86-64-v3\n/);
    expect(r.stdout).not.toMatch(/x86-64-v3 \(supported/);
    expect(r.stdout).toMatch(/x86-64-v2 \(supported/); // nothing else lost
    expect(stats(r).traps).toBeGreaterThan(0);
  });

  it.skipIf(!hasLdso)("ld.so --list-diagnostics shows the masked CPUID words in glibc's own copy", () => {
    const r = run([...cpuidArgs, '--', ldso, '--list-diagnostics']);
    expect(r.status).toBe(0);
    const word = (index: number, regi: number) => {
      const m = new RegExp(`^x86\\.cpu_features\\.features\\[0x${index.toString(16)}\\]\\.cpuid\\[0x${regi}\\]=0x([0-9a-f]+)$`, 'm').exec(r.stdout);
      return m ? parseInt(m[1]!, 16) : NaN;
    };
    // glibc's cpuid_register_index: 0 = leaf 1, 1 = leaf 7.0, 2 = leaf 0x80000001.
    expect(word(1, 1) & drop7).toBe(0);
    expect(word(2, 2) & drop81).toBe(0);
    const plain = cp.execFileSync(ldso, ['--list-diagnostics'], { encoding: 'utf8' });
    const plainWord = new RegExp('^x86\\.cpu_features\\.features\\[0x1\\]\\.cpuid\\[0x1\\]=0x([0-9a-f]+)$', 'm').exec(plain);
    expect(word(1, 1)).toBe((parseInt(plainWord![1]!, 16) & ~drop7) >>> 0);
  });

  it.skipIf(!which('cpuid'))(`the cpuid tool sees the masked leaf 7${which('cpuid') ? '' : ' (skipped: the cpuid tool is not installed; scripts/install-cpuid-tool.sh)'}`, () => {
    const r = run([...cpuidArgs, '--', 'cpuid', '-1', '-r', '-l', '7', '-s', '0']);
    expect(r.status).toBe(0);
    const m = /0x00000007 0x00: eax=0x[0-9a-f]+ ebx=0x([0-9a-f]+)/.exec(r.stdout);
    expect(m).not.toBeNull();
    expect(parseInt(m![1]!, 16) & drop7).toBe(0);
  });

  it('node: the main thread and a worker thread start masked programs; node itself traps its own CPUIDs', () => {
    const script = path.join(tmp, 'worker.js');
    fs.writeFileSync(
      script,
      `const { Worker, isMainThread, parentPort } = require('node:worker_threads');
const { execFileSync } = require('node:child_process');
const run = () => JSON.parse(execFileSync(${JSON.stringify(cpuidProbe)}, { encoding: 'utf8' }));
if (isMainThread) {
  const w = new Worker(__filename);
  w.on('message', (fromWorker) => { console.log(JSON.stringify({ main: run(), worker: fromWorker })); });
} else {
  parentPort.postMessage(run());
}
`,
    );
    const r = run([...cpuidArgs, '--', process.execPath, script], process.env, 60_000);
    expect(r.status).toBe(0);
    const v = JSON.parse(r.stdout) as { main: ProbeView; worker: ProbeView };
    for (const view of [v.main, v.worker]) for (const where of ['main', 'thread', 'child'] as const) expectMaskedLeaves(view[where], expect);
    expect(stats(r).traps).toBeGreaterThan(27 * 2); // node's own CPUIDs too
  });

  const gcc = which('gcc');
  const staticProbe = path.join(tmp, 'cpuid-probe-static');
  const builtStatic = cpuidFaulting && !!gcc && cp.spawnSync(gcc, ['-static', '-O2', '-pthread', '-o', staticProbe, ...cpuidProbeSources]).status === 0;
  it.skipIf(!builtStatic)(`a static binary (gcc -static): every thread and fork masked${builtStatic ? '' : ' (skipped: gcc -static is unavailable)'}`, () => {
    const r = run([...cpuidArgs, '--', staticProbe]);
    expect(r.status).toBe(0);
    const v = JSON.parse(r.stdout) as ProbeView;
    for (const where of ['main', 'thread', 'child'] as const) expectMaskedLeaves(v[where], expect);
  });

  it('a shell tree: every exec is armed again, every image masked', () => {
    const r = run([...cpuidArgs, '--', 'sh', '-c', `${cpuidProbe}; sh -c '${cpuidProbe}'`]);
    expect(r.status).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(2);
    for (const l of lines) expectMaskedLeaves((JSON.parse(l) as ProbeView).main, expect);
    expect(stats(r).arms).toBeGreaterThanOrEqual(4); // sh, probe, sh, probe
  });
});
