// The arm64 proving ground: the cross-built package, run by Debian's arm64 node under
// qemu-aarch64 on every emulated CPU model, checked against sources that do not go through our code:
//   - test/arm64/auxv-probe.c (cross-compiled): the startup stack, getauxval(3), /proc/self/auxv,
//     and which system calls the emulator implements;
//   - glibc's LD_SHOW_AUXV=1 of the sysroot's arm64 /bin/true;
//   - feature names derived from the cross toolchain's kernel header <asm/hwcap.h>
//     (HWCAP2_SME_I16I64 -> smei16i64, the rule the kernel's /proc/cpuinfo follows).
// test/arm64/collect.mjs runs everything first (test names and skips depend on what it probed);
// the tests compare. Run by scripts/arm64/run.sh (npm run test:arm64) after install.sh and build.sh.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(__dirname, '../..');
const work = process.env.HWCAP_ARM64_DIR ?? path.join(root, '.arm64');

const WORD_NAMES = ['AT_HWCAP', 'AT_HWCAP2', 'AT_HWCAP3', 'AT_HWCAP4'] as const;
type WordName = (typeof WORD_NAMES)[number];
type Words = Record<WordName, bigint>;
const hex = (v: bigint) => `0x${v.toString(16)}`;
const big = (v: unknown) => (typeof v === 'string' && /^0x[0-9a-f]+$/i.test(v) ? BigInt(v) : undefined);

interface HeaderFeature {
  name: string;
  word: WordName;
  bit: number;
  macro: string;
}

/** Hex words as the probes print them ("0x..."), by AT_HWCAP* name. */
type HexWords = Partial<Record<WordName, string>>;
/** What a probe found of one system call. */
interface CallOutcome {
  ok: boolean;
  errno?: string | number;
  words?: HexWords;
}
/** test/arm64/auxv-probe.c's JSON. */
interface AuxvProbe {
  statFields?: number;
  stack: HexWords;
  procAuxv: HexWords;
  getauxval: HexWords;
  startstack: { stat: number; argc: number };
  prGetAuxv: CallOutcome;
  ptraceSeize: CallOutcome;
  execArm64: CallOutcome;
}
/** An error as guest.js serializes it. */
interface ErrorJson {
  name?: string;
  code?: string;
  message?: string;
}
/** hwcap's { hwcap, hwcap2, hwcap3, hwcap4 } in hex, or the error of the view. */
interface ViewWords {
  hwcap?: string;
  hwcap2?: string;
  hwcap3?: string;
  hwcap4?: string;
  error?: ErrorJson;
}
interface NamedSet {
  arch?: string;
  names: string[];
}
/** test/arm64/guest.js's JSON from the arm64 node. */
interface GuestRun {
  error?: ErrorJson;
  nodeVersion?: string;
  processArch?: string;
  nativeArch?: string;
  getauxval?: Partial<Record<WordName, string | null>>;
  words: { libc?: ViewWords; kernel: ViewWords; process: ViewWords };
  kernelEntries: string[];
  access?: { prGetAuxv?: { ok: boolean } };
  features: NamedSet & {
    catalog?: { name: string; word: string; bit: number }[];
    unknownBits?: unknown[];
    current_libc: NamedSet;
    current_process: NamedSet;
  };
  report: NamedSet & { words: HexWords };
  nodeReportError?: ErrorJson;
  reportSource?: string;
}
/** hwcap-probe's JSON (the cross-built C probe). */
interface HwcapProbeRun {
  error?: ErrorJson;
  process?: ViewWords;
  libc?: ViewWords;
}
/** guest.js analyze: the baseline of every model's report, and check() of each ordered pair. */
interface Analysis {
  baseline: NamedSet & { error?: ErrorJson; words: ViewWords };
  checks: Record<string, { ok: boolean; missing: string[] }>;
}

interface ModelRun {
  cpu: string;
  glibc?: Record<WordName, string>;
  glibcText: string;
  probe: AuxvProbe;
  cpuinfo: string;
  guest: GuestRun;
  exit: { code: number | null; signal: string | null; stderr: string };
  hwcapProbe: HwcapProbeRun;
}

