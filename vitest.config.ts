import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Installs (or finds cached) Node 22/24 targets and hands them to the tests (inject('nodeTargets')).
    globalSetup: ['test/setup/node-versions.ts'],
    // Only a hang detector: a test waits on events, and a loaded machine (CI beside other jobs)
    // may take several times as long as a quiet one.
    testTimeout: 120_000,
    // The globalSetup may download a Node.js binary or two.
    hookTimeout: 120_000,
    fileParallelism: true,
    // Integration tests mostly wait for child processes: two files at a time even on 2 cores.
    maxWorkers: Math.max(2, availableParallelism() - 1),
    // Concurrent tests per suite (graph.test.ts runs its fixtures side by side).
    maxConcurrency: 3,
  },
});
