import { describe, expect, it } from 'vitest';
import { createCampaignRepository } from '../src/campaign-store/index.js';
import { getCampaign, parseCampaignRequest, startCampaign, type CampaignRepository } from '../src/campaigns/index.js';
import { LeaseLostError } from '../src/campaigns/lease.js';
import { createWriteBatch } from '../src/campaigns/write-batch.js';
import { requestText, seedFleet } from './campaigns.fixtures.js';
import { T0, useTestPostgres } from './db.fixtures.js';
import { systemClock } from '../src/context/index.js';

/** Group commit of target transitions, on real Postgres. */
const pg = useTestPostgres();
const ctx = () => ({ repository: createCampaignRepository(pg.db), clock: { ...systemClock, now: () => T0 } });
const SERVERS = ['web-1', 'web-2', 'web-3', 'web-4'];

async function leasedCampaign() {
  await seedFleet(
    pg.db,
    SERVERS.map((name) => ({ name })),
  );
  const { id } = await startCampaign(ctx(), parseCampaignRequest(requestText({ waves: '1,100%' })), 'operator:alice');
  const token = await ctx().repository.acquireLease(id, 'ctl-a', 60_000, 'start');
  if (token === undefined) throw new Error('no lease');
  return { campaignId: id, holder: 'ctl-a', token };
}

/** The Postgres repository, numbering its transactions: `transaction` is the one under way (each holds the campaign's lock). */
function numberedTransactions(): { repository: CampaignRepository; transaction: () => number } {
  const inner = createCampaignRepository(pg.db);
  let count = 0;
  let current = 0;
  return {
    repository: {
      ...inner,
      withCampaignLocked: (id, work) =>
        inner.withCampaignLocked(id, (lock, write) => {
          current = ++count;
          return work(lock, write);
        }),
    },
    transaction: () => current,
  };
}

describe('createWriteBatch', () => {
  it('writes asked for together share one transaction, and each caller gets its own events', async () => {
    const lease = await leasedCampaign();
    const write = createWriteBatch(ctx().repository, lease);
    const results = await Promise.all(
      SERVERS.map((server) =>
        write(async (writer) => [await writer.targetState({ campaignId: lease.campaignId, server, wave: 1 }, 'staging', {}, 'test', T0)]),
      ),
    );
    expect(results.map((events) => events.map((e) => e.server))).toEqual(SERVERS.map((s) => [s]));
    expect((await getCampaign(ctx(), lease.campaignId)).targets.map((t) => t.state)).toEqual(SERVERS.map(() => 'staging'));
  });

  it('the first write goes at once, those asked for while it runs go together in the next transaction', async () => {
    const lease = await leasedCampaign();
    const { repository, transaction } = numberedTransactions();
    const write = createWriteBatch(repository, lease);
    const transactions: number[] = [];
    await Promise.all(
      SERVERS.map((server) =>
        write(async (writer) => {
          transactions.push(transaction());
          return [await writer.targetState({ campaignId: lease.campaignId, server, wave: 1 }, 'staging', {}, 'test', T0)];
        }),
      ),
    );
    expect(transactions).toEqual([1, 2, 2, 2]);
  });

  it("the writes of one transaction are sent together, none waiting for another's round trip", async () => {
    const lease = await leasedCampaign();
    const inner = createCampaignRepository(pg.db);
    let running = 0;
    let mostAtOnce = 0;
    const repository: CampaignRepository = {
      ...inner,
      withCampaignLocked: (id, work) =>
        inner.withCampaignLocked(id, (lock, writer) =>
          work(lock, {
            ...writer,
            async targetState(...args) {
              mostAtOnce = Math.max(mostAtOnce, ++running);
              try {
                return await writer.targetState(...args);
              } finally {
                running--;
              }
            },
          }),
        ),
    };
    const write = createWriteBatch(repository, lease);
    await Promise.all(
      SERVERS.map((server) =>
        write(async (writer) => [await writer.targetState({ campaignId: lease.campaignId, server, wave: 1 }, 'staging', {}, 'test', T0)]),
      ),
    );
    // The first alone, then the three asked for meanwhile, at once.
    expect(mostAtOnce).toBe(3);
    expect((await getCampaign(ctx(), lease.campaignId)).targets.map((t) => t.state)).toEqual(SERVERS.map(() => 'staging'));
  });

  it('a lost lease fails every write of the batch and writes none', async () => {
    const lease = await leasedCampaign();
    await ctx().repository.acquireLease(lease.campaignId, 'ctl-a', 60_000, 'start');
    const write = createWriteBatch(ctx().repository, lease);
    const results = await Promise.allSettled(
      SERVERS.map((server) =>
        write(async (writer) => [await writer.targetState({ campaignId: lease.campaignId, server, wave: 1 }, 'staging', {}, 'test', T0)]),
      ),
    );
    expect(results.every((r) => r.status === 'rejected' && r.reason instanceof LeaseLostError)).toBe(true);
    expect((await getCampaign(ctx(), lease.campaignId)).targets.map((t) => t.state)).toEqual(SERVERS.map(() => 'pending'));
  });
});
