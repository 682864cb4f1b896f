// The host layer's entry: what touches this machine (the addon, the auxv views, this node's
// report, the probes and the one mode rule). Other rooms import from here.
import './current';

export { native, addonDir } from './native';
export type { NativeAddon } from './native';
export {
  readAuxv,
  getauxval,
  hwcapWords,
  writeAuxv,
  maskHwcaps,
  userHwcapEnabled,
  probeAuxvAccess,
  hasCapSysResource,
  hostWords,
} from './auxv';
export type { AuxvView, WordsView, WriteMethod, WriteOptions, WriteResult, UserHwcapState, UserHwcapOptions, AccessAnswer, AuxvAccess } from './auxv';
export { libcInfo, nodeReportFrom } from './report';
export { cpuid, xgetbv, type CpuidResult } from './cpuid';
export { cpuidSnapshot } from './current';
export { resolveMode, checkMode, probeFrom } from './probe';
export type { SpawnMode, InheritanceProbe, PtraceProbe, CpuidFaultProbe, ModeFacts, ProbeResult, ProbeOptions, ChildProbes } from './probe';
