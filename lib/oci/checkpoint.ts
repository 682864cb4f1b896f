// hwcap-runtime checkpoint and restore of a masked container (docs/containers.md). An unmasked
// container's pass through untouched.
//
// checkpoint: the container's helper lets go in two steps (release with whileHeld): it holds
//   every task in a ptrace stop and disarms CPUID faulting; this process moves the helper out of
//   the container's freezer cgroup and freezes it (a task in a ptrace stop freezes); the helper
//   detaches the frozen tree and exits. The tree is then frozen, unfollowed and never stopped:
//   CRIU's PTRACE_SEIZE hangs on a stopped task in a frozen cgroup, and the SIGCONT that would
//   end such a stop stays pending in a task that blocks it, which CRIU 4.1.1 cannot restore.
//   Then the real runtime checkpoints (runc has CRIU freeze the cgroup: it is already). The mask
//   travels in config.json's io.hwcap.mask (podman's spec.dump) and in hwcap-mask.json of the
//   image directory (podman's checkpoint/). If the checkpoint fails, or with --leave-running,
//   the tree is stopped, thawed and adopted back; if that adopt fails, the container is killed.
//   A container restored before has its CRIU configuration's leave-stopped taken out first.
// restore: the saved mask is read from the bundle (or the image directory); a node that lacks a
//   kept feature is refused before anything is restored; the bundle's mounts are made this
//   node's (the launcher, a new filtered cpuinfo), CRIU is told to leave the tree stopped
//   (org.criu.config: leave-stopped), the real runtime restores, the restored saved auxv is
//   checked against the saved mask's words, and the tree is adopted: a new helper follows it and
//   arms CPUID faulting in every thread before anything runs. If the check or the adopt fails,
//   the container is killed: it never runs unmasked.
import * as cp from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { decodeWords, FeatureSet } from '../core/features';
import { WORD_KEYS, type HwcapWords } from '../core/words';
import { adopt, HandoverError, release, savedWords } from '../launcher/handover';
import { launcherPath } from '../launcher/paths';
import { probeCpuidFault } from '../launcher/probes';
import { CPUINFO_FILE, maskOf, type MaskRecord, type OciConfig } from './bundle';
import { filterCpuinfo } from './cpuinfo';
import { OciError } from './policy';
import { containerState, delegate, type RuncArgv } from './runtime';

/** The file of the image directory that carries the mask. */
export const MASK_FILE = 'hwcap-mask.json';
/** The CRIU configuration written into the bundle at restore (runc's org.criu.config annotation). */
export const CRIU_CONFIG_FILE = 'hwcap-criu.conf';
const CRIU_CONFIG_ANNOTATION = 'org.criu.config';

const opt = (p: RuncArgv, ...names: string[]): string | undefined => names.map((n) => p.options.get(n)?.at(-1)).find((v) => v !== undefined);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The container's freezer: cgroup v1's freezer.state, else v2's cgroup.freeze. */
interface Freezer {
  freeze(): Promise<void>;
  thaw(): void;
  procs(): number[];
  /** Moves a process to the hierarchy's root cgroup: out of the container's, so that it is not frozen with it. */
  moveOut(pid: number): void;
}

