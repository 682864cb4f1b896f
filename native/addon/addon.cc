// hwcap native layer: one function per system call, nothing more.
//
// Every export takes already-validated arguments from lib/host/native.ts, checks
// them again (the TypeScript layer is not trusted to be the only caller), and
// returns raw values: bigint, BigUint64Array, numbers. Decoding, defaults and
// policy live in TypeScript. Failed system calls are thrown as the HwcapError
// class that lib/errors.ts registers with SetErrorFactory().
//
// Kernel interfaces used (include/uapi/linux/prctl.h, kernel/sys.c):
//   PR_GET_AUXV          0x41555856  (Linux 6.4) copy mm->saved_auxv, returns its size
//   PR_SET_MM            35
//     PR_SET_MM_AUXV     12          needs CAP_SYS_RESOURCE; copies only `len` bytes
//     PR_SET_MM_MAP      14          no capability; whole struct prctl_mm_map
//     PR_SET_MM_MAP_SIZE 15          sizeof(struct prctl_mm_map) the kernel expects

#include <napi.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include <limits>
#include <string>
#include <vector>

#include "../common/mm_map.h"
#include "../common/prctl_compat.h"
#include "../common/procfs.h"
#include "cpuid.h"

namespace {

// An auxv is at most a few dozen pairs; this bounds every read and write.
constexpr size_t kMaxAuxvWords = 4096;

// The HwcapError factory registered by lib/errors.ts, kept as per-environment
// instance data: a global Napi reference would be destroyed after its
// environment at process exit (Node 18 on arm64 crashes there).
struct InstanceData {
  Napi::FunctionReference error_factory;
};

// Throws HwcapError(errno, syscall, option) through the factory registered by
// lib/errors.ts; falls back to a plain Error carrying the same fields.
void ThrowErrno(Napi::Env env, int err, const char* syscall, const char* option) {
  InstanceData* data = env.GetInstanceData<InstanceData>();
  if (data && !data->error_factory.IsEmpty()) {
    Napi::Value e = data->error_factory.Call({Napi::Number::New(env, err), Napi::String::New(env, syscall),
                                              option ? Napi::String::New(env, option) : env.Undefined()});
    if (env.IsExceptionPending()) return;
    Napi::Error(env, e).ThrowAsJavaScriptException();
    return;
  }
  Napi::Error e = Napi::Error::New(env, std::string(strerror(err)) + ", " + syscall);
  e.Set("errno", Napi::Number::New(env, err));
  e.Set("syscall", Napi::String::New(env, syscall));
  e.ThrowAsJavaScriptException();
}

void ThrowType(Napi::Env env, const std::string& msg) {
  Napi::TypeError e = Napi::TypeError::New(env, msg);
  e.Set("code", Napi::String::New(env, "ERR_INVALID_ARG_TYPE"));
  e.ThrowAsJavaScriptException();
}

void ThrowRange(Napi::Env env, const std::string& msg) {
  Napi::RangeError e = Napi::RangeError::New(env, msg);
  e.Set("code", Napi::String::New(env, "ERR_OUT_OF_RANGE"));
  e.ThrowAsJavaScriptException();
}

Napi::Value WordsToArray(Napi::Env env, const uint64_t* words, size_t n) {
  Napi::ArrayBuffer ab = Napi::ArrayBuffer::New(env, n * sizeof(uint64_t));
  if (n) memcpy(ab.Data(), words, n * sizeof(uint64_t));
  napi_value arr;
  napi_status st = napi_create_typedarray(env, napi_biguint64_array, n, ab, 0, &arr);
  if (st != napi_ok) {
    Napi::Error::New(env, "cannot create BigUint64Array").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  return Napi::Value(env, arr);
}

// Reads argument `i` as a BigUint64Array of whole auxv pairs, copying it out.
bool ArgWords(const Napi::CallbackInfo& info, size_t i, const char* name, std::vector<uint64_t>* out) {
  Napi::Env env = info.Env();
  if (info.Length() <= i || !info[i].IsTypedArray() || info[i].As<Napi::TypedArray>().TypedArrayType() != napi_biguint64_array) {
    ThrowType(env, std::string("The \"") + name + "\" argument must be a BigUint64Array");
    return false;
  }
  Napi::TypedArrayOf<uint64_t> arr = info[i].As<Napi::TypedArrayOf<uint64_t>>();
  size_t n = arr.ElementLength();
  if (n == 0 || n % 2 != 0) {
    ThrowRange(env, std::string("The \"") + name +
                        "\" argument must hold a positive, even number of words (type/value pairs); received " +
                        std::to_string(n));
    return false;
  }
  if (n > kMaxAuxvWords) {
    ThrowRange(env, std::string("The \"") + name + "\" argument holds " + std::to_string(n) + " words; at most " +
                        std::to_string(kMaxAuxvWords) + " are accepted");
    return false;
  }
  bool terminated = false;
  for (size_t k = 0; k < n; k += 2) {
    if (arr[k] == AT_NULL) {
      terminated = true;
      break;
    }
  }
  if (!terminated) {
    ThrowRange(env, std::string("The \"") + name + "\" argument has no AT_NULL entry");
    return false;
  }
  out->assign(arr.Data(), arr.Data() + n);
  return true;
}

// getauxval(type) -> bigint | undefined (libc reports ENOENT)
Napi::Value Getauxval(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsNumber()) {
    ThrowType(env, "The \"type\" argument must be of type number");
    return env.Undefined();
  }
  double d = info[0].As<Napi::Number>().DoubleValue();
  if (!(d >= 0) || d > 4294967295.0 || d != static_cast<double>(static_cast<uint64_t>(d))) {
    ThrowRange(env, "The \"type\" argument must be an integer from 0 to 4294967295");
    return env.Undefined();
  }
  errno = 0;
  unsigned long v = getauxval(static_cast<unsigned long>(d));
  if (v == 0 && errno == ENOENT) return env.Undefined();
  return Napi::BigInt::New(env, static_cast<uint64_t>(v));
}

// prctl(PR_GET_AUXV) -> { words: BigUint64Array, capacity: number (bytes), raw: BigUint64Array }
// The returned words run up to and including the first AT_NULL pair.
Napi::Value GetAuxvKernel(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  long cap = prctl(PR_GET_AUXV, 0, 0, 0, 0);
  if (cap < 0) {
    ThrowErrno(env, errno, "prctl(PR_GET_AUXV)", nullptr);
    return env.Undefined();
  }
  if (cap == 0 || cap % 16 != 0 || static_cast<size_t>(cap) > kMaxAuxvWords * 8) {
    ThrowErrno(env, EOVERFLOW, "prctl(PR_GET_AUXV)", nullptr);
    return env.Undefined();
  }
  std::vector<uint64_t> buf(static_cast<size_t>(cap) / 8, 0);
  long got = prctl(PR_GET_AUXV, reinterpret_cast<unsigned long>(buf.data()), static_cast<unsigned long>(cap), 0, 0);
  if (got < 0) {
    ThrowErrno(env, errno, "prctl(PR_GET_AUXV)", nullptr);
    return env.Undefined();
  }
  size_t n = 0;
  while (n + 1 < buf.size()) {
    n += 2;
    if (buf[n - 2] == AT_NULL) break;
  }
  Napi::Object out = Napi::Object::New(env);
  out.Set("words", WordsToArray(env, buf.data(), n));
  out.Set("capacity", Napi::Number::New(env, static_cast<double>(cap)));
  // The whole buffer, past AT_NULL to the capacity: what a stale tail would be left in.
  out.Set("raw", WordsToArray(env, buf.data(), buf.size()));
  return out;
}

// Parses /proc/self/stat (native/common/procfs.c). Field numbers (1-based) as in proc(5).
bool ReadStat(std::vector<uint64_t>* fields, int need, int* err) {
  fields->assign(HWCAP_STAT_FIELDS, 0);
  int r = hwcap_read_stat("self", fields->data(), need);
  if (r != 0) {
    *err = -r;
    return false;
  }
  return true;
}

// How many bytes from addr to the end of its mapping in /proc/self/maps, or 0
// when addr lies in no readable mapping.
uint64_t ReadableBytes(uint64_t addr) {
  FILE* f = fopen("/proc/self/maps", "re");
  if (!f) return 0;
  char line[512];
  uint64_t avail = 0;
  while (fgets(line, sizeof line, f)) {
    unsigned long long lo, hi;
    char perms[8];
    if (sscanf(line, "%llx-%llx %7s", &lo, &hi, perms) != 3) continue;
    if (addr >= lo && addr < hi) {
      if (perms[0] == 'r') avail = hi - addr;
      break;
    }
  }
  fclose(f);
  return avail;
}

// Reads up to n words of this process's memory at addr into words; sets *got
// to the number read (at least 1 on success) and returns 0, or an errno. With
// process_vm_readv a bad address is EFAULT, never SIGSEGV; the remote range is
// split into 64-byte pieces because the kernel transfers whole pieces only, so
// a read that runs past the end of the stack mapping still returns what lies
// before it. Where the call is unavailable (ENOSYS under qemu-user, EPERM under
// some seccomp policies) words are copied directly, and only from a readable
// mapping listed in /proc/self/maps.
int ReadSelf(uint64_t addr, uint64_t* words, size_t n, size_t* got) {
  constexpr size_t kPiece = 8;  // words
  struct iovec local = {words, n * sizeof(uint64_t)};
  struct iovec remote[64];
  size_t pieces = 0;
  for (size_t w = 0; w < n && pieces < 64; w += kPiece, pieces++) {
    size_t len = (n - w < kPiece ? n - w : kPiece) * sizeof(uint64_t);
    remote[pieces].iov_base = reinterpret_cast<void*>(static_cast<uintptr_t>(addr + w * 8));
    remote[pieces].iov_len = len;
  }
  ssize_t r = process_vm_readv(getpid(), &local, 1, remote, pieces, 0);
  if (r >= 8) {
    *got = static_cast<size_t>(r) / 8;
    return 0;
  }
  if (r >= 0) return EFAULT;
  int err = errno;
  if (err != ENOSYS && err != EPERM) return err;
  uint64_t avail = ReadableBytes(addr) / 8;
  if (avail == 0) return EFAULT;
  size_t k = avail < n ? static_cast<size_t>(avail) : n;
  memcpy(words, reinterpret_cast<const void*>(static_cast<uintptr_t>(addr)), k * 8);
  *got = k;
  return 0;
}

// The process view: the auxv on the startup stack. /proc/self/stat field 28 is
// the address of argc; after it come argv[], NULL, envp[], NULL, then auxv.
Napi::Value ReadStartupAuxv(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::vector<uint64_t> stat;
  int err = 0;
  if (!ReadStat(&stat, 28, &err)) {
    ThrowErrno(env, err, "open(/proc/self/stat)", nullptr);
    return env.Undefined();
  }
  uint64_t p = stat[28];
  if (p == 0 || p % 8 != 0) {
    ThrowErrno(env, EFAULT, "process_vm_readv(startstack)", nullptr);
    return env.Undefined();
  }
  // Walk in chunks; the whole walk is bounded (argv + envp + auxv).
  constexpr size_t kChunk = 512;
  constexpr size_t kMaxWalk = 1u << 20;  // words
  std::vector<uint64_t> chunk(kChunk);
  uint64_t chunk_base = 0;
  size_t chunk_len = 0;
  // 0 or an errno; refills the chunk from address a when a lies outside it.
  auto word_at = [&](uint64_t a, uint64_t* out) -> int {
    if (chunk_len && a >= chunk_base && a < chunk_base + chunk_len * 8) {
      *out = chunk[(a - chunk_base) / 8];
      return 0;
    }
    int e = ReadSelf(a, chunk.data(), kChunk, &chunk_len);
    if (e) {
      chunk_len = 0;
      return e;
    }
    chunk_base = a;
    *out = chunk[0];
    return 0;
  };
  uint64_t argc, w;
  if ((err = word_at(p, &argc)) != 0 || argc > kMaxWalk) {
    ThrowErrno(env, err ? err : EPROTO, "process_vm_readv(startstack)", nullptr);
    return env.Undefined();
  }
  uint64_t a = p + 8 * (argc + 1);
  if ((err = word_at(a, &w)) != 0 || w != 0) {  // argv[argc] must be NULL
    ThrowErrno(env, err ? err : EPROTO, "process_vm_readv(startstack)", nullptr);
    return env.Undefined();
  }
  a += 8;
  size_t walked = 0;
  for (;;) {  // envp up to its NULL
    if ((err = word_at(a, &w)) != 0 || ++walked > kMaxWalk) {
      ThrowErrno(env, err ? err : EPROTO, "process_vm_readv(envp)", nullptr);
      return env.Undefined();
    }
    a += 8;
    if (w == 0) break;
  }
  // unsetenv() shifts the original envp array down in place and leaves extra
  // NULLs behind; an auxv never starts with AT_NULL, so skip them.
  for (;;) {
    if ((err = word_at(a, &w)) != 0 || ++walked > kMaxWalk) {
      ThrowErrno(env, err ? err : EPROTO, "process_vm_readv(auxv)", nullptr);
      return env.Undefined();
    }
    if (w != 0) break;
    a += 8;
  }
  std::vector<uint64_t> out;
  for (;;) {
    uint64_t type, value;
    if (out.size() >= kMaxAuxvWords) err = E2BIG;
    else if ((err = word_at(a, &type)) == 0) err = word_at(a + 8, &value);
    if (err) {
      ThrowErrno(env, err, "process_vm_readv(auxv)", nullptr);
      return env.Undefined();
    }
    out.push_back(type);
    out.push_back(value);
    a += 16;
    if (type == AT_NULL) break;
  }
  return WordsToArray(env, out.data(), out.size());
}

// prctl(PR_SET_MM, PR_SET_MM_AUXV, words, bytes). The caller pads to the
// kernel's capacity, because the kernel copies only `bytes` and keeps the tail.
Napi::Value SetMmAuxv(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::vector<uint64_t> words;
  if (!ArgWords(info, 0, "words", &words)) return env.Undefined();
  if (prctl(PR_SET_MM, PR_SET_MM_AUXV, reinterpret_cast<unsigned long>(words.data()),
            static_cast<unsigned long>(words.size() * 8), 0) != 0) {
    ThrowErrno(env, errno, "prctl(PR_SET_MM_AUXV)", "auxv");
    return env.Undefined();
  }
  return env.Undefined();
}

// prctl(PR_SET_MM, PR_SET_MM_MAP_SIZE) -> number of bytes
Napi::Value MmMapSize(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  unsigned int size = 0;
  if (prctl(PR_SET_MM, PR_SET_MM_MAP_SIZE, reinterpret_cast<unsigned long>(&size), 0, 0) != 0) {
    ThrowErrno(env, errno, "prctl(PR_SET_MM_MAP_SIZE)", nullptr);
    return env.Undefined();
  }
  return Napi::Number::New(env, size);
}

// prctl(PR_SET_MM, PR_SET_MM_MAP, &map, sizeof map): the current mm fields
// from /proc/self/stat, the real brk, exe_fd = (u32)-1 (leave the exe link).
Napi::Value SetMmMap(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::vector<uint64_t> words;
  if (!ArgWords(info, 0, "words", &words)) return env.Undefined();
  unsigned int want = 0;
  if (prctl(PR_SET_MM, PR_SET_MM_MAP_SIZE, reinterpret_cast<unsigned long>(&want), 0, 0) != 0) {
    ThrowErrno(env, errno, "prctl(PR_SET_MM_MAP_SIZE)", "map");
    return env.Undefined();
  }
  if (want != sizeof(hwcap_mm_map)) {
    ThrowErrno(env, EPROTO, "prctl(PR_SET_MM_MAP_SIZE)", "map");
    return env.Undefined();
  }
  hwcap_mm_map m;
  int r = hwcap_mm_map_from_stat("self", &m);
  if (r != 0) {
    ThrowErrno(env, -r, "open(/proc/self/stat)", "map");
    return env.Undefined();
  }
  long brk = syscall(SYS_brk, 0);
  if (brk <= 0) {
    ThrowErrno(env, ENOMEM, "brk", "map");
    return env.Undefined();
  }
  m.brk = static_cast<uint64_t>(brk);
  m.auxv = reinterpret_cast<uint64_t>(words.data());
  m.auxv_size = static_cast<uint32_t>(words.size() * 8);
  if (prctl(PR_SET_MM, PR_SET_MM_MAP, reinterpret_cast<unsigned long>(&m), sizeof m, 0) != 0) {
    ThrowErrno(env, errno, "prctl(PR_SET_MM_MAP)", "map");
    return env.Undefined();
  }
  return env.Undefined();
}

// The numbers include/uapi/linux/prctl.h assigns (Linux 6.18: 1 to 78, and the
// magic PR_SET_PTRACER, PR_SET_VMA and PR_GET_AUXV). A configured
// PR_USER_HWCAP_ENABLED must be none of them, unless the build's headers define
// it: another prctl called with zero arguments may change the process's state.
bool AssignedPrctl(long option) {
#ifdef PR_USER_HWCAP_ENABLED
  if (option == PR_USER_HWCAP_ENABLED) return false;
#endif
  return (option >= 1 && option <= 78) || option == 0x59616d61 || option == 0x53564d41 || option == PR_GET_AUXV;
}

// prctl(option, 0, 0, 0, 0) for PR_USER_HWCAP_ENABLED. The number comes from
// the build's headers or from the caller; no number is ever guessed here.
Napi::Value PrctlQuery(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsNumber()) {
    ThrowType(env, "The \"option\" argument must be of type number");
    return env.Undefined();
  }
  double d = info[0].As<Napi::Number>().DoubleValue();
  if (!(d >= 1) || d > 2147483647.0 || d != static_cast<double>(static_cast<int64_t>(d))) {
    ThrowRange(env, "The \"option\" argument must be an integer from 1 to 2147483647");
    return env.Undefined();
  }
  int option = static_cast<int>(d);
  if (AssignedPrctl(option)) {
    ThrowRange(env, "The \"option\" argument is a prctl number the kernel already assigns to another operation; refused");
    return env.Undefined();
  }
  int r = prctl(option, 0, 0, 0, 0);
  if (r < 0) {
    ThrowErrno(env, errno, "prctl(PR_USER_HWCAP_ENABLED)", "prctlNumber");
    return env.Undefined();
  }
  return Napi::Number::New(env, r);
}

