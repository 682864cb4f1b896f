// The file `hwcap release --save FILE` writes and `hwcap adopt --from FILE` reads: what an adopt
// needs, so that the CPUID rules no longer travel as copied text, and what the tree keeps, so
// that the adopt refuses a node that lacks it before the tree is touched.
//   {"schema": "hwcap.handover/1", "arch": "x86_64", "pid": 4242,
//    "cpuid": ["7.0:ebx=f1bf2fdb"], "words": {"AT_HWCAP": "0x…", …}, "keep": ["fpu", …]}
import * as fs from 'node:fs';
import type { FeatureSet } from '../core/features';
import type { Host } from './host';
import { readJsonFile, shownName } from './input';
import { CliError } from './output';

export const HANDOVER_SCHEMA = 'hwcap.handover/1';
const HINT = "write it with 'hwcap release --save FILE PID'";

export interface HandoverFile {
  schema: string;
  arch: string;
  pid: number;
  cpuid: string[];
  words: Record<string, string>;
  keep: string[];
}

/** The CPUID word a release rule names ("7.0:ebx=…" → CPUID.7.0:EBX), and its keep bits. */
function ruleWord(rule: string): [string, number] | undefined {
  const m = /^(?:0x)?([0-9a-f]+)(?:\.(?:0x)?([0-9a-f]+))?:(e[abcd]x)=(?:0x)?([0-9a-f]+)$/i.exec(rule);
  if (!m) return undefined;
  const leaf = m[1]!.toUpperCase().replace(/^0+(?=.)/, '');
  const sub = m[2] === undefined ? '' : `.${m[2].toUpperCase().replace(/^0+(?=.)/, '')}`;
  return [`CPUID.${leaf}${sub}:${m[3]!.toUpperCase()}`, parseInt(m[4]!, 16) >>> 0];
}

/** What a released tree keeps: its saved auxv words, and this CPU's CPUID words narrowed by the rules. */
export function handoverOf(h: Host, pid: number, cpuid: readonly string[]): HandoverFile {
  const words = h.wordsOf(h.parseAuxvBytes(fs.readFileSync(`/proc/${pid}/auxv`)));
  const here = h.FeatureSet.current();
  const cw: Record<string, number> = { ...(here.cpuid as Record<string, number>) };
  for (const r of cpuid) {
    const w = ruleWord(r);
    if (w && cw[w[0]] !== undefined) cw[w[0]] = (cw[w[0]]! & w[1]) >>> 0;
  }
  delete cw['CPUID.1:EDX'];
  const keep: FeatureSet = h.FeatureSet.fromWords(here.arch, words, cw as Parameters<Host['FeatureSet']['fromWords']>[2]);
  const hex = (v: bigint) => `0x${v.toString(16)}`;
  return {
    schema: HANDOVER_SCHEMA,
    arch: here.arch,
    pid,
    cpuid: [...cpuid],
    words: { AT_HWCAP: hex(words.hwcap), AT_HWCAP2: hex(words.hwcap2), AT_HWCAP3: hex(words.hwcap3), AT_HWCAP4: hex(words.hwcap4) },
    keep: keep.names(),
  };
}

/** Reads and checks a handover file: its schema, and this node's arch and features (the refusal names what it lacks). */
export function readHandover(h: Host, file: string): HandoverFile {
  const doc = readJsonFile(file, 'handover file', HINT) as Partial<HandoverFile> | null;
  const bad = (why: string) => new CliError(`handover file ${shownName(file)}: ${why}`, HINT);
  if (typeof doc !== 'object' || doc === null || doc.schema !== HANDOVER_SCHEMA) throw bad(`not a handover file (schema '${HANDOVER_SCHEMA}')`);
  if (!Array.isArray(doc.cpuid) || !doc.cpuid.every((r) => typeof r === 'string' && ruleWord(r))) throw bad('"cpuid" must be a list of rules LEAF[.SUB]:REG=KEEP');
  if (!Array.isArray(doc.keep) || !doc.keep.every((n) => typeof n === 'string')) throw bad('"keep" must be a list of feature names');
  const arch = h.hostArch();
  if (doc.arch !== arch) throw bad(`the tree was released on ${String(doc.arch)}; this machine is ${arch}`);
  let lacks: string[];
  try {
    lacks = h.FeatureSet.fromNames(arch, doc.keep).diff(h.FeatureSet.current()).extra;
  } catch (e) {
    throw bad(`"keep": ${(e as Error).message}`);
  }
  if (lacks.length) {
    throw new CliError(
      `this machine lacks ${lacks.join(' ')}, which the released tree keeps (${shownName(file)}): it would find ${lacks.length === 1 ? 'it' : 'them'} missing (SIGILL); the tree was not touched`,
      "adopt it on a machine that has them ('hwcap check'), or restore it where it was checkpointed",
    );
  }
  return doc as HandoverFile;
}
