// What outside oracles say about the ppc64le, s390x and riscv64 tables, and the comparisons with
// hwcap's decoder. npm run test:arches (test/arches/oracles.arches.ts) observes the oracles under
// qemu-user with Debian's glibc and checks them live; it also keeps what it saw in
// test/fixtures/arches/oracles.json, which test/core/arch-oracles.test.ts checks on every
// `npm test`, on any machine. Each function returns the differences as readable lines: [] is
// agreement.
import { catalog, decodeWords, type Arch } from '../../lib';

export type OracleWord = 'AT_HWCAP' | 'AT_HWCAP2';
export const ORACLE_WORDS: readonly OracleWord[] = ['AT_HWCAP', 'AT_HWCAP2'];

/** One qemu CPU model under glibc's LD_SHOW_AUXV=1 (ppc64le, s390x). */
export interface NamedModel {
  cpu: string;
  /** The words as qemu's emulated /proc/self/auxv gives them ("0x…"); absent: not in the vector. */
  words: Partial<Record<OracleWord, string>>;
  /** The text glibc prints after `AT_HWCAP:` / `AT_HWCAP2:` (feature names); absent: no line. */
  glibc: Partial<Record<OracleWord, string>>;
}

/** ppc64le or s390x: glibc's compiled name table and the models. */
export interface NamedOracle {
  /** Where the observations came from (packages and versions, qemu's version). */
  source: string;
  /** glibc's name table as compiled into Debian's ld.so, '' for an unnamed bit. */
  glibcTable: string[];
  /** Entries of glibcTable before this index are AT_HWCAP's bits, the rest AT_HWCAP2's. */
  split: number;
  models: NamedModel[];
}

/** One riscv64 model: the extensions it was given, and AT_HWCAP as glibc printed it. */
export interface RiscvModel {
  cpu: string;
  letters: string[];
  AT_HWCAP: string;
}

export interface RiscvOracle {
  source: string;
  /** COMPAT_HWCAP_ISA_<L> of <asm/hwcap.h>: letter (lower case) and bit. */
  header: { letter: string; bit: number }[];
  models: RiscvModel[];
}

export interface Oracles {
  ppc64le: NamedOracle;
  s390x: NamedOracle;
  riscv64: RiscvOracle;
}

const words = (list: string | undefined) => (list ?? '').split(/\s+/).filter(Boolean);
const sorted = (a: readonly string[]) => [...a].sort();

/** glibc's name table against catalog(arch): every bit of both words, each way. */
export function tableDifferences(arch: Arch, o: Pick<NamedOracle, 'glibcTable' | 'split'>): string[] {
  const rows = catalog(arch);
  const out: string[] = [];
  const count = Math.max(o.glibcTable.length, o.split === 64 ? 64 : 2 * o.split);
  for (let i = 0; i < count; i++) {
    const word: OracleWord = i < o.split ? 'AT_HWCAP' : 'AT_HWCAP2';
    const bit = i < o.split ? i : i - o.split;
    const glibc = o.glibcTable[i] ?? '';
    const ours = rows.find((r) => r.word === word && r.bit === bit)?.name ?? '';
    if (glibc !== ours) out.push(`${word} bit ${bit}: glibc "${glibc}", hwcap "${ours}"`);
  }
  for (const r of rows) if (r.word !== 'AT_HWCAP' && r.word !== 'AT_HWCAP2') out.push(`${r.name}: in ${r.word}, which glibc does not name`);
  return out;
}

/** hwcap's decode of each word of a model against the names glibc printed for it. */
export function modelDifferences(arch: Arch, m: NamedModel): string[] {
  const out: string[] = [];
  for (const w of ORACLE_WORDS) {
    const v = m.words[w] === undefined ? undefined : BigInt(m.words[w]!);
    const ours = v === undefined ? [] : decodeWords(arch, w === 'AT_HWCAP' ? { hwcap: v } : { hwcap2: v });
    const glibc = words(m.glibc[w]);
    if (m.glibc[w] === undefined && v !== undefined) out.push(`-cpu ${m.cpu} ${w} ${m.words[w]}: in the vector, but glibc printed no line`);
    if (sorted(ours).join(' ') !== sorted(glibc).join(' ')) out.push(`-cpu ${m.cpu} ${w} ${m.words[w] ?? 'absent'}: glibc "${glibc.join(' ')}", hwcap "${ours.join(' ')}"`);
  }
  return out;
}

/** The riscv64 header's letters against catalog('riscv64'), and every row against the header's rule. */
export function riscvHeaderDifferences(header: RiscvOracle['header']): string[] {
  const rows = catalog('riscv64');
  const out: string[] = [];
  for (const h of header) {
    const name = rows.find((r) => r.word === 'AT_HWCAP' && r.bit === h.bit)?.name;
    if (name !== h.letter) out.push(`COMPAT_HWCAP_ISA_${h.letter.toUpperCase()} (bit ${h.bit}): hwcap "${name ?? ''}"`);
  }
  // Rows the header of this release lacks (V arrived in Linux 6.5) follow the header's rule.
  for (const r of rows) {
    if (r.word !== 'AT_HWCAP' || r.name.length !== 1 || r.bit !== r.name.charCodeAt(0) - 'a'.charCodeAt(0)) out.push(`${r.name}: ${r.word} bit ${r.bit}, not 1 << ('${r.name.toUpperCase()}' - 'A')`);
  }
  return out;
}

/** hwcap's decode of a riscv64 model's AT_HWCAP against the extensions the model has. */
export function riscvModelDifferences(m: RiscvModel): string[] {
  const ours = sorted(decodeWords('riscv64', { hwcap: BigInt(m.AT_HWCAP) }));
  return ours.join(' ') === sorted(m.letters).join(' ') ? [] : [`-cpu ${m.cpu} AT_HWCAP ${m.AT_HWCAP}: the model has "${m.letters.join('')}", hwcap "${ours.join(' ')}"`];
}
