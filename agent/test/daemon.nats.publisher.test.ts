import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { connect, type JetStreamManager, type NatsConnection } from 'nats';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { createLogger, silentLogger } from '@wofleet/shared';
import { makeAgentConfig } from '../src/config/load.js';
import { createOutbox } from '../src/events/outbox.js';
import type { AgentEvent } from '../src/events/types.js';
import { eventSubject, startNatsPublisher } from '../src/daemon/nats/index.js';
import { startEventPublisher, type PublishReceipt } from '../src/daemon/nats/publisher.js';
import { realTimers } from '../src/daemon/nats/timers.js';
import { startNatsServer, type NatsServer } from '../../tests/support/nats-server.js';

const log = process.env.WOFLEET_LOG_LEVEL ? createLogger('test') : silentLogger();
const STREAM = 'WOFLEET_EVENTS';
const summary = async () => ({ current: null, canary: null, sites: 0, health: 'ok' as const, diskFreeBytes: 0 });
const fastRetry = { baseMs: 50, maxMs: 200 };
const tmpOutboxDir = async () => path.join(await mkdtemp(path.join(os.tmpdir(), 'wofleet-outbox-')), 'outbox');

interface Stored {
  subject: string;
  msgId: string | undefined;
  event: AgentEvent;
}

async function readStream(jsm: JetStreamManager): Promise<Stored[]> {
  const info = await jsm.streams.info(STREAM);
  const stored: Stored[] = [];
  for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages > 0; seq++) {
    const msg = await jsm.streams.getMessage(STREAM, { seq });
    stored.push({ subject: msg.subject, msgId: msg.header.get('Nats-Msg-Id') || undefined, event: msg.json<AgentEvent>() });
  }
  return stored;
}

