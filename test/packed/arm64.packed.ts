// The packed tarball as a user installs it on arm64 (glibc), under qemu-user: Debian trixie's
// arm64 node (Node 20, the oldest the package supports; scripts/arm64/node.sh unpacks it into
// .arm64/trixie/sysroot), run by qemu-aarch64, runs the host's npm to install the tarball in a
// fresh project with node, npm, npx and sh alone on PATH; the install script runs in the arm64
// node and takes prebuilds/linux-arm64. There require('hwcap') and `npx hwcap` work, and the
// shipped launcher and probe are static arm64 executables that run.
//
// Masking cannot work under qemu-user: it does not emulate ptrace (PTRACE_SEIZE is ENOSYS or
// EINVAL), and it hands an execve to the host kernel, which starts an arm64 child only through a
// binfmt_misc handler (none here). So from the installed package `hwcap exec --drop asimd`
// and a masked spawnSync must fail closed: the plan carries the arm64 words without asimd and
// names the arm64 launcher, and the probe never runs. The masked spawn that would succeed is
// gated by test/arm64's auxv-probe (its ptraceSeize and execArm64); the launcher's masking on
// arm64 is what npm run test:arm64's qemu-system part checks (HWCAP_ARM64_PREBUILT makes it boot
// these very binaries).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { elfInterpreter } from '../../lib/host/prebuild';
import { repoRoot } from '../support/helpers';
import { BUILD_TOOLS, freshProject, hostNpmDir, packInfo, record, run, toolsBin, userEnv, type Run } from '../support/packed-fixture';

const arm64 = process.env.HWCAP_ARM64_DIR ?? path.join(repoRoot, '.arm64');
const sysroot = path.join(arm64, 'trixie', 'sysroot');
const armNode = path.join(sysroot, 'usr', 'bin', 'node');
const auxvProbe = path.join(arm64, 'pkg', 'test', 'auxv-probe');
const qemu = process.env.HWCAP_QEMU ?? '/usr/bin/qemu-aarch64';
const missing = [
  [armNode, 'the arm64 node 20 (scripts/arm64/node.sh, which npm run test:packed runs, unpacks it)'],
  [auxvProbe, "test/arm64's probe (scripts/arm64/build.sh, which npm run prebuilds runs, builds it)"],
  [qemu, 'qemu-aarch64 (scripts/arm64/install.sh)'],
].filter(([f]) => !fs.existsSync(f!));
const info = packInfo();
// The Debian package of the arm64 node, as the sysroot's stamp names it ("nodejs:arm64 20.19.2+dfsg-1…").
const stamp = path.join(sysroot, '.hwcap-sysroot');
const nodePackage = fs.existsSync(stamp) ? fs.readFileSync(stamp, 'utf8').split('\n')[0]!.trim() : 'no arm64 node';
const engines = Number(/^>=\s*(\d+)/.exec((JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { engines: { node: string } }).engines.node)![1]);

// Probed with test/arm64's auxv-probe, run by the same qemu-aarch64: can an emulated process
// ptrace a child, and execve an arm64 program? A masked spawn needs both.
interface Outcome {
  ok: boolean;
  errno?: string;
}
const probed = (() => {
  if (missing.length) return { error: 'not run (missing files, see beforeAll)' };
  const r = spawnSync(qemu, ['-L', sysroot, auxvProbe], { encoding: 'utf8', timeout: 120_000 });
  try {
    return JSON.parse(r.stdout) as { stack: { AT_HWCAP: string }; ptraceSeize: Outcome; execArm64: Outcome; error?: undefined };
  } catch {
    return { error: `auxv-probe under qemu-aarch64 printed no JSON (status ${r.status}): ${r.stderr}${r.error?.message ?? ''}` };
  }
})();
const cannotMask =
  probed.error ??
  [
    probed.ptraceSeize.ok ? '' : `qemu-user answers ptrace(PTRACE_SEIZE) with ${probed.ptraceSeize.errno ?? 'failure'}`,
    probed.execArm64.ok ? '' : `an execve of an arm64 child fails with ${probed.execArm64.errno ?? 'failure'} (no binfmt_misc handler for arm64)`,
  ]
    .filter(Boolean)
    .join('; ');
let project = '';
let bin = '';
let pkg = '';
let installed: Run;

/** A program run by qemu-aarch64 with the sysroot's libraries. */
const inQemu = (exe: string, args: string[]) => run(qemu, ['-L', sysroot, exe, ...args], project, userEnv(bin), 300_000);
const armJson = (code: string) => {
  const r = run(path.join(bin, 'node'), ['-e', code], project, userEnv(bin), 300_000);
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as Record<string, unknown>;
};