function freezerOf(pid: number): Freezer {
  const lines = fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n');
  const v1 = lines.map((l) => /^\d+:([^:]*):(.*)$/.exec(l)).find((m) => m && m[1]!.split(',').includes('freezer'));
  const procsIn = (dir: string) => () =>
    fs.readFileSync(path.join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);
  if (v1 && fs.existsSync(path.join('/sys/fs/cgroup/freezer', v1[2]!, 'freezer.state'))) {
    const dir = path.join('/sys/fs/cgroup/freezer', v1[2]!);
    const state = path.join(dir, 'freezer.state');
    return {
      async freeze() {
        fs.writeFileSync(state, 'FROZEN');
        for (let i = 0; i < 500; i++) {
          if (fs.readFileSync(state, 'utf8').trim() === 'FROZEN') return;
          await sleep(10);
        }
        throw new OciError('checkpoint', { message: `the freezer cgroup ${dir} did not freeze within 5 s`, errno: 'ETIMEDOUT' });
      },
      thaw: () => fs.writeFileSync(state, 'THAWED'),
      procs: procsIn(dir),
      moveOut: (p) => fs.writeFileSync('/sys/fs/cgroup/freezer/cgroup.procs', String(p)),
    };
  }
  const v2 = lines.map((l) => /^0::(.*)$/.exec(l)).find(Boolean);
  const dir = v2 ? ['/sys/fs/cgroup', '/sys/fs/cgroup/unified'].map((r) => path.join(r, v2[1]!)).find((d) => fs.existsSync(path.join(d, 'cgroup.freeze'))) : undefined;
  if (!dir) throw new OciError('checkpoint', { message: `pid ${pid} is in no freezer cgroup (v1 freezer or v2 cgroup.freeze)`, errno: 'ENOENT' });
  return {
    async freeze() {
      fs.writeFileSync(path.join(dir, 'cgroup.freeze'), '1');
      for (let i = 0; i < 500; i++) {
        if (/^frozen 1$/m.test(fs.readFileSync(path.join(dir, 'cgroup.events'), 'utf8'))) return;
        await sleep(10);
      }
      throw new OciError('checkpoint', { message: `the cgroup ${dir} did not freeze within 5 s`, errno: 'ETIMEDOUT' });
    },
    thaw: () => fs.writeFileSync(path.join(dir, 'cgroup.freeze'), '0'),
    procs: procsIn(dir),
    moveOut: (p) => fs.writeFileSync(path.join(dir.startsWith('/sys/fs/cgroup/unified/') ? '/sys/fs/cgroup/unified' : '/sys/fs/cgroup', 'cgroup.procs'), String(p)),
  };
}

function signalAll(pids: readonly number[], signal: NodeJS.Signals): void {
  for (const p of pids) {
    try {
      process.kill(p, signal);
    } catch {
      // gone
    }
  }
}

function stateOf(pid: number): string | undefined {
  try {
    return /\nState:\t(\S)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  } catch {
    return undefined;
  }
}

/** Kills the container through the real runtime (fail closed: it must not run unmasked). */
function killContainer(runtime: string, p: RuncArgv, id: string): void {
  cp.spawnSync(runtime, [...p.globals, 'kill', '--all', id, 'KILL'], { stdio: 'ignore' });
}

/** Stops every process of the frozen container, thaws it, waits until each shows T, then adopts pid 1; kills the container if that fails. */
async function takeBack(runtime: string, p: RuncArgv, id: string, pid: number, freezer: Freezer, rules: readonly string[], why: string): Promise<void> {
  const procs = freezer.procs();
  signalAll(procs, 'SIGSTOP');
  freezer.thaw();
  for (let i = 0; i < 500 && procs.some((q) => !['T', 'Z', 'X', undefined].includes(stateOf(q))); i++) await sleep(10);
  try {
    // A container's pid 1 is its pid namespace's init: taken back as it was started, under a
    // helper whose end (EXITKILL) ends the container, which is what a masked container wants.
    await adopt(pid, { cpuid: [...rules], auxvOnly: rules.length === 0, allowInit: true });
  } catch (e) {
    killContainer(runtime, p, id);
    throw new OciError('adopt', { message: `${why}, and the container could not be taken back, so it was killed: ${(e as Error).message}`, errno: 'EIO' });
  }
}

const LEAVE_STOPPED = 'leave-stopped';
const withoutLeaveStopped = (text: string): string =>
  text
    .split('\n')
    .filter((l) => l.trim() !== LEAVE_STOPPED)
    .join('\n');

/**
 * The CRIU configuration that a restore left for the container (org.criu.config naming this
 * module's hwcap-criu.conf), without its leave-stopped: runc hands that file to CRIU's dump as
 * well, which would then leave the dumped tree stopped in its frozen cgroup rather than end it
 * (and runc, finding the container paused, would not delete it). The next restore adds it again.
 */
function dumpWithoutLeaveStopped(annotations: Record<string, string> | undefined): void {
  const conf = annotations?.[CRIU_CONFIG_ANNOTATION];
  if (!conf || path.basename(conf) !== CRIU_CONFIG_FILE || !fs.existsSync(conf)) return;
  const text = fs.readFileSync(conf, 'utf8');
  const kept = withoutLeaveStopped(text);
  if (kept !== text) fs.writeFileSync(conf, kept);
}

