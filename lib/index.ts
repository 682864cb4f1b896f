// hwcap: read, decode, baseline and mask the CPU feature words of the auxv.
// The explicit list of what the package exports; nothing else is public.
import './host';

export { HwcapError, AddonLoadError, ADDON_HINT } from './errors';
export type { HwcapErrorInit } from './errors';

// The auxv as data (pure).
export { AT, atName, HWCAP_TYPES, wordsOf, applyMask, checkMask, parseAuxvBytes } from './core/words';
export type { AtName, AuxvEntry, HwcapWords, HwcapMask } from './core/words';

// The auxv of this process: its three views, and writing the kernel's copy.
export { readAuxv, getauxval, hwcapWords, writeAuxv, maskHwcaps, userHwcapEnabled, probeAuxvAccess, hasCapSysResource } from './host/auxv';
export type {
  AuxvView,
  WordsView,
  WriteMethod,
  WriteOptions,
  WriteResult,
  UserHwcapState,
  UserHwcapOptions,
  AccessAnswer,
  AuxvAccess,
} from './host/auxv';

// Feature names, FeatureSet, node reports, baselines and NFD import.
export {
  FeatureSet,
  HwcapSchemaError,
  ARCHES,
  WORD_NAMES,
  FEATURESET_SCHEMA,
  catalog,
  normalizeArch,
  hostArch,
  decodeWords,
  closeMatches,
} from './core/features';
export type { Arch, WordName, Feature, FeatureSetJSON, SchemaErrorCode } from './core/features';
// x86-64: CPUID word names, the psABI levels, and the runtimes' own knobs (and V8's flags) for a feature set.
export { CPUID_WORD_NAMES, LEVEL_NAMES, mergeRuntimeEnv, runtimeEnv, v8Flags } from './core/features';
export type { CpuidWordName, CpuidWords, CpuInfo, Place, RuntimeEnvOptions } from './core/features';
export { parseReport, baseline, check, MixedArchError, NODE_REPORT_SCHEMA } from './core/report';
export type { NodeReport, NodeReportOptions, LibcInfo, CheckResult } from './core/report';
export { fromNodeFeatureDiscovery } from './core/nfd';
export type { NfdNode, NfdOptions } from './core/nfd';
export { libcInfo } from './host/report';

// What this machine allows, and the one rule for spawn's mode 'auto'.
export type { SpawnMode, ModeFacts, InheritanceProbe, PtraceProbe, ProbeResult, ProbeOptions } from './host/probe';

// The launcher: where it is, its stages, and the answers about this machine that run it.
export { launcherPath, probePath, probeInheritance, probePtrace, probe, nodeReport, resolveMode, LAUNCHER_STAGES } from './launcher';
export type { LauncherStage } from './launcher';
// Checkpoint and restore: hand a followed tree over before a dump, take a restored one back.
export { release, adopt, HandoverError } from './launcher';
// The one mask plan: hwcaps and the mask options → kept set, auxv words, CPUID rules, mode, runtime env, launcher argv.
export { maskPlan, BelowBaselineError } from './launcher';
export type { MaskPlan, MaskPlanOptions, MaskPlanJSON, PlanHwcaps, Unmasked, LauncherExtras, LauncherOptions, CpuidKeep, CpuidReg } from './launcher';
export type { ReleaseOptions, ReleaseResult, HeldTree, AdoptOptions, AdoptResult, HandoverReason } from './launcher';

// Containers: the OCI bundle and process-spec edit that hwcap-runtime makes.
export { OCI_ANNOTATIONS, MASK_ANNOTATION, OciError, decidePolicy, policyFromAnnotations, readNodeConfig, editBundle, editConfig, editProcess, maskOf, filterCpuinfo } from './oci';
export type { NodeConfig, OciErrorReason, Policy, EditOptions, EditResult, MaskRecord, OciConfig, ProcessSpec } from './oci';

// Masked children, as node:child_process has them.
export { spawn, spawnSync, execFile, execFileSync, exec, execSync, fork } from './spawn';
export type {
  HwcapsOption,
  HwcapSpawnOptions,
  SpawnOptions,
  SpawnSyncOptions,
  ExecFileOptions,
  ExecFileSyncOptions,
  ExecFileCallback,
  ExecOptions,
  ExecSyncOptions,
  ForkOptions,
  WordsCarrier,
} from './spawn';
export { cpuid, xgetbv } from './host';
