// Containers: the policy (annotations, the node default), the bundle and process-spec edit that
// hwcap-runtime makes (lib/oci/runtime.ts) and a launcher written in TypeScript can make itself.
export { ANNOTATION as OCI_ANNOTATIONS, MASK_ANNOTATION, OciError, decidePolicy, policyFromAnnotations, readNodeConfig } from './policy';
export type { NodeConfig, OciErrorReason, Policy } from './policy';
export { editBundle, editConfig, editProcess, maskOf } from './bundle';
export type { EditOptions, EditResult, MaskRecord, OciConfig, ProcessSpec } from './bundle';
export { filterCpuinfo } from './cpuinfo';
