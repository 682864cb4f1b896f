// The leaves that describe the calling CPU (1's APIC id, 4's caches, 0xb's x2APIC id) are answered
// per CPU under a CPUID mask: the probe pins itself to each CPU it may run on in turn, three rounds,
// and every answer is that CPU's own, as the unmasked probe reads it. The helper skips reading which
// CPU a thread ran on for a (leaf, subleaf) that every CPU of the machine has answered alike
// (cpuid_same_on_every_cpu, stats perCpuAlike); a leaf whose CPUs differ must stay per CPU in
// every round. Real CPUID faulting, and the simulated-trap twin (rdmsr, HWCAP_EXEC_FAULT=cpuid-simulate).
import { describe, expect, it } from 'vitest';
import * as cp from 'node:child_process';
import * as fs from 'node:fs';
import { canPtrace } from '../support/mask-fixture';
import { cpuidArgs, cpuidFaulting, cpuidProbe, faultingSkip, isX64, run, stats, type Regs } from '../support/cpuid-fixture';

interface PerCpu {
  cpus: Record<string, Record<string, Regs>>;
  changed: number[];
}

const plain: PerCpu | null = isX64 ? (JSON.parse(cp.execFileSync(cpuidProbe, ['--per-cpu', '1'], { encoding: 'utf8' })) as PerCpu) : null;
const cpus = plain ? Object.keys(plain.cpus) : [];
const fewCpus = cpus.length < 2;
const skip = !isX64 ? ' (skipped: x86-64 only)' : fewCpus ? ' (skipped: this process may run on fewer than two CPUs)' : '';

/** Every CPU of the machine online, at most 64: the condition under which the helper compares CPUs. */
function allOnline(): boolean {
  const read = (f: string) => fs.readFileSync(`/sys/devices/system/cpu/${f}`, 'utf8').trim();
  try {
    const possible = read('possible');
    const m = /^0(?:-(\d+))?$/.exec(possible);
    return m !== null && Number(m[1] ?? 0) < 64 && read('online') === possible && Number(m[1] ?? 0) + 1 === cpus.length;
  } catch {
    return false;
  }
}

/** The leaves that every CPU answers alike, in the unmasked view. */
function alike(view: PerCpu): string[] {
  const first = view.cpus[cpus[0]!]!;
  return Object.keys(first).filter((leaf) => cpus.every((c) => JSON.stringify(view.cpus[c]![leaf]) === JSON.stringify(first[leaf])));
}

function check(env: NodeJS.ProcessEnv, probeArgs: string[]): void {
  const r = run([...cpuidArgs, '--', cpuidProbe, ...probeArgs, '--per-cpu', '3'], env);
  expect(r.status, r.stderr).toBe(0);
  const seen = JSON.parse(r.stdout) as PerCpu;
  expect(seen.changed).toEqual([]);
  // Each CPU's own answer, in the last of three rounds (by then every CPU has answered each leaf).
  for (const c of cpus) expect(seen.cpus[c], `CPU ${c}`).toEqual(plain!.cpus[c]);
  const s = stats(r);
  // Where every CPU answers a leaf alike and all CPUs are online, its later traps skip the CPU read.
  if (alike(plain!).length && allOnline()) expect(s.perCpuAlike).toBeGreaterThan(0);
  // A leaf whose CPUs differ (1's APIC id on any machine with two CPUs) is never answered that way.
  expect(alike(plain!)).not.toContain('1');
}

describe.skipIf(!isX64 || fewCpus || !canPtrace)(`per-CPU leaves under a CPUID mask${skip}`, () => {
  it.skipIf(!cpuidFaulting)(`each CPU's own leaves 1, 4 and 0xb, in every round (real faulting)${faultingSkip}`, () => {
    check(process.env, []);
  });

  it("each CPU's own leaves 1, 4 and 0xb, in every round (simulated traps)", () => {
    check({ ...process.env, HWCAP_EXEC_FAULT: 'cpuid-simulate' }, ['--simulate']);
  });
});
