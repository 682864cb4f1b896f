// CPUID and XGETBV for the addon (native/addon/cpuid.cc).
#ifndef HWCAP_ADDON_CPUID_H
#define HWCAP_ADDON_CPUID_H

#include <napi.h>

namespace hwcap {

// Adds cpuid(leaf, subleaf) and xgetbv(index) to the addon's exports.
void RegisterCpuid(Napi::Env env, Napi::Object exports);

}  // namespace hwcap

#endif  // HWCAP_ADDON_CPUID_H
