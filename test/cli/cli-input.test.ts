// File arguments are read with a size cap: an endless or huge input is an input
// error (exit 2, the file named, a hint), never gigabytes of memory and an abort.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FeatureSet } from '../../lib';
import { DOCUMENT_CAP, NFD_CAP } from '../../lib/cli/input';
import { hwcap, tempDir } from '../support/cli-harness';

const here = FeatureSet.current('process');
const dir = tempDir('hwcap-input-');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const at = (f: string) => path.join(dir, f);
const set = JSON.stringify(here.toJSON());

/** The feature set, padded with spaces (still valid JSON) to exactly `size` bytes. */
function padded(size: number): string {
  return set + ' '.repeat(size - Buffer.byteLength(set));
}

describe('input size cap', () => {
  it('hwcap diff /dev/zero ends with exit 2 and a hint (it used to read ~16 GB, then abort)', () => {
    const r = hwcap(['diff', '/dev/zero']);
    expect(r.signal).toBe(null);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    const [first, second] = r.stderr.split('\n');
    expect(first).toBe(`hwcap diff: A '/dev/zero' is larger than ${DOCUMENT_CAP / 2 ** 20} MiB; hwcap reads no input beyond that`);
    expect(second).toMatch(/^hint: is this the right file\? /);
  });

  it('every verb that reads a file is capped: check, check --report, baseline, exec --baseline, --from-nfd', () => {
    const cases: [string[], string][] = [
      [['check', '/dev/zero'], "hwcap check: baseline '/dev/zero' is larger than"],
      [['check', '--features', here.names()[0]!, '--report', '/dev/zero'], "hwcap check: report '/dev/zero' is larger than"],
      [['baseline', '/dev/zero'], "hwcap baseline: report '/dev/zero' is larger than"],
      [['exec', '--baseline', '/dev/zero', '/bin/true'], "hwcap exec: baseline '/dev/zero' is larger than"],
      [['baseline', '--from-nfd', '/dev/zero'], `hwcap baseline: NFD document '/dev/zero' is larger than ${NFD_CAP / 2 ** 20} MiB`],
    ];
    for (const [args, first] of cases) {
      const r = hwcap(args);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr.split('\n')[0]).toContain(first);
      expect(r.stderr.split('\n')[1]).toMatch(/^hint: /);
    }
  });

  it('a file of exactly the cap is read; one byte more is refused', () => {
    fs.writeFileSync(at('cap.json'), padded(DOCUMENT_CAP));
    fs.writeFileSync(at('over.json'), padded(DOCUMENT_CAP + 1));
    const ok = hwcap(['diff', at('cap.json'), at('cap.json')]);
    expect(ok.status, ok.stderr).toBe(0);
    const over = hwcap(['diff', at('cap.json'), at('over.json')]);
    expect(over.status).toBe(2);
    expect(over.stderr.split('\n')[0]).toBe(`hwcap diff: B '${at('over.json')}' is larger than 4 MiB; hwcap reads no input beyond that`);
  });

  it('standard input (-) is capped the same way', () => {
    const r = hwcap(['baseline', '-'], { input: padded(DOCUMENT_CAP + 1) });
    expect(r.status).toBe(2);
    expect(r.stderr.split('\n')[0]).toBe('hwcap baseline: report standard input is larger than 4 MiB; hwcap reads no input beyond that');
    const ok = hwcap(['baseline', '-q', '-'], { input: padded(DOCUMENT_CAP) });
    expect(ok.status, ok.stderr).toBe(0);
    expect(FeatureSet.fromJSON(ok.stdout).equals(here)).toBe(true);
  });
});