export async function checkpoint(runtime: string, p: RuncArgv): Promise<number> {
  const id = p.positionals[0];
  if (id === undefined) return delegate(runtime, p.argv);
  const st = containerState(runtime, p, id);
  const mask = maskOf(st.annotations);
  if (!mask) return delegate(runtime, p.argv);
  if (st.status !== 'running' || !st.pid) throw new OciError('checkpoint', { message: `the container is ${st.status ?? 'not running'}; a masked container is checkpointed running`, errno: 'EINVAL' });
  if (opt(p, 'pre-dump') === 'true' || opt(p, 'lazy-pages') === 'true') {
    throw new OciError('checkpoint', { message: '--pre-dump and --lazy-pages leave the tree running between steps; a masked container is not checkpointed that way', errno: 'EOPNOTSUPP' });
  }
  const pid = st.pid;
  dumpWithoutLeaveStopped(st.annotations);
  const freezer = freezerOf(pid);
  let rules: string[] = [];
  let rel: Awaited<ReturnType<typeof release>>;
  try {
    rel = await release(pid, {
      whileHeld: async (held) => {
        rules = held.cpuid;
        freezer.moveOut(held.hostHelper);
        await freezer.freeze();
      },
    });
  } catch (e) {
    const why = (e as Error).message;
    if (e instanceof HandoverError && (e.reason === 'aborted' || e.reason === 'not-frozen')) {
      // Let go stopped and unfollowed, faulting disarmed: taken back (or the container killed).
      await takeBack(runtime, p, id, pid, freezer, rules, `the container could not be frozen (${why})`);
      throw new OciError('checkpoint', { message: `the container could not be frozen: ${why}`, hint: 'the container runs on, masked', errno: 'EAGAIN' });
    }
    throw new OciError('checkpoint', { message: `the container's helper did not let go: ${why}`, hint: 'the container runs on, masked', errno: 'EBUSY' });
  }
  const status = await delegate(runtime, p.argv);
  const leave = opt(p, 'leave-running') === 'true';
  if (status === 0) {
    const images = path.resolve(opt(p, 'image-path') ?? 'checkpoint');
    const saved: MaskRecord = { ...mask, cpuid: rel.cpuid.length ? rel.cpuid : mask.cpuid };
    try {
      fs.writeFileSync(path.join(images, MASK_FILE), `${JSON.stringify(saved)}\n`);
    } catch {
      // config.json (spec.dump) carries the mask too
    }
  }
  if (status !== 0 || leave) {
    await takeBack(runtime, p, id, pid, freezer, rel.cpuid, status !== 0 ? `the checkpoint failed (exit ${status})` : 'checkpointed with --leave-running');
  }
  return status;
}

/** The mask a restore reads: the bundle's config.json, else the image directory's file. */
function savedMask(config: OciConfig | undefined, images: string): MaskRecord | undefined {
  const own = maskOf(config?.annotations);
  if (own) return own;
  let text: string;
  try {
    text = fs.readFileSync(path.join(images, MASK_FILE), 'utf8');
  } catch {
    return undefined;
  }
  return maskOf({ 'io.hwcap.mask': text.trim() });
}

/** Refuses a node that lacks a feature the restored container keeps, or CPUID faulting for its rules. */
function checkNode(mask: MaskRecord): void {
  const here = FeatureSet.current();
  if (mask.arch !== here.arch) throw new OciError('node-lacks', { message: `the checkpoint is of a ${mask.arch} container; this node is ${here.arch}`, errno: 'ENOTSUP' });
  const lacks = FeatureSet.fromNames(here.arch, mask.keep).diff(here).extra;
  if (lacks.length) {
    throw new OciError('node-lacks', {
      message: `this node lacks ${lacks.join(' ')} of the saved mask (io.hwcap.mask): the restored container uses ${lacks.length === 1 ? 'it' : 'them'} and would fail (SIGILL)`,
      hint: 'restore it on a node that has the baseline (hwcap check), nothing was restored',
      source: 'io.hwcap.mask',
      value: lacks.join(','),
      errno: 'ENOTSUP',
    });
  }
  if (mask.cpuid.length) {
    const f = probeCpuidFault();
    if (!f.ok) throw new OciError('cpuid-fault', { message: `the container masks CPUID, and CPUID faulting does not work on this node (${f.reason}); nothing was restored`, errno: 'ENODEV' });
  }
}

