// Where the addon is loaded from (lib/host/prebuild.ts) and what the install script decides
// (scripts/install.js), on copies of the package made from this checkout's build: the source
// build wins over prebuilt binaries, the prebuilt ones are taken by this node's C library (its
// ELF interpreter), and an install with no build tools says what is missing. The packed
// tarball itself is installed and used by npm run test:packed (test/packed).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectLibc, elfInterpreter, findAddon, libcOfInterpreter, prebuildAddonName, prebuildDir } from '../../lib/host/prebuild';
import { repoRoot, which } from '../support/helpers';

const release = path.join(repoRoot, 'build', 'Release');
const where = `${process.platform}-${process.arch}`;
const report = process.report.getReport() as { header: { glibcVersionRuntime?: string } };
const glibcNode = typeof report.header.glibcVersionRuntime === 'string';
const musl = which('musl-gcc');
let tmp = '';

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hwcap-prebuild-'));
});
afterAll(() => {
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

/**
 * A copy of the package as the packed tarball has it (package.json, dist/, scripts/install.js),
 * with this checkout's binaries as its prebuilt ones and, if asked, as its own build too.
 */
function makePackage(name: string, opts: { build?: boolean; prebuilt?: boolean; checkout?: boolean } = {}): string {
  const pkg = path.join(tmp, name);
  fs.mkdirSync(path.join(pkg, 'scripts'), { recursive: true });
  fs.copyFileSync(path.join(repoRoot, 'package.json'), path.join(pkg, 'package.json'));
  fs.cpSync(path.join(repoRoot, 'dist'), path.join(pkg, 'dist'), { recursive: true });
  fs.copyFileSync(path.join(repoRoot, 'scripts', 'install.js'), path.join(pkg, 'scripts', 'install.js'));
  if (opts.prebuilt !== false) {
    const dir = prebuildDir(pkg);
    fs.mkdirSync(dir, { recursive: true });
    fs.copyFileSync(path.join(release, 'hwcap.node'), path.join(dir, prebuildAddonName('glibc')));
    for (const exe of ['hwcap-exec', 'hwcap-probe']) fs.copyFileSync(path.join(release, exe), path.join(dir, exe));
  }
  if (opts.build) {
    const dir = path.join(pkg, 'build', 'Release');
    fs.mkdirSync(dir, { recursive: true });
    for (const f of ['hwcap.node', 'hwcap-exec', 'hwcap-probe']) fs.copyFileSync(path.join(release, f), path.join(dir, f));
  }
  if (opts.checkout) fs.mkdirSync(path.join(pkg, 'test', 'launcher'), { recursive: true });
  return pkg;
}

/** A PATH holding node alone: no python3, make, cc or g++. */
function nodeOnlyPath(): string {
  const bin = path.join(tmp, 'node-only-bin');
  if (!fs.existsSync(bin)) {
    fs.mkdirSync(bin);
    fs.symlinkSync(process.execPath, path.join(bin, 'node'));
  }
  return bin;
}

function install(pkg: string, env: Record<string, string> = {}) {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(npm_|HWCAP_BUILD_FROM_SOURCE$|CC$|CXX$|PYTHON$)/.test(k)));
  const r = spawnSync(process.execPath, [path.join(pkg, 'scripts', 'install.js')], {
    cwd: pkg,
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...clean, PATH: nodeOnlyPath(), ...env },
  });
  return { status: r.status, stderr: r.stderr, built: fs.existsSync(path.join(pkg, 'build')) };
}

