import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { parseCampaignRequest, startCampaign } from '../src/campaigns/index.js';
import { acquireLease, createCampaignRepository } from '../src/campaign-store/index.js';
import { LeaseLostError, writeUnderLease } from '../src/campaigns/lease.js';
import { requestText, seedFleet } from './campaigns.fixtures.js';
import { T0, useTestPostgres } from './db.fixtures.js';
import { systemClock } from '../src/context/index.js';

/** The campaign lease on real Postgres: the SQL of campaign-store/lease.ts and the fencing of campaigns/lease.ts. */
const pg = useTestPostgres();
const ctx = () => ({ repository: createCampaignRepository(pg.db), clock: { ...systemClock, now: () => T0 } });
const FLEET = [{ name: 'web-1' }, { name: 'web-2', canary: true }, { name: 'web-3' }, { name: 'web-4', labels: { dc: 'ams' } }];
const request = (overrides: Parameters<typeof requestText>[0] = {}) =>
  parseCampaignRequest(requestText({ waves: '1,1,50%', ...overrides }));

describe('campaign lease', () => {
  it('one holder at a time; an expired lease goes to the next holder with a higher token, and fences the old one', async () => {
    await seedFleet(pg.db, FLEET);
    const { id } = await startCampaign(ctx(), request({ servers: ['web-1'], waves: '1' }), 'operator:alice');
    const first = await acquireLease(pg.db, id, 'ctl-a', 60_000, 'start');
    expect(first).toBe(1);
    expect(await acquireLease(pg.db, id, 'ctl-b', 60_000, 'start')).toBeUndefined();
    expect(await acquireLease(pg.db, id, 'ctl-a', 60_000, 'renew')).toBe(1);
    await pg.db.execute(sql`update campaigns set lease_expires_at = now() - interval '1 second' where id = ${id}`);
    expect(await acquireLease(pg.db, id, 'ctl-b', 60_000, 'start')).toBe(2);
    expect(await acquireLease(pg.db, id, 'ctl-a', 60_000, 'renew')).toBeUndefined();
    await expect(
      writeUnderLease(createCampaignRepository(pg.db), { campaignId: id, holder: 'ctl-a', token: 1 }, async () => []),
    ).rejects.toThrow(LeaseLostError);
    await expect(
      writeUnderLease(createCampaignRepository(pg.db), { campaignId: id, holder: 'ctl-b', token: 2 }, async () => []),
    ).resolves.toEqual([]);
  });

  it('a controller restarted under the same name takes its lease back at once, fencing its previous process', async () => {
    await seedFleet(pg.db, FLEET);
    const { id } = await startCampaign(ctx(), request({ servers: ['web-1'], waves: '1' }), 'operator:alice');
    expect(await acquireLease(pg.db, id, 'ctl-a', 60_000, 'start')).toBe(1);
    expect(await acquireLease(pg.db, id, 'ctl-a', 60_000, 'start')).toBe(2);
    expect(await acquireLease(pg.db, id, 'ctl-a', 60_000, 'renew')).toBe(2);
    await expect(
      writeUnderLease(createCampaignRepository(pg.db), { campaignId: id, holder: 'ctl-a', token: 1 }, async () => []),
    ).rejects.toThrow(LeaseLostError);
  });
});
