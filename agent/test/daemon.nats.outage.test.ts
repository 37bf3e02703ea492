import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { connect } from 'nats';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createLogger, silentLogger } from '@wofleet/shared';
import { makeAgentConfig } from '../src/config/load.js';
import { createOutbox, type Outbox } from '../src/events/outbox.js';
import type { AgentEvent } from '../src/events/types.js';
import { startNatsPublisher, type NatsPublisher } from '../src/daemon/nats/index.js';
import { startNatsServer, type NatsServer } from '../../tests/support/nats-server.js';

const log = process.env.WOFLEET_LOG_LEVEL ? createLogger('test') : silentLogger();
const STREAM = 'WOFLEET_EVENTS';
const summary = async () => ({ current: null, canary: null, sites: 0, health: 'ok' as const, diskFreeBytes: 0 });

async function storedEvents(url: string): Promise<AgentEvent[]> {
  const nc = await connect({ servers: url });
  try {
    const jsm = await nc.jetstreamManager();
    const info = await jsm.streams.info(STREAM);
    const events: AgentEvent[] = [];
    for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++)
      events.push((await jsm.streams.getMessage(STREAM, { seq })).json<AgentEvent>());
    return events;
  } finally {
    await nc.close();
  }
}

describe('NATS outage', () => {
  let server: NatsServer;
  let outbox: Outbox;
  let nats: NatsPublisher | undefined;

  beforeAll(async () => {
    server = await startNatsServer();
    // The stream is the controller's: agents publish into it but may not create it.
    const nc = await connect({ servers: server.url });
    await (await nc.jetstreamManager()).streams.add({ name: STREAM, subjects: ['wofleet.agent.*.event'] });
    await nc.close();
    outbox = createOutbox(path.join(await mkdtemp(path.join(os.tmpdir(), 'wofleet-outbox-')), 'outbox'), 'web-1');
  });
  afterAll(async () => {
    await nats?.stop();
    await server?.dispose();
  });

  it('events raised while the server is down arrive after it is back, in order, none lost', async () => {
    const config = makeAgentConfig({ serverId: 'web-1', nats: { servers: [server.url], heartbeatSeconds: 1, stream: STREAM } });
    nats = startNatsPublisher({ config, outbox, summary, log, retry: { baseMs: 100, maxMs: 1_000 } });
    await outbox.emit('staged', { n: 0 });
    nats.wake();
    await vi.waitUntil(async () => (await outbox.pending()).length === 0, { timeout: 10_000, interval: 20 });

    await server.stop();
    await vi.waitUntil(() => !nats!.connected(), { timeout: 5_000, interval: 20 });
    for (let n = 1; n <= 20; n++) {
      await outbox.emit('staged', { n });
      nats.wake();
    }
    await new Promise((r) => setTimeout(r, 500));
    expect(await outbox.pending()).toHaveLength(20);

    await server.restart();
    await vi.waitUntil(async () => (await outbox.pending()).length === 0, { timeout: 20_000, interval: 50 });
    expect(nats.connected()).toBe(true);
    const stored = await storedEvents(server.url);
    expect(stored.map((e) => e.data.n)).toEqual(Array.from({ length: 21 }, (_, n) => n));
    expect(new Set(stored.map((e) => e.id)).size).toBe(21);
  });

  it('stop() during an outage returns promptly and keeps the events on disk', async () => {
    await server.stop();
    await vi.waitUntil(() => !nats!.connected(), { timeout: 5_000, interval: 20 });
    await outbox.emit('pruned', { removed: 2 });
    nats!.wake();
    const stopping = Date.now();
    await nats!.stop();
    nats = undefined;
    expect(Date.now() - stopping).toBeLessThan(2_000);
    expect((await outbox.pending()).map((e) => e.type)).toEqual(['pruned']);
  });
});
