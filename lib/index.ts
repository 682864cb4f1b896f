// hwcap: read, decode, baseline and mask the auxv's CPU feature words.
export * from './errors';
export {
  AT,
  atName,
  readAuxv,
  getauxval,
  hwcapWords,
  wordsOf,
  writeAuxv,
  maskHwcaps,
  applyMask,
  checkMask,
  userHwcapEnabled,
  probeAuxvAccess,
  parseAuxvBytes,
  hasCapSysResource,
  HWCAP_TYPES,
} from './auxv';
export type {
  AtName,
  AuxvView,
  WordsView,
  AuxvEntry,
  HwcapWords,
  HwcapMask,
  WriteMethod,
  WriteOptions,
  WriteResult,
  UserHwcapState,
  UserHwcapOptions,
  AccessAnswer,
  AuxvAccess,
} from './auxv';
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
} from './features';
export type { Arch, WordName, Feature, FeatureSetJSON, SchemaErrorCode } from './features';
export { nodeReport, parseReport, baseline, check, libcInfo, MixedArchError, NODE_REPORT_SCHEMA, fromNodeFeatureDiscovery } from './report';
export type { NodeReport, NodeReportOptions, LibcInfo, CheckResult, NfdNode, NfdOptions } from './report';
export { spawn, spawnSync, execFile, execFileSync, exec, execSync, fork, probeInheritance, probePtrace, launcherPath, probePath } from './spawn';
export type { SpawnMode, HwcapsOption, HwcapSpawnOptions, SpawnOptions, SpawnSyncOptions, ExecFileOptions, ExecFileSyncOptions, ExecOptions, ExecSyncOptions, ForkOptions, InheritanceProbe, PtraceProbe } from './spawn';
export { probe } from './probe';
export type { ProbeResult, ProbeOptions } from './probe';
