/* prctl numbers from include/uapi/linux/prctl.h, for C libraries whose
 * <sys/prctl.h> predates them. Shared by the addon, the launcher and the probe. */
#ifndef HWCAP_PRCTL_COMPAT_H
#define HWCAP_PRCTL_COMPAT_H

#include <sys/prctl.h>

#ifndef PR_SET_MM
#define PR_SET_MM 35
#endif
#ifndef PR_SET_MM_AUXV
#define PR_SET_MM_AUXV 12
#endif
#ifndef PR_SET_MM_MAP
#define PR_SET_MM_MAP 14
#endif
#ifndef PR_SET_MM_MAP_SIZE
#define PR_SET_MM_MAP_SIZE 15
#endif
#ifndef PR_GET_AUXV
#define PR_GET_AUXV 0x41555856 /* Linux 6.4 */
#endif

#endif
