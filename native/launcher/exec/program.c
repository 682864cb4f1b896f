/* The program: PATH search, the privileged-target refusal, exec. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "program.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "../faults.h"
#include "../report.h"

static int runnable(const char *file, int *eacces) {
  struct stat sb;
  if (stat(file, &sb) != 0) return errno;
  if (S_ISDIR(sb.st_mode) || access(file, X_OK) != 0) {
    *eacces = 1;
    return EACCES;
  }
  return 0;
}

int program_resolve(struct program *p, const char *file) {
  int eacces = 0;
  if (strchr(file, '/')) {
    if (strlen(file) >= sizeof p->path) return ENAMETOOLONG;
    strcpy(p->path, file);
    return runnable(file, &eacces);
  }
  if (!*file) return ENOENT;
  const char *path = getenv("PATH");
  if (!path) path = "/usr/bin:/bin";
  for (const char *d = path;; d++) {
    const char *end = strchrnul(d, ':');
    size_t dlen = (size_t)(end - d);
    char cand[sizeof p->path];
    if (dlen + 1 + strlen(file) + 1 <= sizeof cand) {
      if (dlen == 0) snprintf(cand, sizeof cand, "%s", file);
      else snprintf(cand, sizeof cand, "%.*s/%s", (int)dlen, d, file);
      if (runnable(cand, &eacces) == 0) {
        strcpy(p->path, cand);
        return 0;
      }
    }
    if (!*end) break;
    d = end;
  }
  return eacces ? EACCES : ENOENT;
}

int program_exit_for(int err) {
  return (err == ENOENT || err == ENOTDIR || err == ENAMETOOLONG || err == ELOOP) ? EXIT_NOTFOUND : EXIT_NOEXEC;
}

void program_refuse_privileged(const struct program *p) {
  struct stat sb;
  if (stat(p->path, &sb) != 0) {
    int e = errno;
    report_fail(STEP_ERROR(STAGE_CHECK_TARGET, "stat", e), program_exit_for(e));
  }
  if ((sb.st_mode & S_ISUID) || ((sb.st_mode & S_ISGID) && (sb.st_mode & S_IXGRP))) {
    report_failure(STAGE_CHECK_TARGET, "execve", EPERM,
                   "%s is set-user-ID or set-group-ID; ptrace mode would run it without those privileges; refused", p->path);
    _exit(EXIT_SETUP);
  }
  if (getxattr(p->path, "security.capability", NULL, 0) >= 0) {
    report_failure(STAGE_CHECK_TARGET, "execve", EPERM,
                   "%s has file capabilities; ptrace mode would run it without them; refused", p->path);
    _exit(EXIT_SETUP);
  }
}

void program_exec(const struct program *p, const struct options *o, enum mode mode) {
  FAULTS_FORGET();
  if (o->no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
    report_fail(STEP_ERROR(STAGE_NO_NEW_PRIVS, "prctl(PR_SET_NO_NEW_PRIVS)", errno), EXIT_SETUP);
  report_line("{\"stage\":\"exec\",\"mode\":\"%s\",\"pid\":%d}", mode == MODE_PTRACE ? "ptrace" : "kernel", (int)getpid());
  extern char **environ;
  char **argv = o->program;
  if (o->argv0) argv[0] = (char *)o->argv0;
  execve(p->path, argv, environ);
  int e = errno;
  if (e == ENOEXEC) {
    /* As execvp(3), and so child_process, do: a file the kernel cannot run is a shell script. */
    int argc = 0;
    while (argv[argc]) argc++;
    char **sh = calloc((size_t)argc + 2, sizeof *sh);
    if (sh) {
      sh[0] = (char *)"/bin/sh";
      sh[1] = (char *)p->path;
      for (int i = 1; i <= argc; i++) sh[i + 1] = argv[i];
      execve("/bin/sh", sh, environ);
      e = errno;
      free(sh);
    }
  }
  report_failure(STAGE_EXEC, "execve", e, "execve(%s): %s", p->path, errno_code(e));
  _exit(program_exit_for(e));
}
