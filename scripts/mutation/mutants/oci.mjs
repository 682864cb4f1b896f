// Mutants of hwcap-runtime's safety behaviours (lib/oci, bin/hwcap-runtime, the launcher's
// release from the host). Same shape as typescript.mjs: a name, the claim it breaks, edits,
// and the tests that must fail with it. The runc and engine tests skip without runc or podman
// (scripts/install-containers.sh), and a skipped test kills nothing.
export default [
  {
    name: 'oci-passthrough-rewrites-config',
    claim: 'a container without a policy passes through: config.json byte for byte, nothing written beside it',
    edits: [{ file: 'lib/oci/bundle.ts', find: '  if (!edit) return { masked: false };\n', replace: '  if (!edit) {\n    writeFileAtomic(file, `${JSON.stringify(config)}\\n`, 0o644);\n    return { masked: false };\n  }\n' }],
    tests: [['test/oci/runc.test.ts', 'passes an unannotated container through']],
  },
  {
    name: 'oci-bad-policy-runs-anyway',
    claim: 'fail closed: a bad policy stops create before the real runtime runs (no container, config.json untouched)',
    edits: [{ file: 'lib/oci/runtime.ts', find: '  editBundle(bundle, { node });\n', replace: '  try {\n    editBundle(bundle, { node });\n  } catch {\n    // ignored\n  }\n' }],
    tests: [['test/oci/runc.test.ts', 'refuses an unknown feature']],
  },
  {
    name: 'oci-exec-args-unmasked',
    claim: 'runc exec ID CMD into a masked container runs CMD masked as the container is',
    edits: [{ file: 'lib/oci/runtime.ts', find: '...knobs, id, ...maskedArgs(mask, command)]', replace: '...knobs, id, ...command]' }],
    tests: [['test/oci/runc.test.ts', 'masks an auxv-only policy in pid 1']],
  },
  {
    name: 'oci-exec-process-unmasked',
    claim: 'runc exec --process FILE (the form podman and containerd use) into a masked container runs the process masked',
    edits: [{ file: 'lib/oci/runtime.ts', find: 'const edited = editProcess(spec!, mask);', replace: 'const edited = spec!;' }],
    tests: [['test/oci/runc.test.ts', 'masks an auxv-only policy in pid 1'], ['test/oci/engines.test.ts', 'podman exec']],
  },
  {
    name: 'oci-node-lacks-ignored',
    claim: 'a node that lacks a feature of the baseline is refused before the container starts, naming the feature',
    edits: [{ file: 'lib/oci/plan.ts', find: '    if (lacks.length) {\n', replace: '    if (lacks.length < 0) {\n' }],
    tests: [['test/oci/policy.test.ts', 'refuses a node that lacks'], ['test/oci/runc.test.ts', 'names a feature this node lacks']],
  },
  {
    name: 'oci-node-default-widened',
    claim: "AND only: a pod's annotations narrow the node's default policy, never widen it",
    edits: [{ file: 'lib/oci/plan.ts', find: '  if (p.floor) keep = keep.intersect(keepSetOf(p.floor, here));\n', replace: '' }],
    tests: [['test/oci/policy.test.ts', 'ANDs the annotations']],
  },
  {
    name: 'oci-cpuinfo-unfiltered',
    claim: "a masked container's /proc/cpuinfo lists only the kept features",
    edits: [{ file: 'lib/oci/cpuinfo.ts', find: '  if (!re) return text;\n', replace: '  if (re) return text;\n' }],
    tests: [['test/oci/runc.test.ts', 'filters /proc/cpuinfo'], ['test/oci/policy.test.ts', 'filters x86-64']],
  },
  {
    name: 'oci-release-knows-launcher-by-name-only',
    claim: "hwcap release knows a container's helper by the launcher's mark, wherever the launcher is mounted (/.hwcap-exec)",
    edits: [{ file: 'native/launcher/handover/release.c', find: '  return has_launcher_mark(path);\n', replace: '  return 0 && has_launcher_mark(path);\n' }],
    tests: [['test/oci/runc.test.ts', 'hwcap release, run on the host']],
  },
  {
    name: 'oci-release-same-namespace',
    claim: "hwcap release from the host enters the pid and mount namespaces of a container's helper",
    edits: [{ file: 'native/launcher/handover/release.c', find: '  if (nh <= 1) return 0;\n', replace: '  if (nh >= 1) return 0;\n' }],
    tests: [['test/oci/runc.test.ts', 'hwcap release, run on the host']],
  },
  {
    name: 'oci-restore-node-lacks-ignored',
    claim: "a restore onto a node that lacks a feature of the saved mask is refused before anything is restored, naming the feature",
    edits: [{ file: 'lib/oci/checkpoint.ts', find: '  const lacks = FeatureSet.fromNames(here.arch, mask.keep).diff(here).extra;\n', replace: '  const lacks: string[] = [];\n' }],
    tests: [['test/oci/checkpoint.test.ts', 'refuses, before anything is restored']],
  },
  {
    name: 'oci-restore-adopt-failure-not-killed',
    claim: 'fail closed: a restored container whose adopt fails is killed, never left to run (or wait) unmasked',
    edits: [{ file: 'lib/oci/checkpoint.ts', find: '    killContainer(runtime, p, id);\n    throw new OciError(\'adopt\', { message: `the restored container', replace: '    throw new OciError(\'adopt\', { message: `the restored container' }],
    tests: [['test/oci/checkpoint.test.ts', 'kills the restored container when the adopt fails']],
  },
  {
    name: 'oci-adopt-from-node-lacks-ignored',
    claim: 'hwcap adopt --from FILE refuses a machine that lacks a feature the released tree keeps, before the tree is touched',
    edits: [{ file: 'lib/cli/handover-file.ts', find: '  if (lacks.length) {\n', replace: '  if (lacks.length < 0) {\n' }],
    tests: [['test/criu/handover-file.test.ts', 'carries what the tree keeps']],
  },
  {
    name: 'oci-checkpoint-hold-not-frozen',
    claim: "hwcap-runtime checkpoint freezes the container's cgroup between the helper's hold and its detach; unfrozen, the helper refuses to let go running",
    edits: [{ file: 'lib/oci/checkpoint.ts', find: '        await freezer.freeze();\n      },', replace: '      },' }],
    tests: [['test/oci/checkpoint.test.ts', 'in place']],
  },
  {
    name: 'c-release-hold-detaches-unfrozen',
    claim: 'a two-step release detaches only a tree whose every task is frozen; otherwise it is let go stopped',
    edits: [{ file: 'native/launcher/handover/release.c', find: 'int go = r == 0 && strcmp(line, "detach") == 0, frozen = go && all_frozen(h);', replace: 'int go = r == 0 && strcmp(line, "detach") == 0, frozen = go;' }],
    tests: [['test/launcher/release-hold.test.ts', 'does not freeze']],
  },
  {
    name: 'c-release-hold-no-detach-runs',
    claim: "a two-step release whose requester never says detach lets the tree go stopped, never running",
    edits: [{ file: 'native/launcher/handover/release.c', find: '  hold_release_all(h, 1, !frozen);', replace: '  hold_release_all(h, 1, 0);' }],
    tests: [['test/launcher/release-hold.test.ts', 'throws']],
  },
];
