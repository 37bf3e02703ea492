import { afterAll, beforeAll, beforeEach, describe, it } from 'vitest';
import { emptyTables, openTestPostgres, type TestDatabase } from './db.fixtures.js';
import { coreFlows } from './db.flows.js';

let t: TestDatabase;
beforeAll(async () => {
  t = await openTestPostgres();
});
afterAll(async () => {
  await t?.destroy();
});
beforeEach(async () => {
  await emptyTables(t.db);
});

describe('core flows on Postgres', () => {
  for (const [name, flow] of Object.entries(coreFlows)) {
    it(name, () => flow(t.db));
  }
});
