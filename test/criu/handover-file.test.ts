// hwcap release --save FILE and hwcap adopt --from FILE: the CPUID rules and the kept features
// travel in a file, and an adopt on a machine that lacks a kept feature is refused before the
// tree is touched. First release and adopt of a live tree, as handover.test.ts does; then the
// workflow of docs/checkpoint.md with real CRIU 4.1.1 (scripts/criu/build.sh) on one machine:
// hwcap exec, release --save, criu dump, criu restore, adopt --from, and what the restored tree
// execs next masked (its AT_HWCAP; its CPUID too where CPUID faults).
import { afterAll, describe, expect, it, vi } from 'vitest';
import * as cp from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as h from '../../lib';
import { cpuidFaulting, cpuidProbe, drop7, faultingSkip, reg, type ProbeView } from '../support/cpuid-fixture';
import { canPtrace, ptraceSkip } from '../support/mask-fixture';
import { auxvDrop, lackedFeature, odHwcap } from '../support/oci-fixture';
import { criuEnv, idInUse, killIf, probeCriu, readIf, run, stateOf, tmpDir, tracerOf, until } from '../support/criu-fixture';

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

const criu = canPtrace ? probeCriu() : ({ ok: false, reason: 'ptrace mode unavailable here' } as const);
const criuSkip = criu.ok ? '' : ` (skipped: ${criu.reason})`;

/** pid and every process under it (/proc/PID/task/TID/children). */
function treeOf(pid: number): number[] {
  const out = [pid];
  for (let i = 0; i < out.length; i++) {
    let tids: string[];
    try {
      tids = fs.readdirSync(`/proc/${out[i]}/task`);
    } catch {
      continue; // gone
    }
    for (const t of tids) for (const c of (readIf(`/proc/${out[i]}/task/${t}/children`) ?? '').split(' ').filter(Boolean)) out.push(Number(c));
  }
  return out;
}

/**
 * `hwcap exec --drop NAME [--auxv-only] -- sh -c …`: the shell writes its pid and waits for DIR/go,
 * running `sleep` meanwhile (each exec masked by the helper). It is released with --save, dumped
 * by CRIU (which ends it), restored, and adopted with --from alone; then DIR/go, and the shell
 * runs PROBE with its output in DIR/out. That output.
 */
async function acrossCriu(drop: string, auxvOnly: boolean, probe: string): Promise<{ out: string; saved: { cpuid: string[]; keep: string[] } }> {
  if (!criu.ok) throw new Error(criu.reason);
  const dir = fs.mkdtempSync(path.join(work, 'criu-'));
  const script = `echo $$ > ${dir}/pid.tmp && mv ${dir}/pid.tmp ${dir}/pid; while [ ! -e ${dir}/go ]; do sleep 0.05; done; ${probe} > ${dir}/out.tmp; mv ${dir}/out.tmp ${dir}/out`;
  const exec = cp.spawn(process.execPath, [cli, 'exec', '--drop', drop, ...(auxvOnly ? ['--auxv-only'] : []), '--', '/bin/sh', '-c', script], { stdio: 'ignore', detached: true });
  started.push(exec.pid!);
  const pid = Number(await until('the shell to start', () => readIf(path.join(dir, 'pid'))?.trim() || undefined, 30_000));
  started.push(pid);
  await until('the helper to follow it', () => ((tracerOf(pid) ?? 0) > 0 ? true : undefined));

  // hwcap release --save FILE PID && criu dump -t PID -D img --shell-job
  const file = path.join(dir, 'hwcap.json');
  const rel = hwcap('release', '--save', file, String(pid));
  expect(rel.stderr).toBe('');
  expect(rel.status).toBe(0);
  expect(stateOf(pid)).toBe('T');
  const img = path.join(dir, 'img');
  fs.mkdirSync(img);
  const tree = treeOf(pid);
  const d = run(criu.bin, ['dump', '-t', String(pid), '-D', img, '-o', 'dump.log', '--shell-job'], { env: criuEnv() });
  expect(d.status, readIf(path.join(img, 'dump.log'))?.slice(-2000)).toBe(0);

  // criu restore -D img -d --shell-job && hwcap adopt --from FILE PID (once the dumped pids are reaped)
  for (const p of tree) await until(`pid ${p} to be free`, () => (idInUse(p) ? undefined : true), 30_000);
  const r = run(criu.bin, ['restore', '-D', img, '-d', '--shell-job', '-o', 'restore.log'], { env: criuEnv() });
  expect(r.status, readIf(path.join(img, 'restore.log'))?.slice(-2000)).toBe(0);
  await until('the restored shell to stop', () => (stateOf(pid) === 'T' ? true : undefined));
  expect(tracerOf(pid)).toBe(0);
  const ad = hwcap('adopt', '--from', file, String(pid));
  expect(ad.stderr).toBe('');
  expect(ad.status).toBe(0);
  expect(ad.stdout).toMatch(new RegExp(`adopted pid ${pid}`));
  expect(tracerOf(pid)).toBeGreaterThan(0);

  fs.writeFileSync(path.join(dir, 'go'), '');
  const out = await until('the probe after the restore', () => readIf(path.join(dir, 'out')), 30_000);
  return { out, saved: JSON.parse(fs.readFileSync(file, 'utf8')) as { cpuid: string[]; keep: string[] } };
}

describe.sequential(`hwcap release --save, criu dump, criu restore, hwcap adopt --from${criuSkip}`, () => {
  it.skipIf(!criu.ok)('auxv only: what the restored tree execs sees the saved mask', async () => {
    const drop = auxvDrop();
    const { out, saved } = await acrossCriu(drop.name, true, 'od -A n -t x8 -v /proc/self/auxv');
    expect(saved.cpuid).toEqual([]);
    expect(saved.keep).not.toContain(drop.name);
    expect(odHwcap(out)).toBe(h.hwcapWords('process').hwcap & ~drop.bit);
  });

  it.skipIf(!criu.ok || !cpuidFaulting)(`CPUID: the saved rules armed again, what the restored tree execs reads CPUID masked in each thread and child (real CPUID faulting)${faultingSkip}`, async () => {
    const name = h.catalog('x86_64').find((row) => row.word === 'CPUID.7.0:EBX' && 1 << row.bit === drop7)!.name;
    const masked7 = (host: number): number => (host & (h.FeatureSet.current().without([name]).cpuid['CPUID.7.0:EBX'] ?? 0)) >>> 0;
    const host = JSON.parse(cp.execFileSync(cpuidProbe, { encoding: 'utf8' })) as ProbeView;
    const { out, saved } = await acrossCriu(name, false, cpuidProbe);
    expect(saved.cpuid.length).toBeGreaterThan(0);
    const v = JSON.parse(out) as ProbeView;
    const want = masked7(reg(host.main['7.0'], 1));
    expect(want).not.toBe(reg(host.main['7.0'], 1));
    for (const where of [v.main, v.thread, v.child]) expect(reg(where['7.0'], 1)).toBe(want);
  });
});
