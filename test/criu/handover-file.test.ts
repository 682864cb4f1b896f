// hwcap release --save FILE and hwcap adopt --from FILE: the CPUID rules and the kept features
// travel in a file, and an adopt on a machine that lacks a kept feature is refused before the
// tree is touched. No CRIU: release and adopt of a live tree, as handover.test.ts does.
import { afterAll, describe, expect, it, vi } from 'vitest';
import * as cp from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as h from '../../lib';
import { cpuidFaulting, drop7, faultingSkip } from '../support/cpuid-fixture';
import { canPtrace, ptraceSkip } from '../support/mask-fixture';
import { auxvDrop, lackedFeature } from '../support/oci-fixture';
import { killIf, stateOf, tmpDir, tracerOf, until } from '../support/criu-fixture';

// Real containers and CRIU on a shared machine: minutes under load, not the default 30 s.
vi.setConfig({ testTimeout: 300_000, hookTimeout: 300_000 });

const cli = path.join(__dirname, '..', '..', 'dist', 'cli.js');
const work = tmpDir('hwcap-handover-file-');
const started: number[] = [];
afterAll(() => {
  for (const pid of started) killIf(pid);
  fs.rmSync(work, { recursive: true, force: true });
});

const hwcap = (...args: string[]) => cp.spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 60_000 });

async function masked(options: h.SpawnOptions): Promise<number> {
  const child = h.spawn('sleep', ['100'], { ...options, mode: 'ptrace', stdio: 'ignore', detached: true });
  await new Promise<void>((resolve, reject) => child.once('spawn', resolve).once('error', reject));
  started.push(child.pid!);
  await until('the helper to follow', () => ((tracerOf(child.pid!) ?? 0) > 0 ? true : undefined));
  return child.pid!;
}

describe(`hwcap release --save and hwcap adopt --from${ptraceSkip}`, () => {
  it.skipIf(!canPtrace)('carries what the tree keeps; adopt takes it back, and refuses a machine that lacks a kept feature with the tree untouched', async () => {
    const drop = auxvDrop();
    const here = h.FeatureSet.current();
    const pid = await masked({ hwcaps: here.without([drop.name]), auxvOnly: true });
    const file = path.join(work, 'a.json');
    const rel = hwcap('release', '--save', file, String(pid));
    expect(rel.stderr).toBe('');
    expect(rel.status).toBe(0);
    const saved = JSON.parse(fs.readFileSync(file, 'utf8')) as { schema: string; pid: number; cpuid: string[]; keep: string[]; arch: string };
    expect(saved).toMatchObject({ schema: 'hwcap.handover/1', pid, cpuid: [], arch: here.arch });
    expect(saved.keep).not.toContain(drop.name);
    const ad = hwcap('adopt', '--from', file, String(pid));
    expect(ad.stderr).toBe('');
    expect(ad.status).toBe(0);
    expect(tracerOf(pid)).toBeGreaterThan(0);

    // The same tree, released again, and a file as another machine's release would write it.
    expect(hwcap('release', '--save', file, String(pid)).status).toBe(0);
    const lacked = lackedFeature();
    fs.writeFileSync(file, JSON.stringify({ ...saved, keep: [...saved.keep, lacked] }));
    const refused = hwcap('adopt', '--from', file, String(pid));
    expect(refused.status).toBe(2);
    expect(refused.stderr).toMatch(new RegExp(`this machine lacks ${lacked}, which the released tree keeps`));
    expect(tracerOf(pid)).toBe(0);
    expect(stateOf(pid)).toBe('T');
    expect(hwcap('adopt', '--from', file, '--cpuid', '7.0:ebx=ffffffff', String(pid)).stderr).toMatch(/give --from or --cpuid, not both/);
  });

  it.skipIf(!cpuidFaulting)(`carries the CPUID rules: adopt --from arms them again (real CPUID faulting)${faultingSkip}`, async () => {
    const name = h.catalog('x86_64').find((row) => row.word === 'CPUID.7.0:EBX' && 1 << row.bit === drop7)!.name;
    const pid = await masked({ hwcaps: h.FeatureSet.current().without([name]) });
    const file = path.join(work, 'c.json');
    expect(hwcap('release', '--save', file, String(pid)).status).toBe(0);
    const saved = JSON.parse(fs.readFileSync(file, 'utf8')) as { cpuid: string[]; keep: string[] };
    expect(saved.cpuid.length).toBeGreaterThan(0);
    expect(saved.keep).not.toContain(name);
    const ad = hwcap('adopt', '--json', '--from', file, String(pid));
    expect(ad.status).toBe(0);
    expect((JSON.parse(ad.stdout) as { cpuid: string[] }).cpuid.length).toBeGreaterThan(0);
  });
});
