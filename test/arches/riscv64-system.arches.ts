// The riscv64 table against a Linux kernel's own names: Debian 13's riscv64 kernel booted under
// qemu-system-riscv64 (-M virt, TCG, qemu's bundled OpenSBI) on CPU models that differ in
// single-letter extensions. The guest's /init (test/arches/riscv64-init.sh, in the initramfs that
// scripts/arches/system-riscv64.sh builds) prints /proc/cpuinfo, busybox od of /proc/self/auxv
// and the kernel's boot lines about the ISA. The oracle is the `isa` line the kernel prints from
// the ISA it found (arch/riscv/kernel/cpu.c); hwcap's decode of the AT_HWCAP word the kernel put
// in od's auxv must name exactly its single letters, less H, which the kernel's isa2hwcap
// (arch/riscv/kernel/cpufeature.c) keeps out of AT_HWCAP: its own "riscv: ELF capabilities" boot
// line, which names bit n as the letter 'a' + n, says so on every model and is checked too.
// The machines boot in beforeAll (two at a time); the tests compare. Run by scripts/arches/run.sh
// (npm run test:arches) after system-riscv64.sh.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeWords } from '../../lib';
import { RV_BASE, rvLetters } from './riscv64-models';

const root = path.resolve(__dirname, '../..');
const work = process.env.HWCAP_ARCHES_DIR ?? path.join(root, '.arches');
const dir = path.join(work, 'riscv64-system');
const qemu = process.env.HWCAP_QEMU_SYSTEM_RISCV64 ?? 'qemu-system-riscv64';
// rv64 is I M A F D C with H; v=on adds V; sifive-u54 has no H. Models that cannot boot this
// kernel, measured: d=off panics in the kernel's first __fstate_restore; f=off,d=off boots, but
// busybox (RV64GC) dies with SIGILL as init; c=off and a=off print nothing in 300 s, as qemu's
// OpenSBI (RV64GC) traps at its first compressed or atomic instruction before its banner.
const DEFAULT_CPUS = ['rv64', 'rv64,v=on', 'sifive-u54'];
const CPUS = (process.env.HWCAP_ARCHES_RISCV64_SYSTEM_CPUS ?? DEFAULT_CPUS.join(' ')).split(' ').filter(Boolean);
const TIMEOUT_SEC = Number(process.env.HWCAP_ARCHES_RISCV64_SYSTEM_TIMEOUT ?? 120);
/** Letters of the isa line that the kernel does not put in AT_HWCAP, each with why. */
const NOT_IN_AT_HWCAP: Record<string, string> = {
  h: "the hypervisor extension: riscv_fill_hwcap's isa2hwcap maps only I M A F D C V",
};
const sorted = (a: readonly string[]) => [...a].sort();

interface Check {
  status: number;
  stdout: string;
}
interface Machine {
  cpu: string;
  seconds: number;
  code: number | null;
  timedOut: boolean;
  error?: string;
  qemuStderr: string;
  ended: boolean;
  checks: Record<string, Check>;
  /** The `isa` line of /proc/cpuinfo, its single letters, AT_HWCAP, the kernel's two boot lines. */
  isa?: string;
  isaLetters: string[];
  AT_HWCAP?: string;
  baseIsa?: string;
  elfCapabilities?: string;
}

const readText = (f: string) => (fs.existsSync(f) ? fs.readFileSync(f, 'utf8').trim() : undefined);

/** Why the part cannot run (system-riscv64.sh's unavailable.txt, a missing file), or ''. */
function missing(): string {
  const why = readText(path.join(dir, 'unavailable.txt'));
  if (why) return why;
  const absent = ['Image', 'initramfs.cpio.gz'].filter((f) => !fs.existsSync(path.join(dir, f)));
  return absent.length ? `not built: ${absent.join(', ')} in ${dir} (run npm run test:arches, or scripts/arches/system-riscv64.sh)` : '';
}

/** `@@hwcap <name> <status> <stdout base64 or ->` lines of the console. */
function parseConsole(text: string): Pick<Machine, 'ended' | 'checks'> {
  const checks: Record<string, Check> = {};
  for (const raw of text.split('\n')) {
    const m = /^@@hwcap (\S+) (\d+) (\S+)$/.exec(raw.replace(/\r$/, ''));
    if (m) checks[m[1]!] = { status: Number(m[2]), stdout: m[3] === '-' ? '' : Buffer.from(m[3]!, 'base64').toString('utf8') };
  }
  return { ended: /^@@hwcap-end\r?$/m.test(text), checks };
}

