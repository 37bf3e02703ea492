import { sql, type SQL } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '@wofleet/shared';
import {
  findServerByName,
  insertServer,
  listAuditEvents,
  listServers,
  listSites,
  markServerEnrolled,
  type Database,
} from '../src/db/index.js';
import { createPresenceStore, PRESENCE_AUDIT, takeEvent, takeHeartbeats, type PresenceStore } from '../src/presence/index.js';
import { databaseNow, T0, useTestPostgres } from './db.fixtures.js';

/**
 * What presence does when the database refuses a message that passed validation (a rule
 * the boundary does not know of). The store below runs, for one server, a statement
 * Postgres refuses, inside the real transaction: the error is the driver's own.
 */
const t = useTestPostgres();

/** SQLSTATE 22P02 (class 22, data exception). */
const REFUSED_AS_DATA = sql`select 'not a number'::integer`;
const encode = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
const log = silentLogger();

interface RefusingStore {
  store: PresenceStore;
  /** The servers of each heartbeat UPDATE, in order. */
  heartbeatWrites: string[][];
}

/** The real store, except that whatever `server` writes (with `audits`, its audit events too) is followed by `refusal` in the same transaction. */
function storeRefusing(db: Database, server: { id: string; name: string }, refusal: SQL[], audits = false): RefusingStore {
  const heartbeatWrites: string[][] = [];
  const refuse = async (tx: Database) => {
    for (const statement of refusal) await tx.execute(statement);
  };
  const bound = (tx: Database): PresenceStore => {
    const real = createPresenceStore(tx);
    return {
      ...real,
      transaction: (work) => tx.transaction((inner) => work(bound(inner))),
      async applyInventoryChange(serverId, change, now) {
        await real.applyInventoryChange(serverId, change, now);
        if (serverId === server.id) await refuse(tx);
      },
      async recordAuditEvent(event) {
        const recorded = await real.recordAuditEvent(event);
        if (audits && event.serverId === server.id) await refuse(tx);
        return recorded;
      },
      async recordAuditEvents(events) {
        await real.recordAuditEvents(events);
        if (audits && events.some((event) => event.serverId === server.id)) await refuse(tx);
      },
      async recordHeartbeats(beats) {
        heartbeatWrites.push(beats.map((b) => b.serverName));
        await real.recordHeartbeats(beats);
        if (beats.some((b) => b.serverName === server.name)) await refuse(tx);
      },
    };
  };
  return { store: bound(db), heartbeatWrites };
}

async function enrolledServers(...names: string[]) {
  const rows = [];
  for (const name of names) {
    await insertServer(t.db, { name, address: `${name}:7443` });
    rows.push(await markServerEnrolled(t.db, name, 'f'.repeat(64), T0));
  }
  return rows;
}

function siteCreated(serverId: string, id: string, domain: string) {
  return {
    subject: `wofleet.agent.${serverId}.event`,
    payload: encode({ id, type: 'site-created', serverId, at: T0.toISOString(), data: { domain, release: 'r1' } }),
    stream: 'WOFLEET_EVENTS',
  };
}

