// The public answers about this machine that need the launcher: `probe()` and `nodeReport()`.
// The host layer computes them from what it reads itself plus the launcher's probes, handed in
// here, so that lib/host/ never imports the launcher (core <- host <- launcher <- cli).
import { nodeReportFrom, probeFrom, resolveMode as resolveModeFrom, type ModeFacts, type ProbeOptions, type ProbeResult, type SpawnMode } from '../host';
import type { NodeReport, NodeReportOptions } from '../core/report';
import { probeCpuidFault, probeInheritance, probePtrace } from './probes';

/**
 * Probes what this process may do with the auxv. The writes put back the
 * vector the kernel already holds, so the saved copy does not change; the
 * ptrace and inheritance probes run the hwcap-probe child (cached).
 */
export function probe(options: ProbeOptions = {}): ProbeResult {
  return probeFrom(options, { ptrace: probePtrace, inheritance: probeInheritance, cpuidFault: probeCpuidFault });
}

/**
 * This machine's report: arch, kernel, libc, the process view's HWCAP words and
 * names, and whether the kernel passes a masked auxv across exec — from
 * probeInheritance() (cached), unless `options.inheritance` says.
 */
export function nodeReport(options: NodeReportOptions = {}): NodeReport {
  return nodeReportFrom(options, probeInheritance);
}

/**
 * The mode a masked spawn with `mode` runs in (the one rule, lib/host/probe.ts): 'kernel' and
 * 'ptrace' are themselves; 'auto' (also `undefined`) is 'kernel' where the kernel passes a
 * masked auxv across execve, else 'ptrace', else null where neither works. Without `facts` it
 * decides for this machine: probeInheritance() and probePtrace() (cached), asked only for 'auto'.
 */
export function resolveMode(mode?: SpawnMode, facts?: ModeFacts, argName = 'mode'): 'kernel' | 'ptrace' | null {
  return resolveModeFrom(mode, facts === undefined ? { inheritance: probeInheritance, ptrace: probePtrace } : facts, argName);
}
