// The other architectures' proving ground runs on its own (npm run test:arches): it needs the
// sysroots that scripts/arches/install.sh unpacks, and its files end in .arches.ts so `npm test`
// skips them.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  root: fileURLToPath(new URL('../..', import.meta.url)),
  test: {
    include: ['test/arches/**/*.arches.ts'],
    pool: 'forks',
    // The file runs every qemu model while it is collected; the tests only compare results.
    testTimeout: 30_000,
    hookTimeout: 300_000,
  },
});
