// The launcher's rooms (docs/architecture.md, "native/ in rooms"): its top level holds the steps
// (main.c, handshake.c, follow.c ...) and the floor (error.h, stages.h, report.h, options.h,
// faults.h); below them the rooms exec ← cpuid ← nest ← handover. A room includes the floor,
// native/common/ and the rooms before it: never a room after it, and never a step. Read from every
// #include of every file, as the compiler resolves it (relative to the including file).
import { describe, it, expect } from 'vitest';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { repoRoot } from '../support/helpers';

const LAUNCHER = path.join(repoRoot, 'native', 'launcher');
const COMMON = path.join(repoRoot, 'native', 'common');
const ROOMS = ['exec', 'cpuid', 'nest', 'handover'];
const FLOOR = ['error.h', 'stages.h', 'report.h', 'options.h', 'faults.h'];

interface Include {
  from: string; // relative to native/launcher
  to: string; // relative to native/launcher, or ../common/...
}

function sources(): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(LAUNCHER, { withFileTypes: true })) {
    if (e.isDirectory()) for (const f of fs.readdirSync(path.join(LAUNCHER, e.name))) out.push(path.join(e.name, f));
    else out.push(e.name);
  }
  return out.filter((f) => /\.[ch]$/.test(f)).sort();
}

function includes(file: string): Include[] {
  const text = fs.readFileSync(path.join(LAUNCHER, file), 'utf8');
  const out: Include[] = [];
  for (const m of text.matchAll(/^\s*#\s*include\s+"([^"]+)"/gm)) {
    const abs = path.resolve(path.dirname(path.join(LAUNCHER, file)), m[1]!);
    if (m[1] === 'security_features.h') continue; // generated into the build directory
    out.push({ from: file, to: path.relative(LAUNCHER, abs) });
  }
  return out;
}

/** The rank of a launcher file: the floor 0, the rooms 1..4 in order, the steps 5. */
function rank(file: string): number {
  const dir = path.dirname(file);
  if (dir === '.') return FLOOR.includes(file) ? 0 : ROOMS.length + 1;
  const r = ROOMS.indexOf(dir);
  if (r < 0) throw new Error(`${file}: in no room (${ROOMS.join(', ')})`);
  return r + 1;
}

/** Every include that goes up: from a room to a later room or a step, or from the floor to anything but the floor. */
function arrowsUp(all: Include[]): string[] {
  return all
    .filter((i) => !i.to.startsWith(`..${path.sep}common${path.sep}`))
    .filter((i) => {
      const from = rank(i.from);
      const to = rank(i.to);
      return from === 0 ? to !== 0 : to > from;
    })
    .map((i) => `${i.from} -> ${i.to}`);
}

describe('the launcher in rooms', () => {
  const files = sources();
  const all = files.flatMap(includes);

  it('every #include names a file that exists', () => {
    const missing = all.filter((i) => !fs.existsSync(path.join(LAUNCHER, i.to)));
    expect(missing.map((i) => `${i.from} -> ${i.to}`)).toEqual([]);
    expect(all.filter((i) => i.to.startsWith('..')).every((i) => fs.existsSync(path.join(COMMON, path.basename(i.to))))).toBe(true);
  });

  it('no room includes a room after it or a step, and the floor includes only the floor', () => {
    expect(arrowsUp(all)).toEqual([]);
    // Not vacuous: each room is reached from above it, and the checker sees an arrow up as one.
    for (const room of ROOMS) expect(all.some((i) => i.to.startsWith(room + path.sep) && rank(i.from) > rank(i.to))).toBe(true);
    expect(arrowsUp([{ from: path.join('cpuid', 'trace.c'), to: path.join('nest', 'nest.h') }])).toHaveLength(1);
    expect(arrowsUp([{ from: path.join('handover', 'adopt.c'), to: 'follow.h' }])).toHaveLength(1);
    expect(arrowsUp([{ from: 'report.h', to: path.join('exec', 'tracee.h') }])).toHaveLength(1);
  });

  it('every C file of the launcher is built: binding.gyp lists it (test_hooks.c in the test builds)', () => {
    const gyp = fs.readFileSync(path.join(repoRoot, 'binding.gyp'), 'utf8');
    const listed = new Set([...gyp.matchAll(/"native\/launcher\/([^"]+\.c)"/g)].map((m) => m[1]!));
    expect(files.filter((f) => f.endsWith('.c')).filter((f) => !listed.has(f.split(path.sep).join('/')))).toEqual([]);
  });
});
