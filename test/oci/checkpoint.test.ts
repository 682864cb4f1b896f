// hwcap-runtime checkpoint and restore with real CRIU 4.1.1 (scripts/criu/build.sh), under
// podman 4.3.1 (in place, and export → rm → import under a new name) and runc 1.1.5 (the
// take-backs of --leave-running and of a failed checkpoint, a restore from the image directory's
// mask alone, the refusals and the fail-closed kills). After each restore the running processes
// go on, a new helper follows pid 1 (its TracerPid, seen from the host: the helper runs in the
// host's pid namespace), and what the container execs is masked; where CPUID faults, the CPUID of
// its running threads and of what it execs too. Last, without any runtime, the options a masked
// container is never checkpointed with.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import * as cp from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { catalog, decodeWords, FeatureSet, hwcapWords } from '../../lib';
import type * as Handover from '../../lib/launcher/handover';
import { checkpoint } from '../../lib/oci/checkpoint';
import { parseRuncArgv } from '../../lib/oci/runtime';
import { repoRoot } from '../support/helpers';
import { probeCriu } from '../support/criu-fixture';
import { cpuidFaulting, drop7, faultingSkip, reg, type ProbeView } from '../support/cpuid-fixture';
import { auxvDrop, importRootfs, lackedFeature, makeBundle, makeRootfs, muslGcc, odHwcap, podman, podmanSkip, privatePodmanGlobals, removeAllContainers, runc, runcSkip, runtime, runtimeBin, tmp, killByCgroup } from '../support/oci-fixture';

// A failure injected into the checkpoint's hold, for the take-back after a freeze that fails: the
// real release, whose whileHeld (the move and the freeze) runs and then throws what
// inject.afterHold holds. Unset, release is the library's own.
const inject = vi.hoisted(() => ({ afterHold: undefined as Error | undefined }));
vi.mock('../../lib/launcher/handover', async (importOriginal) => {
  const real = await importOriginal<typeof Handover>();
  const release: typeof real.release = (pid, options) => {
    const held = options?.whileHeld;
    const failure = inject.afterHold;
    if (!held || !failure) return real.release(pid, options);
    return real.release(pid, {
      ...options,
      whileHeld: async (h) => {
        await held(h);
        throw failure;
      },
    });
  };
  return { ...real, release };
});

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
/** Why the CPUID loop (test/criu/fixtures/cpuid-loop.c, static) is not in the rootfs, or ''. */
const loopSkip = os.arch() !== 'x64' ? ' (skipped: the CPUID loop is x86-64 only)' : !muslGcc ? ' (skipped: no musl-gcc to link the CPUID loop statically)' : '';
const env = () => ({ ...process.env, PATH, HWCAP_NODE: process.execPath });

const hostTracer = (pid: number): number => Number(/\nTracerPid:\t(\d+)\n/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? -1);
const pause = (s: number) => cp.spawnSync('sleep', [String(s)]);

