/*
 * The launcher's stages: the one C list. Every status line and every failure
 * names one of these; `hwcap-exec --list-stages` prints them, one per line, and
 * a test compares that with the TypeScript list (lib/launcher/).
 *
 *   X(identifier, "name on the status fd", "what runs in it")
 */
#ifndef HWCAP_LAUNCHER_STAGES_H
#define HWCAP_LAUNCHER_STAGES_H

#define HWCAP_STAGES(X)                                                                   \
  X(STAGE_ARGS, "args", "parsing the command line")                                       \
  X(STAGE_PDEATHSIG, "pdeathsig", "prctl(PR_SET_PDEATHSIG)")                              \
  X(STAGE_EXEC, "exec", "finding, then executing, the program")                           \
  X(STAGE_READ_AUXV, "read-auxv", "reading the launcher's own /proc/self/auxv")           \
  X(STAGE_SECURITY, "security", "refusing to mask a security feature")                    \
  X(STAGE_KERNEL_MASK, "kernel-mask", "kernel mode: masking the saved auxv")              \
  X(STAGE_KERNEL_VERIFY, "kernel-verify", "kernel mode: does the kernel pass it on")      \
  X(STAGE_CHECK_TARGET, "check-target", "refusing setuid, setgid and file-caps programs") \
  X(STAGE_HELPER, "helper", "starting the ptrace helper")                                 \
  X(STAGE_SEIZE, "seize", "the helper's PTRACE_SEIZE, confirmed by TracerPid")            \
  X(STAGE_NO_NEW_PRIVS, "no-new-privs", "prctl(PR_SET_NO_NEW_PRIVS)")                     \
  X(STAGE_EXEC_STOP, "exec-stop", "the exec stop: to the syscall exit")                   \
  X(STAGE_PATCH_STACK, "patch-stack", "ANDing the words on the new stack")                \
  X(STAGE_INJECT, "inject", "injected prctl(PR_SET_MM_MAP) for the saved copy")           \
  X(STAGE_VERIFY, "verify", "reading the saved copy back")                                \
  X(STAGE_CPUID_FAULT, "cpuid-fault", "a CPUID mask: does CPUID fault and trap here")     \
  X(STAGE_SECCOMP, "seccomp", "the filter that keeps the tree traced")                    \
  X(STAGE_SIGNAL_STATE, "signal-state", "the new image's signal state, for CPUID traps")  \
  X(STAGE_CPUID_ARM, "cpuid-arm", "injected arch_prctl(ARCH_SET_CPUID, 0)")               \
  X(STAGE_MASKED, "masked", "the program's first image is masked")                        \
  X(STAGE_STATS, "stats", "the helper's counters on --stats-fd, when the tree has ended")

enum stage {
#define HWCAP_STAGE_ENUM(id, name, what) id,
  HWCAP_STAGES(HWCAP_STAGE_ENUM)
#undef HWCAP_STAGE_ENUM
      STAGE_COUNT
};

const char *stage_name(enum stage s);

#endif
