import { defineConfig } from 'vitest/config';

// Two projects: "unit" runs on temp dirs only; "e2e" drives the real stack
// (nginx, PHP-FPM, MariaDB) and runs its files one at a time.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['shared/test/**/*.test.ts', 'agent/test/**/*.test.ts', 'proto/test/**/*.test.ts', 'controller/test/**/*.test.ts'],
          testTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['tests/**/*.test.ts'],
          globalSetup: ['tests/support/global-setup.ts'],
          testTimeout: 300_000,
          hookTimeout: 300_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
