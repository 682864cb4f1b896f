// hwcap-runtime under the engines, as docs/containers.md configures them: podman 4.3.1
// (--runtime by path, and by name through a containers.conf; image from `podman import` of a
// busybox rootfs; private storage), containerd 1.6.20's runc shim (`ctr run --runc-binary`, a
// private containerd: its own config, root, state and socket) and Docker 20.10 (a private
// dockerd whose daemon.json names a handler under "runtimes"), both with the node's default
// policy. Names carry this process's pid and end in a separator, so that a test run in another
// work tree at the same time (another pid) never matches them.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import * as cp from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FeatureSet, hwcapWords } from '../../lib';
import { which } from '../support/helpers';
import { auxvDrop, containerdSkip, ctr, containerd, importRootfs, killByCgroup, privatePodmanGlobals, removeAllContainers, lackedFeature, makeRootfs, odHwcap, podman, podmanSkip, runc, runcSkip, runtimeBin, tmp } from '../support/oci-fixture';

// Real containers and CRIU on a shared machine: minutes under load, not the default 30 s.
vi.setConfig({ testTimeout: 300_000, hookTimeout: 300_000 });

const ULIMITS = ['--ulimit', 'nofile=1024:1024', '--ulimit', 'nproc=1024:1024'];
const IMAGE = 'localhost/hwcap-oci-test:1';
const OD_AUXV = ['od', '-A', 'n', '-t', 'x8', '-v'];

/** Docker's daemon (Debian's docker.io, 20.10 on bookworm) and its own client beside it. */
const dockerd = which('dockerd');
const dockerCli = dockerd && fs.existsSync(path.join(path.dirname(fs.realpathSync(dockerd)), 'docker')) ? path.join(path.dirname(fs.realpathSync(dockerd)), 'docker') : which('docker');
const dockerSkip = runcSkip || (!dockerd || !dockerCli ? ' (skipped: no dockerd; scripts/install-containers.sh installs docker.io)' : '');
/** The prefix of every container id and cgroup this file makes outside podman's store. */
const TAG = `hwcap-eng-${process.pid}-`;

let dir = '';
let rootfs = '';
let podmanGlobals: string[] = [];