beforeAll(() => {
  if (criuSkip) return;
  dir = tmp('hwcap-oci-cr-');
  rootfs = makeRootfs(path.join(dir, 'rootfs'));
  // The container's pid 1 of the CPUID case: two threads that each run CPUID leaf 7 every 10 ms
  // and write what they saw, and whether faulting is armed in them, to /tmp/main and /tmp/thread.
  if (!loopSkip) {
    const r = cp.spawnSync(muslGcc!, ['-static', '-O2', '-pthread', '-o', path.join(rootfs, 'bin', 'cpuid-loop'), path.join(repoRoot, 'test', 'criu', 'fixtures', 'cpuid-loop.c')], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`musl-gcc cpuid-loop.c: ${r.stderr}`);
  }
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
    // A checkpoint of a restored container: its dump ends the tree (runc deletes it, no error).
    const ex = pod(['container', 'checkpoint', '--export', archive, name]);
    expect(ex.stderr).toBe('');
    expect(ex.status).toBe(0);
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

  /** The last line of /tmp/main or /tmp/thread of the CPUID loop: its count of CPUIDs, the EBX of leaf 7 it saw, and ARCH_GET_CPUID (0: faulting armed in that thread). */
  const loopBeat = (name: string, thread: 'main' | 'thread'): { n: number; ebx: number; get: number } | undefined => {
    const m = /n=(\d+) ebx=0x([0-9a-f]+) get=(-?\d+)/.exec(pod(['exec', name, 'cat', `/tmp/${thread}`]).stdout);
    return m ? { n: Number(m[1]), ebx: parseInt(m[2]!, 16) >>> 0, get: Number(m[3]) } : undefined;
  };

  /** Both running threads of pid 1 go on, CPUID faulting armed in each, and read leaf 7 masked; a helper follows pid 1; a new exec's main thread, second thread and child read it masked. */
  function expectCpuidMasked(name: string, masked: number) {
    const before = { main: loopBeat(name, 'main'), thread: loopBeat(name, 'thread') };
    pause(0.5);
    for (const t of ['main', 'thread'] as const) {
      const b = loopBeat(name, t);
      expect(b, t).toBeDefined();
      expect(b!.n, t).toBeGreaterThan(before[t]?.n ?? 0);
      expect({ ebx: b!.ebx.toString(16), get: b!.get }, t).toEqual({ ebx: masked.toString(16), get: 0 });
    }
    expect(hostTracer(hostPid(name))).toBeGreaterThan(0);
    const v = JSON.parse(pod(['exec', name, 'cpuid-probe']).stdout) as ProbeView;
    for (const where of [v.main, v.thread, v.child]) expect(reg(where['7.0'], 1)).toBe(masked);
  }

  it.skipIf(!cpuidFaulting || loopSkip !== '')(`masks CPUID again after each restore, in place and after an import: the running threads re-armed, a new exec's CPUID masked (real CPUID faulting)${faultingSkip}${loopSkip}`, () => {
    const name = `hwcap-cr-cpuid-${process.pid}`;
    const other = `${name}-b`;
    expect(pod(['run', '-d', '--name', name, '--network', 'none', '--runtime', runtimeBin, ...ULIMITS, '--annotation', `io.hwcap.drop=${cpuidDrop()}`, IMAGE, '/bin/cpuid-loop', '/tmp']).status).toBe(0);
    try {
      pause(0.5);
      const host = JSON.parse(cp.execFileSync(path.join(rootfs, 'bin', 'cpuid-probe'), { encoding: 'utf8' })) as ProbeView;
      const masked = masked7(reg(host.main['7.0'], 1));
      expect(masked).not.toBe(reg(host.main['7.0'], 1));
      expectCpuidMasked(name, masked);

      const ck = pod(['container', 'checkpoint', name]);
      expect(ck.stderr).toBe('');
      expect(ck.status).toBe(0);
      const rs = pod(['container', 'restore', name]);
      expect(rs.stderr).toBe('');
      expect(rs.status).toBe(0);
      expectCpuidMasked(name, masked);

      const archive = path.join(dir, 'cpuid.tar');
      const ex = pod(['container', 'checkpoint', '--export', archive, name]);
      expect(ex.stderr).toBe('');
      expect(ex.status).toBe(0);
      const saved = JSON.parse(cp.execFileSync('tar', ['-xOf', archive, 'checkpoint/hwcap-mask.json'], { encoding: 'utf8' })) as { cpuid: string[] };
      expect(saved.cpuid.length).toBeGreaterThan(0);
      pod(['rm', '--force', '--time', '0', name]);
      const imp = pod(['container', 'restore', '--import', archive, '--name', other]);
      expect(imp.stderr).toBe('');
      expect(imp.status).toBe(0);
      expectCpuidMasked(other, masked);
    } finally {
      pod(['rm', '--force', '--time', '0', name]);
      pod(['rm', '--force', '--time', '0', other]);
    }
  });
});

