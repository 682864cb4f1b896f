{
  "targets": [
    {
      "target_name": "hwcap",
      "sources": ["native/addon.cc"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS", "_GNU_SOURCE"],
      "cflags": ["-Wall", "-Wextra"],
      "cflags_cc": ["-std=c++17", "-Wall", "-Wextra"],
      "conditions": [
        ["'<!(echo $HWCAP_SANITIZE)'!=''", {
          "cflags": ["-fsanitize=address,undefined", "-fno-omit-frame-pointer", "-fno-sanitize-recover=all"],
          "ldflags": ["-fsanitize=address,undefined"]
        }]
      ]
    },
    {
      "target_name": "hwcap-exec",
      "type": "executable",
      "sources": ["native/hwcap-exec.c", "native/launcher/cpuid_mask.c", "native/launcher/cpuid_trace.c", "native/launcher/seccomp_filter.c"],
      "defines": ["_GNU_SOURCE"],
      "cflags": ["-std=gnu11", "-O2", "-Wall", "-Wextra"],
      "conditions": [
        ["'<!(echo $HWCAP_SANITIZE)'!=''", {
          "cflags": ["-fsanitize=address,undefined", "-fno-omit-frame-pointer", "-fno-sanitize-recover=all"],
          "ldflags": ["-fsanitize=address,undefined"]
        }]
      ]
    },
    {
      "target_name": "hwcap-probe",
      "type": "executable",
      "sources": ["native/probe.c"],
      "defines": ["_GNU_SOURCE"],
      "cflags": ["-std=gnu11", "-O2", "-Wall", "-Wextra"],
      "conditions": [
        ["'<!(echo $HWCAP_SANITIZE)'!=''", {
          "cflags": ["-fsanitize=address,undefined", "-fno-omit-frame-pointer", "-fno-sanitize-recover=all"],
          "ldflags": ["-fsanitize=address,undefined"]
        }]
      ]
    },
    {
      "target_name": "hwcap-cpuid-probe",
      "type": "executable",
      "sources": ["native/probe/cpuid-probe.c"],
      "defines": ["_GNU_SOURCE"],
      "cflags": ["-std=gnu11", "-O2", "-Wall", "-Wextra", "-pthread"],
      "ldflags": ["-pthread"],
      "conditions": [
        ["target_arch!='x64'", {"sources!": ["native/probe/cpuid-probe.c"], "type": "none"}]
      ]
    }
  ]
}
