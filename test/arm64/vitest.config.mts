// The arm64 proving ground runs on its own (npm run test:arm64): it needs the sysroot and the
// cross build that scripts/arm64 make, and its files end in .arm64.ts so `npm test` skips them.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  root: fileURLToPath(new URL('../..', import.meta.url)),
  test: {
    include: ['test/arm64/**/*.arm64.ts'],
    pool: 'forks',
    // The file starts every qemu run while it is collected; the tests only compare results.
    testTimeout: 30_000,
    hookTimeout: 600_000,
  },
});
