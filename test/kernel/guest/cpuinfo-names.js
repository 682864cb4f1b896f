// hwcap's x86-64 names against the kernel's: FeatureSet.current() of a process against the
// `flags` line of /proc/cpuinfo, both ways, with every difference explained by a rule whose
// condition is checked. Plain CommonJS so that both the host test (test/core/x86-node.test.ts)
// and the kernel guest (test/kernel/guest/names.js, packed into the initramfs without a
// compiler) load the same rules.
//
//   compareNames({ catalog, set, flags, vendor, family, cmdline, config }) ->
//     { compared, missing: [{ name, reason }], extra: [{ name, reason }], synthetic: [name] }
// A difference no rule explains has reason undefined; the caller fails on it.
//   catalog  catalog('x86_64') rows; set: a FeatureSet (has(), names());
//   flags    Set of the flags /proc/cpuinfo prints; vendor: vendor_id; family: cpu family (number);
//   cmdline  /proc/cmdline (clearcpuid= is honoured);
//   config   Map of the running kernel's CONFIG_* (parseConfig), or undefined when unknown: a
//            rule that depends on the configuration then falls back to what a distribution
//            kernel does.
// The rules cite linux v6.12 (the guest's kernel), arch/x86/.
'use strict';

/** CONFIG_X=value lines of a kernel .config; "# CONFIG_X is not set" reads as 'n'. */
function parseConfig(text) {
  const m = new Map();
  for (const l of text.split('\n')) {
    let r = /^(CONFIG_\w+)=(.*)$/.exec(l);
    if (r) m.set(r[1], r[2]);
    else if ((r = /^# (CONFIG_\w+) is not set$/.exec(l))) m.set(r[1], 'n');
  }
  return m;
}

/** The `flags` line (and vendor, family) of a /proc/cpuinfo text. */
function parseCpuinfo(text) {
  const field = (name) => text.split('\n').find((l) => l.startsWith(name))?.split(':').slice(1).join(':').trim();
  return {
    flags: new Set((field('flags') ?? '').split(/\s+/).filter(Boolean)),
    vendor: field('vendor_id'),
    family: Number(field('cpu family')),
    model: field('model name'),
  };
}

function compareNames({ catalog, set, flags, vendor, family, cmdline = '', config }) {
  const off = (opt) => config !== undefined && (config.get(opt) ?? 'n') === 'n';
  const on = (opt) => config === undefined || (config.get(opt) ?? 'n') !== 'n';
  const amd = vendor === 'AuthenticAMD' || vendor === 'HygonGenuine';
  const cleared = new Set((/clearcpuid=(\S+)/.exec(cmdline)?.[1] ?? '').split(',').filter(Boolean));

  // Set in CPUID (and usable by the OS's XCR0) but not printed: each rule returns its reason, or
  // undefined when it does not apply.
  const notPrinted = {
    // The kernel prints user_shstk only when it enables shadow stacks for user space
    // (CONFIG_X86_USER_SHADOW_STACK, cpu/common.c setup_cet(), and a CPU it trusts).
    user_shstk: () => (off('CONFIG_X86_USER_SHADOW_STACK') ? 'CONFIG_X86_USER_SHADOW_STACK is not set' : 'user shadow stacks not enabled by this kernel'),
    // bugs.c / amd.c: VIRT_SSBD is cleared when AMD_SSBD (80000008:EBX bit 24) is there.
    virt_ssbd: () => (set.has('amd_ssbd') ? 'amd_ssbd present: the kernel clears virt_ssbd' : undefined),
    // MPX support left the kernel in 5.6 (the host test's rule; 6.12 still prints the bit).
    mpx: () => 'MPX removed from the kernel (5.6)',
    // TSX off on CPUs affected by TAA (tsx=off is the default since 5.14).
    rtm: () => (on('CONFIG_X86_INTEL_TSX_MODE_OFF') ? 'TSX off (CONFIG_X86_INTEL_TSX_MODE_OFF or tsx=off)' : undefined),
    hle: () => (on('CONFIG_X86_INTEL_TSX_MODE_OFF') ? 'TSX off (CONFIG_X86_INTEL_TSX_MODE_OFF or tsx=off)' : undefined),
    // Memory encryption is printed only when the firmware enabled it.
    sme: () => 'memory encryption not enabled by the firmware',
    sev: () => 'memory encryption not enabled by the firmware',
    sev_es: () => 'memory encryption not enabled by the firmware',
    sev_snp: () => 'memory encryption not enabled by the firmware',
    // common.c early_identify_cpu(): LA57 is cleared when 5-level paging is not enabled.
    la57: () => (off('CONFIG_X86_5LEVEL') ? 'CONFIG_X86_5LEVEL is not set' : '5-level paging not enabled'),
    // SGX and TME: left off by the configuration or the firmware (sgx/main.c).
    sgx: () => 'SGX not enabled (configuration or firmware)',
    sgx_lc: () => 'SGX not enabled (configuration or firmware)',
    tme: () => 'TME not enabled by the firmware',
    // Not rules: disabled-features.h only makes cpu_feature_enabled() false, /proc/cpuinfo still
    // prints the CPUID bit (6.12 under -cpu max prints umip without CONFIG_X86_UMIP, and mpx);
    // common.c setup_pku() never clears pku, and ospke is CPUID's copy of CR4.PKE.
  };
  // Printed by the kernel but not in the set:
  const forced = {
    // amd.c init_amd(): ARAT for family > 0x11 whatever CPUID.6 says.
    arat: () => (amd && family > 0x11 ? `amd.c forces arat on family 0x${family.toString(16)}` : undefined),
    // amd.c init_amd(): "3DNow or LM implies PREFETCHW" when CPUID lacks 80000001:ECX bit 8.
    '3dnowprefetch': () => (amd && (set.has('3dnow') || set.has('lm')) ? 'amd.c: 3DNow or LM implies PREFETCHW' : undefined),
  };

  const shown = new Set(catalog.filter((r) => r.procfs !== false).map((r) => r.name));
  const all = new Set(catalog.map((r) => r.name));
  const compared = set.names().filter((n) => shown.has(n));
  const missing = compared
    .filter((n) => !flags.has(n))
    .map((name) => ({ name, reason: cleared.has(name) ? 'clearcpuid= on the command line' : notPrinted[name]?.() }));
  const extra = [...flags].filter((f) => shown.has(f) && !set.has(f)).map((name) => ({ name, reason: forced[name]?.() }));
  // The kernel's synthetic flags: printed, not a catalogue row at all (a catalogue row with
  // procfs: false that the kernel prints would be a wrong row, so it is reported apart).
  const synthetic = [...flags].filter((f) => !shown.has(f));
  const hiddenButPrinted = synthetic.filter((f) => all.has(f));
  return { compared, missing, extra, synthetic: synthetic.filter((f) => !all.has(f)), hiddenButPrinted };
}

module.exports = { compareNames, parseConfig, parseCpuinfo };
