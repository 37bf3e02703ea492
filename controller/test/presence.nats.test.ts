import { randomBytes } from 'node:crypto';
import { connect, type NatsConnection } from 'nats';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '@wofleet/shared';
import type { Heartbeat } from '../../agent/src/daemon/nats/heartbeat.js';
import { openSession, type Session } from '../../agent/src/daemon/nats/session.js';
import type { AgentEvent, EventType } from '../../agent/src/events/types.js';
import { startNatsServer, type NatsServer } from '../../tests/support/nats-server.js';
import {
  findServerByName,
  insertServer,
  listAuditEvents,
  listServers,
  listSites,
  markServerEnrolled,
  type ServerRow,
} from '../src/db/index.js';
import { DEFAULT_EVENT_CONSUMER, DEFAULT_EVENT_STREAM, PRESENCE_AUDIT, startPresence, type Presence } from '../src/presence/index.js';
import { capturingLogger, type LogLine } from './capturing-logger.js';
import { emptyTables, openTestPostgres, type TestDatabase } from './db.fixtures.js';

/**
 * Presence end to end: real Postgres, a private nats-server, and simulated agents that
 * publish through the agent's own NATS session (same subjects, payloads and msgIDs).
 * Heartbeat period 1 s, so "3 missed periods" is 3 s of real time.
 */

const PERIOD_S = 1;
const R1 = { release: 'r-6.5.5-aaaa', version: '6.5.5' };
const R2 = { release: 'r-6.6.2-bbbb', version: '6.6.2' };

/** One agent's NATS side, publishing like the real daemon does. */
interface SimulatedAgent {
  serverId: string;
  beat(summary?: Partial<Heartbeat>): void;
  /** Beats every period from now on (the first at once). */
  startBeating(summary?: Partial<Heartbeat>): void;
  stopBeating(): void;
  emit(type: EventType, data: Record<string, unknown>): Promise<AgentEvent>;
  close(): Promise<void>;
}

let eventCounter = 0;

async function startAgent(serverId: string): Promise<SimulatedAgent> {
  const nc = await connect({ servers: nats.url, name: `sim/${serverId}` });
  const session: Session = openSession(nc, { serverId, stream: DEFAULT_EVENT_STREAM, log: silentLogger(), onReconnect: () => {} });
  let timer: NodeJS.Timeout | undefined;
  const startedAt = Date.now();
  const agent: SimulatedAgent = {
    serverId,
    beat(summary = {}) {
      const beat: Heartbeat = {
        serverId,
        agentVersion: '0.1.0',
        uptimeSeconds: Math.round((Date.now() - startedAt) / 1000),
        at: new Date().toISOString(),
        current: R1,
        canary: null,
        sites: 0,
        health: 'ok',
        diskFreeBytes: 10_000_000,
        ...summary,
      };
      session.publishHeartbeat(beat);
    },
    startBeating(summary) {
      agent.stopBeating();
      agent.beat(summary);
      timer = setInterval(() => agent.beat(summary), PERIOD_S * 1000);
    },
    stopBeating() {
      clearInterval(timer);
      timer = undefined;
    },
    async emit(type, data) {
      const at = new Date();
      const id = `${String(at.getTime()).padStart(15, '0')}-${String(++eventCounter).padStart(6, '0')}-${randomBytes(3).toString('hex')}`;
      const event: AgentEvent = { id, type, serverId, at: at.toISOString(), data };
      await session.publishEvent(event);
      return event;
    },
    async close() {
      agent.stopBeating();
      await nc.drain();
    },
  };
  return agent;
}

