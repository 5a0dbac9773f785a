import { defineConfig } from 'vitest/config';

// Projects: unit tests beside the code (node, and happy-dom for src/browser), integration tests
// against real loopback servers, and e2e in real headless Chromium.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['src/**/*.test.ts'],
          exclude: ['src/browser/**'],
          environment: 'node',
        },
      },
      {
        test: {
          name: 'browser-unit',
          include: ['src/browser/**/*.test.ts'],
          environment: 'happy-dom',
        },
      },
      {
        test: {
          // anywire/react: @testing-library/react on happy-dom.
          name: 'react',
          include: ['src/react/**/*.test.tsx'],
          environment: 'happy-dom',
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts', 'test/package/**/*.test.ts'],
          // One local Redis Cluster for the suites (ANYWIRE_REDIS_CLUSTER when .ci/run gave one).
          globalSetup: ['test/helpers/global-redis-cluster.ts'],
          environment: 'node',
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          environment: 'node',
          testTimeout: 120_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