describe.skipIf(criuSkip !== '')(`runc checkpoint and restore through hwcap-runtime: the take-backs, the refusals and the kills${criuSkip}`, () => {
  let root = '';
  let n = 0;
  beforeAll(() => {
    root = path.join(dir, 'state');
  });
  afterAll(() => {
    killByCgroup([`hwcap-cr-r${process.pid}-`]); // what a failed test left running: its delete never ran
  });

  const drop = () => auxvDrop();
  /** The AT_HWCAP a masked exec of these containers sees. */
  const want = () => hwcapWords('process').hwcap & ~drop().bit;

  /** A masked container (auxv-only) under runc, running the counter: its id and bundle. */
  function started(): { id: string; bundle: string } {
    const id = `hwcap-cr-r${process.pid}-${++n}`;
    const bundle = makeBundle(path.join(dir, id), rootfs, { args: COUNTER, annotations: { 'io.hwcap.drop': drop().name, 'io.hwcap.auxv-only': 'true' } });
    // stdio on /dev/null, which runc hands CRIU as an external file (a deleted regular file would not restore).
    expect(cp.spawnSync(runtimeBin, ['--root', path.join(root, 'runc'), 'run', '--detach', '--bundle', bundle, id], { stdio: 'ignore', env: env(), timeout: 60_000 }).status).toBe(0);
    pause(0.3);
    return { id, bundle };
  }

  /** hwcap-runtime checkpoint of a running container into a new image directory; the run and that directory. */
  function checkpointNow(id: string, extra: string[] = []): { r: ReturnType<typeof runtime>; images: string } {
    const images = path.join(dir, `${id}-images-${++n}`);
    return { r: runtime(root, ['checkpoint', ...extra, '--image-path', images, id], { env: env() }), images };
  }

  /** A masked container (auxv-only) under runc, checkpointed by hwcap-runtime and deleted: its bundle and image directory. */
  function checkpointed(): { id: string; bundle: string; images: string } {
    const { id, bundle } = started();
    const { r: ck, images } = checkpointNow(id);
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

  /** The container runs (runc's state), its counter goes on, a helper follows pid 1, and an exec through hwcap-runtime sees the masked AT_HWCAP. */
  function expectRunningMasked(id: string): void {
    const st = JSON.parse(runtime(root, ['state', id], { real: true }).stdout) as { status: string; pid: number };
    expect(st.status).toBe('running');
    const count = () => Number(runtime(root, ['exec', id, 'cat', '/tmp/n'], { env: env() }).stdout.trim());
    const a = count();
    pause(0.5);
    expect(count()).toBeGreaterThan(a);
    expect(hostTracer(st.pid)).toBeGreaterThan(0);
    expect(odHwcap(runtime(root, ['exec', id, ...OD_AUXV], { env: env() }).stdout)).toBe(want());
  }

  /**
   * A later plain checkpoint and restore of the same container work, and it runs on masked (a
   * pending SIGCONT, or a tree left stopped, would fail here). Then a checkpoint of the restored
   * container ends its tree and runc deletes it: the restore's leave-stopped is not the dump's.
   */
  function expectCheckpointsAgain(id: string, bundle: string): void {
    const { r: ck, images } = checkpointNow(id);
    expect(ck.stderr).toBe('');
    expect(ck.status).toBe(0);
    runtime(root, ['delete', '--force', id], { real: true });
    const rs = restoreDetached(id, images, bundle);
    expect(rs.stderr).toBe('');
    expect(rs.status).toBe(0);
    expectRunningMasked(id);
    const pid = (JSON.parse(runtime(root, ['state', id], { real: true }).stdout) as { pid: number }).pid;
    const { r: last } = checkpointNow(id);
    expect(last.stderr).toBe('');
    expect(last.status).toBe(0);
    expect(ended(pid)).toBe(true);
    expect(runtime(root, ['state', id], { real: true }).status).not.toBe(0);
  }

  /** Rewrites the saved mask as another node's checkpoint would carry it. */
  function resave(bundle: string, images: string, edit: (m: { keep: string[]; cpuid: string[]; flags: string[] }) => void): Buffer {
    const file = path.join(bundle, 'config.json');
    const c = JSON.parse(fs.readFileSync(file, 'utf8')) as { annotations: Record<string, string> };
    const m = JSON.parse(c.annotations['io.hwcap.mask']!) as { keep: string[]; cpuid: string[]; flags: string[] };
    edit(m);
    c.annotations['io.hwcap.mask'] = JSON.stringify(m);
    fs.writeFileSync(file, JSON.stringify(c));
    fs.writeFileSync(path.join(images, 'hwcap-mask.json'), JSON.stringify(m));
    return fs.readFileSync(file);
  }

  /** Whether pid has ended (gone, or a zombie) within 5 s. */
  function ended(pid: number): boolean {
    const alive = () => {
      try {
        return !/\nState:\tZ/.test(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
      } catch {
        return false;
      }
    };
    for (let i = 0; i < 100 && alive(); i++) pause(0.05);
    return !alive();
  }

  /** The container's processes are gone (killed, not waiting stopped), and runc no longer runs it. */
  async function expectKilled(id: string, pid: number): Promise<void> {
    expect(ended(pid)).toBe(true);
    const state = runtime(root, ['state', id], { real: true });
    if (state.status === 0) expect(JSON.parse(state.stdout)).toMatchObject({ status: 'stopped' });
  }

  it('takes the container back after a checkpoint with --leave-running: it runs on masked, and checkpoints again', () => {
    const { id, bundle } = started();
    try {
      const { r: ck, images } = checkpointNow(id, ['--leave-running']);
      expect(ck.stderr).toBe('');
      expect(ck.status).toBe(0);
      expect(fs.existsSync(path.join(images, 'hwcap-mask.json'))).toBe(true);
      expectRunningMasked(id);
      expectCheckpointsAgain(id, bundle);
    } finally {
      runtime(root, ['delete', '--force', id], { real: true });
    }
  });

  it('takes the container back after a checkpoint that CRIU fails (--page-server to a closed port): it runs on masked, and checkpoints again', () => {
    const { id, bundle } = started();
    try {
      const { r: ck } = checkpointNow(id, ['--page-server', '127.0.0.1:1']);
      expect(ck.status).not.toBe(0);
      expect(ck.stderr).not.toMatch(/could not be taken back|was killed/);
      expectRunningMasked(id);
      expectCheckpointsAgain(id, bundle);
    } finally {
      runtime(root, ['delete', '--force', id], { real: true });
    }
  });

  it('takes the container back when the freeze of its hold fails (failure injected after the freeze): it runs on masked, and checkpoints again', async () => {
    const { id, bundle } = started();
    try {
      const images = path.join(dir, `${id}-frozen`);
      inject.afterHold = new Error('the freezer cgroup did not freeze within 5 s (injected)');
      try {
        await expect(checkpoint(runc!, parseRuncArgv(['--root', path.join(root, 'runc'), 'checkpoint', '--image-path', images, id]))).rejects.toThrow(/^the container could not be frozen: .*injected/);
      } finally {
        inject.afterHold = undefined;
      }
      expect(fs.existsSync(path.join(images, 'dump.log'))).toBe(false);
      expectRunningMasked(id);
      expectCheckpointsAgain(id, bundle);
    } finally {
      runtime(root, ['delete', '--force', id], { real: true });
    }
  });

  it("restores from the image directory's hwcap-mask.json alone, when the bundle's config.json carries no io.hwcap.mask", () => {
    const { id, bundle, images } = checkpointed();
    try {
      const file = path.join(bundle, 'config.json');
      const c = JSON.parse(fs.readFileSync(file, 'utf8')) as { annotations: Record<string, string> };
      delete c.annotations['io.hwcap.mask'];
      fs.writeFileSync(file, JSON.stringify(c));
      const rs = restoreDetached(id, images, bundle);
      expect(rs.stderr).toBe('');
      expect(rs.status).toBe(0);
      expectRunningMasked(id);
      // The restored bundle records the mask again, for the next exec and checkpoint.
      expect(JSON.parse(fs.readFileSync(file, 'utf8')).annotations['io.hwcap.mask']).toBe(fs.readFileSync(path.join(images, 'hwcap-mask.json'), 'utf8').trim());
    } finally {
      runtime(root, ['delete', '--force', id], { real: true });
    }
  });

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

  it('kills the restored container when its restored auxv shows a feature the saved mask drops, rather than let it run with more than the mask keeps (auxv only: any machine)', async () => {
    const { id, bundle, images } = checkpointed();
    // A second feature the container's AT_HWCAP shows, which a mask saved with the image of
    // another container would drop: the launcher flags' --hwcap word without it.
    const other = [...Array(64).keys()].map((b) => 1n << BigInt(b)).find((bit) => (want() & bit) !== 0n && decodeWords(FeatureSet.current().arch, { hwcap: bit }).length === 1)!;
    const otherName = decodeWords(FeatureSet.current().arch, { hwcap: other })[0]!;
    resave(bundle, images, (m) => {
      const at = m.flags.indexOf('--hwcap');
      expect(at).toBeGreaterThanOrEqual(0);
      m.flags[at + 1] = `0x${(BigInt(m.flags[at + 1]!) & ~other).toString(16)}`;
    });
    const r = restoreDetached(id, images, bundle);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`the restored container could not be taken back \\(adopt of pid \\d+\\), so it was killed: pid \\d+'s restored auxv shows ${otherName}, which the saved mask \\(io\\.hwcap\\.mask\\) drops`));
    await expectKilled(id, Number(/adopt of pid (\d+)/.exec(r.stderr)![1]));
    runtime(root, ['delete', '--force', id], { real: true });
  });

  it.skipIf(!cpuidFaulting)(`kills the restored container when the adopt fails, rather than let it run unmasked${faultingSkip}`, async () => {
    const { id, bundle, images } = checkpointed();
    // A saved rule the launcher refuses: the adopt fails after the restore, with the tree left stopped.
    resave(bundle, images, (m) => (m.cpuid = ['7.0:ebx=notahexnumber']));
    const r = restoreDetached(id, images, bundle);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/the restored container could not be taken back \(adopt of pid \d+\), so it was killed/);
    await expectKilled(id, Number(/adopt of pid (\d+)/.exec(r.stderr)![1]));
    runtime(root, ['delete', '--force', id], { real: true });
  });
});

