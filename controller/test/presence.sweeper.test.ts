import { beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '@wofleet/shared';
import { findServerByName, insertServer, listAuditEvents, markServerEnrolled, recordHeartbeat } from '../src/db/index.js';
import { createPresenceStore, PRESENCE_AUDIT, sweepOfflineServers, type PresenceStore } from '../src/presence/index.js';
import { useTestPostgres, secondsAfter, T0 } from './db.fixtures.js';

// The sweep on the real database, in virtual time: the clock is passed in, nothing sleeps.

const t = useTestPostgres();
let store: PresenceStore;
beforeAll(() => {
  store = createPresenceStore(t.db);
});

const log = silentLogger();
const PERIOD = 10;
/** A controller that started long before T0, so the start-up grace is over. */
const STARTED = secondsAfter(T0, -3600);

async function serverSeenAt(name: string, seenAt: Date, health: 'ok' | 'degraded' = 'ok') {
  await insertServer(t.db, { name, address: `${name}:7443` });
  await markServerEnrolled(t.db, name, 'f'.repeat(64), secondsAfter(T0, -7200));
  await recordHeartbeat(t.db, name, { agentVersion: '0.1.0', health }, seenAt);
}

describe('the offline sweep', () => {
  it('takes a server offline after 3 silent periods, not before', async () => {
    await serverSeenAt('web-1', T0);
    expect(await sweepOfflineServers(store, log, { now: secondsAfter(T0, 29.9), startedAt: STARTED, heartbeatSeconds: PERIOD })).toEqual(
      [],
    );
    expect((await findServerByName(t.db, 'web-1'))?.status).toBe('online');
    expect(await sweepOfflineServers(store, log, { now: secondsAfter(T0, 30.1), startedAt: STARTED, heartbeatSeconds: PERIOD })).toEqual([
      'web-1',
    ]);
    expect((await findServerByName(t.db, 'web-1'))?.status).toBe('offline');
  });

  it('records one audit event per server that went offline, once', async () => {
    await serverSeenAt('web-1', T0);
    await serverSeenAt('web-2', T0, 'degraded');
    await serverSeenAt('web-3', secondsAfter(T0, 25));
    const clock = { now: secondsAfter(T0, 31), startedAt: STARTED, heartbeatSeconds: PERIOD };
    expect(await sweepOfflineServers(store, log, clock)).toEqual(['web-1', 'web-2']);
    expect(await sweepOfflineServers(store, log, { ...clock, now: secondsAfter(T0, 32) })).toEqual([]);
    const events = await listAuditEvents(t.db, { limit: 10 });
    expect(events.map((e) => [e.kind, e.subject, e.actor]).sort()).toEqual([
      [PRESENCE_AUDIT.wentOffline, 'web-1', 'controller'],
      [PRESENCE_AUDIT.wentOffline, 'web-2', 'controller'],
    ]);
    expect(events[0]?.data).toMatchObject({ lastSeenBefore: secondsAfter(T0, 1).toISOString() });
  });

  it('leaves servers never heard from pending', async () => {
    await insertServer(t.db, { name: 'web-1', address: 'web-1:7443' });
    expect(await sweepOfflineServers(store, log, { now: secondsAfter(T0, 999), startedAt: STARTED, heartbeatSeconds: PERIOD })).toEqual([]);
    expect((await findServerByName(t.db, 'web-1'))?.status).toBe('pending');
  });

  it('takes nobody offline during the first 3 periods after the controller started', async () => {
    await serverSeenAt('web-1', secondsAfter(T0, -600));
    const startedAt = T0;
    expect(await sweepOfflineServers(store, log, { now: secondsAfter(T0, 29), startedAt, heartbeatSeconds: PERIOD })).toEqual([]);
    expect(await sweepOfflineServers(store, log, { now: secondsAfter(T0, 30), startedAt, heartbeatSeconds: PERIOD })).toEqual(['web-1']);
  });
});
