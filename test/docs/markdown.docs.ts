// Every `sh`, `js` and `console` block of README.md, docs/*.md and bench/README.md carries a marker
// (an HTML comment on the line before it: test/support/docs-harness.ts), and every block marked
// `run` runs as written in a scratch directory laid out as a project that installed hwcap: `sh`
// blocks with `bash -e`; JS blocks with node after the blocks marked `run` before them in the same
// section (the README's library section reads as one program), with the values their comments
// claim checked (and an sh block's `#   ` lines found in its output); `console` blocks (transcripts) command by command, each output matched. A block
// needing a machine feature is skipped by its probe, which the title names.
import { describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import { repoRoot } from '../support/helpers';
import { blocksOf, describeRun, docFiles, give, killIn, knownGiven, linePattern, missing, outputMatches, runNode, runShell, runTranscript, scratch, withClaims, type Block } from '../support/docs-harness';

const checked = (b: Block) => ['sh', 'bash', 'js', 'console'].includes(b.lang);
const where = (b: Block) => `${b.file}:${b.line}`;

describe('every sh, js and console block is marked as a run or as an illustration that says why', () => {
  for (const file of docFiles()) {
    it(file, () => {
      const bad = blocksOf(file)
        .filter(checked)
        .flatMap((b) => {
          const m = b.marker;
          if (!m) return [`${where(b)}: no <!-- docs-test: … --> marker before this ${b.lang} block`];
          if (m.kind === 'bad') return [`${where(b)}: a marker neither 'run[; needs …][; given …]' nor 'illustration: WHY': ${m.text}`];
          if (m.kind === 'run') {
            return [
              ...m.given.filter((g) => !knownGiven(g)).map((g) => `${where(b)}: given '${g}' has no maker`),
              ...m.needs.filter((n) => missing(n)?.startsWith('unknown need')).map((n) => `${where(b)}: unknown need '${n}'`),
            ];
          }
          return [];
        });
      expect(bad).toEqual([]);
    });
  }
});

for (const file of docFiles()) {
  const blocks = blocksOf(file).filter((b) => checked(b) && b.marker?.kind === 'run');
  if (blocks.length === 0) continue;
  describe(file, () => {
    for (const b of blocks) {
      const m = b.marker as Extract<Block['marker'], { kind: 'run' }>;
      // A JS block runs after the earlier run blocks of its section, whose names it uses.
      const before = b.lang === 'js' ? blocks.filter((p) => p.lang === 'js' && p.section === b.section && p.line < b.line) : [];
      const needs = [...new Set([...before.flatMap((p) => (p.marker as typeof m).needs), ...m.needs])];
      const given = [...new Set([...before.flatMap((p) => (p.marker as typeof m).given), ...m.given])];
      const why = needs.map(missing).filter((w) => w !== undefined);
      const title = `${where(b)} (${b.lang}${needs.length ? `; needs ${needs.join(' ')}` : ''})${why.length ? ` (skipped: ${why.join('; ')})` : ''}: ${b.code.split('\n')[0]}`;
      it.skipIf(why.length > 0)(title, async () => {
        const dir = scratch();
        let g: ReturnType<typeof give> | undefined;
        try {
          g = give(dir, given);
          const at = { env: g.env, cleanup: false };
          if (b.lang === 'console') {
            const { ran, steps } = await runTranscript(b.code, m.inCheckout ? repoRoot : dir, at);
            const wrong = steps.filter((st) => !outputMatches(st.expected, st.actual)).map((st) => `$ ${st.command}\n--- the doc\n${st.expected.join('\n')}\n--- the run\n${st.actual.join('\n')}`);
            expect(wrong, describeRun(ran)).toEqual([]);
            return;
          }
          const r =
            b.lang === 'js'
              ? runNode(`(async () => {\n${[...before.map((p) => p.code), withClaims(b.code, b.file, b.line)].join('\n')}\n})().catch((e) => { console.error(e); process.exit(1); });\n`, dir)
              : await runShell(b.code, m.inCheckout ? repoRoot : dir, at);
          expect(r.status, describeRun(r)).toBe(0);
          // The lines an sh block says it prints (`#   TEXT`), each seen in its output.
          const said = b.lang === 'js' ? [] : b.code.split('\n').flatMap((l) => /^# {3}(\S.*)$/.exec(l)?.[1] ?? []);
          const out = `${r.stdout}\n${r.stderr}`.split('\n').map((l) => l.trim());
          expect(said.filter((e) => !out.some((l) => linePattern(e).test(l))), describeRun(r)).toEqual([]);
        } finally {
          g?.cleanup();
          killIn(dir);
          fs.rmSync(dir, { recursive: true, force: true });
        }
      });
    }
  });
}
