// Judges the x86-64 kernel guest that scripts/kernel/run.sh booted (test/kernel/boot.mjs): its
// console (<dir>/console.log) must hold an `ok <role>/<check>` line for every check expected
// below, for root and for nobody (uid 65534), and no FAIL line. A missing line is a failure:
// the guest printing nothing, crashing half-way or skipping a check never passes.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import modelList from './models.json';

const root = path.resolve(__dirname, '../..');
const dir = path.join(process.env.HWCAP_KERNEL_DIR ?? path.join(root, '.kernel'), 'guest');

/** The checks of test/kernel/guest/checks.js, per role. */
const COMMON = [
  'setup',
  'selftest',
  'probe-inheritance',
  'user-hwcap-not-enforced',
  'user-hwcap-enforced',
  'user-hwcap-unknown',
  'auto-picks-kernel',
  'masked-tree',
  'cli-exec-kernel',
  'ptrace-mode',
  'mask-cannot-add-spawn',
  'mask-cannot-add-kernel',
  'mask-hwcaps-auto',
  'kernel-refused',
  'limit-cpuinfo-unmasked',
  'cpuid-masking',
];
export const EXPECTED: Record<'root' | 'nobody', string[]> = {
  root: [...COMMON, 'write-auxv-auxv', 'kernel-launch-auxv'],
  nobody: [...COMMON, 'write-auxv-auxv-refused'],
};

const read = (f: string): string | undefined => {
  try {
    return fs.readFileSync(path.join(dir, f), 'utf8');
  } catch {
    return undefined;
  }
};
type ModelRun = { model: string; seconds: number; timedOut?: boolean; ended?: boolean; error?: string; qemuStderr?: string };
const result = JSON.parse(read('result.json') ?? '{}') as { ended?: boolean; timedOut?: boolean; accel?: string; error?: string; models?: ModelRun[] };
const consoleText = (read('console.log') ?? '').replace(/\r/g, '');
const lines = consoleText.split('\n');
const info = (key: string): string | undefined => lines.find((l) => l.startsWith(`info ${key} `))?.slice(`info ${key} `.length);

describe(`x86-64 kernel guest (${result.accel ?? 'not booted'})`, () => {
  it('booted and ran to the end (the console has @@kernel-end)', () => {
    expect(result.error, result.error).toBeUndefined();
    expect(consoleText.length, `no console in ${dir}: run npm run test:kernel`).toBeGreaterThan(0);
    expect(result.timedOut, 'the guest was killed at the timeout').toBeFalsy();
    expect(result.ended, 'the guest never printed @@kernel-end').toBe(true);
  });

  it('runs the patched kernel (uname -r ends in -hwcap-test)', () => {
    expect(info('uname')).toMatch(/^6\.12\.\d+-hwcap-test$/);
  });

  it('printed no FAIL line', () => {
    expect(lines.filter((l) => l.startsWith('FAIL '))).toEqual([]);
  });

  for (const role of ['root', 'nobody'] as const) {
    describe(role, () => {
      for (const name of EXPECTED[role]) {
        it(name, () => {
          const fail = lines.find((l) => l.startsWith(`FAIL ${role}/${name}:`));
          expect(fail, fail).toBeUndefined();
          const ok = lines.find((l) => l.startsWith(`ok ${role}/${name}:`));
          expect(ok, `no "ok ${role}/${name}" line on the console`).toBeDefined();
        });
      }

      it('ran every check once and nothing else, and its summary says 0 failed', () => {
        const names = lines.map((l) => new RegExp(`^(?:ok|FAIL) ${role}/([^:]+):`).exec(l)?.[1]).filter((n): n is string => n !== undefined);
        expect([...names].sort()).toEqual([...EXPECTED[role]].sort());
        expect(lines).toContain(`summary ${role} ${EXPECTED[role].length} passed 0 failed`);
      });
    });
  }

  it('ran the second pass as uid 65534 without capabilities, and the first as root with CAP_SYS_RESOURCE', () => {
    const setup = (role: string) => lines.find((l) => l.startsWith(`ok ${role}/setup:`)) ?? '';
    expect(setup('nobody')).toMatch(/uid 65534, CapEff 0{16};/);
    const cap = /uid 0, CapEff ([0-9a-f]{16});/.exec(setup('root'));
    expect(cap, setup('root')).not.toBeNull();
    expect((BigInt(`0x${cap![1]}`) >> 24n) & 1n).toBe(1n);
  });

  it('both passes exited 0', () => {
    expect(lines.find((l) => l.startsWith('@@kernel-end '))).toBe('@@kernel-end root=0 nobody=0');
  });
});

/** The qemu CPU models boot.mjs boots with hwcap_checks=names (test/kernel/guest/names.js). */
export const MODELS: string[] = process.env.HWCAP_KERNEL_MODELS !== undefined ? process.env.HWCAP_KERNEL_MODELS.split(/\s+/).filter(Boolean) : modelList.models.map((m) => m.name);
const VENDOR = new Map(modelList.models.map((m) => [m.name, m.vendor]));

describe("hwcap's x86-64 names against the guest kernel's /proc/cpuinfo, per qemu CPU model", () => {
  for (const model of MODELS) {
    it(`-cpu ${model}: booted, ran names.js, and printed its ok line and no FAIL`, () => {
      const run = result.models?.find((m) => m.model === model);
      expect(run, `boot.mjs did not boot -cpu ${model}`).toBeDefined();
      expect(run!.error, run!.error).toBeUndefined();
      const log = (read(`names-${model}.log`) ?? '').replace(/\r/g, '').split('\n');
      const fails = log.filter((l) => l.startsWith('FAIL '));
      expect(fails, `names-${model}.log`).toEqual([]);
      expect(run!.timedOut, `-cpu ${model} was killed at the timeout${run!.qemuStderr ? ` (${run!.qemuStderr})` : ''}`).toBeFalsy();
      expect(log.find((l) => l.startsWith(`ok names/${model}:`)), `no "ok names/${model}" line in names-${model}.log`).toBeDefined();
      expect(log.find((l) => l.startsWith('@@kernel-end '))).toBe('@@kernel-end names=0');
      // The guest ran on that model: its vendor_id is the model's (a model not in models.json, from
      // HWCAP_KERNEL_MODELS, is not checked so).
      const vendor = / vendor (\S+) /.exec(log.find((l) => l.startsWith(`info names/${model} vendor `)) ?? '')?.[1];
      if (VENDOR.has(model)) expect(vendor).toBe(VENDOR.get(model));
    });
  }
});
