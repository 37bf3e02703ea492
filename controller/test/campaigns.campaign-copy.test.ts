import { describe, expect, it } from 'vitest';
import { createCampaignRepository } from '../src/campaign-store/index.js';
import { createCampaignCopy, WHOLE_READ_EVERY_MS } from '../src/campaigns/campaign-copy.js';
import { actOnCampaign, parseCampaignRequest, startCampaign, type CampaignRepository } from '../src/campaigns/index.js';
import { systemClock } from '../src/context/index.js';
import { requestText, seedFleet } from './campaigns.fixtures.js';
import { T0, useTestPostgres } from './db.fixtures.js';

/** The driver's copy of its campaign, on real Postgres: which passes read the campaign whole. */
const pg = useTestPostgres();
const SERVERS = ['web-1', 'web-2', 'web-3'];

async function campaignWithCopy() {
  let now = T0.getTime();
  const clock = { ...systemClock, now: () => new Date(now) };
  const inner = createCampaignRepository(pg.db);
  let wholeReads = 0;
  /** Runs while a whole read is under way, after its snapshot was taken. */
  let duringWholeRead: (() => void) | undefined;
  const repository: CampaignRepository = {
    ...inner,
    loadCampaign: async (id) => {
      wholeReads++;
      const record = await inner.loadCampaign(id);
      duringWholeRead?.();
      return record;
    },
  };
  await seedFleet(
    pg.db,
    SERVERS.map((name) => ({ name })),
  );
  const ctx = { repository, clock };
  const { id } = await startCampaign(ctx, parseCampaignRequest(requestText({ waves: '1,100%' })), 'operator:alice');
  return {
    ctx,
    id,
    copy: createCampaignCopy(repository, id, clock),
    /** How many times `read` read the campaign whole. */
    async wholeReadsOf(read: () => Promise<unknown>): Promise<number> {
      const before = wholeReads;
      await read();
      return wholeReads - before;
    },
    advance: (ms: number) => (now += ms),
    whileReadingWhole: (action: (() => void) | undefined) => (duringWholeRead = action),
  };
}

describe('createCampaignCopy', () => {
  it("reads the campaign whole once, then shows its steps' writes without reading it again", async () => {
    const c = await campaignWithCopy();
    expect(await c.wholeReadsOf(() => c.copy.read())).toBe(1);
    const web2 = (await c.copy.read())?.targets.find((t) => t.server === 'web-2');
    if (!web2) throw new Error('no target web-2');
    c.copy.targetWritten({ ...web2, state: 'staging', operationId: 'op-1' });
    expect(await c.wholeReadsOf(() => c.copy.read())).toBe(0);
    expect((await c.copy.read())?.targets.find((t) => t.server === 'web-2')).toMatchObject({ state: 'staging', operationId: 'op-1' });
  });

  it('keeps a write that commits while it reads the campaign whole, not the older state that read saw', async () => {
    const c = await campaignWithCopy();
    const web2 = (await c.copy.read())?.targets.find((t) => t.server === 'web-2');
    if (!web2) throw new Error('no target web-2');
    c.advance(WHOLE_READ_EVERY_MS);
    // The step's row as committed after the read's snapshot (the store still says pending).
    const staged = { ...web2, state: 'staged' as const, updatedAt: new Date(web2.updatedAt.getTime() + 1_000) };
    c.whileReadingWhole(() => c.copy.targetWritten(staged));
    expect(await c.wholeReadsOf(() => c.copy.read())).toBe(1);
    c.whileReadingWhole(undefined);
    expect((await c.copy.read())?.targets.find((t) => t.server === 'web-2')?.state).toBe('staged');
    // A row the read has newer than a write made during it stays as read.
    c.advance(WHOLE_READ_EVERY_MS);
    c.whileReadingWhole(() => c.copy.targetWritten({ ...web2, state: 'staging', updatedAt: new Date(web2.updatedAt.getTime() - 1_000) }));
    await c.copy.read();
    c.whileReadingWhole(undefined);
    expect((await c.copy.read())?.targets.find((t) => t.server === 'web-2')?.state).toBe('pending');
  });

  it("reads it whole again once the campaign row changed (an operator's pause), after forget(), and every WHOLE_READ_EVERY_MS", async () => {
    const c = await campaignWithCopy();
    await c.copy.read();
    await actOnCampaign(c.ctx, c.id, 'pause', 'operator:bob');
    expect(await c.wholeReadsOf(() => c.copy.read())).toBe(1);
    expect((await c.copy.read())?.campaign.state).toBe('paused');
    c.copy.forget();
    expect(await c.wholeReadsOf(() => c.copy.read())).toBe(1);
    c.advance(WHOLE_READ_EVERY_MS - 1);
    expect(await c.wholeReadsOf(() => c.copy.read())).toBe(0);
    c.advance(1);
    expect(await c.wholeReadsOf(() => c.copy.read())).toBe(1);
  });
});
