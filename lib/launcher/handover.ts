// Handing a followed tree over for a checkpoint, and taking a restored one back
// (docs/checkpoint.md). Both run the launcher, which does the work and answers
// with one JSON line on stdout (native/launcher/handover/release.h, handover/adopt.h):
//   release(pid, { stop, allowUnmaskedCpuid })
//                            hwcap-exec --release PID [--no-stop [--allow-unmasked-cpuid]]
//   adopt(pid, { hwcaps, cpuid, auxvOnly })  (hwcaps through the mask plan, lib/launcher/plan.ts)
//                            hwcap-exec --adopt PID [--hwcap W]... [--cpuid RULE]... [--allow-security-masking]
import * as cp from 'node:child_process';
import * as fs from 'node:fs';
import { decodeWords, hostArch } from '../core/features';
import { parseAuxvBytes, WORD_KEYS, wordsOf, type HwcapMask, type HwcapWords } from '../core/words';
import { errnoOf, HwcapError, invalidArgType, invalidArgValue, outOfRange } from '../errors';
import { checkPlanOptions, isMaskPlan, maskPlan, type MaskPlan } from './plan';
import { launcherPath } from './paths';

/** Why a release or an adopt was refused (the launcher's `error` field). */
export type HandoverReason =
  | 'no-such-process'
  | 'not-followed'
  | 'permission'
  | 'no-channel'
  | 'traced'
  | 'wider'
  | 'security'
  | 'helper'
  | 'usage'
  | 'cpuid-running'
  | 'cpuid-unknown'
  | 'cpuid-fault'
  | 'cpuid-arm'
  | 'not-adoptable'
  | 'init'
  | 'not-frozen'
  | 'aborted';

const HINTS: Record<HandoverReason, string> = {
  'no-such-process': 'check the pid (after a restore, the pid CRIU restored)',
  'not-followed': "release acts on a tree that 'hwcap exec' or 'hwcap adopt' follows; an untraced tree needs no release",
  permission: 'only a user who may ptrace the tree may release or adopt it (same user, or CAP_SYS_PTRACE)',
  'no-channel': 'that helper comes from an hwcap without release; stop the workload and start it again with this one',
  traced: "a task has one tracer: let the other tracer go first (or 'hwcap release' it when it is an hwcap helper)",
  wider: 'give the keep set the workload was started with, or drop what its saved auxv lacks (--drop LIST)',
  security: 'pass allowSecurityMasking: true (--allow-security-masking) if that is what you want',
  helper: 'the helper could not complete; the tree is as it was',
  usage: 'see hwcap release --help and hwcap adopt --help',
  'cpuid-running':
    'the tree masks CPUID: released and left running it would run CPUID unmasked until an adopt; keep the default stop, or pass allowUnmaskedCpuid: true (--allow-unmasked-cpuid) to accept that',
  'cpuid-unknown':
    "pass the CPUID rules release gave (options.cpuid: ReleaseResult.cpuid, [] where it gave none; 'hwcap adopt --cpuid RULE'), or the keep set the tree was started with (options.hwcaps; --baseline, --features), or auxvOnly: true (--auxv-only) to leave the tree's CPUID unmasked",
  'cpuid-fault':
    "CPUID faulting does not work on this host, so the tree's CPUID cannot be masked here; the tree was not touched: adopt it on a host with faulting (Intel Ivy Bridge on, AMD with CpuidUserDis on Linux 6.17+, KVM), or pass no CPUID rules (auxvOnly: true, no options.cpuid) to accept CPUID unmasked",
  'cpuid-arm':
    'the helper could not arm CPUID faulting in a thread of the tree (arch_prctl(ARCH_SET_CPUID)); the tree was not continued: every process is left stopped and untraced',
  'not-adoptable': 'adopt takes a live tree of user programs (a restored checkpoint): give the pid of its root process',
  init: "pass allowInit: true (--allow-init) to adopt a pid namespace's init anyway, accepting that the namespace ends with the helper",
  'not-frozen': 'whileHeld must freeze the tree (its cgroup freezer) before it returns: a task was not frozen, so the tree was let go stopped',
  aborted: 'whileHeld threw, or the release was cut short: the tree was let go stopped and unfollowed; adopt it back, or dump it',
};

