// hwcap adopt takes what hwcap exec takes: a tree started by `hwcap exec --drop ht,avx2`, released
// (`hwcap release PID`) and adopted back with the same `--drop ht,avx2` alone, masks the CPUID of
// what it execs next with the rules that drop implies (lib/launcher/plan.ts), as exec did. With
// real CPUID faulting, and with the simulated traps of the test build (HWCAP_EXEC_FAULT=
// cpuid-simulate: hwcap-cpuid-probe --simulate executes rdmsr where CPUID would be, and the helper
// answers it as a trapped CPUID) where the CPU has none.
import { afterAll, describe, expect, it } from 'vitest';
import * as cp from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FeatureSet } from '../../lib';
import { cpuidFaulting, cpuidProbe, faultingSkip, isX64, type ProbeView } from '../support/cpuid-fixture';
import { canPtrace } from '../support/mask-fixture';
import { killIf, readIf, stateOf, tmpDir, tracerOf, until } from '../support/criu-fixture';

const cliPath = path.join(__dirname, '..', '..', 'dist', 'cli.js');
const here = isX64 ? FeatureSet.current() : undefined;
const hasBoth = here !== undefined && here.has('ht') && here.has('avx2');
const skip = !canPtrace || !isX64 || !hasBoth;
const why = !isX64 ? ' (skipped: x86-64 only)' : !canPtrace ? ' (skipped: ptrace mode unavailable here)' : !hasBoth ? ' (skipped: this CPU lacks ht or avx2)' : '';
const SIMULATED = { HWCAP_TEST_LAUNCHER: '1', HWCAP_EXEC_FAULT: 'cpuid-simulate' };
/** CPUID.1:EDX bit 28 (ht) and CPUID.7.0:EBX bit 5 (avx2). */
const HT = 1 << 28;
const AVX2 = 1 << 5;

const work = tmpDir('hwcap-adopt-drop-');
const started: number[] = [];
afterAll(() => {
  for (const pid of started) killIf(pid);
  fs.rmSync(work, { recursive: true, force: true });
});

function cli(args: string[], env: NodeJS.ProcessEnv): cp.SpawnSyncReturns<string> {
  return cp.spawnSync(process.execPath, [cliPath, ...args], { encoding: 'utf8', env, timeout: 60_000 });
}

/**
 * `hwcap exec --drop ht,avx2 -- sh -c …`: the shell writes its pid, waits for DIR/go, then execs
 * the CPUID probe, whose views land in DIR/out. Released and adopted back with `--drop ht,avx2`.
 */
async function dropThenAdopt(simulate: boolean): Promise<{ view: ProbeView; adoptOut: string; releaseOut: string }> {
  const dir = fs.mkdtempSync(path.join(work, 't-'));
  const env: NodeJS.ProcessEnv = { ...process.env, ...(simulate ? SIMULATED : {}) };
  delete env.LD_PRELOAD;
  const probe = `${cpuidProbe}${simulate ? ' --simulate' : ''}`;
  const script = `echo $$ > ${dir}/pid.tmp && mv ${dir}/pid.tmp ${dir}/pid; while [ ! -e ${dir}/go ]; do sleep 0.05; done; exec ${probe} > ${dir}/out.tmp`;
  const exec = cp.spawn(process.execPath, [cliPath, 'exec', '--drop', 'ht,avx2', '--', '/bin/sh', '-c', script], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  exec.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const ended = new Promise<number | null>((resolve) => exec.on('close', (code) => resolve(code)));
  started.push(exec.pid!);
  const pid = Number(await until('the shell to start', () => readIf(path.join(dir, 'pid'))?.trim() || undefined));
  started.push(pid);
  await until('the helper to follow it', () => (tracerOf(pid) ? true : undefined));

  const rel = cli(['release', String(pid)], env);
  expect(rel.status, rel.stderr).toBe(0);
  expect(stateOf(pid)).toBe('T');
  expect(tracerOf(pid)).toBe(0);

  const adopt = cli(['adopt', '--drop', 'ht,avx2', String(pid)], env);
  expect(adopt.status, adopt.stderr).toBe(0);
  expect(tracerOf(pid)).toBeGreaterThan(0);

  fs.writeFileSync(path.join(dir, 'go'), '');
  expect(await ended, stderr).toBe(0);
  const view = JSON.parse(fs.readFileSync(path.join(dir, 'out.tmp'), 'utf8')) as ProbeView;
  return { view, adoptOut: adopt.stdout, releaseOut: rel.stdout };
}

const edx1 = (v: ProbeView, where: 'main' | 'thread' | 'child'): number => parseInt(v[where]['1']![3], 16) >>> 0;
const ebx7 = (v: ProbeView, where: 'main' | 'thread' | 'child'): number => parseInt(v[where]['7.0']![1], 16) >>> 0;

describe.skipIf(skip).sequential(`hwcap adopt --drop alone applies the CPUID rules it implies${why}`, () => {
  it.skipIf(!cpuidFaulting)(`real faulting: exec --drop ht,avx2, release, adopt --drop ht,avx2: the next exec's CPUID lacks both${faultingSkip}`, async () => {
    const { view, adoptOut, releaseOut } = await dropThenAdopt(false);
    expect(releaseOut).toMatch(/^CPUID masked by .*1:edx=/m);
    expect(adoptOut).toMatch(/^CPUID masked by .*1:edx=.*7\.0:ebx=/m);
    for (const where of ['main', 'thread', 'child'] as const) {
      expect(edx1(view, where) & HT, where).toBe(0);
      expect(ebx7(view, where) & AVX2, where).toBe(0);
    }
  }, 60_000);

  it('simulated traps: the same, answered by the helper of the test build', async () => {
    const { view, adoptOut } = await dropThenAdopt(true);
    expect(adoptOut).toMatch(/^CPUID masked by .*1:edx=.*7\.0:ebx=/m);
    for (const where of ['main', 'thread', 'child'] as const) {
      expect(edx1(view, where) & HT, where).toBe(0);
      expect(ebx7(view, where) & AVX2, where).toBe(0);
    }
  }, 60_000);
});
