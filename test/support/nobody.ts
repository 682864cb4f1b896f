// Running a test's program as nobody (uid and gid 65534, no supplementary groups) through
// util-linux's setpriv, which needs root: the tests of what a tree's own user cannot reach.
import { which } from './helpers';

export const setpriv = which('setpriv');
export const isRoot = process.getuid?.() === 0;
/** The command prefix that runs what follows as nobody. */
export const NOBODY = [setpriv ?? 'setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', '--'];
/** The skip reason of a test that runs as nobody ('' where it can). */
export const nobodySkip = !setpriv || !isRoot ? ' (skipped: needs root and setpriv to run as nobody)' : '';
/** The skip reason of a test that gives its program 2,000 supplementary groups ('' where it can). */
export const groupsSkip = !setpriv || !isRoot ? ' (skipped: needs root and setpriv to set 2,000 supplementary groups)' : '';
