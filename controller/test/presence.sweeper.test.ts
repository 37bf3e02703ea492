import { sql } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '@wofleet/shared';
import { systemClock, type Clock } from '../src/context/clock.js';
import { findServerByName, insertServer, listAuditEvents, markServerEnrolled, recordHeartbeat, type Database } from '../src/db/index.js';
import {
  createFleetLink,
  createPresenceStore,
  LINK_PART,
  PRESENCE_AUDIT,
  startOfflineSweeper,
  sweepOfflineServers,
  takeHeartbeats,
  type FleetLink,
  type OfflineSweeper,
  type PresenceStore,
} from '../src/presence/index.js';
import { capturingLogger, type LogLine } from './capturing-logger.js';
import { databaseNow, emptyTables, openTestPglite, openTestPostgres, T0, type TestDatabase } from './db.fixtures.js';
import { createFakeClock } from './fake-clock.js';

// The sweep on the real database, Postgres and PGlite: silence is measured on the
// database's clock, and whether to sweep at all on the controller's link to NATS.

const log = silentLogger();
const PERIOD = 10;

/** An enrolled server whose last beat was `seconds` ago by the database's clock. */
async function serverSilentFor(db: Database, name: string, seconds: number, health: 'ok' | 'degraded' = 'ok'): Promise<void> {
  if (!(await findServerByName(db, name))) {
    await insertServer(db, { name, address: `${name}:7443` });
    await markServerEnrolled(db, name, 'f'.repeat(64), T0);
    await recordHeartbeat(db, name, { agentVersion: '0.1.0', health }, T0);
  }
  await db.execute(sql`update servers set last_seen_at = now() - ${seconds}::float8 * interval '1 second' where name = ${name}`);
}

/** A heartbeat as the NATS subscription hands it over, heard at `receivedAt` by the receiving controller's clock. */
function beatOf(name: string, receivedAt: Date) {
  const payload = new TextEncoder().encode(
    JSON.stringify({ serverId: name, agentVersion: '0.1.0', uptimeSeconds: 1, at: receivedAt.toISOString(), health: 'ok' }),
  );
  return { subject: `wofleet.agent.${name}.heartbeat`, payload, receivedAt };
}

/** A link that has been up for long: the start-up grace is over. */
const LONG_UP: FleetLink = { down: () => {}, up: () => {}, upSince: () => new Date(0) };

const within = (at: Date | null | undefined, from: Date, to: Date) => {
  expect(at?.getTime()).toBeGreaterThanOrEqual(from.getTime());
  expect(at?.getTime()).toBeLessThanOrEqual(to.getTime());
};

