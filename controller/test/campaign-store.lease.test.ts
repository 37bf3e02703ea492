import { eq, sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { parseCampaignRequest, startCampaign } from '../src/campaigns/index.js';
import { acquireLease, createCampaignRepository, LEASE_TAKEOVER_AUDIT_KIND } from '../src/campaign-store/index.js';
import { auditEvents } from '../src/db/schema/audit-events.js';
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

  it('the holder taking its own lease again moves the token, fencing its earlier driver', async () => {
    await seedFleet(pg.db, FLEET);
    const { id } = await startCampaign(ctx(), request({ servers: ['web-1'], waves: '1' }), 'operator:alice');
    expect(await acquireLease(pg.db, id, 'ctl-a', 60_000, 'start')).toBe(1);
    expect(await acquireLease(pg.db, id, 'ctl-a', 60_000, 'start')).toBe(2);
    expect(await acquireLease(pg.db, id, 'ctl-a', 60_000, 'renew')).toBe(2);
    await expect(
      writeUnderLease(createCampaignRepository(pg.db), { campaignId: id, holder: 'ctl-a', token: 1 }, async () => []),
    ).rejects.toThrow(LeaseLostError);
  });

  it("taking an expired lease from another holder is audited once; a free lease or one's own is not a takeover", async () => {
    await seedFleet(pg.db, FLEET);
    const { id } = await startCampaign(ctx(), request({ servers: ['web-1'], waves: '1' }), 'operator:alice');
    const takeovers = () =>
      pg.db
        .select({ actor: auditEvents.actor, subject: auditEvents.subject, data: auditEvents.data })
        .from(auditEvents)
        .where(eq(auditEvents.kind, LEASE_TAKEOVER_AUDIT_KIND));
    expect(await acquireLease(pg.db, id, 'ctl-a/1', 60_000, 'start')).toBe(1);
    expect(await acquireLease(pg.db, id, 'ctl-a/1', 60_000, 'start')).toBe(2);
    expect(await acquireLease(pg.db, id, 'ctl-a/2', 60_000, 'start')).toBeUndefined();
    expect(await takeovers()).toEqual([]);
    await pg.db.execute(sql`update campaigns set lease_expires_at = now() - interval '1 second' where id = ${id}`);
    expect(await acquireLease(pg.db, id, 'ctl-a/2', 60_000, 'start')).toBe(3);
    expect(await acquireLease(pg.db, id, 'ctl-a/2', 60_000, 'renew')).toBe(3);
    expect(await takeovers()).toEqual([
      { actor: 'controller:ctl-a/2', subject: id, data: { campaignId: id, from: 'ctl-a/1', to: 'ctl-a/2', token: 3 } },
    ]);
  });
});
