import { defineConfig } from 'vitest/config';

// Three projects: "unit" runs on temp dirs only; "e2e" drives the real stack
// (nginx, PHP-FPM, MariaDB) and runs its files one at a time; "chaos" runs real
// campaigns on that stack with one fault each (issue 14), one file at a time too.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['shared/test/**/*.test.ts', 'agent/test/**/*.test.ts', 'proto/test/**/*.test.ts', 'controller/test/**/*.test.ts'],
          testTimeout: 60_000,
          // Most unit files wait (on Postgres, NATS, timers) more than they compute: three at once
          // took the tier from 5 min to 2.5 min on 2 cores (vitest's default there is one).
          maxWorkers: 3,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['tests/**/*.test.ts'],
          exclude: ['tests/chaos/**', '**/node_modules/**'],
          globalSetup: ['tests/support/global-setup.ts'],
          testTimeout: 300_000,
          hookTimeout: 300_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          name: 'chaos',
          include: ['tests/chaos/*.test.ts'],
          // After the other projects, alone: its faults restart and starve shared processes.
          sequence: { groupOrder: 1 },
          globalSetup: ['tests/support/chaos-global-setup.ts'],
          testTimeout: 420_000,
          hookTimeout: 300_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
