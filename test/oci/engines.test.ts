// hwcap-runtime under the engines, as docs/containers.md configures them: podman 4.3.1
// (--runtime, image from `podman import` of a busybox rootfs; private storage) and containerd
// 1.6.20's runc shim (`ctr run --runc-binary`, a private containerd: its own config, root,
// state and socket) with the node's default policy.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import * as cp from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FeatureSet, hwcapWords } from '../../lib';
import { auxvDrop, containerdSkip, ctr, containerd, importRootfs, privatePodmanGlobals, removeAllContainers, lackedFeature, makeRootfs, odHwcap, podman, podmanSkip, runc, runtimeBin, tmp } from '../support/oci-fixture';

// Real containers and CRIU on a shared machine: minutes under load, not the default 30 s.
vi.setConfig({ testTimeout: 300_000, hookTimeout: 300_000 });

const ULIMITS = ['--ulimit', 'nofile=1024:1024', '--ulimit', 'nproc=1024:1024'];
const IMAGE = 'localhost/hwcap-oci-test:1';
const OD_AUXV = ['od', '-A', 'n', '-t', 'x8', '-v'];

let dir = '';
let podmanGlobals: string[] = [];

function pod(args: string[], timeout = 120_000): { status: number | null; stdout: string; stderr: string } {
  const r = cp.spawnSync(podman!, [...podmanGlobals, ...args], { encoding: 'utf8', timeout, env: { ...process.env, HWCAP_NODE: process.execPath } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(() => {
  if (podmanSkip) return;
  dir = tmp('hwcap-oci-engines-');
  const rootfs = makeRootfs(path.join(dir, 'rootfs'));
  podmanGlobals = privatePodmanGlobals(dir);
  importRootfs(pod, rootfs, dir, IMAGE);
}, 180_000);

afterAll(() => {
  if (!dir) return;
  removeAllContainers(pod, [`hwcap-ctr-m${process.pid}`, `hwcap-ctr-p${process.pid}`]); // and what a failed test left behind the engines' back
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
    const handler = path.join(base, 'hwcap-runtime-masked');
    fs.writeFileSync(handler, `#!/bin/sh\nHWCAP_RUNTIME_CONFIG=${policy} HWCAP_NODE=${process.execPath} exec ${runtimeBin} "$@"\n`, { mode: 0o755 });
    const plain = path.join(base, 'hwcap-runtime-plain');
    fs.writeFileSync(plain, `#!/bin/sh\nHWCAP_RUNTIME_CONFIG=${path.join(base, 'none.json')} HWCAP_NODE=${process.execPath} exec ${runtimeBin} "$@"\n`, { mode: 0o755 });
    fs.writeFileSync(path.join(base, 'none.json'), JSON.stringify({ schema: 'hwcap.runtime-config/1', runtime: runc }));
    const cmd = ['/bin/sh', '-c', 'grep TracerPid /proc/1/status; od -A n -t x8 -v /proc/self/auxv'];
    const masked = ctrRun(['run', '--rm', '--snapshotter', 'native', '--runc-binary', handler, IMAGE, `hwcap-ctr-m${process.pid}`, ...cmd]);
    expect(masked.stderr).toBe('');
    expect(masked.status).toBe(0);
    expect(masked.stdout).not.toMatch(/^TracerPid:\t0\n/);
    expect(odHwcap(masked.stdout.split('\n').slice(1).join('\n'))).toBe(hwcapWords('process').hwcap & ~drop.bit);
    const passed = ctrRun(['run', '--rm', '--snapshotter', 'native', '--runc-binary', plain, IMAGE, `hwcap-ctr-p${process.pid}`, ...cmd]);
    expect(passed.status).toBe(0);
    expect(passed.stdout).toMatch(/^TracerPid:\t0\n/);
    expect(odHwcap(passed.stdout.split('\n').slice(1).join('\n'))).toBe(hwcapWords('process').hwcap);
  });
});