beforeAll(() => {
  if (missing.length) throw new Error(`cannot run the arm64 install: missing ${missing.map(([f, what]) => `${f}, ${what}`).join('; ')}`);
  bin = toolsBin('arm64-bin', `${qemu} -L ${sysroot} ${armNode}`, hostNpmDir());
  project = freshProject('arm64-prebuilt');
  installed = run(path.join(bin, 'npm'), ['install', '--foreground-scripts', '--no-audit', '--no-fund', info.tarball], project, userEnv(bin), 900_000);
  pkg = path.join(project, 'node_modules', 'hwcap');
});

describe(`${info.filename} on linux-arm64 (glibc) under qemu-user with ${nodePackage}, installed with no build tools`, () => {
  it(`the node on PATH is the arm64 one, a Node the package supports (engines: >= ${engines}), and PATH reaches no compiler, make or python`, () => {
    const got = armJson('console.log(JSON.stringify({ arch: process.arch, version: process.version }))');
    expect(got.arch).toBe('arm64');
    expect(Number(/^v(\d+)\./.exec(got.version as string)![1]), `arm64 node ${got.version as string}`).toBeGreaterThanOrEqual(engines);
    expect(nodePackage).toContain(` ${(got.version as string).slice(1)}`);
    const r = run('/bin/sh', ['-c', `for t in ${BUILD_TOOLS.join(' ')}; do command -v "$t"; done; exit 0`], project, userEnv(bin));
    expect(r.stdout).toBe('');
  });

  it('npm install runs the install script in the arm64 node, which takes prebuilds/linux-arm64: no build/, executables 0755', () => {
    expect(installed.status, installed.stdout + installed.stderr).toBe(0);
    expect(installed.stdout + installed.stderr).toContain('hwcap: using the prebuilt binaries in prebuilds/linux-arm64 (glibc)');
    // npm kept the execute bits itself: the install script did not have to set them again.
    expect(installed.stdout + installed.stderr).not.toContain('lost its execute bit');
    expect(fs.existsSync(path.join(pkg, 'build'))).toBe(false);
    for (const exe of ['hwcap-exec', 'hwcap-probe']) expect(fs.statSync(path.join(pkg, 'prebuilds', 'linux-arm64', exe)).mode & 0o777, exe).toBe(0o755);
    record('arm64', { prebuiltInstallSeconds: installed.seconds, node: nodePackage });
  });

  it("require('hwcap') loads the prebuilt arm64 addon; its libc words are those the shipped hwcap-probe sees", () => {
    const got = armJson(`const h = require('hwcap'); const { addonDir } = require('hwcap/dist/host/native.js');
      const w = h.hwcapWords('libc'); const hex = (v) => '0x' + v.toString(16);
      console.log(JSON.stringify({ addonDir, arch: h.FeatureSet.current('libc').arch, names: h.FeatureSet.current('libc').names(), libc: { hwcap: hex(w.hwcap), hwcap2: hex(w.hwcap2) } }));`);
    expect(got.addonDir).toBe(path.join(fs.realpathSync(pkg), 'prebuilds', 'linux-arm64'));
    expect(got.arch).toBe('aarch64');
    const probe = inQemu(path.join(pkg, 'prebuilds', 'linux-arm64', 'hwcap-probe'), []);
    expect(probe.status, probe.stderr).toBe(0);
    const seen = JSON.parse(probe.stdout) as { libc: { hwcap: string; hwcap2: string } };
    expect(got.libc).toEqual({ hwcap: seen.libc.hwcap, hwcap2: seen.libc.hwcap2 });
    expect((got.names as string[]).length).toBeGreaterThan(10);
  });

  it('npx hwcap show --view libc --json prints the arm64 features', () => {
    const r = run(path.join(bin, 'npx'), ['hwcap', 'show', '--view', 'libc', '--json'], project, userEnv(bin), 300_000);
    expect(r.status, r.stderr).toBe(0);
    const shown = JSON.parse(r.stdout) as { arch: string; names: string[] };
    expect(shown.arch).toBe('aarch64');
    expect(shown.names).toEqual(expect.arrayContaining(['fp', 'asimd']));
  });

  it("the shipped launcher is a static arm64 executable that runs: --list-stages as the x86-64 one lists them", () => {
    const launcher = path.join(pkg, 'prebuilds', 'linux-arm64', 'hwcap-exec');
    expect(fs.readFileSync(launcher).readUInt16LE(18)).toBe(183); // e_machine EM_AARCH64
    expect(elfInterpreter(launcher)).toBeUndefined();
    const r = inQemu(launcher, ['--list-stages']);
    expect(r.status, r.stderr).toBe(0);
    const host = run(path.join(repoRoot, 'prebuilds', 'linux-x64', 'hwcap-exec'), ['--list-stages'], project, userEnv(bin));
    expect(r.stdout.split('\n').length).toBeGreaterThan(5);
    expect(r.stdout).toBe(host.stdout);
  });

  it("the probe that gates masking (test/arm64's auxv-probe) runs under qemu-aarch64", () => {
    expect(probed.error).toBeUndefined();
  });

  it.runIf(!!cannotMask)(
    `masking from the installed package fails closed: hwcap exec --drop asimd plans the arm64 words without asimd for the arm64 launcher and exits 125, a masked spawnSync ends in a HwcapError, and the probe never runs${cannotMask ? ` (masking cannot work here: ${cannotMask})` : ' (skipped: qemu-user here can ptrace and start an arm64 child, so the masked spawn below runs instead)'}`,
    () => {
      // HWCAP_ASIMD is bit 1 of AT_HWCAP (arch/arm64/include/uapi/asm/hwcap.h); the words as the
      // auxv-probe read them from its startup stack, under the same qemu CPU.
      if (probed.error !== undefined) throw new Error(probed.error);
      const asimd = 1n << 1n;
      const want = `0x${(BigInt(probed.stack.AT_HWCAP) & ~asimd).toString(16)}`;
      const probe = path.join(pkg, 'prebuilds', 'linux-arm64', 'hwcap-probe');
      // The bin link npm made (npx resolves to it; npx hwcap show above goes through npx, whose own
      // start under qemu-user costs about 10 s).
      const r = run(path.join(project, 'node_modules', '.bin', 'hwcap'), ['exec', '--json', '--drop', 'asimd', '--', probe], project, userEnv(bin), 300_000);
      // --json prints the plan on stderr before the launcher runs.
      const line = r.stderr.split('\n').find((l) => l.startsWith('{"arch"'));
      expect(line, r.stderr).toBeDefined();
      const plan = JSON.parse(line!) as { arch: string; dropped: string[]; words: { AT_HWCAP: string }; launcher: string[] };
      expect(plan.arch).toBe('aarch64');
      expect(plan.dropped).toEqual(['asimd']);
      expect(plan.words.AT_HWCAP).toBe(want);
      expect(plan.launcher.join(' ')).toContain(`--hwcap ${want}`);
      expect(r.status, r.stderr).toBe(125);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/hwcap exec: cannot run \S+hwcap-probe masked/);

      const got = armJson(`const h = require('hwcap'); const w = h.hwcapWords('kernel');
        const r = h.spawnSync(h.probePath(), [], { hwcaps: { ...w, hwcap: w.hwcap & ~${asimd}n }, encoding: 'utf8' });
        console.log(JSON.stringify({ launcher: h.launcherPath(), status: r.status, error: r.error && { name: r.error.name, stage: r.error.stage, message: r.error.message }, stdout: r.stdout }));`);
      expect(got.launcher).toBe(path.join(fs.realpathSync(pkg), 'prebuilds', 'linux-arm64', 'hwcap-exec'));
      expect(got.error).toMatchObject({ name: 'HwcapError' });
      expect(got.status).toBeNull();
      expect(got.stdout ?? '').toBe('');
    },
  );

  it.skipIf(!!cannotMask)(
    `a masked spawn through the prebuilt launcher hides a bit from the child${cannotMask ? ` (skipped: ${cannotMask}; npm run test:arm64 masks with the launcher under qemu-system)` : ''}`,
    () => {
      const got = armJson(`const h = require('hwcap'); const w = h.hwcapWords('kernel'); const bit = w.hwcap & -w.hwcap;
        const r = h.spawnSync(h.probePath(), [], { hwcaps: { ...w, hwcap: w.hwcap & ~bit }, encoding: 'utf8' });
        console.log(JSON.stringify({ status: r.status, error: r.error && r.error.message, seen: r.stdout && JSON.parse(r.stdout).process.hwcap, want: '0x' + (w.hwcap & ~bit).toString(16) }));`);
      expect(got.error).toBeUndefined();
      expect(got.seen).toBe(got.want);
    },
  );
});
