#!/usr/bin/env node
// hwcap's install script (package.json "install"): take the prebuilt binaries the package ships
// for this platform, arch and C library when they fit, else build from source with node-gyp.
//
// Builds from source when:
//   - this is a checkout (test/launcher is present; a packed package has no test/), so that in a
//     clone `npm install` compiles and `npm test` tests what was compiled;
//   - the build is asked for: `npm install --build-from-source`, npm_config_build_from_source=true
//     (or a comma list naming hwcap), HWCAP_BUILD_FROM_SOURCE=1;
//   - no prebuilt addon fits: another arch or platform, a C library without one (musl), a node
//     whose C library cannot be told; or the prebuilt addon does not load here (an older glibc
//     than it needs), which is tried in this process, since under an emulator (qemu-user) a
//     child node may not start.
// A prebuilt launcher or probe that lost its execute bit on the way (node-pty #850) gets it
// back. Before node-gyp runs, the tools it needs are looked for, and the error names those that
// are missing, with the packages that bring them.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const root = path.resolve(__dirname, '..');
const say = (msg) => process.stderr.write(`hwcap: ${msg}\n`);

function truthy(v) {
  return v !== undefined && v !== '' && v !== 'false' && v !== '0';
}

/** Why a source build is asked for, or '' when it is not. */
function forcedReason(env) {
  const v = env.npm_config_build_from_source;
  if (truthy(v) && (v === 'true' || v === '1' || v.split(',').map((s) => s.trim()).includes('hwcap'))) return `--build-from-source (npm_config_build_from_source=${v})`;
  if (truthy(env.HWCAP_BUILD_FROM_SOURCE)) return 'HWCAP_BUILD_FROM_SOURCE is set';
  return '';
}

/** { ok: true, dir } when the prebuilt binaries fit and load here, else { ok: false, reason }. */
function tryPrebuilt() {
  let prebuild;
  try {
    prebuild = require(path.join(root, 'dist', 'host', 'prebuild.js'));
  } catch (err) {
    return { ok: false, reason: `dist/host/prebuild.js cannot be loaded (${String(err.message).split('\n')[0]})` };
  }
  const dir = prebuild.prebuildDir(root);
  const libc = prebuild.detectLibc();
  const where = `${process.platform}-${process.arch}`;
  if (!libc) return { ok: false, reason: `this node's C library cannot be told (neither glibc nor musl), so no prebuilt addon is taken` };
  const addon = path.join(dir, prebuild.prebuildAddonName(libc));
  if (!fs.existsSync(addon)) return { ok: false, reason: `no prebuilt addon for ${where} (${libc}) in this package` };
  for (const exe of ['hwcap-exec', 'hwcap-probe']) {
    const file = path.join(dir, exe);
    if (!fs.existsSync(file)) return { ok: false, reason: `the prebuilt ${exe} for ${where} is missing` };
    try {
      fs.accessSync(file, fs.constants.X_OK);
    } catch {
      fs.chmodSync(file, 0o755);
      say(`${path.relative(root, file)} had lost its execute bit; set it again`);
    }
  }
  try {
    const native = require(addon);
    const want = { x64: 'x86_64', arm64: 'aarch64' }[process.arch];
    if (want && native.arch !== want) return { ok: false, reason: `the prebuilt addon for ${where} says it is for ${native.arch}` };
  } catch (err) {
    return { ok: false, reason: `the prebuilt addon for ${where} (${libc}) does not load here: ${String(err.message).split('\n')[0]}` };
  }
  return { ok: true, dir, libc };
}

/** The first executable named on PATH, or undefined. */
function onPath(names, env) {
  for (const name of names) {
    if (name.includes('/')) {
      if (isExecutable(name)) return name;
      continue;
    }
    for (const dir of (env.PATH || '').split(path.delimiter)) {
      if (dir && isExecutable(path.join(dir, name))) return path.join(dir, name);
    }
  }
  return undefined;
}

function isExecutable(file) {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/** What node-gyp needs and cannot find: names with the package that brings each. */
function missingTools(env) {
  const missing = [];
  const first = (v) => (v ? v.trim().split(/\s+/)[0] : undefined);
  const python = env.npm_config_python || env.PYTHON;
  if (!onPath(python ? [python] : ['python3', 'python'], env)) missing.push('python3 (Debian: python3; Alpine: python3)');
  if (!onPath(['make'], env)) missing.push('make (Debian: make; Alpine: make)');
  if (!onPath(env.CXX ? [first(env.CXX)] : ['g++', 'c++', 'clang++'], env)) missing.push('a C++ compiler, g++ (Debian: g++; Alpine: g++)');
  if (!onPath(env.CC ? [first(env.CC)] : ['cc', 'gcc', 'clang'], env)) missing.push('a C compiler, cc (Debian: gcc; Alpine: gcc musl-dev linux-headers)');
  return missing;
}

/** Where node-gyp will take Node's headers from, or a note that it will download them. */
function headersNote(env) {
  const dirs = [];
  if (env.npm_config_nodedir) dirs.push(env.npm_config_nodedir);
  const cache = env.npm_config_devdir || path.join(env.XDG_CACHE_HOME || path.join(env.HOME || '/root', '.cache'), 'node-gyp');
  dirs.push(path.join(cache, process.versions.node));
  const found = dirs.find((d) => fs.existsSync(path.join(d, 'include', 'node', 'node_api.h')));
  if (found) return undefined;
  if (env.npm_config_nodedir) return `Node's headers are not in npm_config_nodedir=${env.npm_config_nodedir} (include/node/node_api.h)`;
  return `Node's headers for ${process.version} are not cached; node-gyp downloads them (offline: install them, e.g. Debian's libnode-dev, and set npm_config_nodedir=/usr)`;
}

function nodeGyp(args, env) {
  const script = env.npm_config_node_gyp;
  const [file, argv] = script && fs.existsSync(script) ? [process.execPath, [script, ...args]] : ['node-gyp', args];
  return spawnSync(file, argv, { cwd: root, stdio: 'inherit', env });
}

function buildFromSource(why, env) {
  say(`building from source: ${why}`);
  const missing = missingTools(env);
  const headers = headersNote(env);
  if (missing.length) {
    say(`cannot build from source: missing ${missing.join('; ')}${headers ? `; and ${headers}` : ''}`);
    say(`the source build needs python3, make, a C and a C++ compiler and Node's headers; or use a platform with prebuilt binaries (linux-x64 and linux-arm64 with glibc)`);
    return 1;
  }
  if (headers) say(headers);
  for (const step of ['configure', 'build']) {
    const r = nodeGyp([step], env);
    if (r.error || r.status !== 0) {
      const how = r.error ? r.error.message : `exit ${r.status ?? r.signal}`;
      say(`node-gyp ${step} failed (${how}); the source build needs python3, make, a C and a C++ compiler and Node's headers${headers ? ` (${headers})` : ''}`);
      return r.status || 1;
    }
  }
  return 0;
}

function main(env = process.env) {
  if (fs.existsSync(path.join(root, 'test', 'launcher'))) return buildFromSource('a checkout builds its own binaries', env);
  const forced = forcedReason(env);
  if (forced) return buildFromSource(forced, env);
  const pre = tryPrebuilt();
  if (pre.ok) {
    say(`using the prebuilt binaries in ${path.relative(root, pre.dir)} (${pre.libc})`);
    return 0;
  }
  return buildFromSource(pre.reason, env);
}

if (require.main === module) process.exitCode = main();
module.exports = { forcedReason, missingTools, main };
