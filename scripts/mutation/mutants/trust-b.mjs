// Mutants for issue 21's cases 7, 8, 10, 11, 12 and 16 (CPUID faulting audited): each breaks one
// behaviour those fixes added, and the listed tests must fail. Format: see typescript.mjs and run.mjs.
const HELPER_STDERR = 'test/launcher/helper-stderr.test.ts';
const CLI_OSXSAVE = 'test/cli/cli-osxsave.test.ts';

export default [
  // --- Case 11: the helper's message on a regular-file stderr --------------------------------
  {
    name: 'c-stderr-file-own-open',
    claim: "a message about a descendant whose stderr is a regular file goes through that descendant's own open file description, so the program's next write follows it instead of overwriting it",
    edits: [{ file: 'native/launcher/report.c', find: 'S_ISREG(st.st_mode) ? tracee_fd2(pid) : -1;', replace: 'S_ISREG(st.st_mode) ? -1 : -1;' }],
    tests: [HELPER_STDERR],
  },

  // --- Case 12: osxsave is kept, and said to be ----------------------------------------------
  {
    name: 'ts-osxsave-listed-dropped',
    claim: 'hwcap exec never lists osxsave as dropped (the launcher keeps it); it is listed as what the command still sees',
    edits: [{ file: 'lib/launcher/plan.ts', find: "r.word === 'CPUID.D.1:EAX' || r.name === 'osxsave'", replace: "r.word === 'CPUID.D.1:EAX'" }],
    tests: [CLI_OSXSAVE],
  },
];