interface Observations {
  qemu: string;
  listed: string[];
  models: string[];
  header: { features: HeaderFeature[]; linux: string; source: string };
  runs: ModelRun[];
  analysis?: Analysis;
}

execFileSync(process.execPath, [path.join(__dirname, 'collect.mjs')], { stdio: 'inherit', env: { ...process.env, HWCAP_ARM64_DIR: work } });
const obs = JSON.parse(fs.readFileSync(path.join(work, 'observations.json'), 'utf8')) as Observations;
const { header, runs, models, analysis } = obs;
const REQUIRED = ['cortex-a53', 'neoverse-n1', 'max'];
const byCpu = new Map(runs.map((r) => [r.cpu, r]));
const wordsOf = (r: ModelRun): Words | undefined =>
  r.glibc && (Object.fromEntries(WORD_NAMES.map((w) => [w, BigInt(r.glibc![w])])) as Words);

function headerNames(w: Words): { names: string[]; unnamed: string[] } {
  const names: string[] = [];
  const unnamed: string[] = [];
  for (const word of WORD_NAMES) {
    for (let bit = 0; bit < 64; bit++) {
      if (!((w[word] >> BigInt(bit)) & 1n)) continue;
      const f = header.features.find((x) => x.word === word && x.bit === bit);
      if (f) names.push(f.name);
      else unnamed.push(`bit${bit}@${word}`);
    }
  }
  return { names, unnamed }; // in bit order, AT_HWCAP first
}

// What the summary and the README table are built from (scripts/arm64/summary.mjs).
fs.writeFileSync(
  path.join(work, 'results.json'),
  JSON.stringify(
    {
      qemu: obs.qemu,
      node: runs[0]?.guest.nodeVersion,
      header: header.source,
      models: runs.map((r) => ({
        cpu: r.cpu,
        hwcap: r.glibc?.AT_HWCAP,
        hwcap2: r.glibc?.AT_HWCAP2,
        names: Array.isArray(r.guest.features?.names) ? r.guest.features.names : undefined,
        headerNames: r.glibc ? headerNames(wordsOf(r)!).names : undefined,
      })),
      baseline: analysis?.baseline,
    },
    null,
    2,
  ),
);

// ---------------------------------------------------------------------------------------------
// Skip reasons, each from a probe

const first: Partial<AuxvProbe> = runs[0]?.probe ?? {};
const why = (p: CallOutcome | undefined, call: string) => (p?.ok ? '' : `qemu-user answers ${call} with ${p?.errno ?? 'failure'}`);
// The addon needs /proc/self/stat field 28 (startstack); it reads the stack with
// process_vm_readv or, where that is ENOSYS as under qemu-user, directly from a
// readable mapping listed in /proc/self/maps.
const processViewReason =
  !((first.statFields ?? 0) >= 28) ? `qemu-user emulates /proc/self/stat with ${first.statFields} fields (the addon needs field 28, startstack)` : '';
const prGetAuxvReason = why(first.prGetAuxv, 'prctl(PR_GET_AUXV)');
const ptraceReason = [why(first.ptraceSeize, 'ptrace(PTRACE_SEIZE)'), why(first.execArm64, 'execve of an arm64 child (no binfmt_misc handler)')]
  .filter(Boolean)
  .join('; ');
const cpuinfoHasFeatures = (r: ModelRun) => /^Features\s*:/m.test(r.cpuinfo);
const cpuinfoReason = runs.every(cpuinfoHasFeatures) ? '' : 'qemu-user passes the host /proc/cpuinfo through (no arm64 Features line)';
const skipName = (name: string, reason: string) => (reason ? `${name} (skipped: ${reason})` : name);

// ---------------------------------------------------------------------------------------------

