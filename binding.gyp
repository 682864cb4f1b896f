{
  "variables": {
    "common_sources": ["native/common/procfs.c", "native/common/mm_map.c"],
    "launcher_sources": [
      "native/launcher/main.c", "native/launcher/options.c", "native/launcher/report.c",
      "native/launcher/program.c", "native/launcher/security.c", "native/launcher/kernel_mode.c",
      "native/launcher/tracee.c", "native/launcher/remote_syscall.c", "native/launcher/mask_exec.c",
      "native/launcher/handshake.c", "native/launcher/follow.c",
      "native/launcher/cpuid_mask.c", "native/launcher/cpuid_setup.c", "native/launcher/cpuid_trace.c",
      "native/launcher/seccomp_filter.c"
    ],
    "sanitize": "<!(echo $HWCAP_SANITIZE)",
    "checkout": "<!(node -p \"require('fs').existsSync('test/launcher')\")"
  },
  "target_defaults": {
    "defines": ["_GNU_SOURCE"],
    "conditions": [
      ["sanitize!=''", {
        "cflags": ["-fsanitize=address,undefined", "-fno-omit-frame-pointer", "-fno-sanitize-recover=all"],
        "ldflags": ["-fsanitize=address,undefined"]
      }]
    ]
  },
  "targets": [
    {
      "target_name": "hwcap",
      "sources": ["native/addon/addon.cc", "<@(common_sources)"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS"],
      "cflags": ["-Wall", "-Wextra"],
      "cflags_c": ["-std=gnu11"],
      "cflags_cc": ["-std=c++17", "-Wall", "-Wextra"]
    },
    {
      "target_name": "security_features",
      "type": "none",
      "hard_dependency": 1,
      "actions": [{
        "action_name": "gen_security_header",
        "inputs": ["scripts/gen-security-header.js", "lib/core/tables/security.json"],
        "outputs": ["<(SHARED_INTERMEDIATE_DIR)/hwcap/security_features.h"],
        "action": ["node", "scripts/gen-security-header.js", "lib/core/tables/security.json", "<@(_outputs)"]
      }],
      "direct_dependent_settings": {"include_dirs": ["<(SHARED_INTERMEDIATE_DIR)/hwcap"]}
    },
    {
      "target_name": "hwcap-exec",
      "type": "executable",
      "dependencies": ["security_features"],
      "sources": ["<@(launcher_sources)", "<@(common_sources)"],
      "cflags": ["-std=gnu11", "-O2", "-Wall", "-Wextra"]
    },
    {
      "target_name": "hwcap-probe",
      "type": "executable",
      "sources": ["native/probe/hwcap-probe.c"],
      "cflags": ["-std=gnu11", "-O2", "-Wall", "-Wextra"]
    },
    {
      "target_name": "hwcap-cpuid-probe",
      "type": "executable",
      "sources": ["native/probe/cpuid-probe.c"],
      "cflags": ["-std=gnu11", "-O2", "-Wall", "-Wextra", "-pthread"],
      "ldflags": ["-pthread"],
      "conditions": [
        ["target_arch!='x64'", {"sources!": ["native/probe/cpuid-probe.c"], "type": "none"}]
      ]
    }
  ],
  "conditions": [
    ["checkout=='true'", {
      "targets": [
        {
          "target_name": "hwcap-exec-test",
          "type": "executable",
          "dependencies": ["security_features"],
          "sources": ["<@(launcher_sources)", "<@(common_sources)", "native/launcher/test_hooks.c"],
          "defines": ["HWCAP_TEST_FAULTS"],
          "cflags": ["-std=gnu11", "-O2", "-Wall", "-Wextra"]
        }
      ]
    }]
  ]
}