describe('hwcap-runtime checkpoint refuses --pre-dump and --lazy-pages for a masked container, before its helper or the real runtime is asked anything', () => {
  let work = '';
  let sleeper: cp.ChildProcess | undefined;
  beforeAll(() => {
    work = tmp('hwcap-oci-cr-unit-');
  });
  afterAll(() => {
    sleeper?.kill('SIGKILL');
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  it.each(['--pre-dump', '--lazy-pages'])('%s', async (option) => {
    // A runtime that answers `state` with a running masked container (an unfollowed sleep as its
    // pid 1) and logs every command it is given.
    sleeper ??= cp.spawn('sleep', ['1000'], { stdio: 'ignore' });
    const here = FeatureSet.current();
    const mask = { v: 1, launcher: '/.hwcap-exec', flags: [], env: {}, keep: here.names(), absent: [], cpuid: [], auxvOnly: true, allowSecurityMasking: false, arch: here.arch };
    const state = path.join(work, 'state.json');
    fs.writeFileSync(state, JSON.stringify({ id: 'c1', status: 'running', pid: sleeper.pid, annotations: { 'io.hwcap.mask': JSON.stringify(mask) } }));
    const log = path.join(work, `${option.slice(2)}.log`);
    const fake = path.join(work, 'runtime');
    fs.writeFileSync(fake, `#!/bin/sh\necho "$*" >> ${log}\ncase " $* " in *" state "*) cat ${state} ;; *) exit 1 ;; esac\n`, { mode: 0o755 });
    const images = path.join(work, 'images');
    await expect(checkpoint(fake, parseRuncArgv(['--root', work, 'checkpoint', option, '--image-path', images, 'c1']))).rejects.toMatchObject({
      message: expect.stringMatching(/^--pre-dump and --lazy-pages leave the tree running between steps; a masked container is not checkpointed that way/),
      errno: os.constants.errno.EOPNOTSUPP,
    });
    expect(fs.readFileSync(log, 'utf8')).toBe(`--root ${work} state c1\n`);
    expect(fs.existsSync(images)).toBe(false);
  });
});
