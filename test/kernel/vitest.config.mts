// The x86-64 kernel guest's checks run on their own (npm run test:kernel, scripts/kernel/run.sh):
// they judge the console of a guest that scripts/kernel/run.sh has booted. Their files end in
// .guest.ts, so `npm test` does not pick them up.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  root: fileURLToPath(new URL('../..', import.meta.url)),
  test: {
    include: ['test/kernel/**/*.guest.ts'],
    pool: 'forks',
    testTimeout: 30_000,
  },
});
