// The arm64 proving ground under system emulation: what qemu-user cannot run (ptrace, PR_GET_AUXV,
// PR_SET_MM_MAP) on a real arm64 Linux kernel (Debian's), booted by qemu-system-aarch64 on several
// CPU models. test/arm64/system/boot.mjs boots the machines first; the guest's /init
// (test/arm64/system/init.sh) runs the statically linked launcher and probe and prints their
// output; these tests judge it against sources that do not go through our code: busybox od of
// /proc/self/auxv and the kernel's /proc/cpuinfo Features line. Run by scripts/arm64/system.sh.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { catalog, decodeWords } from '../../../lib/core/features';

/** The launcher's words for kernel mode on a kernel that does not inherit the auxv. */
const KERNEL_VERIFY_MESSAGE = 'execve: EOPNOTSUPP (kernel mode: this kernel does not pass a masked auxv across execve; use --mode ptrace or auto)';

const root = path.resolve(__dirname, '../../..');
const work = process.env.HWCAP_ARM64_DIR ?? path.join(root, '.arm64');
const dir = path.join(work, 'system');

interface Check {
  status: number;
  stdout: string;
  stderr: string;
  statusFd: string;
}
interface Machine {
  cpu: string;
  seconds: number;
  code: number | null;
  signal: string | null;
  timedOut: boolean;
  error?: string;
  qemuStderr: string;
  begun: boolean;
  ended: boolean;
  checks: Record<string, Check>;
}
interface Observations {
  unavailable?: string;
  qemu: string;
  kernel: string;
  keep: [string, string];
  timeoutSec: number;
  models: Machine[];
}
type Words = { hwcap: bigint; hwcap2: bigint; hwcap3: bigint; hwcap4: bigint };
const KEYS = ['hwcap', 'hwcap2', 'hwcap3', 'hwcap4'] as const;
const VIEWS = ['process', 'libc', 'prGetAuxv', 'procAuxv'] as const;
const hex = (v: bigint) => `0x${v.toString(16)}`;
const toWords = (o: Record<string, string>): Words => Object.fromEntries(KEYS.map((k) => [k, BigInt(o[k])])) as Words;
const and = (a: Words, b: Words): Words => Object.fromEntries(KEYS.map((k) => [k, a[k] & b[k]])) as Words;
const show = (w: Words | undefined) => w && Object.fromEntries(KEYS.map((k) => [k, hex(w[k])]));

execFileSync(process.execPath, [path.join(__dirname, 'boot.mjs')], { stdio: 'inherit', env: { ...process.env, HWCAP_ARM64_DIR: work } });
const obs = JSON.parse(fs.readFileSync(path.join(dir, 'observations.json'), 'utf8')) as Observations;
const models = obs.models ?? [];
const keep: Words = obs.keep ? { hwcap: BigInt(obs.keep[0]), hwcap2: BigInt(obs.keep[1]), hwcap3: ~0n, hwcap4: ~0n } : ({} as Words);

/** hwcap-probe's views in hex ({ hwcap, hwcap2, ... }) and what it could not read. */
type ViewWords = Record<string, string>;
interface ProbeRun {
  pid?: number;
  tracerPid?: number;
  process: ViewWords;
  libc?: ViewWords;
  prGetAuxv?: ViewWords;
  procAuxv?: ViewWords;
  errors?: Record<string, string>;
}
/** One of the launcher's status-fd lines. */
interface StatusRecord {
  stage: string;
  mode?: string;
  pid?: number;
  syscall?: string;
  errno?: number;
  code?: string;
  message?: string;
}

/** The one line of JSON hwcap-probe printed, or undefined. */
function probeOf(c: Check | undefined): ProbeRun | undefined {
  const line = c?.stdout.split('\n').find((l) => l.startsWith('{'));
  return line ? (JSON.parse(line) as ProbeRun) : undefined;
}
/** The launcher's status-fd lines. */
const statusOf = (c: Check | undefined): StatusRecord[] =>
  (c?.statusFd ?? '')
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as StatusRecord);
/** The AT_HWCAP* words of `od -A n -t x8 -v /proc/self/auxv` (pairs of 64-bit words). */
function odWords(text: string): Words {
  const nums = text.split(/\s+/).filter(Boolean).map((s) => BigInt(`0x${s}`));
  const w: Words = { hwcap: 0n, hwcap2: 0n, hwcap3: 0n, hwcap4: 0n };
  const types: Record<string, (typeof KEYS)[number]> = { '16': 'hwcap', '26': 'hwcap2', '29': 'hwcap3', '30': 'hwcap4' };
  for (let i = 0; i + 1 < nums.length && nums[i] !== 0n; i += 2) {
    const k = types[nums[i].toString()];
    if (k) w[k] = nums[i + 1];
  }
  return w;
}
const featuresLine = (cpuinfo: string) => /^Features\s*:\s*(.*)$/m.exec(cpuinfo)?.[1].trim().split(/\s+/) ?? [];
const describeFailure = (c: Check | undefined) => (c ? `exit ${c.status}; stderr: ${c.stderr}; status fd: ${c.statusFd}` : 'check did not run');