describe('event publisher over a real nats-server', () => {
  let server: NatsServer;
  let nc: NatsConnection;
  let jsm: JetStreamManager;

  beforeAll(async () => {
    server = await startNatsServer();
    nc = await connect({ servers: server.url });
    jsm = await nc.jetstreamManager();
  });
  afterAll(async () => {
    await nc?.close();
    await server?.dispose();
  });
  beforeEach(async () => {
    // A fresh stream as the controller makes it (agents may not create it).
    await jsm.streams.delete(STREAM).catch(() => false);
    await jsm.streams.add({ name: STREAM, subjects: ['wofleet.agent.*.event'] });
  });

  const configFor = (serverId: string) =>
    makeAgentConfig({ serverId, nats: { servers: [server.url], heartbeatSeconds: 60, stream: STREAM } });

  it('publishes appended events in order on wofleet.agent.<serverId>.event with the event id as msgID', async () => {
    const outbox = createOutbox(await tmpOutboxDir(), 'pub-1');
    for (let i = 0; i < 10; i++) await outbox.emit('staged', { n: i });
    const emitted = await outbox.pending();
    const nats = startNatsPublisher({ config: configFor('pub-1'), outbox, summary, log, retry: fastRetry });
    try {
      await vi.waitUntil(async () => (await outbox.pending()).length === 0, { timeout: 10_000, interval: 50 });
      const stored = await readStream(jsm);
      expect(stored.map((s) => s.event)).toEqual(emitted);
      expect(stored.map((s) => s.msgId)).toEqual(emitted.map((e) => e.id));
      expect(new Set(stored.map((s) => s.subject))).toEqual(new Set([eventSubject('pub-1')]));
      expect(stored.map((s) => s.event.data.n)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    } finally {
      await nats.stop();
    }
  });

  it('an event re-published after a crash before its outbox ack is stored once (JetStream dedupe)', async () => {
    const outbox = createOutbox(await tmpOutboxDir(), 'pub-2');
    await outbox.emit('switched', { to: '6.5.5' });
    await outbox.emit('pruned', { removed: 1 });
    const [first] = await outbox.pending();
    // A previous daemon got the PubAck for `first` but died before outbox.ack().
    const js = nc.jetstream();
    await js.publish(eventSubject('pub-2'), JSON.stringify(first), { msgID: first!.id });
    const nats = startNatsPublisher({ config: configFor('pub-2'), outbox, summary, log, retry: fastRetry });
    try {
      await vi.waitUntil(async () => (await outbox.pending()).length === 0, { timeout: 10_000, interval: 50 });
      const stored = await readStream(jsm);
      expect(stored.map((s) => s.event.type)).toEqual(['switched', 'pruned']);
      const again = await js.publish(eventSubject('pub-2'), JSON.stringify(first), { msgID: first!.id });
      expect(again.duplicate).toBe(true);
      expect((await jsm.streams.info(STREAM)).state.messages).toBe(2);
    } finally {
      await nats.stop();
    }
  });

  it('wake() publishes a new event without waiting for the poll', async () => {
    const outbox = createOutbox(await tmpOutboxDir(), 'pub-3');
    const nats = startNatsPublisher({ config: configFor('pub-3'), outbox, summary, log, retry: fastRetry, pollMs: 60_000 });
    try {
      await vi.waitUntil(() => nats.connected(), { timeout: 10_000, interval: 20 });
      await outbox.emit('site-created', { domain: 'a.test' });
      const woken = Date.now();
      nats.wake();
      await vi.waitUntil(async () => (await outbox.pending()).length === 0, { timeout: 5_000, interval: 10 });
      expect(Date.now() - woken).toBeLessThan(2_000);
      expect((await readStream(jsm)).map((s) => s.event.data)).toEqual([{ domain: 'a.test' }]);
    } finally {
      await nats.stop();
    }
  });

  it('events appended by another process (the CLI) are picked up by the poll', async () => {
    const dir = await tmpOutboxDir();
    const daemonOutbox = createOutbox(dir, 'pub-4');
    const cliOutbox = createOutbox(dir, 'pub-4');
    const nats = startNatsPublisher({ config: configFor('pub-4'), outbox: daemonOutbox, summary, log, retry: fastRetry, pollMs: 200 });
    try {
      await vi.waitUntil(() => nats.connected(), { timeout: 10_000, interval: 20 });
      await cliOutbox.emit('rolled-back', { to: '6.4.5' });
      await vi.waitUntil(async () => (await daemonOutbox.pending()).length === 0, { timeout: 5_000, interval: 20 });
      expect((await readStream(jsm)).map((s) => s.event.type)).toEqual(['rolled-back']);
    } finally {
      await nats.stop();
    }
  });

  it('an unparseable outbox file is quarantined and reported; the events around it are published in order', async () => {
    const dir = await tmpOutboxDir();
    const outbox = createOutbox(dir, 'pub-5');
    await outbox.emit('staged', { n: 1 });
    await outbox.emit('switched', { to: '6.5.5' });
    const [first] = await outbox.pending();
    // Sorts between the two events: a torn write by a crashed or faulty process.
    const damaged = `${first!.id.slice(0, -1)}~.json`;
    await writeFile(path.join(dir, damaged), '{"id":"half');
    const nats = startNatsPublisher({ config: configFor('pub-5'), outbox, summary, log, retry: fastRetry, pollMs: 100 });
    try {
      await vi.waitUntil(async () => (await readdir(dir)).filter((n) => n.endsWith('.json')).length === 0, {
        timeout: 10_000,
        interval: 50,
      });
      const stored = (await readStream(jsm)).map((s) => s.event);
      expect(stored.map((e) => e.type)).toEqual(['staged', 'switched', 'file-quarantined']);
      const quarantined = await readdir(path.join(dir, 'quarantine'));
      expect(quarantined).toHaveLength(1);
      expect(quarantined[0]).toMatch(new RegExp(`^${damaged.replace(/[.~]/g, '\\$&')}\\.\\d{8}T\\d{9}Z$`));
      expect(await readFile(path.join(dir, 'quarantine', quarantined[0]!), 'utf8')).toBe('{"id":"half');
      expect(stored[2]?.data).toEqual({
        area: 'outbox',
        file: damaged,
        movedTo: path.join(dir, 'quarantine', quarantined[0]!),
        reason: 'not JSON',
      });
    } finally {
      await nats.stop();
    }
  });
});

describe('outbox drain loop', () => {
  function memoryOutbox(count: number) {
    const events: AgentEvent[] = Array.from({ length: count }, (_, i) => ({
      id: `e${String(i).padStart(3, '0')}`,
      type: 'staged',
      serverId: 's1',
      at: new Date(0).toISOString(),
      data: { n: i },
    }));
    const acked: string[] = [];
    return {
      acked,
      outbox: {
        pending: async () => events.filter((e) => !acked.includes(e.id)),
        ack: async (id: string) => {
          acked.push(id);
        },
      },
    };
  }

  it('retries a failed event before any later one, never skipping it', async () => {
    const { outbox, acked } = memoryOutbox(4);
    const attempts: string[] = [];
    let failuresLeft = 3;
    const publish = async (event: AgentEvent): Promise<PublishReceipt> => {
      attempts.push(event.id);
      if (event.id === 'e001' && failuresLeft-- > 0) throw new Error('no responders');
      return { seq: attempts.length, duplicate: false };
    };
    const publisher = startEventPublisher({
      outbox,
      publish,
      connected: () => true,
      pollMs: 10,
      retry: { baseMs: 5, maxMs: 20 },
      timers: realTimers,
      log,
    });
    await vi.waitUntil(() => acked.length === 4, { timeout: 5_000, interval: 5 });
    await publisher.stop();
    expect(attempts).toEqual(['e000', 'e001', 'e001', 'e001', 'e001', 'e002', 'e003']);
    expect(acked).toEqual(['e000', 'e001', 'e002', 'e003']);
  });

  it('stop() lets the in-flight publish finish and ack, and starts no new one', async () => {
    const { outbox, acked } = memoryOutbox(3);
    const attempts: string[] = [];
    let release: () => void = () => {};
    const publish = (event: AgentEvent) => {
      attempts.push(event.id);
      return new Promise<PublishReceipt>((resolve) => {
        release = () => resolve({ seq: 1, duplicate: false });
      });
    };
    const publisher = startEventPublisher({
      outbox,
      publish,
      connected: () => true,
      pollMs: 10,
      retry: { baseMs: 5, maxMs: 20 },
      timers: realTimers,
      log,
    });
    await vi.waitUntil(() => attempts.length === 1, { timeout: 5_000, interval: 5 });
    const stopped = publisher.stop();
    release();
    await stopped;
    expect(attempts).toEqual(['e000']);
    expect(acked).toEqual(['e000']);
  });

  it('does not publish while disconnected', async () => {
    const { outbox, acked } = memoryOutbox(2);
    let up = false;
    const publish = async (): Promise<PublishReceipt> => ({ seq: 1, duplicate: false });
    const publisher = startEventPublisher({
      outbox,
      publish,
      connected: () => up,
      pollMs: 10,
      retry: { baseMs: 5, maxMs: 20 },
      timers: realTimers,
      log,
    });
    await new Promise((r) => setTimeout(r, 100));
    expect(acked).toEqual([]);
    up = true;
    publisher.wake();
    await vi.waitUntil(() => acked.length === 2, { timeout: 5_000, interval: 5 });
    await publisher.stop();
  });
});
