// docs/launcher-protocol.md's synopsis of hwcap-exec names every option the launcher parses
// (native/launcher/options.c, and main.c's other forms with handover/release.c's and handover/adopt.c's options)
// and every option of the launcher's own usage text (hwcap-exec --help), and nothing else.
import * as cp from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { launcherPath } from '../../lib';
import { repoRoot } from '../support/helpers';
import { blocksOf } from '../support/docs-harness';

const optionsIn = (text: string): Set<string> => new Set([...text.matchAll(/--[a-z][a-z0-9-]*/g)].map((m) => m[0]));
const src = (f: string) => fs.readFileSync(path.join(repoRoot, 'native', 'launcher', f), 'utf8');
/** Options the C code compares argv with: strcmp(a, "--x"), opt_value(…, "--x"), and adopt's word flags. */
const parsed = (f: string): Set<string> => new Set([...src(f).matchAll(/(?:strcmp\([^,]+, |opt_value\([^"]*|flags\[HWCAP_WORDS\] = \{[^}]*?)"(--[a-z][a-z0-9-]*)"/g)].map((m) => m[1]!));

describe("docs/launcher-protocol.md's synopsis of hwcap-exec", () => {
  const block = blocksOf('docs/launcher-protocol.md').find((b) => b.code.startsWith('hwcap-exec '));
  const doc = optionsIn(block?.code ?? '');
  // --check-inherited is the launcher's call of itself in kernel mode (exec/kernel_mode.c), not for users.
  const internal = new Set(['--check-inherited', '--help']);

  it('is the first block of the file', () => {
    expect(block).toBeDefined();
  });

  it('names every option the launcher parses, and none it does not', () => {
    const code = new Set([...parsed('options.c'), ...parsed('main.c'), ...parsed('handover/release.c'), ...[...src('handover/adopt.c').matchAll(/"(--(?:hwcap\d?|cpuid|allow-security-masking))"/g)].map((m) => m[1]!)]);
    for (const o of internal) code.delete(o);
    expect([...doc].sort()).toEqual([...code].sort());
  });

  it("names every option of the launcher's own usage text (hwcap-exec --help)", () => {
    const usage = cp.spawnSync(launcherPath(), ['--help'], { encoding: 'utf8' });
    const inUsage = optionsIn(usage.stdout + usage.stderr);
    for (const o of internal) inUsage.delete(o);
    expect([...inUsage].filter((o) => !doc.has(o))).toEqual([]);
  });
});
