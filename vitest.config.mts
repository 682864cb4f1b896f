import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Tests spawn real children and ptrace them; two cores are shared.
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