/** The launcher stage a CPUID refusal names (HwcapError.stage). */
const STAGES: Partial<Record<HandoverReason, string>> = { 'cpuid-fault': 'cpuid-fault', 'cpuid-arm': 'cpuid-arm' };

/** A refused release or adopt: an errno-shaped HwcapError with the reason and the pid. */
export class HandoverError extends HwcapError {
  readonly reason: HandoverReason;
  readonly pid: number;
  constructor(reason: HandoverReason, pid: number, errno: number, syscall: string, message: string) {
    super({ errno, syscall, message, hint: HINTS[reason], ...(STAGES[reason] ? { stage: STAGES[reason] } : {}) });
    this.name = 'HandoverError';
    this.reason = reason;
    this.pid = pid;
  }
}

export interface ReleaseOptions {
  /** Leave every process of the tree stopped (SIGSTOP), so nothing runs before the dump. Default true. */
  stop?: boolean;
  /**
   * With stop: false, accept that a CPUID-masked tree runs CPUID unmasked while released (faulting
   * is disarmed: no tracer would answer a trap). Without it such a release is refused
   * ('cpuid-running'). Default false.
   */
  allowUnmaskedCpuid?: boolean;
  /**
   * A release in two steps, for a caller that freezes the tree's cgroup in between (a container
   * runtime before CRIU): called once every task is held in a ptrace stop and disarmed, with the
   * helper's pid as this process sees it (`held.hostHelper`). It must move the helper out of the
   * tree's freezer cgroup and freeze the cgroup (a task in a ptrace stop freezes); then the helper
   * checks that every task is frozen, detaches and exits. The tree is left frozen, unfollowed and
   * not stopped: no SIGSTOP or SIGCONT is sent, so none stays pending. If it throws, or a task is
   * not frozen, the tree is let go stopped (as with stop: true) and release rejects. Implies
   * stop: false.
   */
  whileHeld?: (held: HeldTree) => void | Promise<void>;
}

/** What a two-step release's whileHeld is told. */
export interface HeldTree {
  pid: number;
  /** The helper's pid in this process's pid namespace: the one to move out of the freezer cgroup. */
  hostHelper: number;
  tasks: number;
  processes: number;
  cpuid: string[];
}

export interface ReleaseResult {
  pid: number;
  /** The tree's root (the topmost process the helper held): its parent-death signal was cleared. */
  root: number;
  /** The helper that let go (it has exited). */
  helper: number;
  tasks: number;
  processes: number;
  stopped: boolean;
  /**
   * The CPUID rules that were in force (x86-64), in --cpuid syntax ("7.0:ebx=ffffffdf"); empty when
   * the tree was not CPUID-masked. Faulting is disarmed now: pass these to adopt as options.cpuid,
   * or the adopted tree runs CPUID unmasked.
   */
  cpuid: string[];
}

