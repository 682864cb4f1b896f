/*
 * Sanitizer defaults compiled into the executables of the sanitized build only
 * (HWCAP_SANITIZE, binding.gyp). ASan and UBSan read ASAN_OPTIONS and
 * UBSAN_OPTIONS from the environment, so a child started with a replaced
 * environment (spawn(file, args, { env: {} })) would lose log_path, and its
 * report would go to a stderr nobody reads. These functions give each binary
 * the same options without the environment; an ASAN_OPTIONS that is set still
 * overrides them, option by option.
 *
 * GCC 12's UBSan, linked beside ASan, writes its reports to stderr whatever
 * log_path says (checked: neither UBSAN_OPTIONS nor __ubsan_default_options
 * moves them); it still stops the program (halt_on_error). Its function is
 * kept for a toolchain whose UBSan honours it.
 *
 * The strings come from scripts/asan.sh, which writes them to
 * default_options.h in its scratch copy before it builds; a sanitized build
 * without that header keeps the runtime's own defaults.
 */
#if __has_include("default_options.h")
#include "default_options.h"
#endif

#ifdef HWCAP_ASAN_DEFAULT_OPTIONS
const char *__asan_default_options(void);
const char *__asan_default_options(void) { return HWCAP_ASAN_DEFAULT_OPTIONS; }
#endif

#ifdef HWCAP_UBSAN_DEFAULT_OPTIONS
const char *__ubsan_default_options(void);
const char *__ubsan_default_options(void) { return HWCAP_UBSAN_DEFAULT_OPTIONS; }
#endif
