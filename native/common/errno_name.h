/* errno's symbolic name ("ENOENT"), as glibc's strerrorname_np gives it, in any libc (musl has none). */
#ifndef HWCAP_ERRNO_NAME_H
#define HWCAP_ERRNO_NAME_H

/* The name of err, or NULL for a number Linux does not define. */
const char *hwcap_errno_name(int err);

#endif