export interface AdoptOptions {
  /** The features to keep: a FeatureSet, feature names, words of bits, or a plan (maskPlan). Default: what the saved auxv shows. */
  hwcaps?: { readonly words: HwcapWords; readonly arch?: string } | readonly string[] | HwcapMask | MaskPlan;
  /** Allow removing security features the saved auxv shows. */
  allowSecurityMasking?: boolean;
  /**
   * x86-64: the CPUID rules to mask with, as release gave them (ReleaseResult.cpuid). They are
   * ANDed with the CPUID rules of options.hwcaps: the mask only narrows. With any rule, adopt arms
   * CPUID faulting in every thread before the tree runs again, and fails closed ('cpuid-fault',
   * 'cpuid-arm') where that is impossible. On x86-64 one of cpuid (an empty array where release
   * gave no rule), hwcaps or auxvOnly is required: a checkpoint does not keep the rules, and adopt
   * refuses to guess them ('cpuid-unknown').
   */
  cpuid?: readonly string[];
  /** Mask only the auxv words: options.hwcaps gives no CPUID rules (options.cpuid still applies). */
  auxvOnly?: boolean;
  /**
   * Adopt a tree that holds the init of a pid namespace (pid 1 here, or a container's init: NSpid
   * ends in 1). Refused by default ('init'): the helper traces with EXITKILL, so if it ends, that
   * init is killed, and with it every process of its namespace. Default false.
   */
  allowInit?: boolean;
  /** x86-64: allow CPUID rules of options.hwcaps below the x86-64 baseline (maskPlan's option; for static programs). */
  allowBelowBaseline?: boolean;
}

export interface AdoptResult {
  pid: number;
  /** The new helper that follows the tree. */
  helper: number;
  tasks: number;
  processes: number;
  /** Processes that were stopped and were continued. */
  continued: number;
  /** The words every later exec in the tree keeps. */
  words: HwcapWords;
  /** The CPUID rules in force in the tree now (effective keep words, --cpuid syntax); empty: CPUID unmasked. */
  cpuid: string[];
}

const REASONS = new Set<string>(Object.keys(HINTS));
const PID_MAX = 1 << 22; /* PID_MAX_LIMIT, include/linux/threads.h */

function checkPid(pid: unknown): number {
  if (typeof pid !== 'number') throw invalidArgType('pid', 'of type number', pid);
  if (!Number.isInteger(pid) || pid < 1 || pid > PID_MAX) throw outOfRange('pid', `an integer from 1 to ${PID_MAX}`, pid);
  return pid;
}

function checkOptions(options: unknown, keys: readonly string[]): Record<string, unknown> {
  if (options === undefined || options === null) return {};
  if (typeof options !== 'object') throw invalidArgType('options', 'of type object', options);
  const o = options as Record<string, unknown>;
  for (const k of Object.keys(o)) {
    if (!keys.includes(k)) throw invalidArgValue(`options.${k}`, `is not an option; the options are ${keys.join(', ')}`);
  }
  return o;
}

function checkBoolean(o: Record<string, unknown>, key: string, dflt: boolean): boolean {
  const v = o[key];
  if (v === undefined) return dflt;
  if (typeof v !== 'boolean') throw invalidArgType(`options.${key}`, 'of type boolean', v);
  return v;
}

interface Answer {
  error?: string;
  code?: string;
  errno?: number;
  syscall?: string;
  message?: string;
  [k: string]: unknown;
}

/** Runs the launcher with args; resolves with its answer line or rejects with a HandoverError. */
function runLauncher(pid: number, args: string[]): Promise<Answer> {
  const file = launcherPath();
  return new Promise((resolve, reject) => {
    cp.execFile(file, args, { encoding: 'utf8', timeout: 120_000 }, (err, stdout, stderr) => {
      const line = String(stdout).split('\n').find((l) => l.startsWith('{'));
      let answer: Answer | undefined;
      try {
        answer = line ? (JSON.parse(line) as Answer) : undefined;
      } catch {
        answer = undefined;
      }
      if (answer && typeof answer.error === 'string') {
        const reason = (REASONS.has(answer.error) ? answer.error : 'helper') as HandoverReason;
        const errno = typeof answer.errno === 'number' && answer.errno > 0 ? answer.errno : errnoOf('EPROTO');
        reject(new HandoverError(reason, pid, errno, answer.syscall ?? args[0] ?? 'hwcap-exec', answer.message ?? answer.error));
        return;
      }
      if (!answer || err) {
        const why = String(stderr).trim() || (err ? err.message : 'no answer');
        reject(new HandoverError('helper', pid, errnoOf('EPROTO'), file, `${args[0]} ${pid}: ${why}`));
        return;
      }
      resolve(answer);
    });
  });
}

