import { eq, sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { getCampaign, parseCampaignRequest, startCampaign } from '../src/campaigns/index.js';
import { LeaseLostError } from '../src/campaigns/lease.js';
import { acquireLease, writeTargetState } from '../src/campaigns/store.js';
import { createWriteBatch } from '../src/campaigns/write-batch.js';
import { campaigns } from '../src/db/schema/campaigns.js';
import { requestText, seedFleet } from './campaigns.fixtures.js';
import { T0, useTestPostgres } from './db.fixtures.js';
import { systemClock } from '../src/context/index.js';

/** Group commit of target transitions, on real Postgres. */
const pg = useTestPostgres();
const ctx = () => ({ db: pg.db, clock: { ...systemClock, now: () => T0 } });
const SERVERS = ['web-1', 'web-2', 'web-3', 'web-4'];

async function leasedCampaign() {
  await seedFleet(
    pg.db,
    SERVERS.map((name) => ({ name })),
  );
  const { id } = await startCampaign(ctx(), parseCampaignRequest(requestText({ waves: '1,100%' })), 'operator:alice');
  const token = await acquireLease(pg.db, id, 'ctl-a', 60_000, 'start');
  if (token === undefined) throw new Error('no lease');
  return { campaignId: id, holder: 'ctl-a', token };
}

describe('createWriteBatch', () => {
  it('writes asked for together share one transaction, and each caller gets its own events', async () => {
    const lease = await leasedCampaign();
    const write = createWriteBatch(pg.db, lease);
    const results = await Promise.all(
      SERVERS.map((server) =>
        write(async (tx) => [await writeTargetState(tx, { campaignId: lease.campaignId, server, wave: 1 }, 'staging', {}, 'test', T0)]),
      ),
    );
    expect(results.map((events) => events.map((e) => e.server))).toEqual(SERVERS.map((s) => [s]));
    expect((await getCampaign(ctx(), lease.campaignId)).targets.map((t) => t.state)).toEqual(SERVERS.map(() => 'staging'));
  });

  it('the first write goes at once, those asked for while it runs go together in the next transaction', async () => {
    const lease = await leasedCampaign();
    const write = createWriteBatch(pg.db, lease);
    const transactions: string[] = [];
    await Promise.all(
      SERVERS.map((server) =>
        write(async (tx) => {
          const [row] = await tx
            .select({ id: sql<string>`txid_current()::text` })
            .from(campaigns)
            .where(eq(campaigns.id, lease.campaignId));
          transactions.push(row?.id ?? '');
          return [await writeTargetState(tx, { campaignId: lease.campaignId, server, wave: 1 }, 'staging', {}, 'test', T0)];
        }),
      ),
    );
    expect(transactions).toHaveLength(4);
    expect(new Set(transactions).size).toBe(2);
    expect(transactions[1]).toBe(transactions[3]);
  });

  it('a lost lease fails every write of the batch and writes none', async () => {
    const lease = await leasedCampaign();
    await acquireLease(pg.db, lease.campaignId, 'ctl-a', 60_000, 'start');
    const write = createWriteBatch(pg.db, lease);
    const results = await Promise.allSettled(
      SERVERS.map((server) =>
        write(async (tx) => [await writeTargetState(tx, { campaignId: lease.campaignId, server, wave: 1 }, 'staging', {}, 'test', T0)]),
      ),
    );
    expect(results.every((r) => r.status === 'rejected' && r.reason instanceof LeaseLostError)).toBe(true);
    expect((await getCampaign(ctx(), lease.campaignId)).targets.map((t) => t.state)).toEqual(SERVERS.map(() => 'pending'));
  });
});
