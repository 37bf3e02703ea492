import { connect, type NatsConnection } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NotFoundError, silentLogger } from '@wofleet/shared';
import { startNatsServer, type NatsServer } from '../../tests/support/nats-server.js';
import {
  campaignEventSubject,
  getCampaign,
  parseCampaignRequest,
  startCampaign,
  type CampaignEvent,
  type CampaignView,
} from '../src/campaigns/index.js';
import { createCampaignRepository, writeCampaignState, writeTargetState, writeWaveState } from '../src/campaign-store/index.js';
import { systemClock } from '../src/context/index.js';
import { natsCampaignPublisher, natsSubscriber, type CampaignUpdate } from '../src/events/campaign-events.js';
import { watchCampaign, type WatchCampaignOptions } from '../src/api/rollout-watch.js';
import { applyCampaignChanges } from '../src/events/campaign-changes.js';
import { requestText, seedFleet } from './campaigns.fixtures.js';
import { useTestPostgres } from './db.fixtures.js';

/**
 * WatchRollout's loop against real Postgres and a private nats-server. Campaign state
 * is changed through the engine's store functions and each change's event published
 * the way the controller does (after the write); the watch must show each change in
 * order and end once the campaign is final.
 */
const pg = useTestPostgres();

let nats: NatsServer;
let nc: NatsConnection;
beforeAll(async () => {
  nats = await startNatsServer();
  nc = await connect({ servers: nats.url, name: 'rollout-watch-test' });
}, 30_000);
afterAll(async () => {
  await nc?.close();
  await nats?.dispose();
});

const ACTOR = 'controller:test';
/** Long enough that within a test only events (not polling) can bring news. */
const NO_POLLING = { withEvents: 60_000, withoutEvents: 60_000 };

async function startTestCampaign(): Promise<CampaignView> {
  await seedFleet(pg.db, [{ name: 'web-1', canary: true }, { name: 'web-2' }, { name: 'web-3' }]);
  return startCampaign(
    { repository: createCampaignRepository(pg.db), clock: systemClock },
    parseCampaignRequest(requestText({ waves: '1,2' })),
    'operator:alice',
  );
}

/** A running watch whose messages the test waits for one by one. */
function runWatch(id: string, options: Partial<WatchCampaignOptions> = {}) {
  const received: CampaignUpdate[] = [];
  let notify = () => {};
  const gone = new AbortController();
  const done = watchCampaign({
    id,
    read: (campaignId) => getCampaign({ repository: createCampaignRepository(pg.db) }, campaignId),
    subscribe: natsSubscriber(nc),
    send: (update) => {
      received.push(update);
      notify();
    },
    signal: gone.signal,
    log: silentLogger(),
    pollMs: NO_POLLING,
    readGapMs: 0,
    ...options,
  });
  return {
    received,
    done,
    stop: () => gone.abort(),
    /** Resolves once `count` messages have arrived. */
    async until(count: number, timeoutMs = 10_000): Promise<CampaignUpdate[]> {
      const deadline = Date.now() + timeoutMs;
      while (received.length < count) {
        if (Date.now() > deadline) throw new Error(`only ${received.length} of ${count} watch messages after ${timeoutMs} ms`);
        await new Promise<void>((resolve) => {
          notify = resolve;
          setTimeout(resolve, 50);
        });
      }
      return received;
    },
  };
}

/** What the controller does after each committed change. */
const publish = (event: CampaignEvent) => natsCampaignPublisher(nc, silentLogger())(event);