function num(a: Answer, k: string): number {
  const v = a[k];
  return typeof v === 'number' ? v : -1;
}

/**
 * Asks the helper that follows pid's tree to let go of it: CPUID faulting disarmed in every
 * thread, the root's parent-death signal cleared, every process stopped (unless stop: false),
 * every task detached. Then `criu dump -t <root>` can seize it.
 */
export async function release(pid: number, options?: ReleaseOptions): Promise<ReleaseResult> {
  checkPid(pid);
  const o = checkOptions(options, ['stop', 'allowUnmaskedCpuid', 'whileHeld']);
  const whileHeld = o.whileHeld;
  if (whileHeld !== undefined && typeof whileHeld !== 'function') throw invalidArgType('options.whileHeld', 'of type function', whileHeld);
  const stop = whileHeld ? false : checkBoolean(o, 'stop', true);
  const unmasked = checkBoolean(o, 'allowUnmaskedCpuid', false);
  const a = whileHeld
    ? await releaseInTwoSteps(pid, whileHeld as NonNullable<ReleaseOptions['whileHeld']>)
    : await runLauncher(pid, ['--release', String(pid), ...(stop ? [] : ['--no-stop']), ...(unmasked && !stop ? ['--allow-unmasked-cpuid'] : [])]);
  return { pid, root: num(a, 'root'), helper: num(a, 'helper'), tasks: num(a, 'tasks'), processes: num(a, 'processes'), stopped: a.stopped === true, cpuid: strings(a, 'cpuid') };
}

/** hwcap-exec --release PID --hold: its first line (held), whileHeld, then "detach" on its stdin and its answer. */
function releaseInTwoSteps(pid: number, whileHeld: NonNullable<ReleaseOptions['whileHeld']>): Promise<Answer> {
  const file = launcherPath();
  const child = cp.spawn(file, ['--release', String(pid), '--hold'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  let called: Promise<void> | undefined;
  let failure: unknown;
  child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  child.stdin.on('error', () => undefined); // the launcher may end before reading it
  return new Promise((resolve, reject) => {
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      if (called || !out.includes('\n')) return;
      let held: Answer;
      try {
        held = JSON.parse(out.slice(0, out.indexOf('\n'))) as Answer;
      } catch {
        held = {};
      }
      if (typeof held.held !== 'number') {
        called = Promise.resolve(); // an error answer: it ends on its own
        return;
      }
      called = (async () => {
        try {
          await whileHeld({ pid, hostHelper: num(held, 'hostHelper'), tasks: num(held, 'tasks'), processes: num(held, 'processes'), cpuid: strings(held, 'cpuid') });
          child.stdin.end('detach\n');
        } catch (e) {
          failure = e;
          child.stdin.end(); // no detach: the helper lets the tree go stopped
        }
      })();
    });
    child.on('error', (e) => reject(new HandoverError('helper', pid, errnoOf('EPROTO'), file, `--release ${pid} --hold: ${e.message}`)));
    child.on('close', () => {
      void (called ?? Promise.resolve()).then(() => {
        const lines = out.split('\n').filter((l) => l.startsWith('{'));
        let answer: Answer | undefined;
        try {
          answer = JSON.parse(lines[lines.length - 1] ?? '') as Answer;
        } catch {
          answer = undefined;
        }
        if (failure !== undefined) {
          const why = failure instanceof Error ? failure.message : String(failure);
          reject(new HandoverError('aborted', pid, errnoOf('ECANCELED'), 'whileHeld', `pid ${pid}: whileHeld failed (${why}); the tree was let go stopped`));
        } else if (answer && typeof answer.error === 'string') {
          const reason = (REASONS.has(answer.error) ? answer.error : 'helper') as HandoverReason;
          const errno = typeof answer.errno === 'number' && answer.errno > 0 ? answer.errno : errnoOf('EPROTO');
          const message = answer.message ?? answer.error;
          reject(new HandoverError(/not-frozen/.test(message) ? 'not-frozen' : reason, pid, errno, answer.syscall ?? 'release', message));
        } else if (!answer || typeof answer.released !== 'number') {
          reject(new HandoverError('helper', pid, errnoOf('EPROTO'), file, `--release ${pid} --hold: ${err.trim() || 'no answer'}`));
        } else {
          resolve(answer);
        }
      });
    });
  });
}

