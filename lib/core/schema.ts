// JSON documents: the schema error, reading a document, schema versions, and the word encodings
// shared by feature-set and node-report documents.
import { inspectValue } from '../errors';
import type { HwcapWords } from './words';
import { CPUID_WORD_NAMES, cpuidWordIndex, type CpuidWordName } from './cpuid';
import { WORD_KEYS, WORD_NAMES, type WordName } from './decode';

export type SchemaErrorCode = 'ERR_HWCAP_BAD_JSON' | 'ERR_HWCAP_SCHEMA' | 'ERR_HWCAP_SCHEMA_VERSION';

/** A document that is not JSON, not of our schema, or of a schema version this build cannot read. */
export class HwcapSchemaError extends Error {
  readonly code: SchemaErrorCode;
  /** Where in the document, e.g. `words.AT_HWCAP2` ('' for the whole document). */
  readonly path: string;
  constructor(code: SchemaErrorCode, path: string, message: string, options?: { cause?: unknown }) {
    super(path ? `${path}: ${message}` : message, options);
    this.name = 'HwcapSchemaError';
    this.code = code;
    this.path = path;
  }
}

/** Parses a JSON text (or takes an already parsed value) into a plain object. */
export function parseDocument(json: unknown, what: string): Record<string, unknown> {
  let v = json;
  if (typeof json === 'string' || Buffer.isBuffer(json)) {
    try {
      v = JSON.parse(json.toString());
    } catch (err) {
      throw new HwcapSchemaError('ERR_HWCAP_BAD_JSON', '', `${what} is not valid JSON (${(err as Error).message})`, { cause: err });
    }
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    throw new HwcapSchemaError('ERR_HWCAP_SCHEMA', '', `${what} must be a JSON object, got ${Array.isArray(v) ? 'an array' : v === null ? 'null' : typeof v}`);
  }
  return v as Record<string, unknown>;
}

/**
 * Checks `schema: '<family>/<n>'` against the version this build writes (`expected`) and the older
 * versions it still reads; returns the version read.
 */
export function checkSchema(doc: Record<string, unknown>, expected: string, path = 'schema', older: readonly number[] = []): number {
  const s = doc.schema;
  const [family, version] = expected.split('/');
  if (typeof s !== 'string') {
    throw new HwcapSchemaError('ERR_HWCAP_SCHEMA', path, `missing or not a string; expected '${expected}'`);
  }
  const m = /^(.+)\/(\d+)$/.exec(s);
  if (!m || m[1] !== family) {
    throw new HwcapSchemaError('ERR_HWCAP_SCHEMA', path, `'${s}' is not a ${family} document; expected '${expected}'`);
  }
  const n = Number(m[2]);
  if (m[2] !== version && !older.includes(n)) {
    const reads = [...older, Number(version)].map((v) => `'${family}/${v}'`).join(', ');
    throw new HwcapSchemaError('ERR_HWCAP_SCHEMA_VERSION', path, `unsupported schema version ${m[2]} ('${s}'); this hwcap reads ${reads}`);
  }
  return n;
}

export type WordsJSON = Partial<Record<WordName, string>>;

export function wordsToJSON(w: HwcapWords): Record<WordName, string> {
  return {
    AT_HWCAP: `0x${w.hwcap.toString(16)}`,
    AT_HWCAP2: `0x${w.hwcap2.toString(16)}`,
    AT_HWCAP3: `0x${w.hwcap3.toString(16)}`,
    AT_HWCAP4: `0x${w.hwcap4.toString(16)}`,
  };
}

/** Reads `{AT_HWCAP: '0x…', …}`; a word left out is 0. */
export function wordsFromJSON(v: unknown, path: string): HwcapWords {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    throw new HwcapSchemaError('ERR_HWCAP_SCHEMA', path, `must be an object {AT_HWCAP: '0x…', AT_HWCAP2: '0x…', …}`);
  }
  const out: HwcapWords = { hwcap: 0n, hwcap2: 0n, hwcap3: 0n, hwcap4: 0n };
  for (const [k, s] of Object.entries(v)) {
    const wi = WORD_NAMES.indexOf(k as WordName);
    if (wi < 0) throw new HwcapSchemaError('ERR_HWCAP_SCHEMA', `${path}.${k}`, `is not a HWCAP word; expected one of ${WORD_NAMES.join(', ')}`);
    if (typeof s !== 'string' || !/^0x[0-9a-f]{1,16}$/i.test(s)) {
      throw new HwcapSchemaError('ERR_HWCAP_SCHEMA', `${path}.${k}`, `must be a hex string of at most 64 bits like '0x178bfbff', got ${inspectValue(s)}`);
    }
    out[WORD_KEYS[wi] ?? 'hwcap'] = BigInt(s);
  }
  return out;
}

export function cpuidToJSON(c: Readonly<Partial<Record<CpuidWordName, number>>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const n of CPUID_WORD_NAMES) if (n in c) out[n] = `0x${(c[n] ?? 0).toString(16).padStart(8, '0')}`;
  return out;
}

/** Reads `{'CPUID.7.0:EBX': '0x…', …}`; a word left out is 0. */
export function cpuidFromJSON(v: unknown, path: string): Partial<Record<CpuidWordName, number>> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    throw new HwcapSchemaError('ERR_HWCAP_SCHEMA', path, `must be an object {'CPUID.1:ECX': '0x…', 'CPUID.7.0:EBX': '0x…', …}`);
  }
  const out: Partial<Record<CpuidWordName, number>> = {};
  for (const [k, s] of Object.entries(v)) {
    if (cpuidWordIndex(k) < 0) throw new HwcapSchemaError('ERR_HWCAP_SCHEMA', `${path}.${k}`, `is not a CPUID word hwcap carries; expected one of ${CPUID_WORD_NAMES.join(', ')}`);
    if (typeof s !== 'string' || !/^0x[0-9a-f]{1,8}$/i.test(s)) {
      throw new HwcapSchemaError('ERR_HWCAP_SCHEMA', `${path}.${k}`, `must be a hex string of at most 32 bits like '0x7ed8320b', got ${inspectValue(s)}`);
    }
    out[k as CpuidWordName] = Number(BigInt(s));
  }
  return out;
}