describe('watchCampaign', () => {
  it('sends the snapshot, then each committed change with its event, in order, and ends at the final state', async () => {
    const { id } = await startTestCampaign();
    const watch = runWatch(id);
    const [snapshot] = await watch.until(1);
    expect(snapshot?.event).toBeUndefined();
    expect(snapshot?.view).toMatchObject({ id, state: 'running' });
    expect(snapshot?.view.targets.map((t) => [t.server, t.state])).toEqual([
      ['web-1', 'pending'],
      ['web-2', 'pending'],
      ['web-3', 'pending'],
    ]);

    const now = () => new Date();
    const steps: Array<() => Promise<CampaignEvent>> = [
      () => writeWaveState(pg.db, id, 0, 'running', ACTOR, now()),
      () => writeTargetState(pg.db, { campaignId: id, server: 'web-1', wave: 0 }, 'switching', {}, ACTOR, now()),
      () => writeTargetState(pg.db, { campaignId: id, server: 'web-1', wave: 0 }, 'succeeded', {}, ACTOR, now()),
      () => writeWaveState(pg.db, id, 0, 'succeeded', ACTOR, now()),
      () => writeTargetState(pg.db, { campaignId: id, server: 'web-2', wave: 1 }, 'failed', { reason: 'offline' }, ACTOR, now()),
      () => writeCampaignState(pg.db, id, { state: 'failed', reason: 'failures over --max-failures' }, ACTOR, now()),
    ];
    const sent: CampaignEvent[] = [];
    for (const step of steps) {
      const event = await step();
      publish(event);
      sent.push(event);
      await watch.until(1 + sent.length);
    }
    await watch.done;

    const updates = watch.received.slice(1);
    expect(updates.map((u) => u.event)).toEqual(sent);
    // Each message shows the campaign as it was after its change.
    expect(updates[1]?.view.targets.find((t) => t.server === 'web-1')?.state).toBe('switching');
    expect(updates[2]?.view.targets.find((t) => t.server === 'web-1')?.state).toBe('succeeded');
    expect(updates[3]?.view.waves[0]?.state).toBe('succeeded');
    expect(updates[4]?.view.targets.find((t) => t.server === 'web-2')).toMatchObject({ state: 'failed', reason: 'offline' });
    expect(updates[5]?.view).toMatchObject({ state: 'failed', reason: 'failures over --max-failures' });
    expect(watch.received).toHaveLength(1 + steps.length);

    // Each message also says what changed since the one before: applied to the snapshot in
    // turn they give every view, and they name only the wave or server that changed.
    expect(snapshot?.changes).toBeUndefined();
    let view = snapshot?.view as CampaignView;
    for (const update of updates) {
      if (!update.changes) throw new Error('an update after the snapshot without its changes');
      view = applyCampaignChanges(view, update.changes);
      expect(view).toEqual(update.view);
    }
    expect(updates.map((u) => [u.changes?.waves.map((w) => w.index), u.changes?.targets.map((t) => t.server)])).toEqual([
      [[0], []],
      [[], ['web-1']],
      [[], ['web-1']],
      [[0], []],
      [[], ['web-2']],
      [[], []],
    ]);
  });

  it('events that arrive together are read once: the first message carries the changes, the others nothing more', async () => {
    const { id } = await startTestCampaign();
    let reads = 0;
    const repository = createCampaignRepository(pg.db);
    // The first event comes within the gap after the snapshot's read: the watch waits the
    // gap out and takes the events that came meanwhile with it.
    const watch = runWatch(id, {
      read: (campaignId) => {
        reads++;
        return getCampaign({ repository }, campaignId);
      },
      readGapMs: 1_000,
    });
    await watch.until(1);
    const now = () => new Date();
    const events = [
      await writeTargetState(pg.db, { campaignId: id, server: 'web-1', wave: 0 }, 'staging', {}, ACTOR, now()),
      await writeTargetState(pg.db, { campaignId: id, server: 'web-2', wave: 1 }, 'staging', {}, ACTOR, now()),
      await writeCampaignState(pg.db, id, { state: 'aborted', reason: null }, ACTOR, now()),
    ];
    for (const event of events) publish(event);
    expect(await watch.done).toBe('final');

    expect(reads).toBe(2);
    const updates = watch.received.slice(1);
    expect(updates.map((u) => u.event)).toEqual(events);
    expect(updates.map((u) => u.view.state)).toEqual(['aborted', 'aborted', 'aborted']);
    expect(updates.map((u) => [u.changes?.state, u.changes?.targets.map((t) => t.server), u.changes?.waves.length])).toEqual([
      ['aborted', ['web-1', 'web-2'], 0],
      ['aborted', [], 0],
      ['aborted', [], 0],
    ]);
  });

  it('ignores malformed messages and events of other campaigns on the subject', async () => {
    const { id } = await startTestCampaign();
    const watch = runWatch(id);
    await watch.until(1);
    nc.publish(campaignEventSubject(id), 'not json');
    nc.publish(campaignEventSubject(id), JSON.stringify({ campaignId: id, scope: 'campaign' }));
    nc.publish(
      campaignEventSubject(id),
      JSON.stringify({ campaignId: 'someone-else', at: new Date().toISOString(), scope: 'campaign', state: 'paused' }),
    );
    const event = await writeCampaignState(pg.db, id, { state: 'aborted', reason: 'abort by operator:alice' }, ACTOR, new Date());
    publish(event);
    await watch.done;
    expect(watch.received.map((u) => u.event)).toEqual([undefined, event]);
  });

  it('ignores an event of this campaign with a terminal escape, a forged line or over its size', async () => {
    const { id } = await startTestCampaign();
    const watch = runWatch(id);
    await watch.until(1);
    const forged = { campaignId: id, at: new Date().toISOString(), scope: 'target', state: 'succeeded', wave: 0 };
    for (const event of [
      { ...forged, server: 'web-1', reason: '\u001b]0;owned\u0007\u001b[2J' },
      { ...forged, server: 'web-1\n2026-01-01T00:00:00.000Z web-2 (wave 1)' },
      { ...forged, server: 'web-1', reason: 'x'.repeat(20_000) },
    ]) {
      nc.publish(campaignEventSubject(id), JSON.stringify(event));
    }
    const event = await writeCampaignState(pg.db, id, { state: 'aborted', reason: 'abort by operator:alice' }, ACTOR, new Date());
    publish(event);
    await watch.done;
    expect(watch.received.map((u) => u.event)).toEqual([undefined, event]);
  });

  it('without NATS it polls Postgres and still follows the campaign to its end', async () => {
    const { id } = await startTestCampaign();
    const watch = runWatch(id, { subscribe: undefined, pollMs: { withEvents: 60_000, withoutEvents: 100 } });
    await watch.until(1);
    await writeTargetState(pg.db, { campaignId: id, server: 'web-1', wave: 0 }, 'staging', {}, ACTOR, new Date());
    const [, polled] = await watch.until(2);
    expect(polled?.event).toBeUndefined();
    expect(polled?.view.targets.find((t) => t.server === 'web-1')?.state).toBe('staging');
    await writeCampaignState(pg.db, id, { state: 'succeeded', reason: null }, ACTOR, new Date());
    await watch.done;
    expect(watch.received.at(-1)?.view.state).toBe('succeeded');
    // Polling sends only what changed: one message per change here.
    expect(watch.received).toHaveLength(3);
  });

  it('a NATS connection that is gone makes the watch poll instead of failing', async () => {
    const { id } = await startTestCampaign();
    const closed = await connect({ servers: nats.url });
    await closed.close();
    const watch = runWatch(id, { subscribe: natsSubscriber(closed), pollMs: { withEvents: 60_000, withoutEvents: 100 } });
    await watch.until(1);
    await writeCampaignState(pg.db, id, { state: 'aborted', reason: null }, ACTOR, new Date());
    await watch.done;
    expect(watch.received.map((u) => u.view.state)).toEqual(['running', 'aborted']);
  });

  it('a campaign already final gives its snapshot and ends', async () => {
    const { id } = await startTestCampaign();
    await writeCampaignState(pg.db, id, { state: 'aborted', reason: null }, ACTOR, new Date());
    const watch = runWatch(id);
    await watch.done;
    expect(watch.received.map((u) => [u.event, u.view.state])).toEqual([[undefined, 'aborted']]);
  });

  it('ends as soon as the watcher goes away', async () => {
    const { id } = await startTestCampaign();
    const watch = runWatch(id);
    await watch.until(1);
    const before = Date.now();
    watch.stop();
    await watch.done;
    expect(Date.now() - before).toBeLessThan(1_000);
  });

  it('an unknown campaign is NotFoundError', async () => {
    const watch = runWatch('6f1c1d3e-0000-4000-8000-000000000000');
    await expect(watch.done).rejects.toThrow(NotFoundError);
  });
});
