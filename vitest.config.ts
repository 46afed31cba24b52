// Test runner settings: node environment, tests mirror src/ under test/.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    testTimeout: 60_000,
    // CI has 2 cores: keep worker count at the core count so heavy suites do not thrash.
    maxWorkers: 2,
  },
});
