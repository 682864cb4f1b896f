// The packed package as a user installs it (npm run test:packed): needs prebuilds/ (npm run
// prebuilds) and the tarball scripts/packed/run.sh packs; its files end in .packed.ts so that
// `npm test` skips them.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  root: fileURLToPath(new URL('../..', import.meta.url)),
  test: {
    include: ['test/packed/**/*.packed.ts'],
    pool: 'forks',
    // npx and npm under qemu-user, and node-gyp, take minutes on a loaded machine (each run is
    // bounded by its own timeout in support.ts).
    testTimeout: 900_000,
    // npm install under qemu-user, and the source build the install time is compared with.
    hookTimeout: 900_000,
  },
});