function strings(a: Answer, k: string): string[] {
  const v = a[k];
  return Array.isArray(v) ? v.map(String) : [];
}

/** options.cpuid: an array of rule strings (the launcher checks their syntax again). */
function checkRules(v: unknown): string[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) throw invalidArgType('options.cpuid', 'an array of CPUID rule strings (ReleaseResult.cpuid)', v);
  return v.map((r, i) => {
    if (typeof r !== 'string') throw invalidArgType(`options.cpuid[${i}]`, 'of type string', r);
    if (!/^(0x)?[0-9a-f]{1,8}(\.(0x)?[0-9a-f]{1,8})?:(eax|ebx|ecx|edx)=(0x)?[0-9a-f]{1,8}$/i.test(r)) {
      throw invalidArgValue(`options.cpuid[${i}]`, 'must be a rule LEAF[.SUBLEAF]:REG=KEEP in hex, as release gives them (e.g. 7.0:ebx=ffffffdf)', r);
    }
    return r;
  });
}


const PF_KTHREAD = 0x00200000; // include/linux/sched.h: /proc/<pid>/stat field 9

/**
 * Why pid cannot be adopted, in words, or undefined: a kernel thread (no user memory: its auxv
 * reads ESRCH) or a zombie (exited). proc(5): stat fields 3 (state) and 9 (flags).
 */
export function notAdoptable(pid: number): string | undefined {
  let stat: string;
  try {
    stat = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return undefined;
  }
  const close = stat.lastIndexOf(')');
  const comm = stat.slice(stat.indexOf('(') + 1, close);
  const fields = stat.slice(close + 2).split(' ');
  if ((Number(fields[6]) & PF_KTHREAD) !== 0) return `pid ${pid} is a kernel thread (${comm}): it has no user memory and runs no program, so there is nothing to adopt`;
  if (fields[0] === 'Z' || fields[0] === 'X') return `pid ${pid} (${comm}) has exited: a zombie, not yet reaped by its parent, runs nothing, so there is nothing to adopt`;
  return undefined;
}

function checkAdoptable(pid: number): void {
  const why = notAdoptable(pid);
  if (why) throw new HandoverError('not-adoptable', pid, errnoOf(why.includes('kernel thread') ? 'EINVAL' : 'ESRCH'), 'open(/proc/<pid>/stat)', why);
}

/** The AT_HWCAP* words of pid's saved auxv (what CRIU restored). */
export function savedWords(pid: number): HwcapWords {
  checkPid(pid);
  checkAdoptable(pid);
  let buf: Buffer;
  try {
    buf = fs.readFileSync(`/proc/${pid}/auxv`);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ENOENT') throw new HandoverError('no-such-process', pid, errnoOf('ESRCH'), 'open(/proc/<pid>/auxv)', `no process has pid ${pid}`);
    throw new HandoverError('permission', pid, Math.abs(err.errno ?? errnoOf('EACCES')), 'open(/proc/<pid>/auxv)', `cannot read pid ${pid}'s saved auxv: ${err.code}`);
  }
  return wordsOf(parseAuxvBytes(buf));
}