async function eventually<T>(probe: () => Promise<T | undefined | false>, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

let t: TestDatabase;
let nats: NatsServer;
let controllerNc: NatsConnection;
let presence: Presence;
let lines: LogLine[];
const agents: SimulatedAgent[] = [];

async function startController(): Promise<void> {
  controllerNc = await connect({ servers: nats.url, name: 'controller-under-test' });
  presence = await startPresence({ db: t.db, nc: controllerNc, log: capturingLogger(lines), heartbeatSeconds: PERIOD_S });
}

async function stopController(): Promise<void> {
  await presence.stop();
  await controllerNc.drain();
}

async function enrolledServer(name: string): Promise<ServerRow> {
  await insertServer(t.db, { name, address: `${name}:7443` });
  return markServerEnrolled(t.db, name, 'f'.repeat(64), new Date());
}

async function agentFor(serverId: string): Promise<SimulatedAgent> {
  const agent = await startAgent(serverId);
  agents.push(agent);
  return agent;
}

/** A JetStream manager on a connection of its own (the controller's may be closed). */
async function fleetManager() {
  const nc = await connect({ servers: nats.url, name: 'test-inspector' });
  inspectors.push(nc);
  return nc.jetstreamManager();
}
const inspectors: NatsConnection[] = [];

const serverRow = (name: string) => findServerByName(t.db, name);
const logged = (msg: string, serverId?: string) =>
  lines.filter((l) => l.msg === msg && (serverId === undefined || l.fields.serverId === serverId));

/** Resolves once the durable consumer has acked everything in the stream. */
async function allEventsConsumed(): Promise<void> {
  const jsm = await controllerNc.jetstreamManager();
  await eventually(async () => {
    const [stream, consumer] = await Promise.all([
      jsm.streams.info(DEFAULT_EVENT_STREAM),
      jsm.consumers.info(DEFAULT_EVENT_STREAM, DEFAULT_EVENT_CONSUMER),
    ]);
    return consumer.ack_floor.stream_seq === stream.state.last_seq && consumer.num_ack_pending === 0;
  }, 'the consumer to ack every event');
}

beforeAll(async () => {
  lines = [];
  [t, nats] = await Promise.all([openTestPostgres(), startNatsServer()]);
  await startController();
});
afterAll(async () => {
  await presence?.stop();
  await controllerNc?.close();
  await nats?.dispose();
  await t?.destroy();
});
beforeEach(async () => {
  await emptyTables(t.db);
  lines.length = 0;
});
afterEach(async () => {
  await Promise.all([...agents.splice(0).map((a) => a.close()), ...inspectors.splice(0).map((nc) => nc.close())]);
});

describe('heartbeats', () => {
  it('a heartbeat marks an enrolled server online with its release', async () => {
    await enrolledServer('web-1');
    const agent = await agentFor('web-1');
    agent.beat({ current: R1, sites: 3, health: 'ok' });
    const row = await eventually(
      async () => ((await serverRow('web-1'))?.status === 'online' ? serverRow('web-1') : undefined),
      'web-1 online',
    );
    expect(row).toMatchObject({
      currentRelease: R1.release,
      currentVersion: R1.version,
      agentVersion: '0.1.0',
      siteCount: 3,
      health: 'ok',
    });
    expect(row.lastSeenAt).toBeInstanceOf(Date);
    expect((await listAuditEvents(t.db, { limit: 10 })).map((e) => [e.kind, e.subject, e.data])).toEqual([
      [PRESENCE_AUDIT.cameOnline, 'web-1', expect.objectContaining({ from: 'pending', to: 'online' })],
    ]);
  });

  it('a server whose heartbeats stop is offline after 3 missed periods, and online again when they resume', async () => {
    await enrolledServer('web-1');
    const agent = await agentFor('web-1');
    agent.startBeating();
    await eventually(async () => (await serverRow('web-1'))?.status === 'online', 'web-1 online');
    await new Promise((r) => setTimeout(r, 1500));
    agent.stopBeating();
    await new Promise((r) => setTimeout(r, 200)); // the last beat in flight lands
    const lastSeen = (await serverRow('web-1'))?.lastSeenAt?.getTime() ?? 0;

    const offlineAt = await eventually(
      async () => ((await serverRow('web-1'))?.status === 'offline' ? Date.now() : undefined),
      'web-1 offline',
    );
    const silentMs = offlineAt - lastSeen;
    // 3 periods, plus at most one sweep period and the 25 ms polling of this test.
    expect(silentMs).toBeGreaterThanOrEqual(3 * PERIOD_S * 1000);
    expect(silentMs).toBeLessThanOrEqual(4 * PERIOD_S * 1000 + 300);

    agent.startBeating();
    await eventually(async () => (await serverRow('web-1'))?.status === 'online', 'web-1 online again', 2 * PERIOD_S * 1000);
    const audit = (await listAuditEvents(t.db, { limit: 10 })).reverse();
    expect(audit.map((e) => [e.kind, e.data.from, e.data.to])).toEqual([
      [PRESENCE_AUDIT.cameOnline, 'pending', 'online'],
      [PRESENCE_AUDIT.wentOffline, undefined, undefined],
      [PRESENCE_AUDIT.cameOnline, 'offline', 'online'],
    ]);
  });

  it('a heartbeat whose health says degraded or unhealthy makes the server degraded', async () => {
    await enrolledServer('web-1');
    const agent = await agentFor('web-1');
    for (const [health, status] of [
      ['degraded', 'degraded'],
      ['ok', 'online'],
      ['unhealthy', 'degraded'],
    ] as const) {
      agent.beat({ health });
      const row = await eventually(async () => {
        const row = await serverRow('web-1');
        return row?.health === health ? row : undefined;
      }, `health ${health}`);
      expect(row.status).toBe(status);
    }
  });

  it('a heartbeat from a server that is not enrolled is ignored and logged', async () => {
    await insertServer(t.db, { name: 'web-9', address: 'web-9:7443' }); // registered, never enrolled
    const before = await listServers(t.db);
    for (const serverId of ['ghost', 'web-9']) (await agentFor(serverId)).beat();
    await eventually(
      async () => logged('heartbeat ignored', 'ghost').length > 0 && logged('heartbeat ignored', 'web-9').length > 0,
      'the warnings',
    );
    expect(logged('heartbeat ignored').every((l) => l.level === 'warn' && l.fields.reason === 'server is not enrolled')).toBe(true);
    expect(await listServers(t.db)).toEqual(before);
    expect(await listAuditEvents(t.db, { limit: 10 })).toEqual([]);
  });

  it('a malformed heartbeat is dropped and logged, and the next one is taken', async () => {
    await enrolledServer('web-1');
    const agent = await agentFor('web-1');
    const encode = (v: unknown) => new TextEncoder().encode(typeof v === 'string' ? v : JSON.stringify(v));
    // Three agents (beats waiting to be written are kept per agent, the newest only).
    controllerNc.publish('wofleet.agent.web-1.heartbeat', encode('{garbage'));
    controllerNc.publish('wofleet.agent.web-2.heartbeat', encode({ serverId: 'web-2', health: 'great' }));
    controllerNc.publish(
      'wofleet.agent.web-3.heartbeat',
      encode({ serverId: 'web-1', agentVersion: '1', uptimeSeconds: 1, at: new Date().toISOString() }),
    );
    await eventually(async () => logged('malformed heartbeat dropped').length === 3, 'three malformed heartbeats logged');
    agent.beat();
    await eventually(async () => (await serverRow('web-1'))?.status === 'online', 'web-1 online');
  });
});

describe('events', () => {
  it('every event is recorded in audit_events and applied to the server and its sites', async () => {
    await enrolledServer('web-1');
    const agent = await agentFor('web-1');
    agent.beat({ current: R1 });
    await eventually(async () => (await serverRow('web-1'))?.status === 'online', 'web-1 online');

    await agent.emit('site-created', { domain: 'a.test', release: R1.release });
    await agent.emit('site-converted', { domain: 'b.test', release: R1.release });
    await agent.emit('staged', { release: R2.release, version: R2.version, newBytes: 1 });
    await eventually(async () => (await listSites(t.db)).length === 2, 'two sites');
    expect((await listSites(t.db)).map((s) => [s.domain, s.release, s.version])).toEqual([
      ['a.test', R1.release, R1.version],
      ['b.test', R1.release, R1.version],
    ]);

    await agent.emit('switched', { from: R1.release, to: R2.release, version: R2.version, sites: 2, canary: 'a.test' });
    await agent.emit('site-removed', { domain: 'a.test' });
    await agent.emit('health-changed', { from: 'ok', to: 'degraded', problems: ['b.test: slow'] });
    await allEventsConsumed();

    expect((await listSites(t.db)).map((s) => [s.domain, s.release, s.version])).toEqual([['b.test', R2.release, R2.version]]);
    expect(await serverRow('web-1')).toMatchObject({
      currentRelease: R2.release,
      currentVersion: R2.version,
      health: 'degraded',
      status: 'degraded',
    });
    const audit = (await listAuditEvents(t.db, { server: 'web-1', limit: 20 })).reverse().filter((e) => e.actor === 'agent:web-1');
    expect(audit.map((e) => [e.kind, e.subject])).toEqual([
      ['site-created', 'a.test'],
      ['site-converted', 'b.test'],
      ['staged', 'web-1'],
      ['switched', R2.release],
      ['site-removed', 'a.test'],
      ['health-changed', 'web-1'],
    ]);
  });

  it('an event delivered twice is recorded and applied once', async () => {
    await enrolledServer('web-1');
    const event = {
      id: 'evt-twice',
      type: 'site-created',
      serverId: 'web-1',
      at: new Date().toISOString(),
      data: { domain: 'a.test', release: R1.release },
    };
    const js = controllerNc.jetstream();
    const payload = new TextEncoder().encode(JSON.stringify(event));
    // Without a msgID the stream keeps both copies, as after a publish retried past the duplicate window.
    await js.publish('wofleet.agent.web-1.event', payload);
    await js.publish('wofleet.agent.web-1.event', payload);
    await allEventsConsumed();
    expect((await listAuditEvents(t.db, { limit: 10 })).map((e) => e.sourceEventId)).toEqual(['evt-twice']);
    expect((await listSites(t.db)).map((s) => s.domain)).toEqual(['a.test']);
  });

  it('events sent while the controller is stopped are all recorded, once each, when it is back', async () => {
    const servers = ['web-1', 'web-2'];
    for (const name of servers) await enrolledServer(name);
    const fleet = await Promise.all(servers.map(agentFor));
    await stopController();
    const sent: AgentEvent[] = [];
    try {
      for (let i = 0; i < 10; i++) {
        for (const agent of fleet)
          sent.push(await agent.emit('site-created', { domain: `s${i}.${agent.serverId}.test`, release: R1.release }));
      }
      // Stored in the stream, waiting for the consumer; nothing recorded yet.
      const jsm = await fleetManager();
      expect((await jsm.consumers.info(DEFAULT_EVENT_STREAM, DEFAULT_EVENT_CONSUMER)).num_pending).toBe(20);
      expect(await listAuditEvents(t.db, { limit: 100 })).toEqual([]);
    } finally {
      await startController();
    }
    await allEventsConsumed();
    const audit = await listAuditEvents(t.db, { limit: 100 });
    expect(audit.map((e) => e.sourceEventId).sort()).toEqual(sent.map((e) => e.id).sort());
    expect(await listSites(t.db)).toHaveLength(20);
  });

  it('an event from a server that is not enrolled is ignored and logged', async () => {
    await insertServer(t.db, { name: 'web-9', address: 'web-9:7443' });
    for (const serverId of ['ghost', 'web-9'])
      await (await agentFor(serverId)).emit('site-created', { domain: 'a.test', release: R1.release });
    await allEventsConsumed();
    expect(logged('event from a server that is not enrolled ignored').map((l) => [l.level, l.fields.serverId])).toEqual([
      ['warn', 'ghost'],
      ['warn', 'web-9'],
    ]);
    expect(await listAuditEvents(t.db, { limit: 10 })).toEqual([]);
    expect(await listSites(t.db)).toEqual([]);
  });

  it('a malformed event is rejected: logged and audited under its server, and the consumer goes on', async () => {
    await enrolledServer('web-1');
    const js = controllerNc.jetstream();
    const encode = (v: unknown) => new TextEncoder().encode(typeof v === 'string' ? v : JSON.stringify(v));
    await js.publish('wofleet.agent.web-1.event', encode('{garbage'));
    await js.publish(
      'wofleet.agent.web-1.event',
      encode({ id: 'bad-1', type: 'switched', serverId: 'web-1', at: new Date().toISOString(), data: {} }),
    );
    const good = await (await agentFor('web-1')).emit('site-created', { domain: 'a.test', release: R1.release });
    await allEventsConsumed();
    expect(logged('event rejected')).toHaveLength(2);
    const audit = (await listAuditEvents(t.db, { limit: 10 })).reverse();
    expect(audit.map((e) => [e.kind, e.subject, e.sourceEventId?.replace(/^(rejected:.*:)\d+$/, '$1N')])).toEqual([
      [PRESENCE_AUDIT.eventRejected, 'web-1', 'rejected:WOFLEET_EVENTS:N'],
      [PRESENCE_AUDIT.eventRejected, 'web-1', 'rejected:WOFLEET_EVENTS:N'],
      ['site-created', 'a.test', good.id],
    ]);
    expect(audit.map((e) => e.data.reason)).toEqual([
      'malformed: payload is not JSON',
      expect.stringMatching(/^malformed: data\.to: /),
      undefined,
    ]);
  });
});

describe('poison messages from one agent', () => {
  const FLEET = ['web-a', 'web-b', 'web-c'] as const;
  const encode = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const statuses = async () => Object.fromEntries((await listServers(t.db)).map((s) => [s.name, s.status]));

  /** Each breaks what the database or a terminal accepts, or the size a beat may have. */
  const POISON_BEATS: Partial<Heartbeat>[] = [
    { agentVersion: '0.1.0\u0000' }, // Postgres refuses NUL in text
    { sites: 10_000_000_000 }, // over a Postgres integer
    { diskFreeBytes: 1e30 }, // over a Postgres bigint
    { current: { release: '\u001b]0;owned\u0007r-evil', version: '6.5.5' } }, // a terminal escape
    { summaryError: 'x'.repeat(40_000) }, // over the byte cap of a beat
  ];

  it("a poison heartbeat loses only itself: the others' beats, in the same batches, keep them online past the offline timeout", async () => {
    for (const name of FLEET) await enrolledServer(name);
    const [a, b, c] = await Promise.all(FLEET.map(agentFor));
    let round = 0;
    const beatAll = () => {
      a?.beat(POISON_BEATS[round++ % POISON_BEATS.length]);
      b?.beat();
      c?.beat();
    };
    beatAll();
    const timer = setInterval(beatAll, PERIOD_S * 1000);
    try {
      await eventually(async () => {
        const now = await statuses();
        return now['web-b'] === 'online' && now['web-c'] === 'online';
      }, 'web-b and web-c online');
      // Three missed periods and a sweep: long enough for the sweeper to take a silent server offline.
      await sleep((3 + 1.5) * PERIOD_S * 1000);
      expect(await statuses()).toEqual({ 'web-a': 'pending', 'web-b': 'online', 'web-c': 'online' });
      for (const name of ['web-b', 'web-c']) {
        expect(Date.now() - ((await serverRow(name))?.lastSeenAt?.getTime() ?? 0)).toBeLessThan(1.5 * PERIOD_S * 1000);
      }
    } finally {
      clearInterval(timer);
    }
    expect(await serverRow('web-a')).toMatchObject({ lastSeenAt: null, agentVersion: null, currentRelease: null, siteCount: null });
    expect(logged('malformed heartbeat dropped').length).toBeGreaterThanOrEqual(POISON_BEATS.length);
    const audit = await listAuditEvents(t.db, { limit: 20 });
    expect(audit.filter((e) => e.kind === PRESENCE_AUDIT.wentOffline)).toEqual([]);
  });

  it("poison events are rejected, audited once and never redelivered; the others' later events are applied in order", async () => {
    for (const name of FLEET) await enrolledServer(name);
    const [, b, c] = await Promise.all(FLEET.map(agentFor));
    b?.startBeating();
    c?.startBeating();
    const poisons: { type: string; at?: string; data: Record<string, unknown> }[] = [
      { type: 'site-created', data: { domain: 'a\u0000.test', release: R1.release } }, // NUL: Postgres refuses it
      { type: 'site-created', data: { domain: `${'x'.repeat(600_000)}.test`, release: R1.release } }, // over the byte cap
      { type: 'staged', data: { release: '\u001b[2J\u001b[31mr-evil', version: '6.5.5', newBytes: 1 } }, // terminal escapes
      { type: 'pruned', data: { removed: ['r\u0000'], freedBytes: 1 } }, // NUL in free-form data: jsonb refuses it
      { type: 'switched', at: '0000-01-01T00:00:00Z', data: { to: R2.release, version: R2.version } }, // a year Postgres cannot store
      { type: 'health-changed', data: { to: 'ok', sites: { 'a\ud800.test': 'ok' } } }, // an unpaired surrogate: jsonb refuses it
    ];
    const js = controllerNc.jetstream();
    for (const [i, { type, at, data }] of poisons.entries()) {
      const poison = { id: `poison-${i}`, type, serverId: 'web-a', at: at ?? new Date().toISOString(), data };
      await js.publish('wofleet.agent.web-a.event', encode(poison));
      await b?.emit('site-created', { domain: `b${i}.test`, release: R1.release });
      await c?.emit('site-created', { domain: `c${i}.test`, release: R1.release });
    }
    await b?.emit('site-removed', { domain: 'b0.test' });
    await c?.emit('switched', { from: R1.release, to: R2.release, version: R2.version, sites: poisons.length, canary: 'c0.test' });
    await allEventsConsumed();

    const agentAudit = async (name: string) =>
      (await listAuditEvents(t.db, { server: name, limit: 50 })).reverse().filter((e) => e.actor === `agent:${name}`);
    const created = (prefix: string) => poisons.map((_, i) => ['site-created', `${prefix}${i}.test`]);
    expect((await agentAudit('web-b')).map((e) => [e.kind, e.subject])).toEqual([...created('b'), ['site-removed', 'b0.test']]);
    expect((await agentAudit('web-c')).map((e) => [e.kind, e.subject])).toEqual([...created('c'), ['switched', R2.release]]);
    const domains = (prefix: string) => poisons.map((_, i) => `${prefix}${i}.test`);
    expect((await listSites(t.db)).map((s) => s.domain)).toEqual([...domains('b').slice(1), ...domains('c')]);
    expect((await listSites(t.db)).filter((s) => s.domain.startsWith('c')).map((s) => s.version)).toEqual(poisons.map(() => R2.version));
    const rejected = await agentAudit('web-a');
    expect(rejected.map((e) => [e.kind, e.subject])).toEqual(poisons.map(() => [PRESENCE_AUDIT.eventRejected, 'web-a']));
    expect(rejected.map((e) => String(e.data.reason))).toEqual([
      expect.stringMatching(/^malformed: data\.domain: control characters/),
      expect.stringMatching(/^malformed: \d+ bytes, over the 524288 allowed$/),
      expect.stringMatching(/^malformed: data\.release: control characters/),
      expect.stringMatching(/^malformed: data\.removed\.0: control characters/),
      expect.stringMatching(/^malformed: at: before the year 1/),
      expect.stringMatching(/^malformed: data\.sites: a key: unpaired UTF-16 surrogate$/),
    ]);
    expect(await serverRow('web-a')).toMatchObject({ currentRelease: null, status: 'pending' });

    // Terminated, not left to time out: a restarted controller is not handed them again.
    const jsm = await fleetManager();
    expect((await jsm.consumers.info(DEFAULT_EVENT_STREAM, DEFAULT_EVENT_CONSUMER)).num_redelivered).toBe(0);
    await stopController();
    await startController();
    await allEventsConsumed();
    await sleep(500);
    expect(logged('event rejected')).toHaveLength(poisons.length);
    expect(await agentAudit('web-a')).toHaveLength(poisons.length);
    expect(await statuses()).toMatchObject({ 'web-b': 'online', 'web-c': 'online' });
  });
});

describe("the controller's own link to NATS", () => {
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  afterEach(async () => {
    if (!nats.running()) await nats.restart();
  });
  const wentOffline = async () => (await listAuditEvents(t.db, { limit: 50 })).filter((e) => e.kind === PRESENCE_AUDIT.wentOffline);

  it('while the controller cannot reach NATS no server goes offline, nor for one timeout after it is back; then sweeps resume', async () => {
    await enrolledServer('web-1');
    const agent = await agentFor('web-1');
    agent.startBeating();
    await eventually(async () => (await serverRow('web-1'))?.status === 'online', 'web-1 online');
    const statuses = controllerNc.status();
    await nats.stop();
    agent.stopBeating();
    // Five periods without a beat heard: nothing is known about web-1, so it stays as it was.
    await sleep(5 * PERIOD_S * 1000);
    expect((await serverRow('web-1'))?.status).toBe('online');
    expect(await wentOffline()).toEqual([]);
    expect(logged('not hearing the fleet: offline sweeps suspended')).toHaveLength(1);

    await nats.restart();
    for await (const s of statuses) if (s.type === 'reconnect') break;
    const backAt = Date.now();
    const offlineAt = await eventually(
      async () => ((await serverRow('web-1'))?.status === 'offline' ? Date.now() : undefined),
      'web-1 offline after the link is back',
    );
    // One timeout after the link came back (web-1 stays silent), plus at most one sweep period and this test's polling.
    expect(offlineAt - backAt).toBeGreaterThanOrEqual(3 * PERIOD_S * 1000 - 50);
    expect(offlineAt - backAt).toBeLessThanOrEqual(4 * PERIOD_S * 1000 + 500);
    expect((await wentOffline()).map((e) => e.subject)).toEqual(['web-1']);
    expect(logged('offline sweeps resumed')).toHaveLength(1);
  });

  it('two controllers whose clocks differ by 90 s agree: a server beating to both never goes offline', async () => {
    const aheadNc = await connect({ servers: nats.url, name: 'controller-ahead' });
    const ahead = await startPresence({
      db: t.db,
      nc: aheadNc,
      log: silentLogger(),
      heartbeatSeconds: PERIOD_S,
      now: () => new Date(Date.now() + 90_000),
    });
    try {
      await enrolledServer('web-1');
      const agent = await agentFor('web-1');
      agent.startBeating();
      await eventually(async () => (await serverRow('web-1'))?.status === 'online', 'web-1 online');
      // The queue group hands each beat to one of the two; seven periods is past both start-up graces.
      const until = Date.now() + 7 * PERIOD_S * 1000;
      while (Date.now() < until) {
        expect((await serverRow('web-1'))?.status).toBe('online');
        await sleep(100);
      }
      expect(await wentOffline()).toEqual([]);
    } finally {
      await ahead.stop();
      await aheadNc.drain();
    }
  });
});