const unavailable = obs.unavailable ?? '';
const skipName = (name: string, reason: string) => (reason ? `${name} (skipped: ${reason})` : name);

describe(unavailable ? 'qemu-system-aarch64' : `${obs.qemu}; Debian arm64 kernel ${obs.kernel?.split('\n')[0]}`, () => {
  it.skipIf(!!unavailable)(skipName('boots at least two CPU models whose AT_HWCAP differ', unavailable), () => {
    const words = new Set(models.map((m) => probeOf(m.checks?.probe)?.process?.hwcap));
    expect(models.length).toBeGreaterThanOrEqual(2);
    expect(words.size, JSON.stringify([...words])).toBeGreaterThanOrEqual(2);
  });
});

describe.each(unavailable ? [] : models.map((m) => [m.cpu, m] as const))('-cpu %s', (cpu, m) => {
  const c = m.checks ?? {};
  const probe = probeOf(c.probe);
  const present: Words | undefined = probe && toWords(probe.process);
  const expected = present && and(present, keep);
  const prGetAuxvReason = probe?.errors?.prGetAuxv
    ? `prctl(PR_GET_AUXV) answers ${probe.errors.prGetAuxv} on Linux ${c.uname?.stdout.trim()}, older than 6.4`
    : '';
  /** The views a probe run must show: every view, but PR_GET_AUXV only where the kernel has it. */
  const viewsOf = (p: ProbeRun | undefined) => Object.fromEntries(VIEWS.filter((v) => v !== 'prGetAuxv' || !prGetAuxvReason).map((v) => [v, p?.[v]]));
  const allViews = (w: Words | undefined) => Object.fromEntries(VIEWS.filter((v) => v !== 'prGetAuxv' || !prGetAuxvReason).map((v) => [v, show(w)]));

  it(`boots the kernel, runs /init to its end and powers off within ${obs.timeoutSec} s`, () => {
    const detail = `exit ${m.code}, signal ${m.signal}, timed out ${m.timedOut}, ${m.error ?? ''} ${m.qemuStderr}; console in ${dir}/console-${cpu}.log`;
    expect({ begun: m.begun, ended: m.ended, timedOut: m.timedOut, code: m.code }, detail).toEqual({ begun: true, ended: true, timedOut: false, code: 0 });
    expect(obs.kernel, 'the package unpacked is the kernel that ran').toContain(c.uname?.stdout.trim());
  });

  it('hwcap-probe: the process, libc and kernel views agree with each other and with busybox od of /proc/self/auxv', () => {
    expect(probe, describeFailure(c.probe)).toBeDefined();
    const od = odWords(c['auxv-od']?.stdout ?? '');
    expect(viewsOf(probe)).toEqual(allViews(od));
    expect(od.hwcap).not.toBe(0n);
  });

  it.skipIf(!!prGetAuxvReason)(skipName('prctl(PR_GET_AUXV) works, unprivileged too', prGetAuxvReason), () => {
    expect(probe?.errors).toEqual({});
    expect(probeOf(c['nobody-probe'])?.prGetAuxv).toEqual(probe!.prGetAuxv);
  });

  it("lib/core/tables/aarch64.ts decodes AT_HWCAP/AT_HWCAP2 to exactly the names of the kernel's /proc/cpuinfo Features line", () => {
    const features = featuresLine(c.cpuinfo?.stdout ?? '');
    expect(features.length, c.cpuinfo?.stdout).toBeGreaterThan(0);
    const decoded = decodeWords('aarch64', present!);
    expect([...decoded].sort()).toEqual([...features].sort());
  });

  it(`ptrace mode: the child sees the masked words (AT_HWCAP & ${obs.keep?.[0]}, AT_HWCAP2 & ${obs.keep?.[1]}) in every view`, () => {
    const p = probeOf(c.ptrace);
    expect(p, describeFailure(c.ptrace)).toBeDefined();
    expect(viewsOf(p)).toEqual(allViews(expected));
    expect(expected).not.toEqual(present); // the mask removed something
    expect(statusOf(c.ptrace).map((s) => s.stage)).toEqual(['exec', 'masked']);
    expect(c.ptrace.status).toBe(0);
  });

  it("ptrace mode follows the tree: /bin/sh -c 'hwcap-probe; true' masks the grandchild", () => {
    const p = probeOf(c['ptrace-follow']);
    const s = statusOf(c['ptrace-follow']);
    expect(p, describeFailure(c['ptrace-follow'])).toBeDefined();
    expect(p!.pid, 'the probe ran in a child of the shell').not.toBe(s[0]?.pid);
    expect(viewsOf(p)).toEqual(allViews(expected));
  });

  it('--no-follow masks only the first exec: the grandchild sees the kernel words', () => {
    const p = probeOf(c['ptrace-no-follow']);
    expect(p, describeFailure(c['ptrace-no-follow'])).toBeDefined();
    expect(statusOf(c['ptrace-no-follow']).map((s) => s.stage)).toEqual(['exec', 'masked']);
    expect(viewsOf(p)).toEqual(allViews(present));
    expect(p!.tracerPid).toBe(0);
  });

  it('without --allow-security-masking the launcher refuses to hide a present security feature, and runs nothing', () => {
    const security = catalog('aarch64').filter((f) => f.security);
    const hidden = security.filter((f) => {
      const k = KEYS[['AT_HWCAP', 'AT_HWCAP2', 'AT_HWCAP3', 'AT_HWCAP4'].indexOf(f.word)];
      return ((present![k] & ~keep[k]) >> BigInt(f.bit)) & 1n;
    });
    const r = c['ptrace-security'];
    if (hidden.length) {
      expect({ status: r.status, stdout: r.stdout }, describeFailure(r)).toEqual({ status: 125, stdout: '' });
      const [rec] = statusOf(r) as { message?: string }[];
      expect(statusOf(r)).toEqual([{ stage: 'security', syscall: 'argv', errno: 1, code: 'EPERM', message: expect.stringMatching(/^refusing to mask security feature '\w+' \(AT_HWCAP\d? bit \d+\) without --allow-security-masking$/) }]);
      // The launcher names the feature in its status line (stderr is the program's).
      expect(hidden.map((f) => f.name)).toContain(/'(\w+)'/.exec(rec.message ?? '')?.[1]);
    } else {
      expect(viewsOf(probeOf(r)), describeFailure(r)).toEqual(allViews(expected));
    }
  });

  it('kernel mode on this stock kernel (no auxv inheritance): EOPNOTSUPP before the target runs', () => {
    const r = c.kernel;
    expect({ status: r?.status, stdout: r?.stdout }, describeFailure(r)).toEqual({ status: 125, stdout: '' });
    expect(statusOf(r)).toEqual([{ stage: 'kernel-verify', syscall: 'execve', errno: 95, code: 'EOPNOTSUPP', message: KERNEL_VERIFY_MESSAGE }]);
  });

  it('auto mode falls back to ptrace and masks every view', () => {
    const r = c.auto;
    expect(statusOf(r).map((s) => [s.stage, s.mode]), describeFailure(r)).toEqual([
      ['exec', 'ptrace'],
      ['masked', undefined],
    ]);
    expect(viewsOf(probeOf(r))).toEqual(allViews(expected));
  });

  describe('as uid 65534, without capabilities', () => {
    it('the checks below run as uid 65534', () => {
      expect(c['nobody-id']?.stdout.trim(), describeFailure(c['nobody-id'])).toBe('65534');
    });

    it('ptrace mode: PR_SET_MM_MAP injected into the unprivileged child makes every view masked', () => {
      const r = c['nobody-ptrace'];
      expect(viewsOf(probeOf(r)), describeFailure(r)).toEqual(allViews(expected));
      expect(statusOf(r).map((s) => s.stage)).toEqual(['exec', 'masked']);
    });

    it("kernel mode: the launcher's own PR_SET_MM_MAP succeeds (it fails at kernel-verify, not kernel-mask), and runs nothing", () => {
      const r = c['nobody-kernel'];
      expect({ status: r?.status, stdout: r?.stdout }, describeFailure(r)).toEqual({ status: 125, stdout: '' });
      expect(statusOf(r)).toEqual([{ stage: 'kernel-verify', syscall: 'execve', errno: 95, code: 'EOPNOTSUPP', message: KERNEL_VERIFY_MESSAGE }]);
    });

    const yama = c['nobody-ptrace-yama1'];
    it.skipIf(!yama)(
      skipName('Yama ptrace_scope=1: the target names its helper with PR_SET_PTRACER, and ptrace mode masks every view', yama ? '' : 'the kernel has no Yama'),
      () => {
        const p = probeOf(yama);
        expect(p, describeFailure(yama)).toBeTruthy();
        expect(viewsOf(p!)).toEqual(allViews(expected));
      },
    );
  });
});
