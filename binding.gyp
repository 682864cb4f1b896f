{
  "targets": [
    {
      "target_name": "hwcap",
      "sources": ["native/addon.cc", "native/addon/cpuid.cc"],
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
      "sources": ["native/hwcap-exec.c"],
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
    }
  ]
}
