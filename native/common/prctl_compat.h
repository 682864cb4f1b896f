/* prctl numbers from include/uapi/linux/prctl.h (and x86's arch_prctl codes), for C libraries whose
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

/* arch_prctl codes for CPUID faulting (arch/x86/include/uapi/asm/prctl.h): GET answers 1 while
 * CPUID runs natively, 0 while it faults; SET 0 arms faulting, SET 1 turns it off. */
#ifndef ARCH_GET_CPUID
#define ARCH_GET_CPUID 0x1011
#endif
#ifndef ARCH_SET_CPUID
#define ARCH_SET_CPUID 0x1012
#endif

#endif
