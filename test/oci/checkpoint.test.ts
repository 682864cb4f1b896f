// hwcap-runtime checkpoint and restore with real CRIU 4.1.1 (scripts/criu/build.sh), under
// podman 4.3.1 (in place, and export → rm → import under a new name) and runc 1.1.5 (the
// refusals). After each restore the running processes go on, a new helper follows pid 1 (its
// TracerPid, seen from the host: the helper runs in the host's pid namespace), and what the
// container execs is masked, CPUID too where CPUID faults.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import * as cp from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { catalog, FeatureSet, hwcapWords } from '../../lib';
import { probeCriu } from '../support/criu-fixture';
import { cpuidFaulting, drop7, faultingSkip, reg, type ProbeView } from '../support/cpuid-fixture';
import { auxvDrop, importRootfs, lackedFeature, makeBundle, makeRootfs, odHwcap, podman, podmanSkip, privatePodmanGlobals, removeAllContainers, runcSkip, runtime, runtimeBin, tmp, killByCgroup } from '../support/oci-fixture';

// Real containers and CRIU on a shared machine: minutes under load, not the default 30 s.
vi.setConfig({ testTimeout: 300_000, hookTimeout: 300_000 });

const criu = runcSkip ? undefined : probeCriu();
const criuSkip = runcSkip || (criu && !criu.ok ? ` (skipped: ${criu.reason})` : '');
/** CRIU first in PATH: podman and runc run `criu` by name. */
const PATH = criu?.ok ? `${path.dirname(criu.bin)}:${process.env.PATH}` : process.env.PATH;
const ULIMITS = ['--ulimit', 'nofile=1024:1024', '--ulimit', 'nproc=1024:1024'];
const IMAGE = 'localhost/hwcap-oci-cr:1';
const OD_AUXV = ['od', '-A', 'n', '-t', 'x8', '-v', '/proc/self/auxv'];
// A counter in a shell that waits for its child (`sleep 0.05`): such a shell blocks signals while it
// waits, so a SIGCONT sent to it then stays pending, and CRIU 4.1.1 cannot restore a pending
// SIGCONT. The checkpoint's hold sends none (release in two steps: frozen, then detached).
const COUNTER = ['/bin/sh', '-c', 'i=0; while true; do i=$((i+1)); echo $i > /tmp/n; sleep 0.05; done'];

let dir = '';
let rootfs = '';
const env = () => ({ ...process.env, PATH, HWCAP_NODE: process.execPath });

const hostTracer = (pid: number): number => Number(/\nTracerPid:\t(\d+)\n/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? -1);
const pause = (s: number) => cp.spawnSync('sleep', [String(s)]);

