// Mutants of the one mask plan (lib/launcher/plan.ts): the x86-64 baseline floor, the plan's AND
// only, the refusal of mode 'kernel' with CPUID rules, and adopt's CPUID rules. Same shape as
// typescript.mjs (scripts/mutation/run.mjs).
export default [
  {
    name: 'plan-floor-ignored',
    claim: 'a CPUID mask that removes an x86-64 baseline feature (fpu, cmov, cx8, fxsr, mmx, syscall, sse, sse2) is refused before anything runs',
    edits: [{ file: 'lib/launcher/plan.ts', find: 'if (below.length) throw new BelowBaselineError(below);', replace: 'if (below.length < 0) throw new BelowBaselineError(below);' }],
    tests: [['test/launcher/plan.test.ts', 'BelowBaselineError naming them|refuses it synchronously']],
  },
  {
    name: 'plan-floor-allowed-by-default',
    claim: 'only an explicit allowBelowBaseline: true lets a CPUID mask below the baseline through',
    edits: [{ file: 'lib/launcher/plan.ts', find: "const allowBelowBaseline = checkBoolean(options, 'allowBelowBaseline', false);", replace: "const allowBelowBaseline = checkBoolean(options, 'allowBelowBaseline', true);" }],
    tests: [['test/launcher/plan.test.ts', 'BelowBaselineError naming them']],
  },
  {
    name: 'plan-floor-without-allow-option',
    claim: 'allowBelowBaseline: true lets the CPUID rule below the baseline through (for static programs)',
    edits: [{ file: 'lib/launcher/plan.ts', find: 'if (cpuid.length > 0 && !allowBelowBaseline) {', replace: 'if (cpuid.length > 0) {' }],
    tests: [['test/launcher/plan.test.ts', 'allowBelowBaseline lets the CPUID rule through']],
  },
  {
    name: 'plan-floor-on-auxv-only',
    claim: "the floor is CPUID's (glibc's check reads CPUID): an auxv-only mask is not refused by it",
    edits: [{ file: 'lib/launcher/plan.ts', find: 'if (cpuid.length > 0 && !allowBelowBaseline) {', replace: 'if (!allowBelowBaseline) {' }],
    tests: [['test/launcher/plan.test.ts', 'auxvOnly masks the auxv alone and passes']],
  },
  {
    name: 'plan-kept-not-intersected',
    claim: 'AND only: the plan keeps nothing this machine lacks (kept is the keep set ANDed with this machine)',
    edits: [{ file: 'lib/launcher/plan.ts', find: 'const kept = once(() => keepSet().intersect(now));', replace: 'const kept = once(() => keepSet());' }],
    tests: [['test/launcher/plan.test.ts', 'AND only']],
  },
  {
    name: 'plan-words-set-ors',
    claim: 'AND only: words of bits to keep stand for this machine less what they remove, never more',
    edits: [{ file: 'lib/launcher/plan-hwcaps.ts', find: "    hwcap: here.words.hwcap & (k.hwcap ?? ~0n),\n", replace: "    hwcap: here.words.hwcap | (k.hwcap ?? ~0n),\n" }],
    tests: [['test/launcher/plan.test.ts', 'AND only']],
  },
  {
    name: 'plan-adopt-cpuid-rules-dropped',
    claim: "adopt applies the CPUID rules its keep set implies (hwcap adopt --drop ht,avx2 masks the next exec's CPUID as hwcap exec --drop ht,avx2 did)",
    edits: [{ file: 'lib/launcher/handover.ts', find: '    rules.push(...plan.cpuidArgs);\n', replace: '' }],
    tests: ['test/criu/adopt-drop.test.ts'],
  },
  {
    name: 'plan-cpuid-kernel-mode-allowed',
    claim: "a plan with CPUID rules refuses mode 'kernel' (only the ptrace helper answers a trapped CPUID), naming options.mode, before anything runs",
    edits: [{ file: 'lib/launcher/plan.ts', find: "  if (cpuid.length > 0 && mode === 'kernel') {", replace: "  if (cpuid.length < 0 && mode === 'kernel') {" }],
    tests: [['test/launcher/plan.test.ts', "a CPUID mask in mode 'kernel' is refused"]],
  },
  {
    name: 'plan-adopt-drop-alone-refused',
    claim: 'hwcap adopt takes --drop LIST alone on x86-64, as hwcap exec does (its CPUID rules are those the drop implies)',
    edits: [{ file: 'lib/cli/verbs/adopt.ts', find: 'keepNames === undefined && dropNames === undefined && values.cpuid', replace: 'keepNames === undefined && values.cpuid' }],
    tests: ['test/criu/adopt-drop.test.ts'],
  },
  {
    name: 'plan-amd-mirror-drop-unmasked',
    claim: "a plan that drops a CPUID.1:EDX feature AMD mirrors (vme, pse, mtrr …) masks AMD's copy in CPUID.80000001:EDX too, on any CPU",
    edits: [{ file: 'lib/launcher/plan.ts', find: "  if (edx1 !== undefined && ((~edx1 & AMD_MIRROR_MASK) >>> 0) !== 0 && needed['CPUID.80000001:EDX'] === undefined) {", replace: "  if (edx1 === -1 && ((~edx1 & AMD_MIRROR_MASK) >>> 0) !== 0 && needed['CPUID.80000001:EDX'] === undefined) {" }],
    tests: [['test/launcher/plan.test.ts', "AMD's mirror of CPUID.1:EDX"]],
  },
];
