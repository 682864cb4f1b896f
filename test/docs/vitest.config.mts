// The docs test (npm run test:docs): every `sh` block of README.md and docs/*.md run as written,
// the README library section's JS blocks, every example line of every `--help`, and the facts
// the docs state about the code (the launcher's synopsis). Its files end in .docs.ts, so
// `npm test` does not pick them up. Blocks run one at a time: a CRIU block and a CPUID-masked
// block share the machine's pids and cores with nothing else of this run.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  root: fileURLToPath(new URL('../..', import.meta.url)),
  test: {
    include: ['test/docs/**/*.docs.ts'],
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 180_000,
    hookTimeout: 600_000,
  },
});
