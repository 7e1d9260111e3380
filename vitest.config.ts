import { defineConfig } from 'vitest/config';

// raw-socket's addon is not thread-safe: every test file runs in a forked process, never a worker thread.
export default defineConfig({
  test: {
    pool: 'forks',
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
