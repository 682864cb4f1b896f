/* The command line, parsed into one struct. */
#ifndef HWCAP_LAUNCHER_OPTIONS_H
#define HWCAP_LAUNCHER_OPTIONS_H

#include <stdint.h>
#include <stdio.h>

#include "../common/auxv_words.h"

enum mode { MODE_AUTO, MODE_KERNEL, MODE_PTRACE };

struct options {
  enum mode mode;
  int follow;                 /* --follow (default) / --no-follow */
  uint64_t keep[HWCAP_WORDS]; /* --hwcap..--hwcap4: bits to keep; ~0 when not given */
  int status_fd;              /* --status-fd, moved above 2; -1 without one */
  int stats_fd;               /* --stats-fd, moved above 2: the helper's counters at its end; -1 without one */
  int pdeathsig;              /* --pdeathsig, 0 without one */
  int no_new_privs;           /* --no-new-privs */
  int allow_security;         /* --allow-security-masking */
  int verify;                 /* --no-verify clears it (kernel mode, for probes) */
  const char *argv0;          /* --argv0 */
  char **program;             /* PROGRAM ARGS..., NULL-terminated */
};

/* Exit statuses, as env(1) and timeout(1) have them. */
#define EXIT_SETUP 125
#define EXIT_NOEXEC 126
#define EXIT_NOTFOUND 127

/*
 * Fills *o from argv. A bad argument is reported (stage "args") and ends the
 * process with 125; --help prints the usage and exits 0. Returns 0.
 */
int options_parse(struct options *o, int argc, char **argv);

void options_usage(FILE *f);

/* A word: hexadecimal digits, with or without 0x, at most 16; nothing else. 0 or -1. */
int parse_hex_word(const char *s, uint64_t *out);

/* A decimal number below `limit`: digits only. 0 or -1. */
int parse_decimal(const char *s, uint64_t limit, uint64_t *out);

#endif
