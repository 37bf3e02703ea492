import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import {
  claimDueWebhookDeliveries,
  enqueueWebhookDeliveries,
  listWebhookDeliveries,
  recordWebhookDelivered,
  recordWebhookFailure,
  type Database,
} from '../src/db/index.js';
import { useTestPglite, useTestPostgres } from './db.fixtures.js';

/** The webhook outbox's claims, on Postgres and on PGlite: each attempt is made by one controller. */
const delivery = (n: number) => ({
  eventId: `00000000-0000-4000-8000-00000000000${n}`,
  event: 'campaign.started',
  url: 'http://127.0.0.1:1/',
  body: `{"n":${n}}`,
});
const claim = (db: Database, holder: string, limit = 10) => claimDueWebhookDeliveries(db, { holder, claimMs: 60_000, limit });

function outboxContract(database: () => Database): void {
  it('a claimed delivery is not claimed again until its claim runs out', async () => {
    const db = database();
    await enqueueWebhookDeliveries(db, [delivery(1), delivery(2)]);
    expect((await claim(db, 'ctl-a', 1)).map((d) => [d.body, d.attempt])).toEqual([['{"n":1}', 1]]);
    expect((await claim(db, 'ctl-b')).map((d) => d.body)).toEqual(['{"n":2}']);
    expect(await claim(db, 'ctl-b')).toEqual([]);
    await db.execute(sql`update webhook_deliveries set claimed_until = now() - interval '1 second' where body = '{"n":1}'`);
    expect((await claim(db, 'ctl-b')).map((d) => [d.body, d.attempt])).toEqual([['{"n":1}', 2]]);
  });

  it('a failed attempt is due again after its delay; a delivered or given-up one never', async () => {
    const db = database();
    await enqueueWebhookDeliveries(db, [delivery(1), delivery(2), delivery(3)]);
    const [one, two, three] = await claim(db, 'ctl-a');
    await recordWebhookFailure(db, one!.id, 'ctl-a', 'HTTP 500', 0);
    await recordWebhookFailure(db, two!.id, 'ctl-a', 'HTTP 500', 3_600_000);
    await recordWebhookDelivered(db, three!.id, 'ctl-a');
    expect((await claim(db, 'ctl-a')).map((d) => d.body)).toEqual(['{"n":1}']);
    await recordWebhookFailure(db, one!.id, 'ctl-a', 'HTTP 410', undefined);
    expect(await claim(db, 'ctl-a')).toEqual([]);
    const rows = await listWebhookDeliveries(db);
    expect(rows.map((r) => [r.attempts, r.lastError, r.deliveredAt !== null, r.abandonedAt !== null])).toEqual([
      [2, 'HTTP 410', false, true],
      [1, 'HTTP 500', false, false],
      [1, null, true, false],
    ]);
  });

  it("an outcome is recorded only by the claim's holder (a late controller whose claim ran out changes nothing)", async () => {
    const db = database();
    await enqueueWebhookDeliveries(db, [delivery(1)]);
    const [mine] = await claim(db, 'ctl-a');
    await db.execute(sql`update webhook_deliveries set claimed_until = now() - interval '1 second'`);
    await claim(db, 'ctl-b');
    await recordWebhookDelivered(db, mine!.id, 'ctl-a');
    expect((await listWebhookDeliveries(db))[0]).toMatchObject({ claimedBy: 'ctl-b', deliveredAt: null });
  });
}

describe('webhook outbox on Postgres', () => {
  const pg = useTestPostgres();
  outboxContract(() => pg.db);

  it('controllers claiming at once share the due deliveries without overlap', async () => {
    await enqueueWebhookDeliveries(
      pg.db,
      Array.from({ length: 9 }, (_, i) => delivery(i)),
    );
    const claims = await Promise.all(['ctl-a', 'ctl-b', 'ctl-c'].map((holder) => claim(pg.db, holder, 5)));
    const ids = claims.flat().map((d) => d.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toHaveLength(9);
  });
});

describe('webhook outbox on PGlite', () => {
  const pglite = useTestPglite();
  outboxContract(() => pglite.db);
});