describe(`${obs.qemu}, arm64 node ${runs[0]?.guest.nodeVersion ?? '?'}`, () => {
  it(`emulates the CPU models the checks need (${REQUIRED.join(', ')}) and at least three in all`, () => {
    for (const m of REQUIRED) expect(models, `qemu-aarch64 -cpu help lists ${obs.listed.join(' ')}`).toContain(m);
    expect(models.length).toBeGreaterThanOrEqual(3);
  });

  it(`the cross toolchain's <asm/hwcap.h> (Linux ${header.linux}) names the AT_HWCAP and AT_HWCAP2 bits`, () => {
    expect(header.features.filter((f) => f.word === 'AT_HWCAP').length).toBeGreaterThan(20);
    expect(header.features.filter((f) => f.word === 'AT_HWCAP2').length).toBeGreaterThan(10);
    expect(header.features.find((f) => f.word === 'AT_HWCAP' && f.bit === 0)?.name).toBe('fp');
  });

  it(`catalog('aarch64') names every bit of <asm/hwcap.h> (Linux ${header.linux}) as the header does`, () => {
    const catalog = runs[0].guest.features?.catalog as { name: string; word: string; bit: number }[];
    expect(Array.isArray(catalog), JSON.stringify(runs[0].guest)).toBe(true);
    const mismatched = header.features
      .map((f) => ({ f, row: catalog.find((r) => r.word === f.word && r.bit === f.bit) }))
      .filter(({ f, row }) => row?.name !== f.name)
      .map(({ f, row }) => `${f.macro} (${f.word} bit ${f.bit}): header says ${f.name}, catalog says ${row?.name ?? 'nothing'}`);
    expect(mismatched).toEqual([]);
  });
});

