// The ppc64le, s390x and riscv64 feature tables (lib/core/tables) checked against sources that
// nobody on the project wrote, under qemu-user's CPU models (qemu-ppc64le, qemu-s390x,
// qemu-riscv64), with Debian's glibc for each architecture (scripts/arches/install.sh unpacks it
// into .arches/<arch>/sysroot):
//   - ppc64le and s390x: glibc's ld.so prints the AT_HWCAP (and on powerpc AT_HWCAP2) feature
//     names itself for LD_SHOW_AUXV=1 (_dl_procinfo of sysdeps/powerpc/dl-procinfo.h and
//     sysdeps/s390/dl-procinfo.h, with the name tables of sysdeps/powerpc/dl-procinfo.c and
//     sysdeps/s390/dl-procinfo-s390.c). Debian's busybox (linked against that glibc) is the
//     program; its `od` of the emulated /proc/self/auxv gives the words, which hwcap decodes.
//     The same name tables, read out of Debian's ld.so, are compared with every row, so that the
//     bits no qemu model sets are checked too.
//   - riscv64: glibc prints AT_HWCAP in hex there; the oracle is the CPU model itself (its
//     single-letter extensions, turned on and off with qemu's -cpu properties) and the bit rule of
//     the kernel's <asm/hwcap.h> (Linux 6.1, linux-libc-dev-riscv64-cross).
// What it observes must equal test/fixtures/arches/oracles.json, which test/core/arch-oracles.test.ts
// checks the tables against on every `npm test`; HWCAP_ARCHES_RECORD=1 rewrites that file instead.
// Everything runs while the file is collected; the tests compare. Run by scripts/arches/run.sh
// (npm run test:arches) after install.sh.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { NODE_REPORT_SCHEMA, baseline, parseReport, type Arch } from '../../lib';
import {
  ORACLE_WORDS,
  modelDifferences,
  riscvHeaderDifferences,
  riscvModelDifferences,
  tableDifferences,
  type NamedModel,
  type NamedOracle,
  type Oracles,
  type OracleWord,
  type RiscvModel,
  type RiscvOracle,
} from '../support/arch-oracles';
import { rvLetters } from './riscv64-models';

const root = path.resolve(__dirname, '../..');
const work = process.env.HWCAP_ARCHES_DIR ?? path.join(root, '.arches');
const fixtureFile = path.join(root, 'test', 'fixtures', 'arches', 'oracles.json');
const record = process.env.HWCAP_ARCHES_RECORD === '1';
const AT_TYPE: Record<OracleWord, number> = { AT_HWCAP: 16, AT_HWCAP2: 26 };
const hex = (v: bigint) => `0x${v.toString(16)}`;
const sorted = (a: readonly string[]) => [...a].sort();
const cpusFrom = (env: string | undefined, fallback: string[]) => (env ? env.split(' ').filter(Boolean) : fallback);
const models = (cpus: string[]) => [...new Set(cpus.map((c) => c.split(',')[0]!))];