/** busybox `od -A n -t x8 -v` of /proc/self/auxv → AT_HWCAP (type 16) in hex. */
function atHwcap(od: string): string | undefined {
  const t = od.split(/\s+/).filter(Boolean);
  if (!t.every((w) => /^[0-9a-f]{16}$/.test(w))) return undefined;
  for (let i = 0; i + 1 < t.length; i += 2) {
    const type = BigInt(`0x${t[i]}`);
    if (type === 0n) break;
    if (type === 16n) return `0x${BigInt(`0x${t[i + 1]}`).toString(16)}`;
  }
  return undefined;
}

function boot(cpu: string): Promise<Machine> {
  const args = [
    '-M', 'virt', '-cpu', cpu, '-smp', '1', '-m', '512', '-nographic', '-no-reboot', '-nic', 'none', '-bios', 'default',
    '-kernel', path.join(dir, 'Image'), '-initrd', path.join(dir, 'initramfs.cpio.gz'),
    '-append', 'console=ttyS0 quiet panic=-1',
  ];
  return new Promise((resolve) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(qemu, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let timedOut = false;
    let done = false;
    child.stdout.on('data', (d: Buffer) => (out += d.toString('latin1')));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, TIMEOUT_SEC * 1000);
    const finish = (code: number | null, error?: string) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
      try {
        fs.writeFileSync(path.join(dir, `console-${cpu}.log`), out);
      } catch (e) {
        error = `${error ?? ''} ${(e as Error).message}`.trim();
      }
      const { ended, checks } = parseConsole(out);
      const isa = /^isa\s*:\s*(\S+)/m.exec(checks.cpuinfo?.stdout ?? '')?.[1];
      const dmesg = checks['dmesg-isa']?.stdout ?? '';
      resolve({
        cpu,
        seconds,
        code,
        timedOut,
        error,
        qemuStderr: err.trim(),
        ended,
        checks,
        isa,
        // rv64imafdcvh_zicntr_…: the single letters come before the first underscore.
        isaLetters: sorted((/^rv64([a-z]*)/.exec(isa ?? '')?.[1] ?? '').split('').filter(Boolean)),
        AT_HWCAP: atHwcap(checks['auxv-od']?.stdout ?? ''),
        baseIsa: /riscv: base ISA extensions (\S+)/.exec(dmesg)?.[1],
        elfCapabilities: /riscv: ELF capabilities (\S+)/.exec(dmesg)?.[1],
      });
    };
    child.on('error', (e) => finish(null, e.message));
    child.on('close', (code) => finish(code));
  });
}

const why = missing();
const machines = new Map<string, Machine>();
const machine = (cpu: string) => {
  const m = machines.get(cpu);
  if (!m) throw new Error(`-cpu ${cpu} did not boot (see beforeAll)`);
  return m;
};
/** hwcap's names for the kernel's AT_HWCAP; throws when the guest printed no auxv or isa line. */
function decoded(m: Machine): string[] {
  if (m.AT_HWCAP === undefined || m.isa === undefined) throw new Error(`-cpu ${m.cpu}: the guest printed no AT_HWCAP or no isa line (console-${m.cpu}.log in ${dir})`);
  return sorted(decodeWords('riscv64', { hwcap: BigInt(m.AT_HWCAP) }));
}
const inAtHwcap = (letters: string[]) => letters.filter((l) => !(l in NOT_IN_AT_HWCAP));
const source = why ? '' : `${(readText(path.join(dir, 'kernel.txt')) ?? '').split('\n').join(', ')}`;

