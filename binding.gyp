{
  "variables": {
    "common_sources": ["native/common/procfs.c", "native/common/mm_map.c"],
    "launcher_sources": [
      "native/launcher/main.c", "native/launcher/options.c", "native/launcher/report.c", "native/launcher/security.c",
      "native/launcher/handshake.c", "native/launcher/follow.c",
      "native/launcher/exec/program.c", "native/launcher/exec/kernel_mode.c", "native/launcher/exec/tracee.c",
      "native/launcher/exec/remote_syscall.c", "native/launcher/exec/mask_exec.c", "native/launcher/exec/seccomp_filter.c",
      "native/launcher/exec/tree.c",
      "native/launcher/cpuid/mask.c", "native/launcher/cpuid/setup.c", "native/launcher/cpuid/trace.c", "native/launcher/cpuid/tasks.c",
      "native/launcher/cpuid/signals.c", "native/launcher/cpuid/held.c", "native/launcher/cpuid/table.c",
      "native/launcher/nest/nest.c",
      "native/launcher/handover/hold.c", "native/launcher/handover/control.c", "native/launcher/handover/answer.c",
      "native/launcher/handover/release.c", "native/launcher/handover/adopt.c"
    ],
    "launcher_common": ["native/common/procfs.c", "native/common/mm_map.c", "native/common/errno_name.c"],
    "launcher_headers": ["<!@(ls native/launcher/*.h native/launcher/*/*.h native/common/*.h)"],
    "sanitize": "<!(echo $HWCAP_SANITIZE)",
    "sanitize_sources": ["native/sanitize/default_options.c"],
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
      "sources": ["native/addon/addon.cc", "native/addon/cpuid.cc", "<@(common_sources)"],
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
      "target_name": "hwcap-probe",
      "type": "executable",
      "sources": ["native/probe/hwcap-probe.c", "native/common/errno_name.c"],
      "cflags": ["-std=gnu11", "-O2", "-Wall", "-Wextra"],
      "conditions": [["sanitize!=''", {"sources": ["<@(sanitize_sources)"]}]]
    },
    {
      "target_name": "hwcap-cpuid-probe",
      "type": "executable",
      "sources": ["native/probe/cpuid-probe.c", "native/probe/cpuid-probe-escape.c"],
      "cflags": ["-std=gnu11", "-O2", "-Wall", "-Wextra", "-pthread"],
      "ldflags": ["-pthread"],
      "conditions": [
        ["target_arch!='x64'", {"sources!": ["native/probe/cpuid-probe.c", "native/probe/cpuid-probe-escape.c"], "type": "none"}],
        ["sanitize!=''", {"sources": ["<@(sanitize_sources)"]}]
      ]
    },
    {
      "target_name": "hwcap-trap-probe",
      "type": "executable",
      "sources": ["native/probe/trap-probe.c"],
      "cflags": ["-std=gnu11", "-O2", "-Wall", "-Wextra", "-pthread"],
      "ldflags": ["-pthread"],
      "conditions": [
        ["target_arch!='x64'", {"sources!": ["native/probe/trap-probe.c"], "type": "none"}],
        ["sanitize!=''", {"sources": ["<@(sanitize_sources)"]}]
      ]
    },
    {
      "target_name": "hwcap-cpuid-audit-probe",
      "type": "executable",
      "sources": ["native/probe/cpuid-audit-probe.c"],
      "cflags": ["-std=gnu11", "-O2", "-Wall", "-Wextra", "-pthread"],
      "ldflags": ["-pthread"],
      "conditions": [["target_arch!='x64'", {"sources!": ["native/probe/cpuid-audit-probe.c"], "type": "none"}]]
    }
  ],
  "conditions": [
    # The launcher is linked statically (scripts/build-launcher.sh: musl, else glibc's static
    # libc) so that no dynamic loader runs in it. A sanitizer runtime cannot be linked
    # statically: HWCAP_SANITIZE builds it dynamically, as an ordinary executable.
    ["sanitize==''", {
      "targets": [
        {
          "target_name": "hwcap-exec",
          "type": "none",
          "dependencies": ["security_features"],
          "actions": [{
            "action_name": "link_static_launcher",
            "inputs": ["scripts/build-launcher.sh", "<@(launcher_sources)", "<@(launcher_common)", "<@(launcher_headers)",
                       "<(SHARED_INTERMEDIATE_DIR)/hwcap/security_features.h"],
            "outputs": ["<(PRODUCT_DIR)/hwcap-exec"],
            "action": ["sh", "scripts/build-launcher.sh", "<@(_outputs)", "<(SHARED_INTERMEDIATE_DIR)/hwcap",
                       "<@(launcher_sources)", "<@(launcher_common)"]
          }]
        }
      ]
    }, {
      "targets": [
        {
          "target_name": "hwcap-exec",
          "type": "executable",
          "dependencies": ["security_features"],
          "sources": ["<@(launcher_sources)", "<@(launcher_common)", "<@(sanitize_sources)"],
          "cflags": ["-std=gnu11", "-O2", "-Wall", "-Wextra"]
        }
      ]
    }],
    ["checkout=='true' and sanitize==''", {
      "targets": [
        {
          "target_name": "hwcap-exec-test",
          "type": "none",
          "dependencies": ["security_features"],
          "actions": [{
            "action_name": "link_static_test_launcher",
            "inputs": ["scripts/build-launcher.sh", "<@(launcher_sources)", "<@(launcher_common)", "<@(launcher_headers)",
                       "native/launcher/test_hooks.c", "<(SHARED_INTERMEDIATE_DIR)/hwcap/security_features.h"],
            "outputs": ["<(PRODUCT_DIR)/hwcap-exec-test"],
            "action": ["sh", "scripts/build-launcher.sh", "<@(_outputs)", "<(SHARED_INTERMEDIATE_DIR)/hwcap", "-DHWCAP_TEST_FAULTS",
                       "<@(launcher_sources)", "<@(launcher_common)", "native/launcher/test_hooks.c"]
          }]
        },
        {
          # For valgrind (test/launcher/reliability-valgrind.test.ts): memcheck sees the heap only
          # of a dynamically linked program, whose malloc it replaces through its preload.
          "target_name": "hwcap-exec-memcheck",
          "type": "executable",
          "dependencies": ["security_features"],
          "sources": ["<@(launcher_sources)", "<@(launcher_common)", "native/launcher/test_hooks.c"],
          "defines": ["HWCAP_TEST_FAULTS"],
          "cflags": ["-std=gnu11", "-O1", "-g", "-Wall", "-Wextra"]
        }
      ]
    }],
    ["checkout=='true' and sanitize!=''", {
      "targets": [
        {
          "target_name": "hwcap-exec-test",
          "type": "executable",
          "dependencies": ["security_features"],
          "sources": ["<@(launcher_sources)", "<@(launcher_common)", "native/launcher/test_hooks.c", "<@(sanitize_sources)"],
          "defines": ["HWCAP_TEST_FAULTS"],
          "cflags": ["-std=gnu11", "-O2", "-Wall", "-Wextra"]
        },
        {
          # A deliberate bug for test/launcher/sanitize.test.ts: its report must reach the log
          # directory even from a child whose environment was replaced.
          "target_name": "hwcap-sanitize-canary",
          "type": "executable",
          "sources": ["native/sanitize/canary.c", "<@(sanitize_sources)"],
          "cflags": ["-std=gnu11", "-O0", "-Wall", "-Wextra"]
        }
      ]
    }]
  ]
}
