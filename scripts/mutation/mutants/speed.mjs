// Mutants for issue 27 (speed): each breaks one behaviour that work added, and the listed tests
// must fail. Format: see typescript.mjs and run.mjs.
const LAZY = 'test/lazy-require.test.ts';
const PER_CPU = 'test/launcher/cpuid-per-cpu.test.ts';
const PLAN = 'test/launcher/plan.test.ts';
const MARKS = 'test/launcher/stats-marks.test.ts';

export default [
  {
    name: 'ts-main-spawn-eager',
    claim: "require('hwcap') loads the spawn family (and node:child_process) only when one of its names is first read",
    edits: [{ file: 'lib/main.ts', find: "const spawn = room(() => require('./spawn') as typeof Spawn);", replace: "const spawnNow = require('./spawn') as typeof Spawn;\nconst spawn = room(() => spawnNow);" }],
    tests: [[LAZY, 'load no spawn']],
  },
  {
    name: 'ts-main-launcher-eager',
    claim: "require('hwcap') loads the launcher and the hand-over (and node:crypto) only when one of their names is first read",
    edits: [{ file: 'lib/main.ts', find: "const launcher = room(() => require('./launcher') as typeof Launcher);", replace: "const launcherNow = require('./launcher') as typeof Launcher;\nconst launcher = room(() => launcherNow);" }],
    tests: [[LAZY, 'load no spawn']],
  },
  {
    name: 'ts-main-name-wrong-value',
    claim: 'every name of the lazy entry has the value lib/index.ts exports under that name',
    edits: [{ file: 'lib/main.ts', find: "get: function () { return launcher.probePath; }", replace: "get: function () { return launcher.launcherPath; }" }],
    tests: [[LAZY, 'same names with the same values']],
  },
  {
    name: 'c-cpuid-same-ignores-differ',
    claim: 'a per-CPU leaf is answered without its CPU only when every CPU answered it alike: CPUs that differ (APIC ids) keep their own answers',
    edits: [{ file: 'native/launcher/cpuid/table.c', find: '  } else if (memcmp(s->regs, regs, sizeof s->regs) != 0) {\n    s->differ = 1;\n  }', replace: '  }' }],
    tests: [PER_CPU],
  },
  {
    name: 'c-cpuid-same-before-every-cpu',
    claim: 'a per-CPU leaf is answered without its CPU only once every CPU of the machine has answered it',
    edits: [{ file: 'native/launcher/cpuid/table.c', find: 'return s && !s->differ && (s->seen & all) == all ? s->regs : NULL;', replace: 'return s && !s->differ && s->seen ? s->regs : NULL;' }],
    tests: [PER_CPU],
  },
  {
    name: 'ts-plan-report-fields-recomputed',
    claim: "a plan's report fields (keepSet, lost, absent, security, unmasked), worked out on first read, are the same object at every read",
    edits: [{ file: 'lib/launcher/plan.ts', find: '    if (!done) {\n      v = f();\n      done = true;\n    }', replace: '    v = f();\n    done = true;' }],
    tests: [[PLAN, 'worked out on first read']],
  },
  {
    name: 'ts-plan-carrier-cpuid-unchecked',
    claim: 'CPUID words a carrier of words brings are checked when the plan is made (a word hwcap does not carry is a typed error), now that the set they stand for is built only on first need',
    edits: [{ file: 'lib/launcher/plan-hwcaps.ts', find: "return { keep, cpuidWords: checkCpuidWords(c, `${name}.cpuid`) as Record<string, number> };", replace: 'return { keep, cpuidWords: { ...(c as Record<string, number>) } };' }],
    tests: [[PLAN, 'CPUID words a carrier brings']],
  },
  {
    name: 'ts-normalize-env-walk-dropped',
    claim: "a NUL in options.env is child_process's error, found before hwcap's own option checks (the walk of options.env stays; only process.env, which cannot hold a NUL, is not walked)",
    edits: [{ file: 'lib/spawn/normalize.ts', find: 'const env = (o.env || {}) as Record<string, unknown>;', replace: 'const env = {} as Record<string, unknown>;' }],
    tests: [['test/spawn/parity.test.ts', "child_process's checks come first"]],
  },
  {
    name: 'c-stats-marks-dropped',
    claim: "the --stats-fd line carries the launcher's step marks (helper up, seized, exec stop, masked), which npm run bench splits a masked spawn with",
    edits: [{ file: 'native/launcher/follow.c', find: '  report_marks_json(marks, sizeof marks);', replace: '  snprintf(marks, sizeof marks, "{}");' }],
    tests: [[MARKS, 'each step']],
  },
  {
    name: 'c-stats-exec-stop-mark-late',
    claim: "the exec stop's mark is taken when the helper takes the program's first exec stop, before it patches that image",
    edits: [
      { file: 'native/launcher/follow.c', find: '  if (s->first) report_mark(MARK_EXEC_STOP);\n', replace: '' },
      { file: 'native/launcher/follow.c', find: 'usleep(500 * 1000);', replace: 'usleep(500 * 1000);\n  if (s->first) report_mark(MARK_EXEC_STOP);' },
    ],
    tests: [[MARKS, 'a pause of 500 ms']],
  },
];
