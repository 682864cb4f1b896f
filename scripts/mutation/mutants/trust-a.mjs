// Mutants of the CPUID audit's fixes (issue 21, cases 1-6, 9, 13-15): each undoes one fix, and
// the listed tests must fail. Format: see typescript.mjs and run.mjs.
const AUDIT = 'test/launcher/cpuid-audit.test.ts';

export default [
  {
    name: 'c-status-cut-at-4k',
    claim: "the helper reads a tracee's whole /proc status file: SigIgn past 4 KiB (2,000 groups) still counts",
    edits: [
      {
        file: 'native/launcher/cpuid_tasks.c',
        find: '  long n = hwcap_read_file_all(path, &buf);\n',
        replace: '  long n = hwcap_read_file_all(path, &buf);\n  if (n > 4095) buf[n = 4095] = 0;\n',
      },
    ],
    tests: [[AUDIT, 'supplementary groups']],
  },
];
