/*
 * The AT_HWCAP* words: their auxv types and names, and the two operations on an
 * auxv vector of (type, value) pairs that every native part shares: read the
 * four words, AND them with a keep mask. Types from include/uapi/linux/auxvec.h.
 */
#ifndef HWCAP_AUXV_WORDS_H
#define HWCAP_AUXV_WORDS_H

#include <stdint.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

#define HWCAP_WORDS 4
#define HWCAP_AT_NULL 0
#define HWCAP_AT_SYSINFO_EHDR 33
/* The kernel keeps far fewer (AT_VECTOR_SIZE); this bounds every read. */
#define HWCAP_MAX_AUXV_WORDS 1024

/* AT_HWCAP, AT_HWCAP2, AT_HWCAP3, AT_HWCAP4, by word index 0..3. */
static inline uint64_t hwcap_word_type(int w) {
  static const uint64_t types[HWCAP_WORDS] = {16, 26, 29, 30};
  return types[w];
}
static inline const char *hwcap_word_name(int w) {
  static const char *const names[HWCAP_WORDS] = {"AT_HWCAP", "AT_HWCAP2", "AT_HWCAP3", "AT_HWCAP4"};
  return names[w];
}

/* The four words of the vector (0 for a missing one), up to AT_NULL or n words. */
static inline void hwcap_words_of(const uint64_t *auxv, int n, uint64_t out[HWCAP_WORDS]) {
  memset(out, 0, HWCAP_WORDS * sizeof out[0]);
  for (int k = 0; k + 1 < n && auxv[k] != HWCAP_AT_NULL; k += 2)
    for (int w = 0; w < HWCAP_WORDS; w++)
      if (auxv[k] == hwcap_word_type(w)) out[w] = auxv[k + 1];
}

/* ANDs each AT_HWCAP* value with keep[w]: a bit is only ever cleared. */
static inline void hwcap_apply_keep(uint64_t *auxv, int n, const uint64_t keep[HWCAP_WORDS]) {
  for (int k = 0; k + 1 < n && auxv[k] != HWCAP_AT_NULL; k += 2)
    for (int w = 0; w < HWCAP_WORDS; w++)
      if (auxv[k] == hwcap_word_type(w)) auxv[k + 1] &= keep[w];
}

#ifdef __cplusplus
}
#endif

#endif