describe("this node's C library, from its ELF interpreter", () => {
  it('elfInterpreter(/proc/self/exe) names the dynamic loader /proc/self/maps shows mapped in this process', () => {
    const interp = elfInterpreter('/proc/self/exe');
    expect(interp, 'node is dynamically linked here').toBeDefined();
    const mapped = new Set(
      fs
        .readFileSync('/proc/self/maps', 'utf8')
        .split('\n')
        .map((l) => l.split(/\s+/)[5])
        .filter((p): p is string => !!p && p.startsWith('/')),
    );
    expect(mapped.has(fs.realpathSync(interp!)), `${interp} among ${[...mapped].join(' ')}`).toBe(true);
  });

  it.runIf(glibcNode)("detectLibc() is 'glibc' where process.report names glibc's runtime version", () => {
    expect(libcOfInterpreter(elfInterpreter('/proc/self/exe')!)).toBe('glibc');
    expect(detectLibc()).toBe('glibc');
  });

  it.runIf(glibcNode && fs.existsSync('/lib') && fs.readdirSync('/lib').some((f) => f.startsWith('ld-musl-')))(
    "a musl loader in /lib (musl installed beside glibc) does not make this glibc node 'musl'",
    () => {
      expect(detectLibc()).toBe('glibc');
    },
  );

  it.skipIf(!musl)(`a program linked by musl-gcc is musl's: its interpreter is ld-musl-*${musl ? '' : ' (skipped: no musl-gcc)'}`, () => {
    const src = path.join(tmp, 'musl.c');
    const exe = path.join(tmp, 'musl-dynamic');
    fs.writeFileSync(src, 'int main(void) { return 0; }\n');
    const cc = spawnSync(musl!, ['-o', exe, src], { encoding: 'utf8' });
    expect(cc.status, cc.stderr).toBe(0);
    expect(path.basename(elfInterpreter(exe)!)).toMatch(/^ld-musl-/);
    expect(detectLibc(exe)).toBe('musl');
  });

  it.skipIf(!musl)(`a static executable has no interpreter; then process.report decides (glibc here, else unknown)${musl ? '' : ' (skipped: no musl-gcc)'}`, () => {
    // Linked here with -static: the build's own launcher is dynamic in the sanitized build (test:asan).
    const src = path.join(tmp, 'static.c');
    const exe = path.join(tmp, 'static');
    fs.writeFileSync(src, 'int main(void) { return 0; }\n');
    const cc = spawnSync(musl!, ['-static', '-o', exe, src], { encoding: 'utf8' });
    expect(cc.status, cc.stderr).toBe(0);
    expect(elfInterpreter(exe)).toBeUndefined();
    expect(detectLibc(exe)).toBe(glibcNode ? 'glibc' : undefined);
  });

  it('a file that is not ELF, a truncated ELF header or a missing file has no interpreter, and nothing throws', () => {
    const text = path.join(tmp, 'text');
    fs.writeFileSync(text, '#!/bin/sh\necho hi\n');
    const truncated = path.join(tmp, 'truncated');
    fs.writeFileSync(truncated, fs.readFileSync(process.execPath).subarray(0, 70));
    for (const f of [text, truncated, path.join(tmp, 'absent')]) expect(elfInterpreter(f), f).toBeUndefined();
    expect(libcOfInterpreter('/lib/ld-musl-aarch64.so.1')).toBe('musl');
    expect(libcOfInterpreter('/lib/ld-linux-aarch64.so.1')).toBe('glibc');
    expect(libcOfInterpreter('/lib64/ld-linux-x86-64.so.2')).toBe('glibc');
    expect(libcOfInterpreter('/system/bin/linker64')).toBeUndefined();
  });
});

describe('which addon is loaded', () => {
  it('the source build (build/Release) wins over a prebuilt addon; without it, the prebuilt one for this C library', () => {
    const both = makePackage('both', { build: true });
    expect(findAddon(both, () => 'glibc')).toMatchObject({ file: path.join(both, 'build', 'Release', 'hwcap.node'), prebuilt: false });
    const pre = makePackage('pre');
    const found = findAddon(pre, () => 'glibc');
    expect(found).toMatchObject({ file: path.join(prebuildDir(pre), 'hwcap.napi.glibc.node'), prebuilt: true, libc: 'glibc' });
    expect(found.tried).toEqual([path.join(pre, 'build', 'Release', 'hwcap.node'), path.join(pre, 'build', 'Debug', 'hwcap.node'), found.file]);
    // A musl node never takes the glibc addon, and a node whose C library is unknown takes none.
    const forMusl = findAddon(pre, () => 'musl');
    expect(forMusl.file).toBeUndefined();
    expect(forMusl.tried.at(-1)).toBe(path.join(prebuildDir(pre), 'hwcap.napi.musl.node'));
    expect(findAddon(pre, () => undefined).file).toBeUndefined();
  });

  it(`a package with only prebuilds/${where} loads it, finds the launcher beside it and masks a child with it; adding build/Release switches to that`, () => {
    const pkg = makePackage('loads');
    const code = `const h = require(${JSON.stringify(pkg)});
      const { addonDir } = require(${JSON.stringify(path.join(pkg, 'dist', 'host', 'native.js'))});
      const w = h.hwcapWords('kernel');
      const bit = w.hwcap & -w.hwcap;
      const probe = h.probePath();
      const r = h.spawnSync(probe, [], { hwcaps: { ...w, hwcap: w.hwcap & ~bit }, auxvOnly: true, encoding: 'utf8' });
      const seen = BigInt(JSON.parse(r.stdout).process.hwcap);
      console.log(JSON.stringify({ addonDir, launcher: h.launcherPath(), probe, status: r.status, bit: String(bit), cleared: (seen & bit) === 0n, kept: seen === (w.hwcap & ~bit) }));`;
    const run = () => spawnSync(process.execPath, ['-e', code], { encoding: 'utf8', timeout: 30_000 });
    const a = run();
    expect(a.status, a.stderr).toBe(0);
    const got = JSON.parse(a.stdout) as Record<string, unknown>;
    expect(got).toMatchObject({ addonDir: prebuildDir(pkg), launcher: path.join(prebuildDir(pkg), 'hwcap-exec'), probe: path.join(prebuildDir(pkg), 'hwcap-probe'), status: 0, cleared: true, kept: true });
    fs.mkdirSync(path.join(pkg, 'build', 'Release'), { recursive: true });
    for (const f of ['hwcap.node', 'hwcap-exec', 'hwcap-probe']) fs.copyFileSync(path.join(release, f), path.join(pkg, 'build', 'Release', f));
    const b = run();
    expect(b.status, b.stderr).toBe(0);
    expect(JSON.parse(b.stdout)).toMatchObject({ addonDir: path.join(pkg, 'build', 'Release'), launcher: path.join(pkg, 'build', 'Release', 'hwcap-exec'), status: 0, cleared: true });
  });
});

