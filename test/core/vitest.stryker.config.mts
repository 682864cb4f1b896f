// The tests StrykerJS runs against each mutant of lib/core (stryker.config.mjs): the core's own,
// with the fuzz run counts cut to a tenth (HWCAP_FUZZ_SCALE), since they run once per mutant.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/core/**/*.test.ts'],
    env: { HWCAP_FUZZ_SCALE: '0.1' },
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
