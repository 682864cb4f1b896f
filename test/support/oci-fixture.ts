// What the container tests share: the engines (scripts/install-containers.sh installs them),
// a rootfs of Debian's static busybox plus a static CPUID probe, OCI bundles made by `runc
// spec`, and hwcap-runtime run with a private runc root.
import * as cp from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { catalog, decodeWords, FeatureSet, hwcapWords } from '../../lib';
import { cpuidProbeSources, repoRoot, which } from './helpers';

export const runtimeBin = path.join(repoRoot, 'bin', 'hwcap-runtime');
export const runc = which('runc');
export const podman = which('podman');
export const containerd = which('containerd');
export const ctr = which('ctr');
const busyboxFile = ['/bin/busybox', '/usr/bin/busybox'].find((f) => fs.existsSync(f));
const isStatic = (f: string) => {
  try {
    // A static ELF has no PT_INTERP: its text holds no dynamic loader path.
    return !fs.readFileSync(f).includes('/lib64/ld-linux');
  } catch {
    return false;
  }
};
export const busybox = busyboxFile && isStatic(busyboxFile) ? busyboxFile : undefined;
export const muslGcc = which('musl-gcc');

/** Why the runc tests cannot run here, or '' (named in the skipped tests' titles). */
export const runcSkip = !runc ? ' (skipped: no runc; scripts/install-containers.sh installs it)' : !busybox ? ' (skipped: no static busybox; apt-get install busybox-static)' : '';
export const podmanSkip = runcSkip || (!podman ? ' (skipped: no podman; scripts/install-containers.sh installs it)' : '');
export const containerdSkip = runcSkip || (!containerd || !ctr ? ' (skipped: no containerd; scripts/install-containers.sh installs it)' : '') || (!podman ? ' (skipped: no podman to make the image archive)' : '');

/** A static CPUID probe (native/probe/cpuid-probe*.c linked by musl-gcc), or undefined off x86-64 or without musl-gcc. */
export function staticCpuidProbe(dir: string): string | undefined {
  if (os.arch() !== 'x64' || !muslGcc) return undefined;
  const out = path.join(dir, 'cpuid-probe');
  const r = cp.spawnSync(muslGcc, ['-static', '-O2', '-pthread', '-o', out, ...cpuidProbeSources], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`musl-gcc cpuid-probe: ${r.stderr}`);
  return out;
}

/** A rootfs: busybox and its applets in /bin, /bin/cpuid-probe where it can be built. */
export function makeRootfs(dir: string): string {
  const bin = path.join(dir, 'bin');
  fs.mkdirSync(bin, { recursive: true });
  for (const d of ['proc', 'dev', 'sys', 'tmp', 'etc']) fs.mkdirSync(path.join(dir, d), { recursive: true });
  fs.chmodSync(path.join(dir, 'tmp'), 0o1777);
  fs.copyFileSync(busybox!, path.join(bin, 'busybox'));
  fs.chmodSync(path.join(bin, 'busybox'), 0o755);
  for (const applet of ['sh', 'ps', 'cat', 'od', 'sleep', 'grep', 'true', 'env', 'id', 'pwd', 'readlink', 'head', 'tr', 'sed', 'ls', 'echo', 'kill']) {
    fs.symlinkSync('busybox', path.join(bin, applet));
  }
  staticCpuidProbe(bin);
  fs.writeFileSync(path.join(dir, 'etc', 'passwd'), 'root:x:0:0:root:/:/bin/sh\nuser:x:1000:1000:user:/tmp:/bin/sh\n');
  return dir;
}

export interface BundleOptions {
  args: string[];
  annotations?: Record<string, string>;
  env?: string[];
  cwd?: string;
  uid?: number;
}

/** An OCI bundle (`runc spec`, no terminal) over a rootfs; returns its directory. */
export function makeBundle(dir: string, rootfs: string, o: BundleOptions): string {
  fs.mkdirSync(dir, { recursive: true });
  const r = cp.spawnSync(runc!, ['spec', '--bundle', dir], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`runc spec: ${r.stderr}`);
  const file = path.join(dir, 'config.json');
  const c = JSON.parse(fs.readFileSync(file, 'utf8')) as {
    root: { path: string };
    process: { terminal: boolean; args: string[]; env: string[]; cwd: string; user: { uid: number; gid: number }; rlimits?: unknown };
    annotations?: Record<string, string>;
    mounts: { destination: string; type: string; source: string; options: string[] }[];
  };
  c.root.path = rootfs;
  // The rootfs is shared and read-only; /tmp is the container's own.
  c.mounts.push({ destination: '/tmp', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'mode=1777'] });
  c.process.terminal = false;
  c.process.args = o.args;
  if (o.env) c.process.env = [...c.process.env, ...o.env];
  if (o.cwd) c.process.cwd = o.cwd;
  if (o.uid !== undefined) c.process.user = { uid: o.uid, gid: o.uid };
  if (o.annotations) c.annotations = o.annotations;
  fs.writeFileSync(file, JSON.stringify(c, null, 2));
  return dir;
}

export interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** hwcap-runtime (or runc itself with `real`) with a private runc root; stdout and stderr through files, so that a detached container's open ends never hold the call. */
export function runtime(root: string, args: string[], opts: { env?: NodeJS.ProcessEnv; real?: boolean; cwd?: string; timeout?: number; globals?: string[] } = {}): Run {
  const out = path.join(root, `out-${process.pid}-${Math.random().toString(36).slice(2)}`);
  fs.mkdirSync(root, { recursive: true });
  const o = fs.openSync(`${out}.1`, 'w');
  const e = fs.openSync(`${out}.2`, 'w');
  try {
    const r = cp.spawnSync(opts.real ? runc! : runtimeBin, ['--root', path.join(root, 'runc'), ...(opts.globals ?? []), ...args], {
      stdio: ['ignore', o, e],
      env: { ...process.env, HWCAP_NODE: process.execPath, ...opts.env },
      cwd: opts.cwd,
      timeout: opts.timeout ?? 60_000,
    });
    return { status: r.status, stdout: fs.readFileSync(`${out}.1`, 'utf8'), stderr: fs.readFileSync(`${out}.2`, 'utf8') };
  } finally {
    fs.closeSync(o);
    fs.closeSync(e);
    fs.rmSync(`${out}.1`, { force: true });
    fs.rmSync(`${out}.2`, { force: true });
  }
}

/** The AT_HWCAP word of `od -A n -t x8 -v` output of an auxv file (pairs of 8-byte words). */
export function odHwcap(text: string): bigint | undefined {
  const words = text.trim().split(/\s+/).filter(Boolean).map((w) => BigInt(`0x${w}`));
  for (let i = 0; i + 1 < words.length; i += 2) if (words[i] === 16n) return words[i + 1];
  return undefined;
}

/** A feature in this node's AT_HWCAP to drop in auxv-only tests (x86-64: a CPUID.1:EDX bit; the lowest set one that is no security feature), with its bit. */
export function auxvDrop(): { name: string; bit: bigint } {
  const here = FeatureSet.current();
  const w = hwcapWords('process').hwcap;
  for (let b = 0n; b < 64n; b++) {
    const bit = 1n << b;
    if ((w & bit) === 0n) continue;
    const [name] = decodeWords(here.arch, { hwcap: bit });
    if (name && !name.includes('@') && !here.securityNames().includes(name) && !['fpu', 'sse', 'sse2', 'mmx', 'fxsr', 'cx8', 'cmov', 'tsc'].includes(name)) return { name, bit };
  }
  throw new Error('no AT_HWCAP bit to drop');
}

/** A feature of this architecture that this CPU lacks (to name in a baseline this node cannot meet). */
export function lackedFeature(): string {
  const here = FeatureSet.current();
  const prefer = ['pku', 'ospke', 'user_shstk', 'ibt', 'avx512_fp16', 'amx_tile', 'sve2', 'sme'];
  const all = [...prefer, ...catalog(here.arch).map((r) => r.name)];
  for (const n of all) {
    try {
      if (!here.has(n)) return n;
    } catch {
      // not a name of this arch
    }
  }
  throw new Error('this CPU has every feature the test would name');
}

export function tmp(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/**
 * Kills every process whose cgroup path (/proc/<pid>/cgroup) names one of `tags`: runc puts a
 * container in a cgroup named by its id, podman (cgroupfs) in libpod-<full id>. What a test that
 * failed half-way left running (a container's processes, and so the helper that follows them,
 * which ends with its tree). The number killed.
 */
export function killByCgroup(tags: string[]): number {
  const wanted = tags.filter(Boolean);
  if (wanted.length === 0) return 0;
  let n = 0;
  for (const e of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(e) || Number(e) === process.pid) continue;
    let cg: string;
    try {
      cg = fs.readFileSync(`/proc/${e}/cgroup`, 'utf8');
    } catch {
      continue; /* gone */
    }
    if (!wanted.some((t) => cg.includes(t))) continue;
    try {
      process.kill(Number(e), 'SIGKILL');
      n++;
    } catch {
      /* gone */
    }
  }
  return n;
}

/** podman's global options for a store of the test's own under dir: vfs storage, cgroupfs, file events. */
export const privatePodmanGlobals = (dir: string): string[] => [
  '--root', path.join(dir, 'podman', 'root'), '--runroot', path.join(dir, 'podman', 'run'), '--tmpdir', path.join(dir, 'podman', 'tmp'),
  '--storage-driver', 'vfs', '--cgroup-manager', 'cgroupfs', '--events-backend', 'file',
];

type Podman = (args: string[]) => { status: number | null; stdout: string; stderr: string };

/** The rootfs as image `image` of that store (`podman import` of a tar of it, written under dir): no registry here. */
export function importRootfs(pod: Podman, rootfs: string, dir: string, image: string): void {
  const tar = path.join(dir, 'rootfs.tar');
  cp.execFileSync('tar', ['-C', rootfs, '-cf', tar, '.']);
  const r = pod(['import', tar, image]);
  if (r.status !== 0) throw new Error(`podman import: ${r.stderr}`);
}

/** Removes every container of that store, and kills by cgroup what podman no longer knows (a restore that failed half-way). */
export function removeAllContainers(pod: Podman, alsoTags: string[] = []): void {
  const ids = pod(['ps', '--all', '--quiet', '--no-trunc']).stdout?.split('\n').filter(Boolean) ?? [];
  pod(['rm', '--all', '--force', '--time', '0']);
  killByCgroup([...ids, ...alsoTags]);
}