describe.skipIf(!!why)(`riscv64 kernel: ${why ? `skipped: ${why}` : source}`, () => {
  beforeAll(async () => {
    let next = 0;
    const parallel = Math.max(1, Math.min(os.availableParallelism(), 2, CPUS.length));
    await Promise.all(
      Array.from({ length: parallel }, async () => {
        while (next < CPUS.length) {
          const cpu = CPUS[next++]!;
          machines.set(cpu, await boot(cpu));
        }
      }),
    );
    // What the summary prints (scripts/arches/summary.mjs).
    const models = CPUS.map((c) => machines.get(c)!).map(({ checks, ...m }) => ({ ...m, uname: checks.uname?.stdout.trim() }));
    fs.writeFileSync(path.join(dir, 'observed.json'), JSON.stringify({ source, timeoutSec: TIMEOUT_SEC, models }, null, 2));
  }, (TIMEOUT_SEC * Math.ceil(CPUS.length / 2) + 30) * 1000);

  describe.each(CPUS)('-cpu %s', (cpu) => {
    it(`boots Debian's kernel, and /init prints /proc/cpuinfo, od of /proc/self/auxv and the kernel's ISA lines, then powers off (within ${TIMEOUT_SEC} s)`, () => {
      const m = machine(cpu);
      const tail = `console-${cpu}.log in ${dir}; qemu exit ${m.code}${m.qemuStderr ? `: ${m.qemuStderr}` : ''}${m.error ? `; ${m.error}` : ''}`;
      expect(m.timedOut, `killed after ${TIMEOUT_SEC} s; ${tail}`).toBe(false);
      expect(m.ended, `no @@hwcap-end; ${tail}`).toBe(true);
      for (const c of ['uname', 'cpuinfo', 'auxv-od', 'dmesg-isa']) expect(m.checks[c]?.status, `${c}; ${tail}`).toBe(0);
      expect(m.isa, m.checks.cpuinfo?.stdout).toMatch(/^rv64[a-z]/);
      expect(m.AT_HWCAP, m.checks['auxv-od']?.stdout).toBeDefined();
      expect(m.elfCapabilities, m.checks['dmesg-isa']?.stdout).toBeDefined();
    });

    it(`hwcap decodes the kernel's AT_HWCAP to exactly the isa line's single letters, less ${Object.keys(NOT_IN_AT_HWCAP).join(' ').toUpperCase()}, with no unknown bit`, () => {
      const m = machine(cpu);
      expect(m.isaLetters, `isa: ${m.isa}`).toContain('i');
      expect(decoded(m), `AT_HWCAP ${m.AT_HWCAP}, isa ${m.isa}`).toEqual(inAtHwcap(m.isaLetters));
    });

    it(`the kernel's "riscv: ELF capabilities" line (bit n is 'a' + n) names what hwcap decodes, and leaves out of its "base ISA extensions" only ${Object.keys(NOT_IN_AT_HWCAP).join(' ')}`, () => {
      const m = machine(cpu);
      expect(m.elfCapabilities, m.checks['dmesg-isa']?.stdout).toBeDefined();
      expect(decoded(m), `AT_HWCAP ${m.AT_HWCAP}`).toEqual(sorted(m.elfCapabilities!.split('')));
      expect(sorted((m.baseIsa ?? '').split('')), `isa ${m.isa}`).toEqual(m.isaLetters);
      const left = m.isaLetters.filter((l) => !(m.elfCapabilities ?? '').includes(l));
      expect(left).toEqual(m.isaLetters.filter((l) => l in NOT_IN_AT_HWCAP));
    });

    const model = cpu.split(',')[0]!;
    it.skipIf(!(model in RV_BASE))(`qemu's source gives -cpu ${cpu} the letters the qemu-user checks expect (riscv64-models.ts)${model in RV_BASE ? '' : ` (skipped: no ${model} in RV_BASE)`}`, () => {
      const m = machine(cpu);
      expect(m.isa, `console-${cpu}.log`).toBeDefined();
      expect(rvLetters(cpu), `isa ${m.isa}`).toEqual(inAtHwcap(m.isaLetters));
    });
  });

  it(`the models differ in single-letter extensions and in AT_HWCAP (${CPUS.join(', ')})`, () => {
    const ms = CPUS.map(machine);
    for (const m of ms) decoded(m);
    expect(new Set(ms.map((m) => m.isaLetters.join(''))).size, ms.map((m) => m.isa).join('\n')).toBeGreaterThanOrEqual(2);
    expect(new Set(ms.map((m) => m.AT_HWCAP)).size, ms.map((m) => m.AT_HWCAP).join(' ')).toBeGreaterThanOrEqual(2);
  });
});
