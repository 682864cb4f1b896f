// The package's public surface (lib/index.ts): exactly the documented names, no internal helpers,
// and every type that a public signature uses can be named by a consumer.
import { describe, it, expect } from 'vitest';
import * as cp from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as h from '../lib';
import { HwcapError } from '../lib';
import { repoRoot } from './support/helpers';

/** The documented value exports, by group as lib/index.ts lists them. */
const DOCUMENTED = [
  // errors
  'HwcapError', 'AddonLoadError', 'ADDON_HINT',
  // the auxv as data
  'AT', 'atName', 'HWCAP_TYPES', 'wordsOf', 'applyMask', 'checkMask', 'parseAuxvBytes',
  // this process's auxv
  'readAuxv', 'getauxval', 'hwcapWords', 'writeAuxv', 'maskHwcaps', 'userHwcapEnabled', 'probeAuxvAccess', 'hasCapSysResource',
  // features, reports, baselines, NFD
  'FeatureSet', 'HwcapSchemaError', 'ARCHES', 'WORD_NAMES', 'FEATURESET_SCHEMA', 'catalog', 'normalizeArch', 'hostArch', 'decodeWords', 'closeMatches',
  'parseReport', 'baseline', 'check', 'MixedArchError', 'NODE_REPORT_SCHEMA', 'fromNodeFeatureDiscovery', 'libcInfo',
  // x86-64: CPUID, levels, runtime knobs
  'cpuid', 'xgetbv', 'CPUID_WORD_NAMES', 'LEVEL_NAMES', 'runtimeEnv', 'mergeRuntimeEnv', 'v8Flags',
  // this machine, the mode rule, the launcher
  'resolveMode', 'launcherPath', 'probePath', 'probeInheritance', 'probePtrace', 'probe', 'nodeReport', 'LAUNCHER_STAGES',
  // masked children
  'spawn', 'spawnSync', 'execFile', 'execFileSync', 'exec', 'execSync', 'fork',
  // checkpoint and restore
  'release', 'adopt', 'HandoverError',
  // the one mask plan
  'maskPlan', 'BelowBaselineError',
];

describe('public API', () => {
  it('exports exactly the documented names', () => {
    expect(Object.keys(h).sort()).toEqual([...DOCUMENTED].sort());
    const built = cp.spawnSync(process.execPath, ['-e', 'console.log(JSON.stringify(Object.keys(require(process.argv[1]))))', path.join(repoRoot, 'dist')], { encoding: 'utf8' });
    expect((JSON.parse(built.stdout) as string[]).sort()).toEqual([...DOCUMENTED].sort());
  });

  it('keeps the internal helpers out', () => {
    for (const name of ['invalidArgType', 'invalidArgValue', 'invalidArgValueType', 'outOfRange', 'inspectValue', 'fromSystemError', 'errnoOf', 'unknownSignal', 'native', 'addonDir', 'setHostProvider', 'wordsOfNames', 'hostWords', 'probeFrom', 'nodeReportFrom']) {
      expect(Object.keys(h)).not.toContain(name);
    }
  });

  it('HwcapError declares stage and detail as fields', () => {
    const e = new HwcapError({ errno: 1, syscall: 'ptrace(PTRACE_SEIZE)', stage: 'seize', detail: 'already traced' });
    expect(e).toMatchObject({ code: 'EPERM', stage: 'seize', detail: 'already traced' });
    expect(Object.keys(e)).toEqual(expect.arrayContaining(['stage', 'detail']));
    const bare = new HwcapError({ errno: 1, syscall: 'x' });
    expect('stage' in bare).toBe(false);
    expect('detail' in bare).toBe(false);
    const dts = fs.readFileSync(path.join(repoRoot, 'dist', 'errors.d.ts'), 'utf8');
    expect(dts).toMatch(/readonly stage\?: string;/);
    expect(dts).toMatch(/readonly detail\?: string;/);
  });

  it('a consumer can name every type of the public signatures (strict tsc over dist/index.d.ts)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hwcap-consumer-'));
    try {
      const file = path.join(dir, 'consumer.ts');
      fs.writeFileSync(
        file,
        `import * as h from ${JSON.stringify(path.join(repoRoot, 'dist', 'index'))};
import type { ExecFileCallback, WordsCarrier, HwcapsOption, HwcapSpawnOptions, SpawnOptions, SpawnSyncOptions, ExecFileOptions,
  ExecFileSyncOptions, ExecOptions, ExecSyncOptions, ForkOptions, SpawnMode, ModeFacts, InheritanceProbe, PtraceProbe,
  ProbeResult, ProbeOptions, LauncherStage, HwcapErrorInit, HwcapMask, HwcapWords, Arch, NodeReport,
  MaskPlan, MaskPlanOptions, MaskPlanJSON, LauncherOptions } from ${JSON.stringify(path.join(repoRoot, 'dist', 'index'))};
const cb: ExecFileCallback = (err, stdout, stderr) => void [err, stdout, stderr];
const carrier: WordsCarrier = h.FeatureSet.fromWords('x86_64', {});
const keep: HwcapsOption = carrier;
const o: HwcapSpawnOptions = { hwcaps: keep, mode: 'auto' as SpawnMode };
const s: SpawnOptions = { ...o, stdio: 'pipe' };
const ss: SpawnSyncOptions = { ...o };
const ef: ExecFileOptions = { ...o, timeout: 1 };
const efs: ExecFileSyncOptions = { ...o };
const e: ExecOptions = { ...o };
const es: ExecSyncOptions = { ...o };
const f: ForkOptions = { ...o };
const facts: ModeFacts = { inheritance: (): InheritanceProbe => ({ inherits: false, reason: '' }), ptrace: { ok: true, reason: '' } as PtraceProbe };
const mode: 'kernel' | 'ptrace' | null = h.resolveMode('auto', facts);
const stage: LauncherStage | undefined = h.LAUNCHER_STAGES[0];
const init: HwcapErrorInit = { errno: 1, syscall: 'x', stage: 'seize', detail: 'd' };
const err = new h.HwcapError(init);
const st: string | undefined = err.stage;
const dt: string | undefined = err.detail;
const m: HwcapMask = { hwcap: 1n };
const w: HwcapWords = { hwcap: 0n, hwcap2: 0n, hwcap3: 0n, hwcap4: 0n };
const a: Arch = 'x86_64';
let r: ProbeResult | undefined; let po: ProbeOptions = {}; let nr: NodeReport | undefined;
h.execFile('true', [], ef, cb);
const planOptions: MaskPlanOptions = { mode: 'auto', allowBelowBaseline: false };
let plan: MaskPlan | undefined; let pj: MaskPlanJSON | undefined; let lo: LauncherOptions | undefined;
const below: readonly string[] = new h.BelowBaselineError(['fpu']).features;
export default [cb, s, ss, efs, e, es, f, mode, stage, st, dt, m, w, a, r, po, nr, planOptions, plan, pj, lo, below];
`,
      );
      const tsc = path.join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc');
      const res = cp.spawnSync(process.execPath, [tsc, '--noEmit', '--strict', '--noUnusedLocals', '--target', 'ES2022', '--module', 'commonjs', '--moduleResolution', 'node', '--types', 'node', '--typeRoots', path.join(repoRoot, 'node_modules', '@types'), file], { encoding: 'utf8', timeout: 60_000 });
      expect(res.stdout + res.stderr).toBe('');
      expect(res.status).toBe(0);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 180_000);
});
