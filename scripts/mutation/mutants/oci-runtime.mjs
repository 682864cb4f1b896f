// Mutants of hwcap-runtime's command line, refusals and what a container gets (lib/oci), beside
// oci.mjs. Same shape: a name, the claim it breaks, edits, and the tests that must fail with it.
// The runc tests skip without runc or a static busybox (scripts/install-containers.sh), and a
// skipped test kills nothing.
export default [
  {
    name: 'oci-exec-env-replaces-image-settings',
    claim: "runc exec ID CMD into a container with io.hwcap.runtime-env keeps the image's own GLIBC_TUNABLES, GODEBUG and OPENSSL_ia32cap settings (AND only): only an --env of a knob's variable is narrowed",
    edits: [{ file: 'lib/oci/runtime.ts', find: '  const knobs = Object.fromEntries(Object.entries(mask.env).filter(([k]) => given.some((kv) => name(kv) === k)));\n', replace: '  const knobs = { ...mask.env };\n' }],
    tests: [['test/oci/runc.test.ts', 'merges the runtime knobs']],
  },
  {
    name: 'oci-runtime-env-not-merged',
    claim: "io.hwcap.runtime-env merges the runtime knobs into the container's process.env and each exec's",
    edits: [{ file: 'lib/oci/bundle.ts', find: 'args: maskedArgs(mask, args), env: mergeEnvList(spec.env, mask.env) };', replace: 'args: maskedArgs(mask, args), env: [...(spec.env ?? [])] };' }],
    tests: [['test/oci/policy.test.ts', 'merges the runtime knobs'], ['test/oci/runc.test.ts', 'merges the runtime knobs']],
  },
  {
    name: 'oci-launcher-path-ignored',
    claim: "the launcher is mounted at the node file's launcherPath, and the container's helper is known there",
    edits: [{ file: 'lib/oci/bundle.ts', find: '  const launcher = options.node?.launcherPath ?? DEFAULT_LAUNCHER_PATH;\n', replace: '  const launcher = DEFAULT_LAUNCHER_PATH;\n' }],
    tests: [['test/oci/runc.test.ts', 'at its launcherPath']],
  },
  {
    name: 'oci-security-drop-allowed',
    claim: 'a mask that drops a security feature is refused without io.hwcap.allow-security-masking',
    edits: [{ file: 'lib/oci/plan.ts', find: '  if (plan.security.length && !p.allowSecurityMasking) {\n', replace: '  if (plan.security.length < 0 && !p.allowSecurityMasking) {\n' }],
    tests: [['test/oci/policy.test.ts', 'refuses to drop a security feature']],
  },
  {
    name: 'oci-cpuid-mask-without-faulting',
    claim: 'a mask with CPUID rules is refused on a node whose CPUID does not fault, before the real runtime runs',
    edits: [{ file: 'lib/oci/plan.ts', find: '    if (!f.ok) {\n      throw new OciError(\'cpuid-fault\'', replace: '    if (!f.ok && cpuid.length < 0) {\n      throw new OciError(\'cpuid-fault\'' }],
    tests: [['test/oci/policy.test.ts', 'refuses a CPUID mask on a node whose CPUID does not fault']],
  },
  {
    name: 'oci-unknown-runc-option-passed',
    claim: 'an option of create, run or exec that runc 1.1 lacks is refused rather than misread (it could hide the bundle or the command)',
    edits: [{ file: 'lib/oci/runtime.ts', find: "    else throw new OciError('usage', { message: `unknown option ${a}`", replace: "    else if (a.length < 0) throw new OciError('usage', { message: `unknown option ${a}`" }],
    tests: [['test/oci/policy.test.ts', "refuses an option of create, run or exec that runc 1.1 lacks"], ['test/oci/runc.test.ts', 'refuses an option runc 1.1 lacks']],
  },
  {
    name: 'oci-named-node-file-optional',
    claim: 'a node file that HWCAP_RUNTIME_CONFIG names must exist: create is refused without it, never run unmasked',
    edits: [{ file: 'lib/oci/runtime.ts', find: '  return readNodeConfig(named || DEFAULT_CONFIG, Boolean(named));\n', replace: '  return readNodeConfig(named || DEFAULT_CONFIG, false);\n' }],
    tests: [['test/oci/runc.test.ts', 'refuses a node file that HWCAP_RUNTIME_CONFIG names and that does not exist']],
  },
  {
    name: 'oci-unparsed-refusal-unnamed',
    claim: "a command line that does not parse is refused naming its command, and into runc's --log file, which engines read",
    edits: [{ file: 'lib/oci/runtime.ts', find: '    const named = p ?? { ...g, command: argv[g.positionalAt] };\n', replace: '    const named = p ?? { ...g, globals: [], command: undefined };\n' }],
    tests: [['test/oci/runc.test.ts', 'refuses an option runc 1.1 lacks']],
  },
  {
    name: 'oci-front-help-to-node',
    claim: "a masking command's --help alone (podman's checkpoint --help) goes from the shell front to the real runtime without starting node",
    edits: [{ file: 'bin/hwcap-runtime', find: '    --help | -help | -h | --h) help_only=1 ;;\n', replace: '    --help | -help | -h | --h) help_only="" ;;\n' }],
    tests: [['test/oci/runc.test.ts', 'help from the real runtime without node']],
  },
  {
    name: 'oci-front-help-beside-an-id',
    claim: 'a masking command with a container id always goes to node, even with --help beside it: only --help as the one argument skips node',
    edits: [{ file: 'bin/hwcap-runtime', find: 'if [ -n "$cmd" ] && [ $(($# - at)) -eq 1 ]; then\n', replace: 'if [ -n "$cmd" ] && [ $(($# - at)) -ge 1 ]; then\n' }],
    tests: [['test/oci/runc.test.ts', 'help from the real runtime without node']],
  },
  {
    name: 'oci-front-unreadable-config-passes',
    claim: 'the shell front refuses every command when HWCAP_RUNTIME_CONFIG names a file it cannot read, rather than hand state, kill or delete to runc',
    edits: [{ file: 'bin/hwcap-runtime', find: '  if [ -n "${HWCAP_RUNTIME_CONFIG:-}" ] && ! {', replace: '  if false && ! {' }],
    tests: [['test/oci/runc.test.ts', 'refuses every pass-through command too']],
  },
];