describe.each(models)('-cpu %s', (cpu) => {
  const r = byCpu.get(cpu)!;
  const g = r.guest;
  const glibc = wordsOf(r);

  it("qemu agrees with itself: startup stack, getauxval(3), /proc/self/auxv (C probe) and glibc's LD_SHOW_AUXV", () => {
    expect(glibc, `LD_SHOW_AUXV output: ${r.glibcText}`).toBeDefined();
    for (const w of WORD_NAMES) {
      expect(big(r.probe.stack[w]), `stack ${w}`).toBe(glibc![w]);
      expect(big(r.probe.procAuxv[w]), `/proc/self/auxv ${w}`).toBe(glibc![w]);
      expect(big(r.probe.getauxval[w]) ?? 0n, `getauxval ${w}`).toBe(glibc![w]);
    }
    expect(r.probe.startstack.stat).toBe(r.probe.startstack.argc);
  });

  it('the arm64 node loads the cross-built addon (process.arch arm64, native.arch aarch64) and exits 0', () => {
    expect(g.error, JSON.stringify(g.error)).toBeUndefined();
    expect(g.processArch).toBe('arm64');
    expect(g.nativeArch).toBe('aarch64');
    expect(r.exit).toEqual({
      code: 0,
      signal: null,
      stderr: '',
    });
  });

  it("getauxval() and hwcapWords('libc') give glibc's words", () => {
    for (const w of WORD_NAMES) {
      const v = g.getauxval?.[w];
      // qemu puts AT_HWCAP2 in the vector (0 when empty); AT_HWCAP3/4 may be absent (null).
      expect(v === null ? 0n : big(v), `getauxval('${w}') = ${JSON.stringify(v)}`).toBe(glibc![w]);
    }
    expect(g.words?.libc).toEqual({
      hwcap: hex(glibc!.AT_HWCAP),
      hwcap2: hex(glibc!.AT_HWCAP2),
      hwcap3: hex(glibc!.AT_HWCAP3),
      hwcap4: hex(glibc!.AT_HWCAP4),
    });
  });

  it("hwcapWords('kernel') and readAuxv('kernel') match the emulated /proc/self/auxv", () => {
    expect(g.words?.kernel).toEqual({
      hwcap: r.probe.procAuxv.AT_HWCAP,
      hwcap2: r.probe.procAuxv.AT_HWCAP2,
      hwcap3: r.probe.procAuxv.AT_HWCAP3,
      hwcap4: r.probe.procAuxv.AT_HWCAP4,
    });
    expect(g.kernelEntries).toContain('AT_HWCAP');
    expect(g.kernelEntries.at(-1)).toBe('AT_NULL');
  });

  it.skipIf(!!processViewReason)(skipName("hwcapWords('process') matches the startup stack", processViewReason), () => {
    expect(g.words.process).toEqual({
      hwcap: r.probe.stack.AT_HWCAP,
      hwcap2: r.probe.stack.AT_HWCAP2,
      hwcap3: r.probe.stack.AT_HWCAP3,
      hwcap4: r.probe.stack.AT_HWCAP4,
    });
  });

  it.runIf(!!processViewReason)("hwcapWords('process') fails with a HwcapError where the emulator lacks what it needs", () => {
    expect(g.words.process.error?.name, JSON.stringify(g.words.process)).toBe('HwcapError');
    expect(g.words.process.error?.code).toMatch(/^E[A-Z]+$/);
  });

  it("probeAuxvAccess() agrees with the probe's prctl(PR_GET_AUXV)", () => {
    expect(g.access?.prGetAuxv?.ok, JSON.stringify(g.access)).toBe(r.probe.prGetAuxv.ok);
  });

  it.skipIf(!!prGetAuxvReason)(skipName("the kernel view through prctl(PR_GET_AUXV) matches the probe's", prGetAuxvReason), () => {
    expect(g.words.kernel.hwcap).toBe(r.probe.prGetAuxv.words?.AT_HWCAP);
    expect(g.words.kernel.hwcap2).toBe(r.probe.prGetAuxv.words?.AT_HWCAP2);
  });

  it.skipIf(!!ptraceReason)(skipName('a child can be traced and exec an arm64 program (launcher ptrace mode)', ptraceReason), () => {
    expect(r.probe.ptraceSeize.ok && r.probe.execArm64.ok).toBe(true);
  });

  it("the cross-built hwcap-probe's process and libc views give glibc's words", () => {
    const want = { hwcap: hex(glibc!.AT_HWCAP), hwcap2: hex(glibc!.AT_HWCAP2), hwcap3: hex(glibc!.AT_HWCAP3), hwcap4: hex(glibc!.AT_HWCAP4) };
    expect(r.hwcapProbe.error, JSON.stringify(r.hwcapProbe.error)).toBeUndefined();
    expect(r.hwcapProbe.process).toEqual(want);
    expect(r.hwcapProbe.libc).toEqual(want);
  });

  it(`the names decode with the arm64 table as <asm/hwcap.h> (Linux ${header.linux}) names them, with no unknown bits`, () => {
    const expected = headerNames(glibc!);
    const names = g.features?.names as string[];
    expect(Array.isArray(names), JSON.stringify(names ?? g)).toBe(true);
    // Bits the header names: the same names. Bits newer than the header: named by our table.
    const ours = [...names].sort();
    for (const n of expected.names.sort()) expect(ours).toContain(n);
    expect(ours.length).toBe(expected.names.length + expected.unnamed.length);
    expect(ours.filter((n) => n.startsWith('bit'))).toEqual([]);
    expect(g.features.unknownBits).toEqual([]);
  });

  it("FeatureSet.current('libc') is this CPU", () => {
    expect(g.features.current_libc.arch, JSON.stringify(g.features.current_libc)).toBe('aarch64');
    expect([...g.features.current_libc.names].sort()).toEqual([...g.features.names].sort());
  });

  it.skipIf(!!processViewReason)(skipName('FeatureSet.current() (the process view) is this CPU', processViewReason), () => {
    expect(g.features.current_process.arch, JSON.stringify(g.features.current_process)).toBe('aarch64');
    expect([...g.features.current_process.names].sort()).toEqual([...g.features.names].sort());
  });

  it.skipIf(!!cpuinfoReason)(skipName("the names equal the emulated /proc/cpuinfo's Features", cpuinfoReason), () => {
    const line = /^Features\s*:\s*(.*)$/m.exec(r.cpuinfo)![1];
    expect([...g.features.names].sort()).toEqual(line.trim().split(/\s+/).sort());
  });

  it.skipIf(!!processViewReason)(skipName('nodeReport() carries this CPU', processViewReason), () => {
    expect(g.nodeReportError, JSON.stringify(g.nodeReportError)).toBeUndefined();
    expect(g.report.arch).toBe('aarch64');
    expect(g.report.words.AT_HWCAP).toBe(hex(glibc!.AT_HWCAP));
    expect(g.report.words.AT_HWCAP2).toBe(hex(glibc!.AT_HWCAP2));
    expect([...g.report.names].sort()).toEqual([...g.features.names].sort());
  });

  it.runIf(!!processViewReason)('nodeReport() fails with the HwcapError of the process view', () => {
    expect(g.nodeReportError?.name, JSON.stringify(g.nodeReportError)).toBe('HwcapError');
    expect(g.nodeReportError?.message).toBe(g.words.process.error?.message);
  });
});

