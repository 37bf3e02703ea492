import { describe, it } from 'vitest';
import { useTestPostgres } from './db.fixtures.js';
import { coreFlows } from './db.flows.js';

const t = useTestPostgres();

describe('core flows on Postgres', () => {
  for (const [name, flow] of Object.entries(coreFlows)) {
    it(name, () => flow(t.db));
  }
});
