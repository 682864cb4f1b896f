// The launcher room's entry: the TypeScript side of the hwcap-exec contract (its path, argv,
// status lines and stages) and the probes and machine answers that run it.
export { launcherPath, probePath } from './paths';
export { launcherArgv } from './argv';
export type { LauncherOptions } from './argv';
export { cpuidKeepOf, cpuidRules, cpuidRuleArg, parseCpuidWord, CPUID_UNMASKABLE } from './cpuid';
export type { CpuidKeep, CpuidReg } from './cpuid';
export { parseStatus, outcomeOf, setupError, execError } from './status';
export type { StatusRecord, Outcome } from './status';
export { LAUNCHER_STAGES, LIBRARY_NAMES, stageOf, stageHint } from './stages';
export type { LauncherStage, OptionNamer } from './stages';
export { probeCpuidFault, probeInheritance, probePtrace } from './probes';
export { probe, nodeReport, resolveMode } from './machine';
export { release, adopt, savedWords, notAdoptable, HandoverError } from './handover';
export { maskPlan, isMaskPlan, checkPlanOptions, belowBaselineHint, BelowBaselineError } from './plan';
export type { MaskPlan, MaskPlanOptions, MaskPlanJSON, PlanHwcaps, Unmasked, LauncherExtras } from './plan';
export type { ReleaseOptions, ReleaseResult, HeldTree, AdoptOptions, AdoptResult, HandoverReason } from './handover';
