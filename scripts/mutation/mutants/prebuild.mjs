// Mutants of the addon's lookup (lib/host/prebuild.ts) and the install script (scripts/install.js):
// each breaks one rule of where the binaries come from, and the listed tests must fail.
// Format: see typescript.mjs and run.mjs.
const PREBUILD = 'test/host/prebuild.test.ts';

export default [
  {
    name: 'ts-prebuilt-before-source-build',
    claim: "the package's own source build (build/Release) wins over a prebuilt addon, so that a checkout tests what it compiled",
    edits: [{ file: 'lib/host/prebuild.ts', find: "for (const config of ['Release', 'Debug']) {", replace: "for (const config of fs.existsSync(path.join(prebuildDir(root), 'hwcap.napi.glibc.node')) ? [] : ['Release', 'Debug']) {" }],
    tests: [[PREBUILD, 'source build|adding build/Release']],
  },
  {
    name: 'ts-musl-taken-for-glibc',
    claim: "a musl node is told from a glibc one by its ELF interpreter, and never takes the glibc addon",
    edits: [{ file: 'lib/host/prebuild.ts', find: "if (/^ld-musl-/.test(base)) return 'musl';", replace: "if (/^ld-musl-/.test(base)) return 'glibc';" }],
    tests: [[PREBUILD, 'musl']],
  },
  {
    name: 'js-install-checkout-takes-prebuilt',
    claim: 'in a checkout the install script builds from source even when prebuilds/ exists',
    edits: [{ file: 'scripts/install.js', find: "if (fs.existsSync(path.join(root, 'test', 'launcher'))) return", replace: "if (false) return" }],
    tests: [[PREBUILD, 'a checkout']],
  },
  {
    name: 'js-install-no-load-check',
    claim: 'the install script takes a prebuilt addon only after it loaded in this node (else it builds from source)',
    edits: [{ file: 'scripts/install.js', find: '    const native = require(addon);\n', replace: '    const native = { arch: { x64: "x86_64", arm64: "aarch64" }[process.arch] };\n' }],
    tests: [[PREBUILD, 'does not load here']],
  },
  {
    name: 'js-install-keeps-lost-exec-bit',
    claim: 'a prebuilt launcher that lost its execute bit on the way (node-pty #850) gets it back at install',
    edits: [{ file: 'scripts/install.js', find: '      fs.chmodSync(file, 0o755);\n', replace: '' }],
    tests: [[PREBUILD, 'execute bit']],
  },
  {
    name: 'js-install-forced-ignored',
    claim: '--build-from-source (npm_config_build_from_source) builds from source even where a prebuilt addon fits',
    edits: [{ file: 'scripts/install.js', find: '  if (forced) return buildFromSource(forced, env);\n', replace: '' }],
    tests: [[PREBUILD, 'build-from-source|HWCAP_BUILD_FROM_SOURCE']],
  },
  {
    name: 'sh-prepack-ships-stale',
    claim: 'npm pack refuses prebuilt binaries older than the sources they are built from',
    edits: [{ file: 'scripts/prebuild.sh', find: '      elif newer=$(find native', replace: '      elif false && newer=$(find native' }],
    tests: [[PREBUILD, 'prepack']],
  },
];