describe('the emulated cluster', () => {
  const sources = [...new Set(runs.map((r) => r.guest.reportSource))];
  const of = sources.length === 1 && sources[0] === 'nodeReport()' ? 'nodeReport()' : `reports (${sources.join(', ')})`;
  const names = (cpu: string) => headerNames(wordsOf(byCpu.get(cpu)!)!).names;

  // collect.mjs runs guest.js analyze only when every model gave a report.
  const analyzed = (): Analysis => {
    expect(analysis, 'guest.js analyze did not run: some model gave no report (see its tests)').toBeDefined();
    return analysis!;
  };

  it(`baseline() over the ${of} of all ${models.length} models is their intersection`, () => {
    const analysis = analyzed();
    expect(analysis.baseline.error, JSON.stringify(analysis.baseline.error)).toBeUndefined();
    const and = (w: WordName) => runs.reduce((acc, r) => acc & wordsOf(r)![w], (1n << 64n) - 1n);
    expect(analysis.baseline.words).toEqual({
      hwcap: hex(and('AT_HWCAP')),
      hwcap2: hex(and('AT_HWCAP2')),
      hwcap3: hex(and('AT_HWCAP3')),
      hwcap4: hex(and('AT_HWCAP4')),
    });
    const common = names(models[0])
      .filter((n) => models.every((m) => names(m).includes(n)))
      .sort();
    expect([...analysis.baseline.names].sort()).toEqual(common);
    expect(analysis.baseline.arch).toBe('aarch64');
  });

  it('check() of a cortex-a53 baseline passes on neoverse-n1 and on max', () => {
    const analysis = analyzed();
    expect(analysis.checks['cortex-a53->neoverse-n1']).toEqual({ ok: true, missing: [] });
    expect(analysis.checks['cortex-a53->max']).toEqual({ ok: true, missing: [] });
  });

  it('check() of a neoverse-n1 or max baseline on cortex-a53 reports the missing names', () => {
    const analysis = analyzed();
    for (const from of ['neoverse-n1', 'max']) {
      const c = analysis.checks[`${from}->cortex-a53`];
      const missing = names(from)
        .filter((n) => !names('cortex-a53').includes(n))
        .sort();
      expect(missing.length).toBeGreaterThan(0);
      expect(c.ok, JSON.stringify(c)).toBe(false);
      expect([...c.missing].sort()).toEqual(missing);
    }
  });

  it('check() agrees with the words for every ordered pair of models', () => {
    const analysis = analyzed();
    for (const a of models) {
      for (const b of models) {
        if (a === b) continue;
        const ra = wordsOf(byCpu.get(a)!)!;
        const rb = wordsOf(byCpu.get(b)!)!;
        const subset = WORD_NAMES.every((w) => (ra[w] & ~rb[w]) === 0n);
        expect(analysis.checks[`${a}->${b}`].ok, `${a} -> ${b}`).toBe(subset);
      }
    }
  });
});
