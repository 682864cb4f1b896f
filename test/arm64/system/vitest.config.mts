// The arm64 system-emulation checks run on their own (scripts/arm64/system.sh, called by
// npm run test:arm64): they need the kernel and initramfs that script prepares. Their files end in
// .system.ts, so neither `npm test` nor test/arm64's own config picks them up.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  root: fileURLToPath(new URL('../../..', import.meta.url)),
  test: {
    include: ['test/arm64/system/**/*.system.ts'],
    pool: 'forks',
    // The file boots every machine while it is collected; the tests only compare results.
    testTimeout: 30_000,
    hookTimeout: 1_800_000,
  },
});
