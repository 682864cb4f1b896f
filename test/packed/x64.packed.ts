// The packed tarball as a user installs it on x86-64 glibc: `npm install ./hwcap-0.1.0.tgz` in a
// fresh project with node, npm, npx and sh alone on PATH (no python3, make, cc, g++: no build is
// possible), which runs the package's install script as any install does; a second install under
// strace -f shows that nothing execs a compiler, make or python by a full path either (the machine
// has them in /usr/bin). There require('hwcap'),
// `npx hwcap`, a masked spawn and `hwcap exec` work with the prebuilt addon and launcher. For the
// figures, the same tarball installed with --build-from-source (today's install: node-gyp) with
// the machine's tools, and with --build-from-source and no tools, which must fail saying why.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { which } from '../support/helpers';
import { BUILD_TOOLS, freshProject, hostNpmDir, packInfo, record, run, toolsBin, userEnv, work, type Run } from '../support/packed-fixture';

const here = process.arch === 'x64' && process.platform === 'linux';
const strace = which('strace');
/** A compiler, assembler, linker, make, python or node-gyp, by the basename of what is exec'd. */
const BUILD_EXEC = /^(cc|c\+\+|cpp|gcc|g\+\+|clang|clang\+\+|musl-gcc|cc1|cc1plus|collect2|as|ld|ld\.\w+|make|gmake|python|python[0-9.]+|node-gyp)(-[0-9.]+)?$|-linux-(gnu|musl)-/;
const info = packInfo();
let project = '';
let bin = '';
let installed: Run;
let pkg = '';

const nodeJson = (code: string) => {
  const r = run(path.join(bin, 'node'), ['-e', code], project, userEnv(bin), 60_000);
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Record<string, unknown>;
};

beforeAll(() => {
  if (!here) return;
  bin = toolsBin('x64-bin', process.execPath, hostNpmDir());
  project = freshProject('x64-prebuilt');
  installed = run(path.join(bin, 'npm'), ['install', '--foreground-scripts', '--no-audit', '--no-fund', info.tarball], project, userEnv(bin));
  pkg = path.join(project, 'node_modules', 'hwcap');
});

