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
export { spawn, spawnSync, execFile, probeInheritance, probePtrace, launcherPath, probePath } from './spawn';
export type { SpawnMode, HwcapsOption, HwcapSpawnOptions, SpawnOptions, SpawnSyncOptions, ExecFileOptions, InheritanceProbe, PtraceProbe } from './spawn';
