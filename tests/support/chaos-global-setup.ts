import { chaosTable, resetChaosTable } from './chaos.js';
import { setup as setupStack, teardown as teardownStack } from './global-setup.js';

/** The chaos project: the e2e stack's services, plus the suite's table, emptied first and printed at the end. */
export async function setup(): Promise<void> {
  await setupStack();
  resetChaosTable();
}

export function teardown(): void {
  process.stdout.write(`\nchaos suite (issue 14):\n${chaosTable()}\n\n`);
  teardownStack();
}