describe.each<[string, () => Promise<TestDatabase>]>([
  ['Postgres', openTestPostgres],
  ['PGlite', openTestPglite],
])('the offline sweep on %s', (_kind, open) => {
  let t: TestDatabase;
  let store: PresenceStore;
  beforeAll(async () => {
    t = await open();
    store = createPresenceStore(t.db);
  }, 120_000);
  afterAll(async () => {
    await t?.destroy();
  });
  beforeEach(async () => {
    await emptyTables(t.db);
  });

  it('takes a server offline after 3 silent periods by the database clock, not before', async () => {
    await serverSilentFor(t.db, 'web-1', 29);
    expect(await sweepOfflineServers(store, log, PERIOD)).toEqual([]);
    expect((await findServerByName(t.db, 'web-1'))?.status).toBe('online');
    await serverSilentFor(t.db, 'web-1', 31);
    expect(await sweepOfflineServers(store, log, PERIOD)).toEqual(['web-1']);
    expect((await findServerByName(t.db, 'web-1'))?.status).toBe('offline');
  });

  it('records one audit event per server that went offline, once, at the database instants it was judged by', async () => {
    await serverSilentFor(t.db, 'web-1', 40);
    await serverSilentFor(t.db, 'web-2', 40, 'degraded');
    await serverSilentFor(t.db, 'web-3', 5);
    const before = await databaseNow(t.db);
    expect(await sweepOfflineServers(store, log, PERIOD)).toEqual(['web-1', 'web-2']);
    const after = await databaseNow(t.db);
    expect(await sweepOfflineServers(store, log, PERIOD)).toEqual([]);
    const events = await listAuditEvents(t.db, { limit: 10 });
    expect(events.map((e) => [e.kind, e.subject, e.actor]).sort()).toEqual([
      [PRESENCE_AUDIT.wentOffline, 'web-1', 'controller'],
      [PRESENCE_AUDIT.wentOffline, 'web-2', 'controller'],
    ]);
    for (const event of events) {
      within(event.at, before, after);
      const lastSeenBefore = new Date(String(event.data?.lastSeenBefore));
      within(lastSeenBefore, new Date(before.getTime() - 30_000), new Date(after.getTime() - 30_000));
    }
  });

  it('leaves servers never heard from pending', async () => {
    await insertServer(t.db, { name: 'web-1', address: 'web-1:7443' });
    expect(await sweepOfflineServers(store, log, PERIOD)).toEqual([]);
    expect((await findServerByName(t.db, 'web-1'))?.status).toBe('pending');
  });

  it("stamps a heartbeat with the database's clock, not the receiving controller's", async () => {
    await serverSilentFor(t.db, 'web-1', 3_600);
    const before = await databaseNow(t.db);
    const counts = await takeHeartbeats(store, log, [beatOf('web-1', new Date(Date.now() + 90_000))]);
    const after = await databaseNow(t.db);
    expect(counts.recorded).toBe(1);
    within((await findServerByName(t.db, 'web-1'))?.lastSeenAt, before, after);
  });

  describe('two controllers whose clocks differ by 90 s', () => {
    const PERIOD_S = 1;
    const skewed = (ms: number): Clock => ({ now: () => new Date(Date.now() + ms), sleep: systemClock.sleep });
    const controllers = [skewed(0), skewed(90_000)];
    let sweepers: OfflineSweeper[] = [];
    afterEach(async () => {
      for (const sweeper of sweepers.splice(0)) await sweeper.stop();
    });

    it('agree: a server beating to either never flaps, and once silent it goes offline once, on time', async () => {
      await serverSilentFor(t.db, 'web-1', 0);
      const stores = controllers.map(() => createPresenceStore(t.db));
      sweepers = controllers.map((clock, i) =>
        startOfflineSweeper({ store: stores[i] as PresenceStore, log, clock, link: LONG_UP, heartbeatSeconds: PERIOD_S }),
      );
      // Five periods of beats, heard by each controller in turn (a queue group), each stamping with its own clock.
      let silentFrom = 0;
      for (let beat = 0; beat < 10; beat++) {
        const i = beat % 2;
        await takeHeartbeats(stores[i] as PresenceStore, log, [beatOf('web-1', (controllers[i] as Clock).now())]);
        silentFrom = Date.now();
        await new Promise((r) => setTimeout(r, (PERIOD_S * 1000) / 2));
        expect((await findServerByName(t.db, 'web-1'))?.status).toBe('online');
      }
      for (;;) {
        if ((await findServerByName(t.db, 'web-1'))?.status === 'offline') break;
        expect(Date.now() - silentFrom).toBeLessThan(5_000);
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(Date.now() - silentFrom).toBeGreaterThanOrEqual(2_900);
      await new Promise((r) => setTimeout(r, 600));
      const offline = (await listAuditEvents(t.db, { limit: 10 })).filter((e) => e.kind === PRESENCE_AUDIT.wentOffline);
      expect(offline.map((e) => e.subject)).toEqual(['web-1']);
    });
  });
});

describe('the sweeper and the link to NATS (fake time)', () => {
  let t: TestDatabase;
  let sweeper: OfflineSweeper | undefined;
  beforeAll(async () => {
    t = await openTestPostgres();
  });
  afterAll(async () => {
    await t?.destroy();
  });
  afterEach(async () => {
    await sweeper?.stop();
  });

  it('sweeps nobody while the link is down however long, nor for one timeout after it is back; then sweeps', async () => {
    await emptyTables(t.db);
    const clock = createFakeClock(T0);
    const lines: LogLine[] = [];
    const logger = capturingLogger(lines);
    // Counts the sweeps and lets the test wait for one in flight (its database work is real).
    const real = createPresenceStore(t.db);
    let sweeps = 0;
    let inFlight: Promise<unknown> = Promise.resolve();
    const store: PresenceStore = {
      ...real,
      transaction(work) {
        sweeps++;
        const done = real.transaction(work);
        inFlight = done.catch(() => {});
        return done;
      },
    };
    const link = createFleetLink(() => clock.now(), logger);
    await serverSilentFor(t.db, 'web-1', 3_600);
    sweeper = startOfflineSweeper({ store, log: logger, clock, link, heartbeatSeconds: PERIOD });
    const advance = async (ms: number) => {
      await clock.advance(ms);
      await inFlight;
    };
    const status = async () => (await findServerByName(t.db, 'web-1'))?.status;

    await advance(20_000);
    expect(sweeps).toBe(0);
    link.down(LINK_PART.connection, 'disconnected');
    link.down(LINK_PART.events, 'consumer gone');
    await advance(3_600_000);
    expect(sweeps).toBe(0);
    link.up(LINK_PART.connection);
    await advance(60_000);
    expect(sweeps).toBe(0);
    link.up(LINK_PART.events);
    await advance(29_000);
    expect(sweeps).toBe(0);
    expect(await status()).toBe('online');
    await advance(2_500);
    expect(sweeps).toBeGreaterThan(0);
    expect(await status()).toBe('offline');
    const said = (msg: string) => lines.filter((l) => l.msg === msg).length;
    expect(said('not hearing the fleet: offline sweeps suspended')).toBe(1);
    expect(said('offline sweeps resumed')).toBe(1);
  });
});