describe('events the database refuses', () => {
  it('an event refused as data is rejected: nothing of it is applied, and it is audited once under its server with the SQLSTATE', async () => {
    const [a] = await enrolledServers('web-a', 'web-b');
    const { store } = storeRefusing(t.db, a ?? { id: '', name: '' }, [REFUSED_AS_DATA]);
    const poison = { ...siteCreated('web-a', 'evt-a', 'a.test'), streamSeq: 7 };

    expect(await takeEvent(store, log, poison, T0)).toBe('rejected');
    // Delivered again (a crash before the term reached the server): rejected again, audited once.
    expect(await takeEvent(store, log, poison, T0)).toBe('rejected');
    expect(await takeEvent(store, log, { ...siteCreated('web-b', 'evt-b', 'b.test'), streamSeq: 8 }, T0)).toBe('applied');

    expect((await listSites(t.db)).map((s) => s.domain)).toEqual(['b.test']);
    const audit = (await listAuditEvents(t.db, { limit: 10 })).reverse();
    expect(audit.map((e) => [e.kind, e.actor, e.serverId, e.subject, e.sourceEventId])).toEqual([
      [PRESENCE_AUDIT.eventRejected, 'agent:web-a', a?.id, 'web-a', 'rejected:WOFLEET_EVENTS:7'],
      ['site-created', 'agent:web-b', expect.any(String), 'b.test', 'evt-b'],
    ]);
    expect(audit[0]?.data).toEqual({
      reason: expect.stringMatching(/^refused by the database: SQLSTATE 22P02: invalid input syntax for type integer/),
      stream: 'WOFLEET_EVENTS',
      streamSeq: 7,
      bytes: poison.payload.byteLength,
    });
  });

  it('an event that fails otherwise (a cancelled statement) is thrown, for the consumer to retry, and not audited', async () => {
    const [a] = await enrolledServers('web-a');
    const cancelled = [sql`set local statement_timeout = 1`, sql`select pg_sleep(1)`]; // SQLSTATE 57014
    const { store } = storeRefusing(t.db, a ?? { id: '', name: '' }, cancelled);
    const failure = await takeEvent(store, log, { ...siteCreated('web-a', 'evt-a', 'a.test'), streamSeq: 1 }, T0).catch(
      (err: unknown) => err,
    );
    expect(failure).toBeInstanceOf(Error);
    expect((failure as Error).cause).toMatchObject({ code: '57014', message: 'canceling statement due to statement timeout' });
    expect(await listAuditEvents(t.db, { limit: 10 })).toEqual([]);
  });

  it('a rejected event whose audit is refused too is still rejected (terminated), not retried', async () => {
    const [a] = await enrolledServers('web-a');
    const { store } = storeRefusing(t.db, a ?? { id: '', name: '' }, [REFUSED_AS_DATA], true);
    expect(await takeEvent(store, log, { ...siteCreated('web-a', 'evt-a', 'a.test'), streamSeq: 3 }, T0)).toBe('rejected');
    expect(await listAuditEvents(t.db, { limit: 10 })).toEqual([]);
    expect(await listSites(t.db)).toEqual([]);
  });
});

describe('heartbeat batches the database refuses', () => {
  it('a refused batch is written beat by beat: the refused beat loses only itself', async () => {
    const [a] = await enrolledServers('web-a', 'web-b', 'web-c');
    const refusing = storeRefusing(t.db, a ?? { id: '', name: '' }, [REFUSED_AS_DATA]);
    const beat = (serverId: string) => ({
      subject: `wofleet.agent.${serverId}.heartbeat`,
      payload: encode({ serverId, agentVersion: '0.1.0', uptimeSeconds: 5, at: T0.toISOString(), health: 'ok' }),
      receivedAt: T0,
    });

    const before = await databaseNow(t.db);
    const counts = await takeHeartbeats(refusing.store, log, [beat('web-a'), beat('web-b'), beat('web-c')]);
    const after = await databaseNow(t.db);
    const stampedNow = (at: Date | null) => (at === null ? null : at >= before && at <= after);

    expect(counts).toEqual({ recorded: 2, ignored: 0, malformed: 0, lost: 1, cameBack: ['web-b', 'web-c'] });
    // One UPDATE for the batch first; only after it failed, one per beat.
    expect(refusing.heartbeatWrites).toEqual([['web-a', 'web-b', 'web-c'], ['web-a'], ['web-b'], ['web-c']]);
    expect((await listServers(t.db)).map((s) => [s.name, s.status, stampedNow(s.lastSeenAt)])).toEqual([
      ['web-a', 'pending', null],
      ['web-b', 'online', true],
      ['web-c', 'online', true],
    ]);
    expect((await findServerByName(t.db, 'web-b'))?.agentVersion).toBe('0.1.0');
  });
});