beforeAll(() => {
  if (criuSkip) return;
  dir = tmp('hwcap-oci-cr-');
  rootfs = makeRootfs(path.join(dir, 'rootfs'));
});
afterAll(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(criuSkip !== '' || podmanSkip !== '')(`podman container checkpoint and restore through hwcap-runtime${criuSkip || podmanSkip}`, () => {
  let g: string[] = [];
  const pod = (args: string[]) => cp.spawnSync(podman!, [...g, ...args], { encoding: 'utf8', timeout: 120_000, env: env() });

  beforeAll(() => {
    g = privatePodmanGlobals(dir);
    importRootfs(pod, rootfs, dir, IMAGE);
  }, 180_000);
  afterAll(() => {
    if (g.length) removeAllContainers(pod);
  });

  const counter = (name: string) => Number(pod(['exec', name, 'cat', '/tmp/n']).stdout.trim());
  const hostPid = (name: string) => Number(pod(['inspect', name, '--format', '{{.State.Pid}}']).stdout.trim());

  /** The running counter goes on, a helper follows pid 1, and a new exec sees the masked AT_HWCAP. */
  async function expectMaskedAndRunning(name: string, want: bigint) {
    const a = counter(name);
    pause(0.5);
    expect(counter(name)).toBeGreaterThan(a);
    expect(hostTracer(hostPid(name))).toBeGreaterThan(0);
    expect(odHwcap(pod(['exec', name, ...OD_AUXV]).stdout)).toBe(want);
  }

  it('checkpoints and restores a masked container in place, and through an export, rm and import under a new name', async () => {
    const drop = auxvDrop();
    const want = hwcapWords('process').hwcap & ~drop.bit;
    const name = `hwcap-cr-${process.pid}`;
    const run = pod(['run', '-d', '--name', name, '--network', 'none', '--runtime', runtimeBin, ...ULIMITS, '--annotation', `io.hwcap.drop=${drop.name}`, '--annotation', 'io.hwcap.auxv-only=true', IMAGE, ...COUNTER]);
    expect(run.stderr).toBe('');
    pause(0.5);
    await expectMaskedAndRunning(name, want);
    const before = counter(name);

    const ck = pod(['container', 'checkpoint', name]);
    expect(ck.stderr).toBe('');
    expect(ck.status).toBe(0);
    const rs = pod(['container', 'restore', name]);
    expect(rs.stderr).toBe('');
    expect(rs.status).toBe(0);
    expect(counter(name)).toBeGreaterThanOrEqual(before);
    await expectMaskedAndRunning(name, want);

    const archive = path.join(dir, 'export.tar');
    expect(pod(['container', 'checkpoint', '--export', archive, name]).status).toBe(0);
    const listing = cp.execFileSync('tar', ['-tf', archive], { encoding: 'utf8' }).split('\n');
    expect(listing).toEqual(expect.arrayContaining(['spec.dump', 'checkpoint/hwcap-mask.json']));
    const saved = JSON.parse(cp.execFileSync('tar', ['-xOf', archive, 'checkpoint/hwcap-mask.json'], { encoding: 'utf8' })) as { keep: string[] };
    expect(saved.keep).not.toContain(drop.name);
    expect(pod(['rm', '--force', '--time', '0', name]).status).toBe(0);
    const other = `${name}-b`;
    const imp = pod(['container', 'restore', '--import', archive, '--name', other]);
    expect(imp.stderr).toBe('');
    expect(imp.status).toBe(0);
    await expectMaskedAndRunning(other, want);
    pod(['rm', '--force', '--time', '0', other]);
  });

  const cpuidDrop = () => catalog('x86_64').find((row) => row.word === 'CPUID.7.0:EBX' && 1 << row.bit === drop7)!.name;
  /** CPUID.7.0:EBX as a drop of cpuidDrop() leaves it: without that bit and every feature that implies it (avx2 takes avx512f …). */
  const masked7 = (host: number): number => (host & (FeatureSet.current().without([cpuidDrop()]).cpuid['CPUID.7.0:EBX'] ?? 0)) >>> 0;

  it.skipIf(!cpuidFaulting)(`masks CPUID again after a restore: the saved rules re-armed, a new exec's CPUID masked (real CPUID faulting)${faultingSkip}`, () => {
    const name = `hwcap-cr-cpuid-${process.pid}`;
    expect(pod(['run', '-d', '--name', name, '--network', 'none', '--runtime', runtimeBin, ...ULIMITS, '--annotation', `io.hwcap.drop=${cpuidDrop()}`, IMAGE, '/bin/sleep', '1000']).status).toBe(0);
    try {
      pause(0.5);
      const host = JSON.parse(cp.execFileSync(path.join(rootfs, 'bin', 'cpuid-probe'), { encoding: 'utf8' })) as ProbeView;
      const masked = masked7(reg(host.main['7.0'], 1));
      const archive = path.join(dir, 'cpuid.tar');
      const ck = pod(['container', 'checkpoint', '--export', archive, name]);
      expect(ck.stderr).toBe('');
      const saved = JSON.parse(cp.execFileSync('tar', ['-xOf', archive, 'checkpoint/hwcap-mask.json'], { encoding: 'utf8' })) as { cpuid: string[] };
      expect(saved.cpuid.length).toBeGreaterThan(0);
      pod(['rm', '--force', '--time', '0', name]);
      const rs = pod(['container', 'restore', '--import', archive, '--name', name]);
      expect(rs.stderr).toBe('');
      expect(rs.status).toBe(0);
      expect(hostTracer(hostPid(name))).toBeGreaterThan(0);
      const v = JSON.parse(pod(['exec', name, 'cpuid-probe']).stdout) as ProbeView;
      for (const where of [v.main, v.thread, v.child]) expect(reg(where['7.0'], 1)).toBe(masked);
    } finally {
      pod(['rm', '--force', '--time', '0', name]);
    }
  });
});

describe.skipIf(criuSkip !== '')(`runc restore through hwcap-runtime: the refusals${criuSkip}`, () => {
  let root = '';
  let n = 0;
  beforeAll(() => {
    root = path.join(dir, 'state');
  });
  afterAll(() => {
    killByCgroup([`hwcap-cr-r${process.pid}-`]); // what a failed test left running: its delete never ran
  });

  /** A masked container (auxv-only) under runc, checkpointed by hwcap-runtime: its bundle and image directory. */
  function checkpointed(): { id: string; bundle: string; images: string } {
    const id = `hwcap-cr-r${process.pid}-${++n}`;
    const bundle = makeBundle(path.join(dir, id), rootfs, { args: COUNTER, annotations: { 'io.hwcap.drop': auxvDrop().name, 'io.hwcap.auxv-only': 'true' } });
    // stdio on /dev/null, which runc hands CRIU as an external file (a deleted regular file would not restore).
    expect(cp.spawnSync(runtimeBin, ['--root', path.join(root, 'runc'), 'run', '--detach', '--bundle', bundle, id], { stdio: 'ignore', env: env(), timeout: 60_000 }).status).toBe(0);
    pause(0.3);
    const images = path.join(dir, `${id}-images`);
    const ck = runtime(root, ['checkpoint', '--image-path', images, id], { env: env() });
    expect(ck.stderr).toBe('');
    expect(ck.status).toBe(0);
    expect(fs.existsSync(path.join(images, 'hwcap-mask.json'))).toBe(true);
    runtime(root, ['delete', '--force', id], { real: true });
    return { id, bundle, images };
  }

  /** runc restore --detach through hwcap-runtime, stdin and stdout on /dev/null as at the run; stderr read back. */
  function restoreDetached(id: string, images: string, bundle: string): { status: number | null; stderr: string } {
    const err = path.join(dir, `${id}.err`);
    const fd = fs.openSync(err, 'w');
    const r = cp.spawnSync(runtimeBin, ['--root', path.join(root, 'runc'), 'restore', '--detach', '--image-path', images, '--bundle', bundle, id], { stdio: ['ignore', 'ignore', fd], env: env(), timeout: 60_000 });
    fs.closeSync(fd);
    return { status: r.status, stderr: fs.readFileSync(err, 'utf8') };
  }

  /** Rewrites the saved mask as another node's checkpoint would carry it. */
  function resave(bundle: string, images: string, edit: (m: { keep: string[]; cpuid: string[] }) => void): Buffer {
    const file = path.join(bundle, 'config.json');
    const c = JSON.parse(fs.readFileSync(file, 'utf8')) as { annotations: Record<string, string> };
    const m = JSON.parse(c.annotations['io.hwcap.mask']!) as { keep: string[]; cpuid: string[] };
    edit(m);
    c.annotations['io.hwcap.mask'] = JSON.stringify(m);
    fs.writeFileSync(file, JSON.stringify(c));
    fs.writeFileSync(path.join(images, 'hwcap-mask.json'), JSON.stringify(m));
    return fs.readFileSync(file);
  }

  it('refuses, before anything is restored, a checkpoint whose saved mask keeps a feature this node lacks, naming it', () => {
    const lacked = lackedFeature();
    const { id, bundle, images } = checkpointed();
    // The checkpoint of a node that had the feature and kept it (the saved baseline names it).
    const before = resave(bundle, images, (m) => m.keep.push(lacked));
    const r = restoreDetached(id, images, bundle);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`^hwcap-runtime: restore ${id}: this node lacks ${lacked} of the saved mask \\(io\\.hwcap\\.mask\\)`));
    expect(runtime(root, ['state', id], { real: true }).status).not.toBe(0);
    expect(fs.readFileSync(path.join(bundle, 'config.json')).equals(before)).toBe(true);
    expect(fs.existsSync(path.join(images, 'restore.log'))).toBe(false);
    expect(FeatureSet.current().has(lacked)).toBe(false);
  });

  it.skipIf(!cpuidFaulting)(`kills the restored container when the adopt fails, rather than let it run unmasked${faultingSkip}`, () => {
    const { id, bundle, images } = checkpointed();
    // A saved rule the launcher refuses: the adopt fails after the restore, with the tree left stopped.
    resave(bundle, images, (m) => (m.cpuid = ['7.0:ebx=notahexnumber']));
    const r = restoreDetached(id, images, bundle);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/the restored container could not be taken back \(adopt of pid \d+\), so it was killed/);
    const pid = Number(/adopt of pid (\d+)/.exec(r.stderr)![1]);
    for (let i = 0; i < 100 && fs.existsSync(`/proc/${pid}`) && !/\nState:\tZ/.test(fs.readFileSync(`/proc/${pid}/status`, 'utf8')); i++) pause(0.05);
    expect(fs.existsSync(`/proc/${pid}`) && !/\nState:\tZ/.test(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))).toBe(false);
    const state = runtime(root, ['state', id], { real: true });
    if (state.status === 0) expect(JSON.parse(state.stdout)).toMatchObject({ status: 'stopped' });
    runtime(root, ['delete', '--force', id], { real: true });
  });
});
