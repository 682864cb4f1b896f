// This node's report: what this machine offers, read from its auxv, libc and kernel.
import * as fs from 'node:fs';
import * as os from 'node:os';
import { invalidArgType, invalidArgValue } from '../errors';
import { FeatureSet, hostArch, wordsToJSON } from '../core/features';
import { NODE_REPORT_SCHEMA, type LibcInfo, type NodeReport, type NodeReportOptions } from '../core/report';
import { hwcapWords } from './auxv';
import type { InheritanceProbe } from './probe';

let libcCache: LibcInfo | undefined;

/** Which libc this process runs on: glibc (with version) from process.report, musl from its loader. */
export function libcInfo(): LibcInfo {
  if (libcCache) return libcCache;
  let info: LibcInfo = { family: 'unknown' };
  try {
    const r = process.report?.getReport() as { header?: { glibcVersionRuntime?: string }; sharedObjects?: string[] } | undefined;
    const glibc = r?.header?.glibcVersionRuntime;
    if (typeof glibc === 'string' && glibc) info = { family: 'glibc', version: glibc };
    else if (r?.sharedObjects?.some((p) => /ld-musl-|libc\.musl-/.test(p))) info = { family: 'musl' };
  } catch {
    // process.report unavailable: fall through to the loader check.
  }
  if (info.family === 'unknown') {
    try {
      if (fs.readdirSync('/lib').some((f) => f.startsWith('ld-musl-'))) info = { family: 'musl' };
    } catch {
      // no /lib: stay 'unknown'
    }
  }
  libcCache = Object.freeze(info);
  return libcCache;
}

/**
 * This machine's report: arch, kernel, libc, the process view's HWCAP words and
 * names, and whether the kernel passes a masked auxv across exec — from
 * `inheritance()` (the launcher's probe, handed in by lib/launcher/machine.ts,
 * so that this layer never runs the launcher itself), unless `options.inheritance` says.
 */
export function nodeReportFrom(options: NodeReportOptions, probeInheritance: () => InheritanceProbe): NodeReport {
  if (typeof options !== 'object' || options === null) throw invalidArgType('options', 'an object', options);
  let { inheritance, inheritanceReason } = options;
  const { hostname } = options;
  if (inheritanceReason !== undefined && typeof inheritanceReason !== 'string') {
    throw invalidArgType('options.inheritanceReason', 'of type string', inheritanceReason);
  }
  if (inheritance === undefined) {
    const probed = probeInheritance();
    inheritance = probed.inherits;
    inheritanceReason ??= probed.reason;
  }
  if (inheritance !== true && inheritance !== false && inheritance !== 'unknown') {
    throw invalidArgValue('options.inheritance', "must be true, false or 'unknown'", inheritance);
  }
  if (hostname !== undefined && (typeof hostname !== 'string' || hostname === '')) {
    throw invalidArgType('options.hostname', 'a non-empty string', hostname);
  }
  const set = FeatureSet.fromWords(hostArch(), hwcapWords('process'));
  const report: NodeReport = {
    schema: NODE_REPORT_SCHEMA,
    hostname: hostname ?? os.hostname(),
    arch: set.arch,
    kernel: { release: os.release(), version: os.version() },
    libc: { ...libcInfo() },
    view: 'process',
    words: wordsToJSON(set.words),
    names: set.names(),
    inheritance,
    createdAt: new Date().toISOString(),
  };
  if (inheritanceReason !== undefined) report.inheritanceReason = inheritanceReason;
  return report;
}

