import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The suite starts real mariadbd and memcached processes: ensure the binaries once.
    globalSetup: ['test/support/globalSetup.ts'],
    setupFiles: ['test/support/setupInstalled.ts', 'test/support/matchers.ts'],
    pool: 'forks',
    // The files spend most of their time waiting on real servers (sandboxes starting, faults
    // being noticed), not on the CPU: more files at once than cores, or the drill alone would
    // set the suite's length while the others queue behind it.
    maxWorkers: 3,
    // Under several files at once a real rebuild or drill step takes longer than alone.
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
