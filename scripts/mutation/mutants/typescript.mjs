// Mutants of the TypeScript safety paths. Each: a name, the claim it breaks, edits (a text that
// must occur exactly once in the file, and its replacement), and the test files (optionally
// [file, -t pattern]) that must fail with it. See scripts/mutation/run.mjs.
export default [
  {
    name: 'ts-apply-mask-sets-bits',
    claim: 'AND only (TypeScript): applyMask ANDs the kept bits into a word, never sets bits the vector lacks',
    edits: [{ file: 'lib/core/words.ts', find: 'return { type: e.type, value: e.value & keep };', replace: 'return { type: e.type, value: keep };' }],
    tests: [['test/host/auxv.test.ts', 'applyMask never sets a bit']],
  },
  {
    name: 'ts-mask-hwcaps-or',
    claim: 'AND only (TypeScript): maskHwcaps writes the kernel view ANDed with the mask, never ORed',
    edits: [{ file: 'lib/core/words.ts', find: 'return { type: e.type, value: e.value & keep };', replace: 'return { type: e.type, value: e.value | keep };' }],
    tests: [['test/host/auxv.test.ts', 'random masks written in a child never add a bit']],
  },
  {
    name: 'ts-intersect-is-union',
    claim: 'AND only (TypeScript): a baseline is the intersection of the nodes, never their union',
    edits: [{ file: 'lib/core/feature-set.ts', find: 'return this.#map((s) => this.#w(s) & other.#w(s));', replace: 'return this.#map((s) => this.#w(s) | other.#w(s));' }],
    tests: [['test/core/fuzz-features.test.ts', 'baseline\\(reports\\) is within every report']],
  },
  {
    name: 'ts-write-auxv-no-padding',
    claim: 'writeAuxv pads the vector with zeros to the kernel capacity, so that PR_SET_MM_AUXV leaves no stale tail',
    edits: [{ file: 'lib/host/auxv.ts', find: 'const buf = new BigUint64Array(capWords);', replace: 'const buf = new BigUint64Array(words.length);' }],
    tests: [['test/host/fuzz.test.ts', 'padded words'], ['test/host/auxv.test.ts', 'padded with zeros|stale tail']],
  },
  {
    name: 'ts-fromjson-ignores-names',
    claim: 'FeatureSet.fromJSON refuses a document whose names disagree with its words',
    edits: [{ file: 'lib/core/feature-set.ts', find: 'if (onlyListed.length || onlyWords.length) {', replace: 'if (false) {' }],
    tests: [['test/core/features.test.ts', 'names that disagree'], 'test/core/fuzz-features.test.ts'],
  },
  {
    name: 'ts-fromjson-ignores-extra-names',
    claim: 'FeatureSet.fromJSON refuses a document that lists a name the words do not have',
    edits: [{ file: 'lib/core/feature-set.ts', find: 'if (onlyListed.length || onlyWords.length) {', replace: 'if (onlyWords.length) {' }],
    tests: [['test/core/fuzz-features.test.ts', 'fromJSON']],
  },
  {
    name: 'ts-fromjson-ignores-missing-names',
    claim: 'FeatureSet.fromJSON refuses a document whose names leave out a set bit of its words',
    edits: [{ file: 'lib/core/feature-set.ts', find: 'if (onlyListed.length || onlyWords.length) {', replace: 'if (onlyListed.length) {' }],
    tests: [['test/core/fuzz-features.test.ts', 'fromJSON']],
  },
  {
    name: 'ts-cli-exit-127',
    claim: 'hwcap exec exits 127 for a command that is not found',
    edits: [{ file: 'lib/cli/verbs/exec.ts', find: "'check the name and PATH', 127)", replace: "'check the name and PATH', 1)" }],
    tests: [['test/cli/cli-exec.test.ts', 'not found: 127']],
  },
  {
    name: 'ts-cli-exit-126',
    claim: 'hwcap exec exits 126 for a command that is not executable',
    edits: [{ file: 'lib/cli/verbs/exec.ts', find: "'is it an executable file?', 126)", replace: "'is it an executable file?', 1)" }],
    tests: [['test/cli/cli-exec.test.ts', 'not found: 127']],
  },
  {
    name: 'ts-cli-exit-125',
    claim: 'hwcap exec exits 125 when it could not run the command masked',
    edits: [{ file: 'lib/cli/verbs/exec.ts', find: 'const EXIT_EXEC = 125;', replace: 'const EXIT_EXEC = 1;' }],
    // The first runs where the kernel does not inherit; elsewhere the whole file is the fallback.
    tests: [['test/cli/cli-exec.test.ts', 'does not inherit: 125'], 'test/cli/cli-exec.test.ts'],
  },
  {
    name: 'ts-status-no-masked-line-ok',
    claim: 'spawn: a ptrace-mode program counts as started only once the helper reported it masked',
    edits: [{ file: 'lib/launcher/status.ts', find: "if (exec && records.some((r) => r.stage === 'masked')) return { ok: true };", replace: 'if (exec) return { ok: true };' }],
    tests: [['test/launcher/reliability.test.ts', 'helper killed at']],
  },
  {
    name: 'ts-x86-v3-without-avx2',
    claim: "the psABI level x86-64-v3 needs avx2: a CPU (or a CPUID mask) without it is x86-64-v2, as glibc's ld.so says",
    edits: [{ file: 'lib/core/tables/x86_64.ts', find: "{ name: 'x86-64-v3', adds: ['avx', 'avx2', ", replace: "{ name: 'x86-64-v3', adds: ['avx', " }],
    tests: [['test/core/x86-models.test.ts', 'max,-avx2']],
  },
  // --- CPUID through the spawn family (x86-64; simulated traps in test/launcher/cpuid-spawn.test.ts)
  {
    name: 'ts-keep-cpuid-no-leaf1-edx',
    claim: 'words of bits to keep mask CPUID.1:EDX as they mask AT_HWCAP (one word under two names)',
    edits: [{ file: 'lib/launcher/plan.ts', find: "  if (edx1 !== undefined) rules.unshift({ leaf: 1, reg: 'edx', keep: edx1 });\n", replace: '' }],
    tests: [['test/launcher/cpuid-spawn.test.ts', 'AT_HWCAP is CPUID.1:EDX']],
  },
  {
    name: 'ts-keep-cpuid-filter-inverted',
    claim: 'a CPUID word gets a rule where it removes a bit this CPU has, and only there',
    edits: [{ file: 'lib/launcher/plan.ts', find: 'if (h === undefined || ((h & ~keep) >>> 0) !== 0) needed[name] = keep >>> 0;', replace: 'if (h === undefined || ((h & ~keep) >>> 0) === 0) needed[name] = keep >>> 0;' }],
    tests: [['test/launcher/cpuid-spawn.test.ts', 'without a CPUID feature: the child']],
  },
  {
    name: 'ts-auxv-only-ignored',
    claim: 'auxvOnly: true masks the auxv alone; CPUID is left to the CPU and needs no faulting',
    edits: [{ file: 'lib/launcher/plan.ts', find: 'const cpuid = x86 && !auxvOnly ? rulesOf(r.cpuidWords, now) : [];', replace: 'const cpuid = x86 ? rulesOf(r.cpuidWords, now) : [];' }],
    tests: [['test/launcher/cpuid-spawn.test.ts', 'auxvOnly: the auxv is masked']],
  },
  {
    name: 'ts-auxv-only-inverted',
    claim: 'without auxvOnly a set that removes a CPUID feature masks CPUID too',
    edits: [{ file: 'lib/launcher/plan.ts', find: 'const cpuid = x86 && !auxvOnly ? rulesOf(r.cpuidWords, now) : [];', replace: 'const cpuid = x86 && auxvOnly ? rulesOf(r.cpuidWords, now) : [];' }],
    tests: [['test/launcher/cpuid-spawn.test.ts', 'without a CPUID feature: the child']],
  },
  {
    name: 'ts-openssl-merge-forgets-user',
    claim: "AND only (TypeScript): mergeRuntimeEnv keeps the user's cleared OPENSSL_ia32cap bits (~X merged with ~Y is ~(X|Y), never ~Y)",
    edits: [{ file: 'lib/core/runtime-env.ts', find: "if (user.kind === 'clear') return `~${hex(user.value | off)}`;", replace: "if (user.kind === 'clear') return `~${hex(off)}`;" }],
    tests: [['test/core/runtime-env.test.ts', 'OPENSSL_ia32cap'], 'test/core/runtime-env-x86.test.ts', ['test/spawn/runtime-env.test.ts', 'openssl info']],
  },
  {
    name: 'ts-glibc-merge-second-entry',
    claim: "AND only (TypeScript): mergeRuntimeEnv adds our glibc.cpu.hwcaps items to the user's entry; a second entry would override it (glibc takes the last)",
    edits: [{ file: 'lib/core/runtime-env.ts', find: 'if (last < 0) return [...entries, ours].join(\':\');', replace: 'if (last < 1e9) return [...entries, ours].join(\':\');' }],
    tests: [['test/core/runtime-env.test.ts', 'GLIBC_TUNABLES'], 'test/core/runtime-env-x86.test.ts'],
  },
  {
    name: 'ts-fork-v8-flags-first',
    claim: "AND only (TypeScript): fork puts V8's --no-enable-X flags after the caller's execArgv (V8 takes a flag's last setting), never before it",
    edits: [{ file: 'lib/spawn/fork.ts', find: 'execArgv = [...(execArgv as string[]), ...v8];', replace: 'execArgv = [...v8, ...(execArgv as string[])];' }],
    tests: [['test/spawn/runtime-env.test.ts', "a caller's --enable-X earlier does not win"]],
  },
  {
    name: 'ts-exec-node-reenable-allowed',
    claim: "AND only (TypeScript): hwcap exec --runtime-env refuses a node argument (--enable-X) that would turn back on a feature its V8 flags turn off",
    edits: [{ file: 'lib/cli/verbs/exec.ts', find: 'if (back !== undefined) {', replace: 'if (back === null) {' }],
    tests: [['test/cli/cli-runtime-env.test.ts', 'an argument that would turn a feature back on']],
  },
];
