// cpuid(leaf, subleaf) -> { eax, ebx, ecx, edx } and xgetbv(index) -> bigint.
//
// One instruction each, nothing more: the leaf table, the gating by XCR0 and every name live in
// TypeScript (lib/core). Arguments are checked again here, because a wrong XGETBV index raises #GP
// (the process would die of SIGSEGV) and a number that is not a uint32 must not be truncated.
//
// CPUID never faults on x86-64 (unless CPUID faulting is armed, which this process does not do).
// XGETBV raises #UD unless CR4.OSXSAVE is set (CPUID.1:ECX bit 27), and #GP for an index the CPU
// does not define: 0 (XCR0) always exists with OSXSAVE; 1 (XINUSE) only with CPUID.D.1:EAX bit 2.
// Other indexes are refused rather than tried.
//
// On other architectures both functions throw an Error with code ERR_HWCAP_UNSUPPORTED_ARCH.
#include "cpuid.h"

#include <stdint.h>

#include <cmath>
#include <string>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

namespace hwcap {
namespace {

void ThrowCoded(Napi::Env env, Napi::Error e, const char* code) {
  e.Set("code", Napi::String::New(env, code));
  e.ThrowAsJavaScriptException();
}

// Reads argument i as a uint32 (an integral Number in [0, 2^32 - 1]); `undefined` gives `dflt`
// when `optional` is set.
bool ArgU32(const Napi::CallbackInfo& info, size_t i, const char* name, bool optional, uint32_t dflt, uint32_t* out) {
  Napi::Env env = info.Env();
  if (info.Length() <= i || info[i].IsUndefined()) {
    if (optional) {
      *out = dflt;
      return true;
    }
  }
  if (info.Length() <= i || !info[i].IsNumber()) {
    ThrowCoded(env, Napi::TypeError::New(env, std::string("The \"") + name + "\" argument must be of type number"),
               "ERR_INVALID_ARG_TYPE");
    return false;
  }
  double d = info[i].As<Napi::Number>().DoubleValue();
  if (!std::isfinite(d) || d != std::floor(d) || d < 0 || d > 4294967295.0) {
    ThrowCoded(env,
               Napi::RangeError::New(env, std::string("The value of \"") + name +
                                              "\" is out of range. It must be an integer >= 0 and <= 4294967295"),
               "ERR_OUT_OF_RANGE");
    return false;
  }
  *out = static_cast<uint32_t>(d);
  return true;
}

#if defined(__x86_64__)

Napi::Value Cpuid(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint32_t leaf, subleaf;
  if (!ArgU32(info, 0, "leaf", false, 0, &leaf) || !ArgU32(info, 1, "subleaf", true, 0, &subleaf)) return env.Undefined();
  unsigned int a = 0, b = 0, c = 0, d = 0;
  __cpuid_count(leaf, subleaf, a, b, c, d);
  Napi::Object out = Napi::Object::New(env);
  out.Set("eax", Napi::Number::New(env, a));
  out.Set("ebx", Napi::Number::New(env, b));
  out.Set("ecx", Napi::Number::New(env, c));
  out.Set("edx", Napi::Number::New(env, d));
  return out;
}

Napi::Value Xgetbv(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint32_t index;
  if (!ArgU32(info, 0, "index", true, 0, &index)) return env.Undefined();
  unsigned int a = 0, b = 0, c = 0, d = 0;
  __cpuid_count(1, 0, a, b, c, d);
  if (!(c & (1u << 27))) return env.Undefined();  // OSXSAVE clear: XGETBV would raise #UD
  if (index == 1) {
    unsigned int max = 0;
    __cpuid_count(0, 0, max, b, c, d);
    if (max < 0xd) return env.Undefined();
    __cpuid_count(0xd, 1, a, b, c, d);
    if (!(a & (1u << 2))) return env.Undefined();  // no XGETBV with ECX = 1
  } else if (index != 0) {
    ThrowCoded(env, Napi::RangeError::New(env, "The value of \"index\" is out of range. It must be 0 (XCR0) or 1 (XINUSE)"),
               "ERR_OUT_OF_RANGE");
    return env.Undefined();
  }
  uint32_t lo, hi;
  __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(index));
  return Napi::BigInt::New(env, (static_cast<uint64_t>(hi) << 32) | lo);
}

#else

Napi::Value Unsupported(const Napi::CallbackInfo& info, const char* what) {
  Napi::Env env = info.Env();
  ThrowCoded(env,
             Napi::Error::New(env, std::string(what) + " exists only on x86-64; this addon was built for another architecture"),
             "ERR_HWCAP_UNSUPPORTED_ARCH");
  return env.Undefined();
}

Napi::Value Cpuid(const Napi::CallbackInfo& info) {
  uint32_t leaf, subleaf;
  if (!ArgU32(info, 0, "leaf", false, 0, &leaf) || !ArgU32(info, 1, "subleaf", true, 0, &subleaf)) return info.Env().Undefined();
  return Unsupported(info, "cpuid");
}

Napi::Value Xgetbv(const Napi::CallbackInfo& info) {
  uint32_t index;
  if (!ArgU32(info, 0, "index", true, 0, &index)) return info.Env().Undefined();
  return Unsupported(info, "xgetbv");
}

#endif

}  // namespace

void RegisterCpuid(Napi::Env env, Napi::Object exports) {
  exports.Set("cpuid", Napi::Function::New(env, Cpuid, "cpuid"));
  exports.Set("xgetbv", Napi::Function::New(env, Xgetbv, "xgetbv"));
}

}  // namespace hwcap
