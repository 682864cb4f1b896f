// The packed tarball as a user installs it on arm64 (glibc), under qemu-user: the arm64 proving
// ground's node (Debian's arm64 nodejs in .arm64/sysroot, run by qemu-aarch64) runs npm 10
// (.arm64/npm) to install the tarball in a fresh project with node, npm, npx and sh alone on
// PATH; the install script runs in the arm64 node and takes prebuilds/linux-arm64. There
// require('hwcap') and `npx hwcap` work, and the shipped launcher and probe are static arm64
// executables that run. qemu-user passes an execve to the host kernel, which has no binfmt_misc
// handler for arm64 here, so a masked spawn cannot start an arm64 child: that test is skipped
// by a probe, and the launcher's masking on arm64 is what npm run test:arm64's qemu-system part
// checks (HWCAP_ARM64_PREBUILT makes it boot these very binaries).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { elfInterpreter } from '../../lib/host/prebuild';
import { repoRoot } from '../support/helpers';
import { BUILD_TOOLS, freshProject, packInfo, record, run, toolsBin, userEnv, type Run } from '../support/packed-fixture';

const arm64 = process.env.HWCAP_ARM64_DIR ?? path.join(repoRoot, '.arm64');
const sysroot = path.join(arm64, 'sysroot');
const armNode = path.join(sysroot, 'usr', 'bin', 'node');
const npmDir = path.join(arm64, 'npm', 'package');
const qemu = process.env.HWCAP_QEMU ?? '/usr/bin/qemu-aarch64';
const missing = [
  [armNode, 'the arm64 node (npm run test:arm64 or scripts/arm64/install.sh installs it)'],
  [path.join(npmDir, 'bin', 'npm-cli.js'), 'npm 10 for it (scripts/packed/run.sh fetches it)'],
  [qemu, 'qemu-aarch64 (scripts/arm64/install.sh)'],
].filter(([f]) => !fs.existsSync(f!));
const info = packInfo();
// Probed: can the arm64 node start an arm64 child (the sysroot's /bin/true) here?
const canExecArm64 =
  missing.length === 0 &&
  spawnSync(qemu, ['-L', sysroot, armNode, '-e', `process.exit(require('child_process').spawnSync(${JSON.stringify(path.join(sysroot, 'bin', 'true'))}).status === 0 ? 0 : 1)`], { timeout: 120_000 }).status === 0;
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
  bin = toolsBin('arm64-bin', `${qemu} -L ${sysroot} ${armNode}`, npmDir);
  project = freshProject('arm64-prebuilt');
  installed = run(path.join(bin, 'npm'), ['install', '--foreground-scripts', '--no-audit', '--no-fund', info.tarball], project, userEnv(bin), 900_000);
  pkg = path.join(project, 'node_modules', 'hwcap');
});

describe(`${info.filename} on linux-arm64 (glibc) under qemu-user, installed with no build tools`, () => {
  it('the node on PATH is the arm64 one, and PATH reaches no compiler, make or python', () => {
    const got = armJson('console.log(JSON.stringify({ arch: process.arch, version: process.version }))');
    expect(got.arch).toBe('arm64');
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
    record('arm64', { prebuiltInstallSeconds: installed.seconds });
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

  it.skipIf(!canExecArm64)(
    `a masked spawn through the prebuilt launcher hides a bit from the child${canExecArm64 ? '' : ' (skipped: the arm64 node cannot start an arm64 child here: qemu-user passes execve to the host kernel, which has no binfmt_misc handler for arm64; npm run test:arm64 masks with the launcher under qemu-system)'}`,
    () => {
      const got = armJson(`const h = require('hwcap'); const w = h.hwcapWords('kernel'); const bit = w.hwcap & -w.hwcap;
        const r = h.spawnSync(h.probePath(), [], { hwcaps: { ...w, hwcap: w.hwcap & ~bit }, encoding: 'utf8' });
        console.log(JSON.stringify({ status: r.status, error: r.error && r.error.message, seen: r.stdout && JSON.parse(r.stdout).process.hwcap, want: '0x' + (w.hwcap & ~bit).toString(16) }));`);
      expect(got.error).toBeUndefined();
      expect(got.seen).toBe(got.want);
    },
  );
});