Napi::Value SetErrorFactory(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsFunction()) {
    ThrowType(env, "The \"factory\" argument must be of type function");
    return env.Undefined();
  }
  InstanceData* data = env.GetInstanceData<InstanceData>();
  if (data) data->error_factory = Napi::Persistent(info[0].As<Napi::Function>());
  return env.Undefined();
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  env.SetInstanceData(new InstanceData());
  exports.Set("getauxval", Napi::Function::New(env, Getauxval, "getauxval"));
  exports.Set("getAuxvKernel", Napi::Function::New(env, GetAuxvKernel, "getAuxvKernel"));
  exports.Set("readStartupAuxv", Napi::Function::New(env, ReadStartupAuxv, "readStartupAuxv"));
  exports.Set("setMmAuxv", Napi::Function::New(env, SetMmAuxv, "setMmAuxv"));
  exports.Set("setMmMap", Napi::Function::New(env, SetMmMap, "setMmMap"));
  exports.Set("mmMapSize", Napi::Function::New(env, MmMapSize, "mmMapSize"));
  exports.Set("prctlQuery", Napi::Function::New(env, PrctlQuery, "prctlQuery"));
  exports.Set("setErrorFactory", Napi::Function::New(env, SetErrorFactory, "setErrorFactory"));
  hwcap::RegisterCpuid(env, exports);
#ifdef PR_USER_HWCAP_ENABLED
  exports.Set("PR_USER_HWCAP_ENABLED", Napi::Number::New(env, PR_USER_HWCAP_ENABLED));
#endif
  exports.Set("arch", Napi::String::New(env,
#if defined(__x86_64__)
                                        "x86_64"
#elif defined(__aarch64__)
                                        "aarch64"
#elif defined(__riscv) && __riscv_xlen == 64
                                        "riscv64"
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
                                        "ppc64le"
#elif defined(__s390x__)
                                        "s390x"
#elif defined(__loongarch64)
                                        "loongarch64"
#else
                                        "unknown"
#endif
                                        ));
  return exports;
}

}  // namespace

NODE_API_MODULE(hwcap, Init)
