/*
 * What the helper follows the tree with: the words every exec keeps, whether it follows past the
 * first image, whether it masks CPUID, and where its counters go. Below both the follow loop
 * (follow.h) and the hand-over (handover/release.h), which reads it at each release request.
 */
#ifndef HWCAP_LAUNCHER_FOLLOW_CONFIG_H
#define HWCAP_LAUNCHER_FOLLOW_CONFIG_H

#include <stdint.h>

struct follow_config {
  uint64_t keep[4];
  int follow;   /* 0: detach once the first image is masked (unless cpuid) */
  int cpuid;    /* a CPUID mask: arm every masked image, answer its traps, never detach */
  int stats_fd; /* the helper's counters go there at its end; -1: none */
};

#endif
