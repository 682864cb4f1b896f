/* The program: found as execvp(3) finds it, refused when ptrace would strip its privileges, executed. */
#ifndef HWCAP_LAUNCHER_PROGRAM_H
#define HWCAP_LAUNCHER_PROGRAM_H

#include "../error.h"
#include "../options.h"

struct program {
  char path[4096]; /* the file execve gets */
};

/* execvp's PATH search, with the PATH of the environment the program gets. 0 or an errno. */
int program_resolve(struct program *p, const char *file);

/* 127 for a program that is not there, 126 for one that cannot run. */
int program_exit_for(int err);

/* ptrace mode would silently run a set-user-ID, set-group-ID or file-caps program without its privileges. */
void program_refuse_privileged(const struct program *p);

/* --no-new-privs, the "exec" status line, execve (a file the kernel cannot run goes to /bin/sh). */
__attribute__((noreturn)) void program_exec(const struct program *p, const struct options *o, enum mode mode);

#endif
