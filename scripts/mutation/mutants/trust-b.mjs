// Mutants for issue 21's cases 7, 8, 10, 11, 12 and 16 (CPUID faulting audited): each breaks one
// behaviour those fixes added, and the listed tests must fail. Format: see typescript.mjs and run.mjs.
const HELPER_STDERR = 'test/launcher/helper-stderr.test.ts';

export default [
  // --- Case 11: the helper's message on a regular-file stderr --------------------------------
  {
    name: 'c-stderr-file-own-open',
    claim: "a message about a descendant whose stderr is a regular file goes through that descendant's own open file description, so the program's next write follows it instead of overwriting it",
    edits: [{ file: 'native/launcher/report.c', find: 'S_ISREG(st.st_mode) ? tracee_fd2(pid) : -1;', replace: 'S_ISREG(st.st_mode) ? -1 : -1;' }],
    tests: [HELPER_STDERR],
  },
];
