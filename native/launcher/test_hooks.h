/* Entry points of the test build only; see test_hooks.c. */
#ifndef HWCAP_LAUNCHER_TEST_HOOKS_H
#define HWCAP_LAUNCHER_TEST_HOOKS_H

/* The exit status of a test entry point named by argv[1], or -1 when argv names none. */
int test_hooks_main(int argc, char **argv);

#endif
