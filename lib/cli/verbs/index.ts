// The verbs, in the order `hwcap --help` lists them. A new verb is one file in
// this directory and one line here.
import type { Verb } from '../verb';
import { show } from './show';
import { report } from './report';
import { baseline } from './baseline';
import { check } from './check';
import { diff } from './diff';
import { exec } from './exec';
import { probe } from './probe';

export const VERBS: readonly Verb[] = [show, report, baseline, check, diff, exec, probe];
