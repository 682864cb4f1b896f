// Mutants for release against the trees of issue 21 (a /proc status file past 4 KiB): each undoes
// one fix, and the listed tests must fail. Format: see typescript.mjs and run.mjs.
const REACH = 'test/launcher/handover-reach.test.ts';

export default [
  {
    name: 'c-release-nspid-cut-at-4k',
    claim: "release reads the whole /proc status file for NSpid: a tree whose user has 2,000 supplementary groups (NSpid past 4 KiB) is released, and adopted back and released again",
    edits: [
      {
        file: 'native/launcher/handover/release.c',
        find: '  long len = hwcap_read_file_all(path, &buf); /* NSpid comes after Groups, which 2,000 groups take past 4 KiB */\n  if (len < 0) return (int)len;\n',
        replace: '  long len = hwcap_read_file_all(path, &buf); /* NSpid comes after Groups, which 2,000 groups take past 4 KiB */\n  if (len < 0) return (int)len;\n  if (len > 4095) {\n    free(buf);\n    return -E2BIG;\n  }\n',
      },
    ],
    tests: [[REACH, 'supplementary groups']],
  },
];
