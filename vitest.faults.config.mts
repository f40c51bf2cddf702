import { defineConfig } from 'vitest/config';

// `npm run test:faults`: the fault and load suite at full counts (10,000 jobs and 10,000 events per scenario).
// Its quick variant (FAULTS_SCALE unset) runs inside `npm test` with the default config.
process.env.FAULTS_SCALE ??= 'full';

export default defineConfig({
  test: {
    include: ['test/faults/**/*.test.ts'],
    pool: 'forks',
    // the two files each run a local cloud under load: one at a time on a 2-core machine
    maxWorkers: 1,
    fileParallelism: false,
    testTimeout: 1_200_000,
    hookTimeout: 300_000,
  },
});
