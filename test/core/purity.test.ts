// lib/core is pure: following its imports (transitively, through every file they reach) never
// arrives at the host layer, the addon, child_process or fs.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../support/helpers';

const LIB = path.join(repoRoot, 'lib');
const FORBIDDEN_MODULES = new Set(['fs', 'node:fs', 'fs/promises', 'node:fs/promises', 'child_process', 'node:child_process', 'bindings']);
const FORBIDDEN_DIRS = ['host', 'spawn', 'launcher', 'cli'].map((d) => path.join(LIB, d) + path.sep);

/** Every module specifier of a TypeScript file: import/export … from, import(), require(). */
export function specifiers(source: string): string[] {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
  const out: string[] = [];
  for (const m of code.matchAll(/\b(?:import|export)\s[^'"`;]*?\bfrom\s*['"]([^'"]+)['"]/g)) out.push(m[1]!);
  for (const m of code.matchAll(/\bimport\s*['"]([^'"]+)['"]/g)) out.push(m[1]!);
  for (const m of code.matchAll(/\b(?:require|import)\s*\(\s*['"]([^'"]+)['"]\s*\)/g)) out.push(m[1]!);
  return out;
}

function resolve(from: string, spec: string): string | undefined {
  if (!spec.startsWith('.')) return undefined;
  const base = path.resolve(path.dirname(from), spec);
  for (const f of [base, `${base}.ts`, path.join(base, 'index.ts')]) if (fs.existsSync(f) && fs.statSync(f).isFile()) return f;
  return base; // not found: reported below
}

/** The files reachable from lib/core and, for each, the import chain that reached it. */
function walk(): { reached: Map<string, string[]>; bad: string[] } {
  const start = fs.readdirSync(path.join(LIB, 'core'), { recursive: true }).map(String).filter((f) => f.endsWith('.ts')).map((f) => path.join(LIB, 'core', f));
  const reached = new Map<string, string[]>();
  const bad: string[] = [];
  const queue: [string, string[]][] = start.map((f) => [f, [path.relative(repoRoot, f)]]);
  while (queue.length) {
    const [file, chain] = queue.shift()!;
    if (reached.has(file)) continue;
    reached.set(file, chain);
    if (!fs.existsSync(file)) {
      bad.push(`${chain.join(' → ')}: does not resolve`);
      continue;
    }
    if (!file.endsWith('.ts')) continue; // JSON tables
    for (const spec of specifiers(fs.readFileSync(file, 'utf8'))) {
      if (FORBIDDEN_MODULES.has(spec) || spec.endsWith('.node')) {
        bad.push(`${chain.join(' → ')} imports '${spec}'`);
        continue;
      }
      const target = resolve(file, spec);
      if (target === undefined) continue;
      if (FORBIDDEN_DIRS.some((d) => target.startsWith(d))) bad.push(`${chain.join(' → ')} imports ${path.relative(repoRoot, target)}`);
      else queue.push([target, [...chain, path.relative(repoRoot, target)]]);
    }
  }
  return { reached, bad };
}

describe('lib/core purity', () => {
  it('never imports host/, the addon, child_process or fs, however deep', () => {
    const { reached, bad } = walk();
    expect(bad).toEqual([]);
    // It did follow the imports: features.ts → feature-set.ts → decode.ts → the tables, and errors.ts.
    const files = [...reached.keys()].map((f) => path.relative(LIB, f));
    for (const f of ['core/feature-set.ts', 'core/decode.ts', 'core/tables/x86_64.ts', 'core/tables/security.json', 'errors.ts']) expect(files).toContain(f);
  });

  it('the scanner sees every form of import (so that the check above can fail)', () => {
    expect(specifiers(`import * as fs from 'node:fs';\nimport { x } from "../host";\nexport { y } from './a';\nimport './side';\nconst c = require('child_process');\nconst d = await import('../host/native');\n// import { z } from 'fs';`)).toEqual([
      'node:fs', '../host', './a', './side', 'child_process', '../host/native',
    ]);
  });
});
