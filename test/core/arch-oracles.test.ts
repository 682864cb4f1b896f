// The ppc64le, s390x and riscv64 tables against what outside oracles said under qemu-user, as
// npm run test:arches recorded it in test/fixtures/arches/oracles.json (that run checks the
// record against the live oracles: Debian's glibc for ppc64el, s390x and riscv64, qemu 7.2's CPU
// models, and the riscv64 <asm/hwcap.h>). Here on every machine: glibc's compiled name tables
// (sysdeps/powerpc/dl-procinfo.c, sysdeps/s390/dl-procinfo-s390.c) against every row, the names
// glibc's LD_SHOW_AUXV=1 printed for each model's words against hwcap's decode of them, and each
// riscv64 model's AT_HWCAP against the extensions the model has.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { modelDifferences, riscvHeaderDifferences, riscvModelDifferences, tableDifferences, type Oracles } from '../support/arch-oracles';
import { repoRoot } from '../support/helpers';

const oracles = JSON.parse(fs.readFileSync(path.join(repoRoot, 'test', 'fixtures', 'arches', 'oracles.json'), 'utf8')) as Oracles;

describe.each(['ppc64le', 's390x'] as const)('%s, as glibc names it', (arch) => {
  const o = oracles[arch];

  it(`glibc's compiled name table names every bit as catalog('${arch}') does (${o.source})`, () => {
    expect(o.glibcTable.length).toBeGreaterThan(20);
    expect(tableDifferences(arch, o)).toEqual([]);
  });

  it(`hwcap's decode of each model's words is the names glibc printed (${o.models.map((m) => m.cpu).join('; ')})`, () => {
    expect(o.models.length).toBeGreaterThanOrEqual(2);
    expect(new Set(o.models.map((m) => JSON.stringify(m.words))).size).toBeGreaterThanOrEqual(2);
    expect(o.models.flatMap((m) => modelDifferences(arch, m))).toEqual([]);
  });
});

describe('riscv64, as the CPU models have it', () => {
  const o = oracles.riscv64;

  it(`<asm/hwcap.h>'s letters are catalog('riscv64')'s, and every row is bit letter - 'a' (${o.source})`, () => {
    expect(o.header.length).toBeGreaterThanOrEqual(6);
    expect(riscvHeaderDifferences(o.header)).toEqual([]);
  });

  it(`each model's AT_HWCAP decodes to exactly its extensions (${o.models.map((m) => `${m.cpu}: ${m.letters.join('')}`).join('; ')})`, () => {
    expect(new Set(o.models.map((m) => m.AT_HWCAP)).size).toBeGreaterThanOrEqual(2);
    expect(o.models.flatMap(riscvModelDifferences)).toEqual([]);
  });
});