/**
 * Follows an existing tree (a CRIU-restored one) as exec's helper does: every thread seized,
 * stopped processes continued, and every later exec masked with the words kept. Those are the
 * saved auxv's, narrowed by options.hwcaps; a wider request is a HandoverError ('wider') naming
 * the features.
 */
export async function adopt(pid: number, options?: AdoptOptions): Promise<AdoptResult> {
  checkPid(pid);
  const o = checkOptions(options, ['hwcaps', 'allowSecurityMasking', 'cpuid', 'auxvOnly', 'allowBelowBaseline', 'allowInit']);
  let allow = checkBoolean(o, 'allowSecurityMasking', false);
  const auxvOnly = checkBoolean(o, 'auxvOnly', false);
  const allowBelowBaseline = checkBoolean(o, 'allowBelowBaseline', false);
  const allowInit = checkBoolean(o, 'allowInit', false);
  checkAdoptable(pid);
  const rules = checkRules(o.cpuid);
  if (rules.length && hostArch() !== 'x86_64') throw invalidArgValue('options.cpuid', `holds CPUID rules, which only x86-64 has; this machine is ${hostArch()}`, rules);
  // x86-64: a checkpoint keeps neither the CPUID rules nor the faulting state, so nothing in the
  // restored tree says whether its CPUID was masked. Without being told, adopt would follow it with
  // CPUID unmasked: refused, before the tree is touched.
  if (hostArch() === 'x86_64' && o.cpuid === undefined && o.hwcaps === undefined && !auxvOnly) {
    throw new HandoverError('cpuid-unknown', pid, errnoOf('EINVAL'), 'options.cpuid',
      `pid ${pid}'s CPUID rules are not known: a checkpoint keeps neither them nor the faulting state, so adopt cannot tell whether the tree's CPUID was masked`);
  }
  const args = ['--adopt', String(pid)];
  if (o.hwcaps !== undefined) {
    // The plan of the keep set: its auxv words and the CPUID rules it implies on this CPU.
    let plan: MaskPlan;
    if (isMaskPlan(o.hwcaps)) {
      checkPlanOptions(o.hwcaps, o);
      plan = o.hwcaps;
      allow = plan.allowSecurityMasking;
    } else {
      plan = maskPlan(o.hwcaps as Exclude<AdoptOptions['hwcaps'], MaskPlan | undefined>, { auxvOnly, allowSecurityMasking: allow, allowBelowBaseline });
    }
    const keep = plan.keep;
    const saved = savedWords(pid);
    const extra: Partial<HwcapWords> = {};
    for (const k of WORD_KEYS) {
      const v = keep[k];
      if (v !== undefined && (v & ~saved[k]) !== 0n) extra[k] = v & ~saved[k];
    }
    const names = decodeWords(hostArch(), extra);
    if (names.length) {
      throw new HandoverError('wider', pid, errnoOf('EINVAL'), 'options.hwcaps',
        `the mask keeps ${names.join(' ')}, which pid ${pid}'s saved auxv does not show; adopt can keep or narrow a mask, never widen it`);
    }
    for (const k of WORD_KEYS) {
      const v = keep[k];
      if (v !== undefined) args.push(`--${k}`, `0x${v.toString(16)}`);
    }
    rules.push(...plan.cpuidArgs);
  }
  for (const r of rules) args.push('--cpuid', r);
  if (allow) args.push('--allow-security-masking');
  if (allowInit) args.push('--allow-init');
  const a = await runLauncher(pid, args);
  const w = Array.isArray(a.words) ? a.words.map((x) => BigInt(String(x))) : [];
  const words: HwcapWords = { hwcap: w[0] ?? 0n, hwcap2: w[1] ?? 0n, hwcap3: w[2] ?? 0n, hwcap4: w[3] ?? 0n };
  return { pid, helper: num(a, 'helper'), tasks: num(a, 'tasks'), processes: num(a, 'processes'), continued: num(a, 'continued'), words, cpuid: strings(a, 'cpuid') };
}
