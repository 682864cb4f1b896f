// arm64 (aarch64) HWCAP feature table.
//
// Sources:
// - bits: arch/arm64/include/uapi/asm/hwcap.h, torvalds/linux mainline in 2026 (HWCAP_* bits
//   0–47 up to HWCAP_SME_SMOP4, HWCAP2_* bits 0–63 up to HWCAP2_POE, HWCAP3_* bits 0–11 up to
//   HWCAP3_SVE_LUT6). HWCAP3 bits 4–11 ("arm64/cpufeature: Define hwcaps for 2025 dpISA
//   features") were queued in arm64 for-next/cpufeature in May 2026 and appear in the uapi
//   header mirrored by linux-raw-sys at kernel commit d482bb509b7d; older kernels never set
//   them. HWCAP3_MTE_FAR/MTE_STORE_ONLY arrived in Linux 6.16.
// - names: hwcap_str[] in arch/arm64/kernel/cpuinfo.c, the "Features" line of /proc/cpuinfo:
//   the uapi name lower-cased without underscores (HWCAP2_SME_I16I64 → "smei16i64").
// AT_HWCAP bits 62 and 63 are reserved for libc; a set unnamed bit decodes as `bit48@AT_HWCAP`.
//
// `security: true` marks features whose masking turns a protection off, not just an
// optimisation: libc, the dynamic loader and runtimes enable these only when the hwcap says
// so, so a workload that is told "absent" silently runs without them.
// - paca, pacg: pointer authentication (return-address signing).
// - bti: branch target identification (ld.so maps BTI-marked binaries with PROT_BTI).
// - mte, mte3, mtefar, mtestoreonly: memory tagging (heap tagging in allocators).
// - gcs: guarded control stack (shadow stack).
// - poe: permission overlays (memory protection keys).
// - ssbs: speculative store bypass safe; software uses it to control the SSB mitigation.
// - dit: data-independent timing; constant-time crypto code sets PSTATE.DIT when present.
import type { Feature } from '../row';
import security from './security.json';

// The security rows are listed once, in security.json, which the launcher's build also reads.
const SECURITY = new Set(security.aarch64.map((r) => r.name));

// Index = bit number.
const HWCAP = [
  'fp', 'asimd', 'evtstrm', 'aes', 'pmull', 'sha1', 'sha2', 'crc32',
  'atomics', 'fphp', 'asimdhp', 'cpuid', 'asimdrdm', 'jscvt', 'fcma', 'lrcpc',
  'dcpop', 'sha3', 'sm3', 'sm4', 'asimddp', 'sha512', 'sve', 'asimdfhm',
  'dit', 'uscat', 'ilrcpc', 'flagm', 'ssbs', 'sb', 'paca', 'pacg',
  'gcs', 'cmpbr', 'fprcvt', 'f8mm8', 'f8mm4', 'svef16mm', 'sveeltperm', 'sveaes2',
  'svebfscale', 'sve2p2', 'sme2p2', 'smesbitperm', 'smeaes', 'smesfexpa', 'smestmop', 'smesmop4',
];

const HWCAP2 = [
  'dcpodp', 'sve2', 'sveaes', 'svepmull', 'svebitperm', 'svesha3', 'svesm4', 'flagm2',
  'frint', 'svei8mm', 'svef32mm', 'svef64mm', 'svebf16', 'i8mm', 'bf16', 'dgh',
  'rng', 'bti', 'mte', 'ecv', 'afp', 'rpres', 'mte3', 'sme',
  'smei16i64', 'smef64f64', 'smei8i32', 'smef16f32', 'smeb16f32', 'smef32f32', 'smefa64', 'wfxt',
  'ebf16', 'sveebf16', 'cssc', 'rprfm', 'sve2p1', 'sme2', 'sme2p1', 'smei16i32',
  'smebi32i32', 'smeb16b16', 'smef16f16', 'mops', 'hbc', 'sveb16b16', 'lrcpc3', 'lse128',
  'fpmr', 'lut', 'faminmax', 'f8cvt', 'f8fma', 'f8dp4', 'f8dp2', 'f8e4m3',
  'f8e5m2', 'smelutv2', 'smef8f16', 'smef8f32', 'smesf8fma', 'smesf8dp4', 'smesf8dp2', 'poe',
];

const HWCAP3 = [
  'mtefar', 'mtestoreonly', 'lsfe', 'ls64', 'sveb16mm', 'sve2p3', 'smelut6', 'sme2p3',
  'f16mm', 'f16f32dot', 'f16f32mm', 'svelut6',
];

function rows(word: Feature['word'], names: string[]): Feature[] {
  return names.map((name, bit) => (SECURITY.has(name) ? { name, word, bit, security: true } : { name, word, bit }));
}

export const FEATURES: readonly Feature[] = [
  ...rows('AT_HWCAP', HWCAP),
  ...rows('AT_HWCAP2', HWCAP2),
  ...rows('AT_HWCAP3', HWCAP3),
];
