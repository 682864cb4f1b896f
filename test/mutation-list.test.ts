// The named mutants (scripts/mutation/mutants/*.mjs) still apply to the code as it is: each edit's
// text occurs exactly once in its file, and each test file a mutant names exists. A moved or
// reworded line otherwise shows only as a stale mutant at the end of `npm run test:mutation`, after
// minutes; here `npm test` says it at once.
import { describe, it, expect } from 'vitest';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { repoRoot } from './support/helpers';

interface Mutant {
  name: string;
  claim: string;
  edits: { file: string; find: string; replace: string }[];
  tests: (string | [string, string])[];
}

const dir = path.join(repoRoot, 'scripts', 'mutation', 'mutants');

async function mutants(): Promise<Mutant[]> {
  const out: Mutant[] = [];
  for (const f of fs.readdirSync(dir).filter((n) => n.endsWith('.mjs')).sort()) {
    const m = (await import(pathToFileURL(path.join(dir, f)).href)) as { default: Mutant[] };
    out.push(...m.default);
  }
  return out;
}

describe('the mutation list', () => {
  it('every mutant has a unique name, a claim, edits that apply once each, and test files that exist', async () => {
    const all = await mutants();
    expect(all.length).toBeGreaterThan(100);
    expect(new Set(all.map((m) => m.name)).size).toBe(all.length);
    const problems: string[] = [];
    for (const m of all) {
      if (!m.claim || m.edits.length === 0 || m.tests.length === 0) problems.push(`${m.name}: no claim, edit or test`);
      for (const e of m.edits) {
        const file = path.join(repoRoot, e.file);
        if (!fs.existsSync(file)) {
          problems.push(`${m.name}: ${e.file} does not exist`);
          continue;
        }
        const count = fs.readFileSync(file, 'utf8').split(e.find).length - 1;
        if (count !== 1) problems.push(`${m.name}: ${e.file}: the text to replace occurs ${count} times: ${JSON.stringify(e.find.slice(0, 80))}`);
        if (e.find === e.replace) problems.push(`${m.name}: ${e.file}: an edit that changes nothing`);
      }
      for (const t of m.tests) {
        const f = typeof t === 'string' ? t : t[0];
        if (!fs.existsSync(path.join(repoRoot, f))) problems.push(`${m.name}: test file ${f} does not exist`);
      }
    }
    expect(problems).toEqual([]);
  });
});
