import { defineConfig } from 'vitest/config';

// One config for every Node-side test. Integration tests start real processes
// (Deno relay, redis-server, Chromium), so they get generous timeouts and run
// in forked workers.
export default defineConfig({
  test: {
    include: [
      'shared/**/*.test.ts',
      'edge/**/*.test.ts',
      'extension/**/*.test.ts',
      'bench/**/*.test.ts',
      'scripts/**/*.test.ts',
    ],
    exclude: ['**/node_modules/**', '**/*.deno.test.ts', '**/.output/**'],
    pool: 'forks',
    testTimeout: 120_000,
    hookTimeout: 120_000,
    reporters: ['default'],
  },
});