describe('the install script, with no build tools on PATH', () => {
  it.runIf(glibcNode)('takes the prebuilt binaries that fit: exit 0, no build/, and says so', () => {
    const pkg = makePackage('install-pre');
    const r = install(pkg);
    expect(r.status, r.stderr).toBe(0);
    expect(r.built).toBe(false);
    expect(r.stderr).toBe(`hwcap: using the prebuilt binaries in prebuilds/${where} (glibc)\n`);
  });

  it.runIf(glibcNode)('gives a prebuilt launcher and probe that lost their execute bit (node-pty #850) the bit back', () => {
    const pkg = makePackage('install-mode');
    for (const exe of ['hwcap-exec', 'hwcap-probe']) fs.chmodSync(path.join(prebuildDir(pkg), exe), 0o644);
    const r = install(pkg);
    expect(r.status, r.stderr).toBe(0);
    for (const exe of ['hwcap-exec', 'hwcap-probe']) {
      expect(fs.statSync(path.join(prebuildDir(pkg), exe)).mode & 0o777, exe).toBe(0o755);
      expect(r.stderr).toContain(`prebuilds/${where}/${exe} had lost its execute bit; set it again`);
    }
  });

  const missing = [
    'missing python3 (Debian: python3; Alpine: python3)',
    'make (Debian: make; Alpine: make)',
    'a C++ compiler, g++ (Debian: g++; Alpine: g++)',
    'a C compiler, cc (Debian: gcc; Alpine: gcc musl-dev linux-headers)',
  ].join('; ');

  const sourceCases: [string, { opts?: Parameters<typeof makePackage>[1]; env?: Record<string, string>; edit?: (pkg: string) => void; why: RegExp }][] = [
    ['--build-from-source', { env: { npm_config_build_from_source: 'true' }, why: /--build-from-source \(npm_config_build_from_source=true\)/ }],
    ['npm_config_build_from_source naming hwcap', { env: { npm_config_build_from_source: 'other,hwcap' }, why: /npm_config_build_from_source=other,hwcap/ }],
    ['HWCAP_BUILD_FROM_SOURCE=1', { env: { HWCAP_BUILD_FROM_SOURCE: '1' }, why: /HWCAP_BUILD_FROM_SOURCE is set/ }],
    ['a checkout (test/launcher present), even with prebuilds', { opts: { checkout: true }, why: /a checkout builds its own binaries/ }],
    ['no prebuilt addon for this arch', { opts: { prebuilt: false }, why: new RegExp(`no prebuilt addon for ${where} \\(glibc\\) in this package`) }],
    [
      'a prebuilt addon that does not load here',
      { edit: (pkg) => fs.writeFileSync(path.join(prebuildDir(pkg), 'hwcap.napi.glibc.node'), 'not an ELF file\n'.repeat(400)), why: new RegExp(`the prebuilt addon for ${where} \\(glibc\\) does not load here: .*invalid ELF header`) },
    ],
  ];
  for (const [name, c] of sourceCases) {
    it.runIf(glibcNode)(`builds from source for ${name}, and names every missing tool`, () => {
      const pkg = makePackage(`install-src-${name.replace(/\W+/g, '-')}`, c.opts);
      c.edit?.(pkg);
      const r = install(pkg, c.env);
      expect(r.status).toBe(1);
      expect(r.built).toBe(false);
      const lines = r.stderr.split('\n');
      expect(lines[0]).toMatch(/^hwcap: building from source: /);
      expect(lines[0]).toMatch(c.why);
      expect(lines[1]).toMatch(new RegExp(`^hwcap: cannot build from source: ${missing.replace(/[()+]/g, '\\$&')}`));
    });
  }

  it.runIf(glibcNode)("says where Node's headers would come from: not cached (node-gyp downloads them), or missing from npm_config_nodedir", () => {
    const home = path.join(tmp, 'empty-home');
    fs.mkdirSync(home, { recursive: true });
    const forced = { npm_config_build_from_source: 'true', HOME: home, XDG_CACHE_HOME: path.join(home, '.cache') };
    let r = install(makePackage('install-headers-none'), forced);
    expect(r.stderr.split('\n')[1]).toMatch(new RegExp(`; and Node's headers for ${process.version.replace(/\./g, '\\.')} are not cached; node-gyp downloads them \\(offline: install them`));
    r = install(makePackage('install-headers-bad'), { ...forced, npm_config_nodedir: path.join(tmp, 'no-node-here') });
    expect(r.stderr.split('\n')[1]).toContain(`; and Node's headers are not in npm_config_nodedir=${path.join(tmp, 'no-node-here')} (include/node/node_api.h)`);
    const headers = path.join(tmp, 'headers');
    fs.mkdirSync(path.join(headers, 'include', 'node'), { recursive: true });
    fs.writeFileSync(path.join(headers, 'include', 'node', 'node_api.h'), '');
    r = install(makePackage('install-headers-ok'), { ...forced, npm_config_nodedir: headers });
    expect(r.stderr.split('\n')[1]).not.toMatch(/Node's headers/);
  });

  it.runIf(glibcNode)('npm_config_build_from_source=false, or naming another package, does not force a build', () => {
    for (const v of ['false', '', 'other']) {
      const r = install(makePackage(`install-noforce-${v || 'empty'}`), { npm_config_build_from_source: v });
      expect(r.status, `${v}: ${r.stderr}`).toBe(0);
      expect(r.built).toBe(false);
    }
  });
});

describe('prepack: npm pack and npm publish only with fresh prebuilt binaries', () => {
  it('fails without them or with ones older than their sources; another pack (a git dependency) only warns', () => {
    const root = path.join(tmp, 'prepack');
    const sources = ['native/common/x.c', 'binding.gyp', 'scripts/build-launcher.sh', 'scripts/gen-security-header.js', 'lib/core/tables/security.json'];
    for (const f of sources) {
      fs.mkdirSync(path.dirname(path.join(root, f)), { recursive: true });
      fs.writeFileSync(path.join(root, f), '');
    }
    fs.copyFileSync(path.join(repoRoot, 'scripts', 'prebuild.sh'), path.join(root, 'scripts', 'prebuild.sh'));
    const check = (env: Record<string, string> = {}) => spawnSync('bash', [path.join(root, 'scripts', 'prebuild.sh'), '--check'], { encoding: 'utf8', env: { PATH: process.env.PATH, npm_command: 'pack', ...env } });
    const files = ['x64', 'arm64'].flatMap((a) => ['hwcap.napi.glibc.node', 'hwcap-exec', 'hwcap-probe'].map((f) => `prebuilds/linux-${a}/${f}`));
    let r = check();
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n')).toEqual(files.map((f) => `prebuild: ${f} is missing: run npm run prebuilds before packing`));
    const past = new Date(Date.now() - 3600_000);
    for (const f of sources) fs.utimesSync(path.join(root, f), past, past);
    for (const f of files) {
      fs.mkdirSync(path.dirname(path.join(root, f)), { recursive: true });
      fs.writeFileSync(path.join(root, f), '');
    }
    r = check({ npm_command: 'publish' });
    expect(r.status, r.stderr).toBe(0);
    fs.utimesSync(path.join(root, 'native/common/x.c'), new Date(), new Date(Date.now() + 60_000));
    r = check();
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('prebuild: prebuilds/linux-arm64/hwcap-exec is older than native/common/x.c: run npm run prebuilds before packing');
    r = check({ npm_command: 'install' });
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/packing without them \(npm install\): the install builds from source\n$/);
  });
});
