// Mutants for release and adopt against the trees of issue 21 (a /proc status file past 4 KiB, a
// program that reaches for adopt's helper), and for the test build's simulated traps run outside
// the test runner: each undoes one fix, and the listed tests must fail. Format: see
// typescript.mjs and run.mjs.
const REACH = 'test/launcher/handover-reach.test.ts';

export default [
  {
    name: 'c-release-nspid-cut-at-4k',
    claim: "release reads the whole /proc status file for NSpid: a tree whose user has 2,000 supplementary groups (NSpid past 4 KiB) is released, and adopted back and released again",
    edits: [
      {
        file: 'native/launcher/handover/release.c',
        find: '  long len = hwcap_read_file_all(path, &buf); /* NSpid comes after Groups, which 2,000 groups take past 4 KiB */\n  if (len < 0) return (int)len;\n',
        replace: '  long len = hwcap_read_file_all(path, &buf); /* NSpid comes after Groups, which 2,000 groups take past 4 KiB */\n  if (len < 0) return (int)len;\n  if (len > 4095) {\n    free(buf);\n    return -E2BIG;\n  }\n',
      },
    ],
    tests: [[REACH, 'supplementary groups']],
  },
  {
    name: 'c-adopt-helper-dumpable',
    claim: "adopt's helper is not dumpable: a program of the tree it took back, running as its user, cannot open its /proc/<pid>/mem or PTRACE_SEIZE it",
    edits: [{ file: 'native/launcher/handover/adopt.c', find: "  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0); /* out of the tree's reach, as exec's helper (handshake.c) */\n", replace: '' }],
    tests: [[REACH, "adopt's helper"]],
  },
  {
    name: 'c-simulation-silent',
    claim: 'the test launcher run outside the test runner with HWCAP_EXEC_FAULT=cpuid-simulate says on stderr that nothing is masked',
    edits: [{ file: 'native/launcher/cpuid/setup.c', find: '  if (FAULT_IS("cpuid-simulate") && !getenv("VITEST"))\n', replace: '  if (FAULT_IS("cpuid-simulate") && !getenv("VITEST") && 0)\n' }],
    tests: [[REACH, 'by hand.*nothing is masked']],
  },
  {
    name: 'c-adopt-simulation-silent',
    claim: 'adopt with CPUID rules by the test launcher outside the test runner, under cpuid-simulate, says that nothing is masked, as exec does',
    edits: [{ file: 'native/launcher/handover/adopt.c', find: '    cpuid_simulation_warning();\n', replace: '' }],
    tests: [[REACH, 'adopt with CPUID rules says the same']],
  },
  {
    name: 'c-simulation-warns-under-runner',
    claim: "under the test runner (VITEST set) the simulation's warning is not printed, so the tests' stderr stays the program's",
    edits: [{ file: 'native/launcher/cpuid/setup.c', find: '  if (FAULT_IS("cpuid-simulate") && !getenv("VITEST"))\n', replace: '  if (FAULT_IS("cpuid-simulate"))\n' }],
    tests: [[REACH, 'under the test runner']],
  },
];