/**
 * Refuses a restored tree whose saved auxv (CRIU restores it byte for byte) shows a bit that the
 * saved mask's launcher flags (--hwcap 0x… …) drop: the image and the mask are then not of the
 * same container, and an adopt, which keeps what the saved auxv shows, would follow the tree with
 * more than the saved mask keeps. A word the flags do not name was not masked.
 */
function checkRestoredAuxv(pid: number, mask: MaskRecord): void {
  const saved = savedWords(pid);
  const extra: Partial<HwcapWords> = {};
  for (let i = 0; i < mask.flags.length; i++) {
    const k = /^--(hwcap[234]?)$/.exec(mask.flags[i]!)?.[1] as keyof HwcapWords | undefined;
    if (!k || !WORD_KEYS.includes(k)) continue;
    const word = BigInt(mask.flags[i + 1] ?? 'none');
    if ((saved[k] & ~word) !== 0n) extra[k] = saved[k] & ~word;
  }
  if (Object.keys(extra).length) {
    const names = decodeWords(mask.arch, extra);
    const shown = names.length ? names.join(' ') : Object.entries(extra).map(([k, v]) => `${k} 0x${v.toString(16)}`).join(' ');
    throw new Error(`pid ${pid}'s restored auxv shows ${shown}, which the saved mask (io.hwcap.mask) drops: the checkpoint and the mask are not of the same container`);
  }
}

export async function restore(runtime: string, p: RuncArgv): Promise<number> {
  const id = p.positionals[0];
  const bundle = path.resolve(opt(p, 'bundle', 'b') ?? '.');
  const images = path.resolve(opt(p, 'image-path') ?? 'checkpoint');
  const file = path.join(bundle, 'config.json');
  let config: OciConfig | undefined;
  try {
    config = JSON.parse(fs.readFileSync(file, 'utf8')) as OciConfig;
  } catch {
    config = undefined;
  }
  const mask = savedMask(config, images);
  if (!mask || id === undefined || !config) return delegate(runtime, p.argv);
  checkNode(mask);
  // The bundle made this node's: the launcher here, cpuinfo filtered from this host's, and CRIU
  // told to leave the restored tree stopped until the adopt.
  const cpuinfo = path.join(bundle, CPUINFO_FILE);
  fs.writeFileSync(cpuinfo, filterCpuinfo(fs.readFileSync('/proc/cpuinfo', 'utf8'), mask.arch, mask.keep), { mode: 0o444 });
  const criuConf = path.join(bundle, CRIU_CONFIG_FILE);
  const theirs = config.annotations?.[CRIU_CONFIG_ANNOTATION];
  // Their own configuration, or what this file held less leave-stopped (a restored container's own).
  const own = theirs && theirs !== criuConf ? theirs : criuConf;
  const base = fs.existsSync(own) ? withoutLeaveStopped(fs.readFileSync(own, 'utf8')) : '';
  fs.writeFileSync(criuConf, `${base}${base && !base.endsWith('\n') ? '\n' : ''}${LEAVE_STOPPED}\n`);
  const mounts = (config.mounts ?? []).map((m) => {
    if (m.destination === mask.launcher) return { ...m, source: fs.realpathSync(launcherPath()) };
    if (m.destination === '/proc/cpuinfo') return { ...m, source: cpuinfo };
    return m;
  });
  const edited = { ...config, mounts, annotations: { ...(config.annotations ?? {}), [CRIU_CONFIG_ANNOTATION]: criuConf, 'io.hwcap.mask': JSON.stringify(mask) } };
  fs.writeFileSync(file, `${JSON.stringify(edited)}\n`);
  const status = await delegate(runtime, p.argv);
  if (status !== 0) return status;
  let pid: number | undefined;
  try {
    const pidFile = opt(p, 'pid-file');
    pid = pidFile ? Number(fs.readFileSync(pidFile, 'utf8').trim()) : containerState(runtime, p, id).pid;
    if (!pid) throw new Error('no pid');
    checkRestoredAuxv(pid, mask);
    await adopt(pid, { cpuid: mask.cpuid, auxvOnly: mask.cpuid.length === 0, allowInit: true });
  } catch (e) {
    killContainer(runtime, p, id);
    throw new OciError('adopt', { message: `the restored container could not be taken back (adopt of pid ${pid ?? '?'}), so it was killed: ${(e as Error).message}`, errno: 'EIO' });
  }
  return 0;
}
