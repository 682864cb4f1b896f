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

/** Every .ts file of lib/ and the lib/ files it imports (type-only imports and require() too). */
function graph(): Map<string, string[]> {
  const files = fs.readdirSync(LIB, { recursive: true }).map(String).filter((f) => f.endsWith('.ts')).map((f) => path.join(LIB, f));
  const g = new Map<string, string[]>();
  for (const f of files) {
    const to = specifiers(fs.readFileSync(f, 'utf8'))
      .map((s) => resolve(f, s))
      .filter((t): t is string => t !== undefined && t.endsWith('.ts'));
    g.set(path.relative(LIB, f), to.map((t) => path.relative(LIB, t)));
  }
  return g;
}

/** The import cycles of a graph, each once, as a list of files (Tarjan's strongly connected components of more than one file, or a file importing itself). */
function cycles(g: Map<string, string[]>): string[][] {
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const on = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string): void => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const w of g.get(v) ?? []) {
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        on.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1 || (g.get(v) ?? []).includes(v)) out.push(scc.sort());
    }
  };
  for (const v of g.keys()) if (!idx.has(v)) visit(v);
  return out;
}

/** The layers, lowest first: a file may import only from its own layer or one below (core ← host ← launcher ← spawn and oci ← the package entry ← cli and hwcap-runtime's entry). */
const LAYERS: [RegExp, number][] = [
  [/^core\/|^errors\.ts$/, 0],
  [/^host\//, 1],
  [/^launcher\//, 2],
  [/^spawn\/|^oci\//, 3],
  [/^(index|main)\.ts$/, 4], // the package's entries: lib/index.ts (the typed list) and lib/main.ts (its runtime, loading on first use)
  [/^cli\/|^cli\.ts$|^runtime\.ts$/, 5],
];
const layerOf = (f: string): number => LAYERS.find(([re]) => re.test(f))?.[1] ?? -1;

describe('lib/ imports', () => {
  it('have no cycle', () => {
    expect(cycles(graph())).toEqual([]);
  });

  it('never point upward: core ← host ← launcher ← spawn ← index ← cli', () => {
    const g = graph();
    const unknown = [...g.keys()].filter((f) => layerOf(f) < 0);
    expect(unknown).toEqual([]);
    const up = [...g].flatMap(([f, to]) => to.filter((t) => layerOf(t) > layerOf(f)).map((t) => `${f} → ${t}`));
    expect(up).toEqual([]);
  });

  it('the cycle and layer checks can fail', () => {
    expect(cycles(new Map([['a', ['b']], ['b', ['c']], ['c', ['a']], ['d', ['a']]]))).toEqual([['a', 'b', 'c']]);
    expect(cycles(new Map([['a', ['a']]]))).toEqual([['a']]);
    expect(cycles(new Map([['a', ['b']], ['b', []]]))).toEqual([]);
    expect(layerOf('core/words.ts') < layerOf('host/auxv.ts') && layerOf('launcher/plan.ts') < layerOf('cli/verbs/exec.ts')).toBe(true);
  });
});
