import { describe, expect, it } from 'vitest';
import { consumeEnrollmentToken, insertEnrollmentToken, insertServer, removeServer } from '../src/db/index.js';
import { useTestPostgres, secondsAfter, T0 } from './db.fixtures.js';

const HASH = '1'.repeat(64);

const t = useTestPostgres();

describe('consumeEnrollmentToken', () => {
  it('of many consumers racing for one token over separate connections, exactly one wins', async () => {
    const server = await insertServer(t.db, { name: 'web-1', address: 'web-1:7443' });
    await insertEnrollmentToken(t.db, server.id, HASH, secondsAfter(T0, 3600));
    const attempts = await Promise.all(Array.from({ length: 8 }, () => consumeEnrollmentToken(t.db, HASH, T0)));
    expect(attempts.filter((a) => a.ok)).toHaveLength(1);
    expect(attempts.filter((a) => !a.ok)).toEqual(Array.from({ length: 7 }, () => ({ ok: false, reason: 'used' })));
  });

  it('a token is expired from its expiry instant on', async () => {
    const server = await insertServer(t.db, { name: 'web-1', address: 'web-1:7443' });
    await insertEnrollmentToken(t.db, server.id, HASH, T0);
    expect(await consumeEnrollmentToken(t.db, HASH, T0)).toEqual({ ok: false, reason: 'expired' });
  });

  it('a used token reads as used even after it has expired', async () => {
    const server = await insertServer(t.db, { name: 'web-1', address: 'web-1:7443' });
    await insertEnrollmentToken(t.db, server.id, HASH, secondsAfter(T0, 60));
    expect(await consumeEnrollmentToken(t.db, HASH, T0)).toMatchObject({ ok: true });
    expect(await consumeEnrollmentToken(t.db, HASH, secondsAfter(T0, 120))).toEqual({ ok: false, reason: 'used' });
  });

  it("a removed server's tokens are unknown", async () => {
    const server = await insertServer(t.db, { name: 'web-1', address: 'web-1:7443' });
    await insertEnrollmentToken(t.db, server.id, HASH, secondsAfter(T0, 60));
    await removeServer(t.db, 'web-1');
    expect(await consumeEnrollmentToken(t.db, HASH, T0)).toEqual({ ok: false, reason: 'unknown' });
  });
});
