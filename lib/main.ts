// The package's runtime entry (package.json "main"): the names lib/index.ts exports, with the same
// values, but what a process needs only to ask about its own CPU is loaded at require('hwcap') and
// the rest on first use. The spawn family, the launcher, the hand-over, the node report and NFD
// import (and with them node:child_process and node:crypto) load when one of their names is first
// read. lib/index.ts stays the typed list (dist/index.d.ts, and what the tests import from source,
// where require() cannot load TypeScript); test/lazy-require.test.ts checks that both entries export
// the same names and values, and which modules require('hwcap') loads.
//
// Why it matters: every module required costs a resolution, a read and a compile, and node's own
// path normalisation gets optimised by TurboFan once some thirty modules have been resolved, which
// alone adds about 4 MiB of RSS to the process (bench/README.md, "require").
/* eslint-disable @typescript-eslint/no-require-imports */
import type * as Launcher from './launcher';
import type * as Spawn from './spawn';
import type * as CoreReport from './core/report';
import type * as HostReport from './host/report';
import type * as Nfd from './core/nfd';
import type * as Oci from './oci';

// Loaded now: the addon (a missing one is an AddonLoadError at require time, as before), this
// process's auxv and CPUID, and the feature model.
import './host/current';

export { HwcapError, AddonLoadError, ADDON_HINT } from './errors';
export { AT, atName, HWCAP_TYPES, wordsOf, applyMask, checkMask, parseAuxvBytes } from './core/words';
export { readAuxv, getauxval, hwcapWords, writeAuxv, maskHwcaps, userHwcapEnabled, probeAuxvAccess, hasCapSysResource } from './host/auxv';
export { FeatureSet, HwcapSchemaError, ARCHES, WORD_NAMES, FEATURESET_SCHEMA, catalog, normalizeArch, hostArch, decodeWords, closeMatches } from './core/features';
export { CPUID_WORD_NAMES, LEVEL_NAMES, mergeRuntimeEnv, runtimeEnv, v8Flags } from './core/features';
export { cpuid, xgetbv } from './host/cpuid';

/** A stand-in for a module that requires it the first time one of its names is read. */
function room<T extends object>(load: () => T): T {
  let m: T | undefined;
  return new Proxy({} as T, { get: (_target, name) => Reflect.get((m ??= load()), name) });
}

const report = room(() => require('./core/report') as typeof CoreReport);
const nfd = room(() => require('./core/nfd') as typeof Nfd);
const hostReport = room(() => require('./host/report') as typeof HostReport);
const launcher = room(() => require('./launcher') as typeof Launcher);
const spawn = room(() => require('./spawn') as typeof Spawn);
const oci = room(() => require('./oci') as typeof Oci);

// One statement per name, in the shape node's ESM loader reads from a CommonJS module's text
// (cjs-module-lexer: a getter returning `identifier.name`), so that `import { spawn } from
// 'hwcap'` finds every name. (An ESM import reads every value at once, so it loads them all.)
Object.defineProperty(exports, 'parseReport', { enumerable: true, get: function () { return report.parseReport; } });
Object.defineProperty(exports, 'baseline', { enumerable: true, get: function () { return report.baseline; } });
Object.defineProperty(exports, 'check', { enumerable: true, get: function () { return report.check; } });
Object.defineProperty(exports, 'MixedArchError', { enumerable: true, get: function () { return report.MixedArchError; } });
Object.defineProperty(exports, 'NODE_REPORT_SCHEMA', { enumerable: true, get: function () { return report.NODE_REPORT_SCHEMA; } });
Object.defineProperty(exports, 'fromNodeFeatureDiscovery', { enumerable: true, get: function () { return nfd.fromNodeFeatureDiscovery; } });
Object.defineProperty(exports, 'libcInfo', { enumerable: true, get: function () { return hostReport.libcInfo; } });
Object.defineProperty(exports, 'resolveMode', { enumerable: true, get: function () { return launcher.resolveMode; } });
Object.defineProperty(exports, 'launcherPath', { enumerable: true, get: function () { return launcher.launcherPath; } });
Object.defineProperty(exports, 'probePath', { enumerable: true, get: function () { return launcher.probePath; } });
Object.defineProperty(exports, 'probeInheritance', { enumerable: true, get: function () { return launcher.probeInheritance; } });
Object.defineProperty(exports, 'probePtrace', { enumerable: true, get: function () { return launcher.probePtrace; } });
Object.defineProperty(exports, 'probe', { enumerable: true, get: function () { return launcher.probe; } });
Object.defineProperty(exports, 'nodeReport', { enumerable: true, get: function () { return launcher.nodeReport; } });
Object.defineProperty(exports, 'LAUNCHER_STAGES', { enumerable: true, get: function () { return launcher.LAUNCHER_STAGES; } });
Object.defineProperty(exports, 'release', { enumerable: true, get: function () { return launcher.release; } });
Object.defineProperty(exports, 'adopt', { enumerable: true, get: function () { return launcher.adopt; } });
Object.defineProperty(exports, 'HandoverError', { enumerable: true, get: function () { return launcher.HandoverError; } });
Object.defineProperty(exports, 'maskPlan', { enumerable: true, get: function () { return launcher.maskPlan; } });
Object.defineProperty(exports, 'BelowBaselineError', { enumerable: true, get: function () { return launcher.BelowBaselineError; } });
Object.defineProperty(exports, 'spawn', { enumerable: true, get: function () { return spawn.spawn; } });
Object.defineProperty(exports, 'spawnSync', { enumerable: true, get: function () { return spawn.spawnSync; } });
Object.defineProperty(exports, 'execFile', { enumerable: true, get: function () { return spawn.execFile; } });
Object.defineProperty(exports, 'execFileSync', { enumerable: true, get: function () { return spawn.execFileSync; } });
Object.defineProperty(exports, 'exec', { enumerable: true, get: function () { return spawn.exec; } });
Object.defineProperty(exports, 'execSync', { enumerable: true, get: function () { return spawn.execSync; } });
Object.defineProperty(exports, 'fork', { enumerable: true, get: function () { return spawn.fork; } });
Object.defineProperty(exports, 'OCI_ANNOTATIONS', { enumerable: true, get: function () { return oci.OCI_ANNOTATIONS; } });
Object.defineProperty(exports, 'MASK_ANNOTATION', { enumerable: true, get: function () { return oci.MASK_ANNOTATION; } });
Object.defineProperty(exports, 'OciError', { enumerable: true, get: function () { return oci.OciError; } });
Object.defineProperty(exports, 'decidePolicy', { enumerable: true, get: function () { return oci.decidePolicy; } });
Object.defineProperty(exports, 'policyFromAnnotations', { enumerable: true, get: function () { return oci.policyFromAnnotations; } });
Object.defineProperty(exports, 'readNodeConfig', { enumerable: true, get: function () { return oci.readNodeConfig; } });
Object.defineProperty(exports, 'editBundle', { enumerable: true, get: function () { return oci.editBundle; } });
Object.defineProperty(exports, 'editConfig', { enumerable: true, get: function () { return oci.editConfig; } });
Object.defineProperty(exports, 'editProcess', { enumerable: true, get: function () { return oci.editProcess; } });
Object.defineProperty(exports, 'maskOf', { enumerable: true, get: function () { return oci.maskOf; } });
Object.defineProperty(exports, 'filterCpuinfo', { enumerable: true, get: function () { return oci.filterCpuinfo; } });