interface Run {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function run(argv: string[]): Run {
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', timeout: 120_000 });
  if (r.error) return { status: null, signal: null, stdout: '', stderr: String(r.error.message) };
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

/** Why an architecture's part cannot run (install.sh's unavailable.txt, or a missing file), or ''. */
function missing(arch: string, qemu: string, files: string[]): string {
  const f = path.join(work, arch, 'unavailable.txt');
  if (fs.existsSync(f)) return fs.readFileSync(f, 'utf8').trim();
  if (run([qemu, '--version']).status !== 0) return `${qemu} is missing (Debian's qemu-user; scripts/arches/install.sh installs it)`;
  const absent = files.filter((p) => !fs.existsSync(p));
  return absent.length ? `not installed: ${absent.join(', ')} (run npm run test:arches, or scripts/arches/install.sh)` : '';
}

/** The CPU names `qemu -cpu help` lists. */
function listedCpus(qemu: string): string[] {
  return run([qemu, '-cpu', 'help'])
    .stdout.split('\n')
    .map((l) => /^\s*(?:PowerPC|s390)?\s*(\S+)/.exec(l)?.[1] ?? '')
    .filter(Boolean);
}

const firstLine = (qemu: string) => run([qemu, '--version']).stdout.split('\n')[0] ?? qemu;

/** The packages unpacked into a sysroot, from install.sh's stamp. */
const stamp = (arch: string) => fs.readFileSync(path.join(work, arch, 'sysroot', '.hwcap-sysroot'), 'utf8').trim().split('\n').join(', ');

/** glibc's LD_SHOW_AUXV lines of the hwcap words: the text after `AT_HWCAP:` / `AT_HWCAP2:`. */
function showAuxv(text: string): Partial<Record<OracleWord, string>> {
  const out: Partial<Record<OracleWord, string>> = {};
  for (const line of text.split('\n')) {
    const m = /^(AT_HWCAP2?):(.*)$/.exec(line);
    if (m) out[m[1] as OracleWord] = m[2]!.trim();
  }
  return out;
}

/** busybox `od -v -A n -t x8` of /proc/self/auxv (words in the guest's byte order) → type → value. */
function odAuxv(text: string): Map<number, bigint> {
  const tokens = text.split(/\s+/).filter(Boolean);
  const out = new Map<number, bigint>();
  for (let i = 0; i + 1 < tokens.length; i += 2) {
    const type = Number(BigInt(`0x${tokens[i]}`));
    if (type === 0) break;
    out.set(type, BigInt(`0x${tokens[i + 1]}`));
  }
  return out;
}

/**
 * A fixed-width name table compiled into ld.so (`const char flags[N][W]`), found by its first two
 * names with only NULs between them; read for `count` entries, or up to the entry `stop` (the
 * first name of the table the compiler places right after it). '' for an unnamed bit.
 */
function ldsoNameTable(ldso: string, first: string, second: string, count: number, stop?: string): string[] {
  const b = fs.readFileSync(ldso);
  for (let i = b.indexOf(`${first}\0`); i >= 0; i = b.indexOf(`${first}\0`, i + 1)) {
    let j = i + first.length;
    while (j < b.length && b[j] === 0 && j - i < 32) j++;
    if (b.toString('latin1', j, j + second.length + 1) !== `${second}\0`) continue;
    const width = j - i;
    const names: string[] = [];
    for (let k = 0; k < count; k++) {
      const entry = b.subarray(i + k * width, i + (k + 1) * width);
      const nul = entry.indexOf(0);
      const name = entry.toString('latin1', 0, nul < 0 ? width : nul);
      if (name === stop) break;
      names.push(name);
    }
    return names;
  }
  throw new Error(`${ldso}: no name table starting "${first}", "${second}"`);
}

/** A node report of a model's words for baseline(), as it would arrive from another machine. */
const reportOf = (arch: Arch, host: string, words: NamedModel['words']) =>
  parseReport({ schema: NODE_REPORT_SCHEMA, hostname: host, arch, words: { AT_HWCAP: words.AT_HWCAP ?? '0x0', AT_HWCAP2: words.AT_HWCAP2 ?? '0x0' } });

const fixture: Partial<Oracles> = fs.existsSync(fixtureFile) ? (JSON.parse(fs.readFileSync(fixtureFile, 'utf8')) as Oracles) : {};
const observed: Partial<Oracles> = {};
const withoutSource = <T extends { source: string }>(o: T | undefined) => o && { ...o, source: undefined };

// ---------------------------------------------------------------------------------------------
// ppc64le and s390x: glibc names the bits

interface NamedArch {
  arch: 'ppc64le' | 's390x';
  qemu: string;
  ldso: string;
  /** glibc's name table: its first two names, its entry count, the name that follows it. */
  table: { first: string; second: string; count: number; stop?: string; split: number };
  cpus: string[];
  defaultCpus: string[];
  source: string;
}

const S390X_CPUS = ['z900', 'qemu', 'max', 'max,vxeh=off', 'max,vx=off,vxeh=off', 'max,msa=off', 'max,stfle=off'];

const NAMED: NamedArch[] = [
  {
    arch: 'ppc64le',
    qemu: process.env.HWCAP_QEMU_PPC64LE ?? 'qemu-ppc64le',
    ldso: 'lib/powerpc64le-linux-gnu/ld64.so.2',
    // _dl_powerpc_cap_flags[64][15]: AT_HWCAP's 32 bits, then AT_HWCAP2's.
    table: { first: 'ppcle', second: 'true_le', count: 64, split: 32 },
    // Debian's ppc64el glibc is built for POWER8 (ISA 2.07): under power7 it dies with SIGILL
    // before ld.so prints anything.
    cpus: cpusFrom(process.env.HWCAP_ARCHES_PPC64LE_CPUS, ['power8', 'power9', 'power10']),
    defaultCpus: ['power8', 'power9', 'power10'],
    source: 'sysdeps/powerpc/dl-procinfo.c (_dl_powerpc_cap_flags)',
  },
  {
    arch: 's390x',
    qemu: process.env.HWCAP_QEMU_S390X ?? 'qemu-s390x',
    ldso: 'lib/s390x-linux-gnu/ld64.so.1',
    // _dl_s390_cap_flags[_DL_HWCAP_COUNT][9], followed by _dl_s390_platforms ("g5", "z900" …).
    table: { first: 'esan3', second: 'zarch', count: 64, stop: 'g5', split: 64 },
    // Of qemu 7.2's named models only z900 and z800 run under TCG: every later one requires
    // facilities TCG lacks ("Some features requested in the CPU model are not available in the
    // configuration"). So the models are z900, qemu, max, and max with facilities turned off.
    cpus: cpusFrom(process.env.HWCAP_ARCHES_S390X_CPUS, S390X_CPUS),
    defaultCpus: S390X_CPUS,
    source: 'sysdeps/s390/dl-procinfo-s390.c (_dl_s390_cap_flags)',
  },
];

for (const t of NAMED) {
  const sysroot = path.join(work, t.arch, 'sysroot');
  const busybox = path.join(sysroot, 'bin', 'busybox');
  const ldso = path.join(sysroot, t.ldso);
  const why = missing(t.arch, t.qemu, [busybox, ldso]);
  const inQemu = (cpu: string, args: string[], env: string[] = []) =>
    run([t.qemu, '-L', sysroot, '-cpu', cpu, ...env.flatMap((e) => ['-E', e]), busybox, ...args]);

  const runs = why
    ? []
    : t.cpus.map((cpu) => {
        const glibc = inQemu(cpu, ['true'], ['LD_SHOW_AUXV=1']);
        const od = inQemu(cpu, ['od', '-v', '-A', 'n', '-t', 'x8', '/proc/self/auxv']);
        const auxv = odAuxv(od.stdout);
        const words: NamedModel['words'] = {};
        for (const w of ORACLE_WORDS) if (auxv.has(AT_TYPE[w])) words[w] = hex(auxv.get(AT_TYPE[w])!);
        const model: NamedModel = { cpu, words, glibc: showAuxv(glibc.stdout) };
        return { glibcRun: glibc, od, model };
      });
  const oracle: NamedOracle | undefined = why
    ? undefined
    : {
        source: `${stamp(t.arch)}; ${firstLine(t.qemu)}`,
        glibcTable: ldsoNameTable(ldso, t.table.first, t.table.second, t.table.count, t.table.stop),
        split: t.table.split,
        models: runs.map((r) => r.model),
      };
  if (oracle) observed[t.arch] = oracle;

  describe.skipIf(!!why)(`${t.arch}: ${why ? `skipped: ${why}` : oracle!.source}`, () => {
    it(`lists the CPU models the checks use (${models(t.cpus).join(', ')})`, () => {
      const listed = listedCpus(t.qemu);
      for (const cpu of models(t.cpus)) expect(listed, `${t.qemu} -cpu help`).toContain(cpu);
    });

    it(`glibc's name table in Debian's ld.so (${t.source}) names every bit as catalog('${t.arch}') does`, () => {
      expect(oracle!.glibcTable.length).toBeGreaterThan(20);
      expect(tableDifferences(t.arch, oracle!)).toEqual([]);
    });

    describe.each(runs)('-cpu $model.cpu', (r) => {
      it("glibc's LD_SHOW_AUXV=1 runs Debian's busybox and prints AT_HWCAP's names; od reads qemu's /proc/self/auxv", () => {
        expect(r.glibcRun.status, r.glibcRun.stderr).toBe(0);
        expect(r.od.status, r.od.stderr).toBe(0);
        expect(r.model.glibc.AT_HWCAP, r.glibcRun.stdout).toBeDefined();
        expect(BigInt(r.model.words.AT_HWCAP ?? '0'), r.od.stdout).not.toBe(0n);
      });

      it('hwcap names the words exactly as glibc does, word by word, with no unknown bit', () => {
        expect(modelDifferences(t.arch, r.model)).toEqual([]);
      });
    });

    it(`the models give at least two different words (${runs.map((r) => `${r.model.cpu} ${r.model.words.AT_HWCAP}/${r.model.words.AT_HWCAP2 ?? '-'}`).join(', ')})`, () => {
      expect(new Set(runs.map((r) => JSON.stringify(r.model.words))).size).toBeGreaterThanOrEqual(2);
    });

    it("baseline() over the models' reports has the names glibc prints on every model", () => {
      const set = baseline(runs.map((r) => reportOf(t.arch, `qemu-${r.model.cpu}`, r.model.words)));
      const glibcNames = (m: NamedModel) => ORACLE_WORDS.flatMap((w) => (m.glibc[w] ?? '').split(/\s+/).filter(Boolean));
      const all = runs.map((r) => glibcNames(r.model));
      expect(set.arch).toBe(t.arch);
      expect(sorted(set.names())).toEqual(sorted(all[0]!.filter((n) => all.every((names) => names.includes(n)))));
    });

    const custom = t.cpus.join(' ') !== t.defaultCpus.join(' ');
    const note = record ? ' (skipped: recording it)' : custom ? ' (skipped: other models than the recorded ones)' : '';
    it.skipIf(record || custom)(`what it saw is test/fixtures/arches/oracles.json's ${t.arch} (HWCAP_ARCHES_RECORD=1 rewrites it)${note}`, () => {
      expect(withoutSource(oracle)).toEqual(withoutSource(fixture[t.arch]));
    });
  });
}

// ---------------------------------------------------------------------------------------------
// riscv64: the CPU model's extensions name the bits

const rvQemu = process.env.HWCAP_QEMU_RISCV64 ?? 'qemu-riscv64';
const rvRoot = path.join(work, 'riscv64', 'sysroot', 'usr', 'riscv64-linux-gnu');
const rvLibc = path.join(rvRoot, 'lib', 'libc.so.6');
const rvHeader = path.join(rvRoot, 'include', 'asm', 'hwcap.h');
const rvWhy = missing('riscv64', rvQemu, [rvLibc, rvHeader]);

// The oracle is the CPU model: the single-letter extensions qemu 7.2's source gives `rv64` and
// `sifive-u54` (RV_BASE, with the source lines, in riscv64-models.ts), changed by
// `-cpu rv64,<letter>=on|off`. Debian's riscv64 glibc is built for RV64GC: without C or M ld.so
// stops at its first such instruction before it prints anything, so those models are not here.
// Without D or F it prints the vector first and then stops (SIGILL).
const RV_DEFAULT_CPUS = ['rv64', 'rv64,v=on', 'rv64,a=off', 'rv64,d=off', 'rv64,f=off,d=off', 'sifive-u54'];
const RV_CPUS = cpusFrom(process.env.HWCAP_ARCHES_RISCV64_CPUS, RV_DEFAULT_CPUS);
const rvCustom = RV_CPUS.join(' ') !== RV_DEFAULT_CPUS.join(' ');

/** COMPAT_HWCAP_ISA_<L> of <asm/hwcap.h>: `(1 << ('L' - 'A'))`. */
function rvHeaderBits(): RiscvOracle['header'] {
  const text = fs.readFileSync(rvHeader, 'utf8');
  return [...text.matchAll(/^#define\s+COMPAT_HWCAP_ISA_([A-Z])\s+\(1 << \('([A-Z])' - 'A'\)\)/gm)].map((m) => {
    if (m[1] !== m[2]) throw new Error(`${rvHeader}: COMPAT_HWCAP_ISA_${m[1]} is the bit of '${m[2]}'`);
    return { letter: m[1]!.toLowerCase(), bit: m[2]!.charCodeAt(0) - 'A'.charCodeAt(0) };
  });
}

const rvRuns = rvWhy
  ? []
  : RV_CPUS.map((cpu) => {
      // libc.so.6 is itself a dynamic program (it prints glibc's banner), so ld.so runs it.
      const r = run([rvQemu, '-L', rvRoot, '-cpu', cpu, '-E', 'LD_SHOW_AUXV=1', rvLibc]);
      const text = showAuxv(r.stdout).AT_HWCAP;
      const word = text !== undefined && /^(0x)?[0-9a-f]+$/i.test(text) ? hex(BigInt(text.startsWith('0x') ? text : `0x${text}`)) : undefined;
      const model: RiscvModel = { cpu, letters: rvLetters(cpu), AT_HWCAP: word ?? '' };
      return { run: r, model };
    });
const rvOracle: RiscvOracle | undefined = rvWhy ? undefined : { source: `${stamp('riscv64')}; ${firstLine(rvQemu)}`, header: rvHeaderBits(), models: rvRuns.map((r) => r.model) };
if (rvOracle) observed.riscv64 = rvOracle;

describe.skipIf(!!rvWhy)(`riscv64: ${rvWhy ? `skipped: ${rvWhy}` : rvOracle!.source}`, () => {
  it("<asm/hwcap.h> (linux-libc-dev-riscv64-cross) gives each letter bit letter - 'A', and catalog('riscv64') names it so", () => {
    expect(rvOracle!.header.map((h) => h.letter)).toEqual(expect.arrayContaining(['i', 'm', 'a', 'f', 'd', 'c']));
    expect(riscvHeaderDifferences(rvOracle!.header)).toEqual([]);
  });

  it(`lists the CPU models the checks use (${models(RV_CPUS).join(', ')})`, () => {
    const listed = listedCpus(rvQemu);
    for (const cpu of models(RV_CPUS)) expect(listed).toContain(cpu);
  });

  describe.each(rvRuns)('-cpu $model.cpu', (r) => {
    it("AT_HWCAP, as glibc's LD_SHOW_AUXV=1 prints it, decodes to exactly the model's extensions", () => {
      expect(r.model.AT_HWCAP, `LD_SHOW_AUXV output: ${r.run.stdout}${r.run.stderr} (status ${r.run.status}, signal ${r.run.signal})`).not.toBe('');
      expect(riscvModelDifferences(r.model)).toEqual([]);
    });
  });

  it(`the models give at least two different words (${rvRuns.map((r) => `${r.model.cpu} ${r.model.AT_HWCAP}`).join(', ')})`, () => {
    expect(new Set(rvRuns.map((r) => r.model.AT_HWCAP)).size).toBeGreaterThanOrEqual(2);
  });

  const note = record ? ' (skipped: recording it)' : rvCustom ? ' (skipped: other models than the recorded ones)' : '';
  it.skipIf(record || rvCustom)(`what it saw is test/fixtures/arches/oracles.json's riscv64 (HWCAP_ARCHES_RECORD=1 rewrites it)${note}`, () => {
    expect(withoutSource(rvOracle)).toEqual(withoutSource(fixture.riscv64));
  });
});

// ---------------------------------------------------------------------------------------------

if (record) {
  if (rvCustom || NAMED.some((t) => t.cpus.join(' ') !== t.defaultCpus.join(' '))) throw new Error('HWCAP_ARCHES_RECORD=1: record with the default models (unset HWCAP_ARCHES_*_CPUS)');
  const lacking = (['ppc64le', 's390x', 'riscv64'] as const).filter((a) => !observed[a]);
  if (lacking.length) throw new Error(`HWCAP_ARCHES_RECORD=1: cannot record, ${lacking.join(', ')} did not run`);
  fs.mkdirSync(path.dirname(fixtureFile), { recursive: true });
  fs.writeFileSync(fixtureFile, `${JSON.stringify(observed, null, 2)}\n`);
}

// What the summary prints (scripts/arches/summary.mjs).
fs.mkdirSync(work, { recursive: true });
fs.writeFileSync(path.join(work, 'observed.json'), JSON.stringify(observed, null, 2));