function pod(args: string[], timeout = 120_000, env: NodeJS.ProcessEnv = {}): { status: number | null; stdout: string; stderr: string } {
  const r = cp.spawnSync(podman!, [...podmanGlobals, ...args], { encoding: 'utf8', timeout, env: { ...process.env, HWCAP_NODE: process.execPath, ...env } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A handler binary, as a RuntimeClass or daemon.json names one: hwcap-runtime with a node file of its own (docs/containers.md). */
function handler(file: string, policyFile: string): string {
  fs.writeFileSync(file, `#!/bin/sh\nHWCAP_RUNTIME_CONFIG=${policyFile} HWCAP_NODE=${process.execPath} exec ${runtimeBin} "$@"\n`, { mode: 0o755 });
  return file;
}

beforeAll(() => {
  if (runcSkip) return;
  dir = tmp('hwcap-oci-engines-');
  rootfs = makeRootfs(path.join(dir, 'rootfs'));
  if (podmanSkip) return;
  podmanGlobals = privatePodmanGlobals(dir);
  importRootfs(pod, rootfs, dir, IMAGE);
}, 180_000);

afterAll(() => {
  if (!dir) return;
  if (!podmanSkip) removeAllContainers(pod);
  killByCgroup([TAG]); // what a failed test left behind the engines' back
  fs.rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(podmanSkip !== '')(`podman --runtime hwcap-runtime${podmanSkip}`, () => {
  const run = (extra: string[], cmd: string[]) => pod(['run', '--rm', '--network', 'none', '--runtime', runtimeBin, ...ULIMITS, ...extra, IMAGE, ...cmd]);

  it('passes an unannotated container through: no launcher, no helper, the host AT_HWCAP', () => {
    const r = run([], ['/bin/sh', '-c', 'ps -o pid,comm; grep TracerPid /proc/1/status; od -A n -t x8 -v /proc/self/auxv']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^PID +COMMAND\n +1 sh\n +\d+ ps\nTracerPid:\t0\n/);
    expect(odHwcap(r.stdout.split('\n').slice(4).join('\n'))).toBe(hwcapWords('process').hwcap);
  });

  it('masks an annotated container in pid 1, its children and podman exec', () => {
    const drop = auxvDrop();
    const want = hwcapWords('process').hwcap & ~drop.bit;
    const name = `hwcap-masked-${process.pid}`;
    const r = pod(['run', '-d', '--name', name, '--network', 'none', '--runtime', runtimeBin, ...ULIMITS, '--annotation', `io.hwcap.drop=${drop.name}`, '--annotation', 'io.hwcap.auxv-only=true', IMAGE, '/bin/sh', '-c', 'od -A n -t x8 -v /proc/self/auxv > /tmp/child; exec sleep 1000']);
    expect(r.status).toBe(0);
    try {
      let child = '';
      for (let i = 0; i < 100 && child.trim() === ''; i++) {
        child = pod(['exec', name, 'cat', '/tmp/child']).stdout;
        if (child.trim() === '') cp.spawnSync('sleep', ['0.1']);
      }
      expect(odHwcap(child)).toBe(want);
      expect(odHwcap(pod(['exec', name, ...OD_AUXV, '/proc/1/auxv']).stdout)).toBe(want);
      expect(odHwcap(pod(['exec', name, ...OD_AUXV, '/proc/self/auxv']).stdout)).toBe(want);
      const cpuinfo = pod(['exec', name, 'grep', '-m1', '^flags', '/proc/cpuinfo']).stdout;
      expect(cpuinfo.split(/\s+/)).not.toContain(drop.name);
      expect(pod(['exec', name, 'cat', '/proc/1/cmdline']).stdout).toBe('sleep\u00001000\u0000');
    } finally {
      pod(['rm', '--force', '--time', '0', name]);
    }
  });

  it('refuses a bad annotation before runc runs, saying why, and leaves no container', () => {
    const r = run(['--annotation', 'io.hwcap.drop=avx3'], ['/bin/true']);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/hwcap-runtime: create \w+: io\.hwcap\.drop="avx3": unknown feature 'avx3'/);
    expect(pod(['ps', '--all', '--quiet']).stdout.trim()).toBe('');
  });

  it('refuses a node that lacks the baseline before start, naming the feature', () => {
    const here = FeatureSet.current();
    const lacked = lackedFeature();
    const file = path.join(dir, 'baseline.json');
    fs.writeFileSync(file, JSON.stringify(here.union(FeatureSet.fromNames(here.arch, [lacked])).toJSON()));
    const r = run(['--annotation', `io.hwcap.baseline=${file}`, '--annotation', 'io.hwcap.auxv-only=true'], ['/bin/true']);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(new RegExp(`this node lacks ${lacked} of io\\.hwcap\\.baseline \\(${file.replace(/[.]/g, '\\.')}\\)`));
    expect(pod(['ps', '--all', '--quiet']).stdout.trim()).toBe('');
  });

  it('takes the runtime by name from a containers.conf (CONTAINERS_CONF): [engine.runtimes] hwcap', () => {
    const drop = auxvDrop();
    const conf = path.join(dir, 'containers.conf');
    fs.writeFileSync(conf, `[engine.runtimes]\nhwcap = ["${runtimeBin}"]\n`);
    const r = pod(['run', '--rm', '--network', 'none', '--runtime', 'hwcap', ...ULIMITS, '--annotation', `io.hwcap.drop=${drop.name}`, '--annotation', 'io.hwcap.auxv-only=true', IMAGE, '/bin/sh', '-c', 'grep TracerPid /proc/1/status; od -A n -t x8 -v /proc/self/auxv'], 120_000, { CONTAINERS_CONF: conf });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^TracerPid:\t[1-9]\d*\n/);
    expect(odHwcap(r.stdout.split('\n').slice(1).join('\n'))).toBe(hwcapWords('process').hwcap & ~drop.bit);
    // Without that file podman knows no runtime of that name: the masking came from it.
    const without = pod(['run', '--rm', '--network', 'none', '--runtime', 'hwcap', ...ULIMITS, IMAGE, '/bin/true'], 120_000, { CONTAINERS_CONF: path.join(dir, 'none.conf') });
    expect(without.status).not.toBe(0);
  });
});

describe.skipIf(containerdSkip !== '')(`containerd's runc shim (ctr run --runc-binary) with the node's default policy${containerdSkip}`, () => {
  let daemon: cp.ChildProcess | undefined;
  let sock = '';
  const ctrRun = (args: string[]) => cp.spawnSync(ctr!, ['--address', sock, ...args], { encoding: 'utf8', timeout: 120_000 });

  beforeAll(async () => {
    const base = path.join(dir, 'containerd');
    fs.mkdirSync(base, { recursive: true });
    sock = path.join(base, 'containerd.sock');
    const config = path.join(base, 'config.toml');
    fs.writeFileSync(
      config,
      [
        'version = 2',
        `root = "${base}/root"`,
        `state = "${base}/state"`,
        'disabled_plugins = ["io.containerd.grpc.v1.cri"]',
        '[grpc]',
        `  address = "${sock}"`,
        '[ttrpc]',
        `  address = "${sock}.ttrpc"`,
        '',
      ].join('\n'),
    );
    const log = fs.openSync(path.join(base, 'containerd.log'), 'w');
    daemon = cp.spawn(containerd!, ['--config', config], { stdio: ['ignore', log, log] });
    fs.closeSync(log);
    for (let i = 0; i < 100 && !fs.existsSync(sock); i++) await new Promise((r) => setTimeout(r, 100));
    if (!fs.existsSync(sock)) throw new Error(`containerd did not start: ${fs.readFileSync(path.join(base, 'containerd.log'), 'utf8')}`);
    const archive = path.join(dir, 'image.tar');
    const saved = pod(['save', '--format', 'oci-archive', '-o', archive, IMAGE]);
    if (saved.status !== 0) throw new Error(`podman save: ${saved.stderr}`);
    const imported = ctrRun(['images', 'import', '--snapshotter', 'native', archive]);
    if (imported.status !== 0) throw new Error(`ctr images import: ${imported.stderr}`);
  }, 180_000);

  afterAll(() => {
    daemon?.kill('SIGTERM');
  });

  it('masks a container by the policy file that the handler binary names, and passes one through with none', () => {
    const drop = auxvDrop();
    const base = path.join(dir, 'containerd');
    const policy = path.join(base, 'policy.json');
    fs.writeFileSync(policy, JSON.stringify({ schema: 'hwcap.runtime-config/1', runtime: runc, policy: { drop: drop.name, 'auxv-only': true } }, null, 2));
    // The handler: a binary per policy, as a RuntimeClass names one (docs/containers.md).
    const masking = handler(path.join(base, 'hwcap-runtime-masked'), policy);
    fs.writeFileSync(path.join(base, 'none.json'), JSON.stringify({ schema: 'hwcap.runtime-config/1', runtime: runc }));
    const plain = handler(path.join(base, 'hwcap-runtime-plain'), path.join(base, 'none.json'));
    const cmd = ['/bin/sh', '-c', 'grep TracerPid /proc/1/status; od -A n -t x8 -v /proc/self/auxv'];
    const masked = ctrRun(['run', '--rm', '--snapshotter', 'native', '--runc-binary', masking, IMAGE, `${TAG}m`, ...cmd]);
    expect(masked.stderr).toBe('');
    expect(masked.status).toBe(0);
    expect(masked.stdout).not.toMatch(/^TracerPid:\t0\n/);
    expect(odHwcap(masked.stdout.split('\n').slice(1).join('\n'))).toBe(hwcapWords('process').hwcap & ~drop.bit);
    const passed = ctrRun(['run', '--rm', '--snapshotter', 'native', '--runc-binary', plain, IMAGE, `${TAG}p`, ...cmd]);
    expect(passed.status).toBe(0);
    expect(passed.stdout).toMatch(/^TracerPid:\t0\n/);
    expect(odHwcap(passed.stdout.split('\n').slice(1).join('\n'))).toBe(hwcapWords('process').hwcap);
  });

  it("masks an exec into a running container (ctr task exec: the shim's exec --process, kubectl exec's path)", () => {
    const drop = auxvDrop();
    const base = path.join(dir, 'containerd');
    const policy = path.join(base, 'policy-exec.json');
    fs.writeFileSync(policy, JSON.stringify({ schema: 'hwcap.runtime-config/1', runtime: runc, policy: { drop: drop.name, 'auxv-only': true } }));
    const masking = handler(path.join(base, 'hwcap-runtime-exec'), policy);
    const id = `${TAG}x`;
    const started = ctrRun(['run', '--detach', '--null-io', '--snapshotter', 'native', '--runc-binary', masking, IMAGE, id, '/bin/sleep', '1000']);
    expect(started.stderr).toBe('');
    expect(started.status).toBe(0);
    try {
      const exec = (n: number, args: string[]) => ctrRun(['task', 'exec', '--exec-id', `e${n}`, id, ...args]);
      const self = exec(1, ['od', '-A', 'n', '-t', 'x8', '-v', '/proc/self/auxv']);
      expect(self.stderr).toBe('');
      expect(self.status).toBe(0);
      expect(odHwcap(self.stdout)).toBe(hwcapWords('process').hwcap & ~drop.bit);
      const status = exec(2, ['cat', '/proc/self/status']);
      expect(status.stdout).toMatch(/\nTracerPid:\t[1-9]\d*\n/);
      expect(exec(3, ['cat', '/proc/1/cmdline']).stdout).toBe('/bin/sleep\u00001000\u0000');
    } finally {
      ctrRun(['task', 'kill', '--signal', 'SIGKILL', id]);
      for (let i = 0; i < 50 && ctrRun(['task', 'delete', id]).status !== 0; i++) cp.spawnSync('sleep', ['0.1']);
      ctrRun(['container', 'delete', id]);
    }
  });
});

describe.skipIf(dockerSkip !== '')(`Docker (a private dockerd; daemon.json "runtimes" names a handler) with the node's default policy${dockerSkip}`, () => {
  let daemon: cp.ChildProcess | undefined;
  let base = '';
  const DIMAGE = 'hwcap-oci-test:1';
  const docker = (args: string[]) => cp.spawnSync(dockerCli!, ['--host', `unix://${base}/docker.sock`, ...args], { encoding: 'utf8', timeout: 120_000 });

  beforeAll(async () => {
    base = path.join(dir, 'docker');
    fs.mkdirSync(base, { recursive: true });
    const drop = auxvDrop();
    const policy = path.join(base, 'policy.json');
    fs.writeFileSync(policy, JSON.stringify({ schema: 'hwcap.runtime-config/1', runtime: runc, policy: { drop: drop.name, 'auxv-only': true } }));
    const masking = handler(path.join(base, 'hwcap-runtime-v3'), policy);
    // daemon.json as docs/containers.md gives it, with this handler's path.
    fs.writeFileSync(path.join(base, 'daemon.json'), JSON.stringify({ runtimes: { hwcap: { path: masking } } }));
    // Its own data root, exec root (with the containerd it starts), socket and pid file; no
    // bridge, no iptables, containers in a cgroup named by this file's tag.
    const log = fs.openSync(path.join(base, 'dockerd.log'), 'w');
    daemon = cp.spawn(
      dockerd!,
      [
        '--config-file', path.join(base, 'daemon.json'), '--data-root', path.join(base, 'data'), '--exec-root', path.join(base, 'exec'), '--pidfile', path.join(base, 'dockerd.pid'),
        '--host', `unix://${base}/docker.sock`, '--bridge', 'none', '--iptables=false', '--ip-masq=false', '--ip6tables=false', '--storage-driver', 'vfs', '--cgroup-parent', `/${TAG}docker`,
      ],
      { stdio: ['ignore', log, log] },
    );
    fs.closeSync(log);
    for (let i = 0; i < 150 && docker(['version']).status !== 0; i++) await new Promise((r) => setTimeout(r, 200));
    if (docker(['version']).status !== 0) throw new Error(`dockerd did not start: ${fs.readFileSync(path.join(base, 'dockerd.log'), 'utf8').slice(-2000)}`);
    const tar = path.join(base, 'rootfs.tar');
    cp.execFileSync('tar', ['-C', rootfs, '-cf', tar, '.']);
    const imported = docker(['import', tar, DIMAGE]);
    if (imported.status !== 0) throw new Error(`docker import: ${imported.stderr}`);
  }, 180_000);

  afterAll(async () => {
    if (!daemon) return;
    docker(['rm', '--force', ...docker(['ps', '--all', '--quiet']).stdout.split('\n').filter(Boolean)]);
    const exited = new Promise((r) => daemon!.once('exit', r));
    daemon.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 20_000))]);
    // What dockerd left mounted under its roots (a container's shm, a network namespace).
    const mounted = fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' ')[4] ?? '').filter((m) => m.startsWith(`${base}/`));
    for (const m of mounted.reverse()) cp.spawnSync('umount', ['-l', m]);
    // The cgroup parent dockerd made in each hierarchy, empty now.
    for (const h of ['', ...(fs.existsSync('/sys/fs/cgroup') ? fs.readdirSync('/sys/fs/cgroup') : [])]) {
      try {
        fs.rmdirSync(path.join('/sys/fs/cgroup', h, `${TAG}docker`));
      } catch {
        // not in this hierarchy ('' is cgroup v2's single one)
      }
    }
  }, 60_000);

  it('masks pid 1 and docker exec by the policy of the handler that daemon.json names (docker run --runtime hwcap)', () => {
    const drop = auxvDrop();
    const want = hwcapWords('process').hwcap & ~drop.bit;
    const name = `${TAG}docker-masked`;
    const r = docker(['run', '--detach', '--name', name, '--network', 'none', '--runtime', 'hwcap', DIMAGE, '/bin/sh', '-c', 'od -A n -t x8 -v /proc/self/auxv > /tmp/child; exec sleep 1000']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    let child = '';
    for (let i = 0; i < 100 && child.trim() === ''; i++) {
      child = docker(['exec', name, 'cat', '/tmp/child']).stdout;
      if (child.trim() === '') cp.spawnSync('sleep', ['0.1']);
    }
    expect(odHwcap(child)).toBe(want);
    expect(odHwcap(docker(['exec', name, ...OD_AUXV, '/proc/1/auxv']).stdout)).toBe(want);
    expect(odHwcap(docker(['exec', name, ...OD_AUXV, '/proc/self/auxv']).stdout)).toBe(want);
    expect(docker(['exec', name, 'cat', '/proc/1/status']).stdout).toMatch(/\nTracerPid:\t[1-9]\d*\n/);
    expect(docker(['exec', name, 'grep', '-m1', '^flags', '/proc/cpuinfo']).stdout.split(/\s+/)).not.toContain(drop.name);
    // The same image under Docker's own runc: unmasked.
    const plain = docker(['run', '--rm', '--network', 'none', '--runtime', 'runc', DIMAGE, ...OD_AUXV, '/proc/self/auxv']);
    expect(plain.status).toBe(0);
    expect(odHwcap(plain.stdout)).toBe(hwcapWords('process').hwcap);
  });
});