describe.runIf(here)(`${info.filename} on linux-x64 (glibc), installed with no build tools`, () => {
  it('carries the addon, launcher and probe for linux-x64 and linux-arm64, executables with mode 0755, and no build/ or test/', () => {
    const files = new Map(info.files.map((f) => [f.path, f]));
    for (const arch of ['x64', 'arm64']) {
      expect(files.get(`prebuilds/linux-${arch}/hwcap.napi.glibc.node`)?.mode, arch).toBe(0o644);
      for (const exe of ['hwcap-exec', 'hwcap-probe']) expect(files.get(`prebuilds/linux-${arch}/${exe}`)?.mode, `${arch} ${exe}`).toBe(0o755);
    }
    // musl builds from source: no musl addon is shipped while no test loads one.
    expect(info.files.filter((f) => /musl/.test(f.path))).toEqual([]);
    expect(info.files.filter((f) => /^(build|test)\//.test(f.path))).toEqual([]);
    expect(files.has('scripts/install.js')).toBe(true);
  });

  it('the PATH of the install reaches no compiler, make or python', () => {
    const r = run('/bin/sh', ['-c', `for t in ${BUILD_TOOLS.join(' ')}; do command -v "$t"; done; exit 0`], project, userEnv(bin));
    expect(r.stdout).toBe('');
  });

  it.skipIf(!strace)(
    `an install traced with strace -f execs no compiler, make, python or node-gyp, though this machine has them${strace ? '' : ' (skipped: strace is not installed)'}`,
    () => {
      // PATH already reaches none of them; the trace shows that nothing runs one by a full path either.
      const dir = freshProject('x64-traced');
      const log = path.join(work, 'x64-traced.strace');
      const r = run(strace!, ['-f', '-qq', '-s', '256', '-e', 'trace=execve,execveat', '-e', 'signal=none', '-o', log, path.join(bin, 'npm'), 'install', '--foreground-scripts', '--no-audit', '--no-fund', info.tarball], dir, userEnv(bin));
      expect(r.status, r.stdout + r.stderr).toBe(0);
      expect(r.stdout + r.stderr).toContain('hwcap: using the prebuilt binaries in prebuilds/linux-x64 (glibc)');
      const execs = [...fs.readFileSync(log, 'utf8').matchAll(/execve(?:at)?\((?:\d+, )?"([^"]*)", \[([^\]]*)\]/g)].map((m) => ({ file: m[1]!, argv: m[2]! }));
      // The trace saw the install script run (sh -c 'node scripts/install.js', then node).
      expect(execs.some((e) => path.basename(e.file) === 'node' && e.argv.includes('"scripts/install.js"')), JSON.stringify(execs)).toBe(true);
      expect(execs.filter((e) => BUILD_EXEC.test(path.basename(e.file)))).toEqual([]);
    },
  );

  it('npm install runs the install script, which takes the prebuilt binaries: no build/, the launcher still 0755', () => {
    expect(installed.status, installed.stdout + installed.stderr).toBe(0);
    expect(installed.stdout + installed.stderr).toContain('hwcap: using the prebuilt binaries in prebuilds/linux-x64 (glibc)');
    // npm kept the execute bits itself: the install script did not have to set them again.
    expect(installed.stdout + installed.stderr).not.toContain('lost its execute bit');
    expect(fs.existsSync(path.join(pkg, 'build'))).toBe(false);
    for (const exe of ['hwcap-exec', 'hwcap-probe']) expect(fs.statSync(path.join(pkg, 'prebuilds', 'linux-x64', exe)).mode & 0o777, exe).toBe(0o755);
    record('x64', { tarballBytes: info.size, unpackedBytes: info.unpackedSize, prebuiltInstallSeconds: installed.seconds });
  });

  it("require('hwcap') loads the prebuilt addon and reads this process's words, as /proc/self/auxv has them", () => {
    const got = nodeJson(`const h = require('hwcap'); const { addonDir } = require('hwcap/dist/host/native.js');
      const auxv = require('fs').readFileSync('/proc/self/auxv'); let hw;
      for (let i = 0; i + 16 <= auxv.length; i += 16) if (auxv.readBigUInt64LE(i) === 16n) hw = auxv.readBigUInt64LE(i + 8);
      console.log(JSON.stringify({ addonDir, arch: h.FeatureSet.current().arch, kernel: String(h.hwcapWords('kernel').hwcap), proc: String(hw), launcher: h.launcherPath() }));`);
    expect(got.addonDir).toBe(path.join(fs.realpathSync(pkg), 'prebuilds', 'linux-x64'));
    expect(got.arch).toBe('x86_64');
    expect(got.kernel).toBe(got.proc);
    expect(got.launcher).toBe(path.join(fs.realpathSync(pkg), 'prebuilds', 'linux-x64', 'hwcap-exec'));
  });

  it('npx hwcap show --json prints the features', () => {
    const r = run(path.join(bin, 'npx'), ['hwcap', 'show', '--json'], project, userEnv(bin), 120_000);
    expect(r.status, r.stderr).toBe(0);
    const shown = JSON.parse(r.stdout) as { arch: string; names: string[] };
    expect(shown.arch).toBe('x86_64');
    expect(shown.names).toContain('fpu');
  });

  it("a masked spawn (hwcaps, ptrace mode's auxv) through the prebuilt launcher hides a bit from the child", () => {
    const got = nodeJson(`const h = require('hwcap'); const w = h.hwcapWords('kernel'); const bit = w.hwcap & -w.hwcap;
      const r = h.spawnSync(h.probePath(), [], { hwcaps: { ...w, hwcap: w.hwcap & ~bit }, auxvOnly: true, encoding: 'utf8' });
      const seen = JSON.parse(r.stdout); console.log(JSON.stringify({ status: r.status, bit: String(bit), process: seen.process.hwcap, kernel: seen.procAuxv.hwcap, want: '0x' + (w.hwcap & ~bit).toString(16), tracer: seen.tracerPid }));`);
    expect(got.status).toBe(0);
    expect(got.process).toBe(got.want);
    expect(got.kernel).toBe(got.want);
  });

  it('npx hwcap exec --drop fpu --auxv-only runs the probe without fpu in AT_HWCAP', () => {
    const probe = path.join(pkg, 'prebuilds', 'linux-x64', 'hwcap-probe');
    const plain = JSON.parse(run(probe, [], project, userEnv(bin)).stdout) as { process: { hwcap: string } };
    const r = run(path.join(bin, 'npx'), ['hwcap', 'exec', '--drop', 'fpu', '--auxv-only', '--', probe], project, userEnv(bin), 120_000);
    expect(r.status, r.stderr).toBe(0);
    const seen = JSON.parse(r.stdout) as { process: { hwcap: string } };
    expect(BigInt(plain.process.hwcap) & 1n).toBe(1n);
    expect(BigInt(seen.process.hwcap)).toBe(BigInt(plain.process.hwcap) & ~1n);
  });

  it('npm install --build-from-source with no build tools fails, naming what is missing', () => {
    const dir = freshProject('x64-forced-no-tools');
    const r = run(path.join(bin, 'npm'), ['install', '--foreground-scripts', '--build-from-source', info.tarball], dir, userEnv(bin));
    expect(r.status).not.toBe(0);
    expect(r.stdout + r.stderr).toMatch(/hwcap: building from source: --build-from-source \(npm_config_build_from_source=true\)/);
    expect(r.stdout + r.stderr).toMatch(/hwcap: cannot build from source: missing python3 .*; make .*; a C\+\+ compiler, g\+\+ .*; a C compiler, cc/);
  });

  it("npm install --build-from-source with the machine's tools builds with node-gyp, and the build is what loads (the install time of today's package)", () => {
    const dir = freshProject('x64-source');
    const env = { ...userEnv(process.env.PATH ?? ''), PATH: process.env.PATH ?? '' };
    const r = run('npm', ['install', '--foreground-scripts', '--build-from-source', info.tarball], dir, env);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    const built = path.join(dir, 'node_modules', 'hwcap', 'build', 'Release');
    for (const f of ['hwcap.node', 'hwcap-exec', 'hwcap-probe']) expect(fs.existsSync(path.join(built, f)), f).toBe(true);
    const got = run(process.execPath, ['-e', `require('hwcap'); console.log(require('hwcap/dist/host/native.js').addonDir)`], dir, env);
    expect(got.stdout.trim()).toBe(fs.realpathSync(built));
    record('x64-source', { sourceInstallSeconds: r.seconds });
  });
});
