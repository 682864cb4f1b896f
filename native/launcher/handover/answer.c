/* The answer line of --release and --adopt; see handover/answer.h. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "answer.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "../report.h"

static void json_text(char *out, size_t cap, const char *in) {
  size_t o = 0;
  for (; *in && o + 7 < cap; in++) {
    unsigned char ch = (unsigned char)*in;
    if (ch == '"' || ch == '\\') o += (size_t)snprintf(out + o, cap - o, "\\%c", ch);
    else if (ch < 0x20) o += (size_t)snprintf(out + o, cap - o, "\\u%04x", ch);
    else out[o++] = (char)ch;
  }
  out[o] = 0;
}

void answer_fail_line(char *buf, size_t cap, const char *reason, int err, const char *sysname, const char *msg) {
  char esc[1100];
  json_text(esc, sizeof esc, msg);
  snprintf(buf, cap, "{\"error\":\"%s\",\"code\":\"%s\",\"errno\":%d,\"syscall\":\"%s\",\"message\":\"%s\"}\n", reason,
           errno_code(err), err, sysname, esc);
}

int answer_fail(const char *reason, int err, const char *sysname, const char *fmt, ...) {
  char msg[512], line[1400];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  answer_fail_line(line, sizeof line, reason, err, sysname, msg);
  fputs(line, stdout);
  fflush(stdout);
  return EXIT_ANSWER_FAILED;
}

int answer_errno_of(const char *code) {
  for (int e = 1; e < 200; e++)
    if (strcmp(errno_code(e), code) == 0) return e;
  return EPROTO;
}
