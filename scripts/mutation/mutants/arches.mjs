// Mutants of the ppc64le, s390x and riscv64 feature tables: each names a bit wrongly, and the
// check of the tables against what glibc and qemu's CPU models said (test/core/arch-oracles.test.ts,
// from test/fixtures/arches/oracles.json, which npm run test:arches keeps true) must fail.
// Format: see typescript.mjs and run.mjs.
const ORACLES = 'test/core/arch-oracles.test.ts';

export default [
  {
    name: 'ppc64le-table-names-swapped',
    claim: "ppc64le: each AT_HWCAP2 bit has glibc's name (darn is 0x00200000, ieee128 0x00400000), which qemu's power9 sets",
    edits: [
      {
        file: 'lib/core/tables/ppc64le.ts',
        find: "hwcap2('darn', 0x00200000), // PPC_FEATURE2_DARN\n  hwcap2('ieee128', 0x00400000),",
        replace: "hwcap2('darn', 0x00400000), // PPC_FEATURE2_DARN\n  hwcap2('ieee128', 0x00200000),",
      },
    ],
    tests: [[ORACLES, 'ppc64le']],
  },
  {
    name: 'ppc64le-table-row-dropped',
    claim: "ppc64le: a bit no qemu model sets (PPC_FEATURE_PA6T) still has glibc's name, checked against glibc's compiled table",
    edits: [{ file: 'lib/core/tables/ppc64le.ts', find: "  hwcap('pa6t', 0x00000800), // PPC_FEATURE_PA6T\n", replace: '' }],
    tests: [[ORACLES, "ppc64le.*compiled name table"]],
  },
  {
    name: 's390x-table-names-shifted',
    claim: "s390x: the names follow the HWCAP_NR_* bit numbers (edat is bit 7), as glibc's table and LD_SHOW_AUXV=1 name them",
    edits: [{ file: 'lib/core/tables/s390x.ts', find: "'dfp', 'edat', 'etf3eh'", replace: "'dfp', 'etf3eh'" }],
    tests: [[ORACLES, 's390x']],
  },
  {
    name: 'riscv64-table-no-v',
    claim: 'riscv64: V (bit 21) is named, as qemu -cpu rv64,v=on gives it',
    edits: [{ file: 'lib/core/tables/riscv64.ts', find: "['a', 'c', 'd', 'f', 'i', 'm', 'v']", replace: "['a', 'c', 'd', 'f', 'i', 'm']" }],
    tests: [[ORACLES, "riscv64.*each model's AT_HWCAP"]],
  },
  {
    name: 'riscv64-table-bit-off-by-one',
    claim: "riscv64: each letter's bit is letter - 'a', the rule of <asm/hwcap.h>",
    edits: [{ file: 'lib/core/tables/riscv64.ts', find: "bit: c.charCodeAt(0) - 'a'.charCodeAt(0) })", replace: "bit: c.charCodeAt(0) - 'a'.charCodeAt(0) + 1 })" }],
    tests: [[ORACLES, "riscv64.*asm/hwcap.h"]],
  },
];
