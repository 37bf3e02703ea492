import { connect, nanos, StorageType, type JetStreamManager, type NatsConnection } from 'nats';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { EVENT_STREAM_LIMITS, StreamConflictError, ensureEventStream } from '../src/daemon/nats/stream.js';
import { subjectMatches } from '../src/daemon/nats/subjects.js';
import { backoffDelay } from '../src/daemon/nats/timers.js';
import { startNatsServer, type NatsServer } from '../../tests/support/nats-server.js';

const STREAM = 'WOFLEET_EVENTS';

describe('events stream', () => {
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
    for await (const name of jsm.streams.names()) await jsm.streams.delete(name);
  });

  it('is created when missing: file storage, every agent event subject, the limits', async () => {
    const ensured = await ensureEventStream(jsm, STREAM, 'web-1');
    expect(ensured).toEqual({ name: STREAM, created: true, subjects: ['wofleet.agent.*.event'] });
    const { config } = await jsm.streams.info(STREAM);
    expect(config.storage).toBe(StorageType.File);
    expect(config.max_age).toBe(nanos(EVENT_STREAM_LIMITS.maxAgeMs));
    expect(config.max_bytes).toBe(EVENT_STREAM_LIMITS.maxBytes);
    expect(config.duplicate_window).toBe(nanos(EVENT_STREAM_LIMITS.duplicateWindowMs));
  });

  it('is re-used when present, however it was configured', async () => {
    await jsm.streams.add({ name: STREAM, subjects: ['wofleet.agent.*.event'], storage: StorageType.File, max_age: nanos(3_600_000) });
    expect(await ensureEventStream(jsm, STREAM, 'web-1')).toMatchObject({ created: false });
    expect(await ensureEventStream(jsm, STREAM, 'web-2')).toMatchObject({ created: false });
    expect((await jsm.streams.info(STREAM)).config.max_age).toBe(nanos(3_600_000));
  });

  it('is re-used when its subjects are wider than the agent events', async () => {
    await jsm.streams.add({ name: STREAM, subjects: ['wofleet.agent.>'] });
    expect(await ensureEventStream(jsm, STREAM, 'web-1')).toEqual({ name: STREAM, created: false, subjects: ['wofleet.agent.>'] });
  });

  it('is ensured twice in a row without change (idempotent)', async () => {
    await ensureEventStream(jsm, STREAM, 'web-1');
    const before = await jsm.streams.info(STREAM);
    expect(await ensureEventStream(jsm, STREAM, 'web-1')).toMatchObject({ created: false });
    expect((await jsm.streams.info(STREAM)).config).toEqual(before.config);
  });

  it('refuses a stream of that name that does not take this agent’s events', async () => {
    await jsm.streams.add({ name: STREAM, subjects: ['something.else'] });
    await expect(ensureEventStream(jsm, STREAM, 'web-1')).rejects.toBeInstanceOf(StreamConflictError);
  });

  it('names the problem when another stream already captures the event subjects', async () => {
    await jsm.streams.add({ name: 'OTHER', subjects: ['wofleet.agent.*.event'] });
    await expect(ensureEventStream(jsm, STREAM, 'web-1')).rejects.toThrow(/already captures wofleet\.agent\.\*\.event/);
  });
});

describe('subjects and backoff', () => {
  it.each([
    ['wofleet.agent.*.event', 'wofleet.agent.web-1.event', true],
    ['wofleet.agent.>', 'wofleet.agent.web-1.event', true],
    ['wofleet.>', 'wofleet', false],
    ['wofleet.agent.*.event', 'wofleet.agent.web-1.heartbeat', false],
    ['wofleet.agent.*', 'wofleet.agent.web-1.event', false],
    ['wofleet.agent.web-1.event', 'wofleet.agent.web-1.event', true],
  ])('%s matches %s: %s', (filter, subject, expected) => {
    expect(subjectMatches(filter, subject)).toBe(expected);
  });

  it('backoff doubles up to the cap, jittered within the upper half', () => {
    const policy = { baseMs: 500, maxMs: 30_000 };
    expect([1, 2, 3, 4].map((n) => backoffDelay(n, policy, () => 1))).toEqual([500, 1000, 2000, 4000]);
    expect([1, 2, 3, 4].map((n) => backoffDelay(n, policy, () => 0))).toEqual([250, 500, 1000, 2000]);
    expect(backoffDelay(20, policy, () => 1)).toBe(30_000);
  });
});
