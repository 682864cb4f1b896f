// Mutants of what the docs branch added: hwcap exec --pid-file, which a checkpoint script waits for
// before it releases the tree, and the nested CPUID refusal's own hint. Format: see typescript.mjs.
// (That the file is written only once the command runs masked, at 'spawn', is checked by
// cli-exec.test.ts reading the process the moment the file appears; a mutant that writes it at
// spawn() survives there, as the launcher execs the command within a millisecond or two, so it is
// not listed.)
const CLI_EXEC = 'test/cli/cli-exec.test.ts';
const TRACED = 'test/launcher/traced.test.ts';

export default [
  {
    name: 'ts-pid-file-half-written',
    claim: '--pid-file is never seen half written: the pid goes into a temporary file renamed over FILE, and none is left beside it',
    edits: [{ file: 'lib/cli/verbs/exec.ts', find: '      fs.renameSync(tmp, file);\n', replace: '      fs.copyFileSync(tmp, file);\n' }],
    tests: [[CLI_EXEC, 'pid-file: written whole']],
  },
  {
    name: 'ts-nest-cpuid-generic-hint',
    claim: "a CPUID mask nested under an auxv-only tree gets its own hint (use auxvOnly), not the seize stage's ptrace hint",
    edits: [{ file: 'lib/launcher/status.ts', find: 'const special = known?.cases?.find(', replace: 'const special = undefined && known?.cases?.find(' }],
    tests: [[TRACED, 'the same from the library']],
  },
  {
    name: 'docs-stale-path',
    claim: 'every repository path that a doc names exists: a moved file takes its references with it',
    edits: [{ file: 'docs/architecture.md', find: '(arming and trapped CPUIDs)', replace: '(arming and trapped CPUIDs, native/launcher/cpuid_trace.c)' }],
    tests: [['test/references.test.ts', 'every path of this repository']],
  },
];
