import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { nkeys, type Authenticator } from 'nats';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createLogger, silentLogger } from '@wofleet/shared';
import { makeAgentConfig } from '../src/config/load.js';
import { createNatsUser, RECONNECT_JITTER_MS, RECONNECT_WAIT_MS } from '@wofleet/shared/nats';
import { agentNatsOptions } from '../src/daemon/nats/connect.js';
import { startNatsPublisher } from '../src/daemon/nats/index.js';
import { findFreePort } from '../../tests/support/net.js';
import { startNatsServer, type NatsServer } from '../../tests/support/nats-server.js';

const log = process.env.WOFLEET_LOG_LEVEL ? createLogger('test') : silentLogger();
const emptyOutbox = { pending: async () => [], ack: async () => {} };
const summary = async () => ({ current: null, canary: null, sites: 0, health: 'ok' as const, diskFreeBytes: 0 });

describe('connection options', () => {
  it('come from the config: servers, user/pass, TLS files, reconnecting forever with jitter', () => {
    const config = makeAgentConfig({
      serverId: 'web-1',
      nats: {
        servers: ['nats://a:4222', 'nats://b:4222'],
        user: 'agent',
        pass: 'secret',
        tls: { caFile: '/etc/wofleet/ca.pem', certFile: '/etc/wofleet/agent.pem', keyFile: '/etc/wofleet/agent.key' },
      },
    });
    expect(agentNatsOptions(config)).toMatchObject({
      servers: ['nats://a:4222', 'nats://b:4222'],
      user: 'agent',
      pass: 'secret',
      tls: { caFile: '/etc/wofleet/ca.pem', certFile: '/etc/wofleet/agent.pem', keyFile: '/etc/wofleet/agent.key' },
      maxReconnectAttempts: -1,
      waitOnFirstConnect: true,
      reconnectTimeWait: RECONNECT_WAIT_MS,
      reconnectJitter: RECONNECT_JITTER_MS,
    });
  });

  it('use a credentials file through an authenticator, and no TLS unless configured', () => {
    const options = agentNatsOptions(makeAgentConfig({ nats: { credsFile: '/etc/wofleet/agent.creds' } }));
    expect(typeof options.authenticator).toBe('function');
    expect(options.tls).toBeUndefined();
    expect(options.user).toBeUndefined();
  });
});

describe("the agent's NATS user", () => {
  it('is the seed enrollment wrote beside the gRPC key, signing the nonce; replies come under its own inbox prefix', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'wofleet-nats-seed-'));
    const user = createNatsUser();
    await writeFile(path.join(dir, 'nats.nk'), `${user.seed}\n`, { mode: 0o600 });
    const options = agentNatsOptions(makeAgentConfig({ serverId: 'web-1', grpc: { keyFile: path.join(dir, 'agent.key') } }));
    expect(options.inboxPrefix).toBe('_INBOX.agent.web-1');
    const auth = options.authenticator;
    expect(typeof auth).toBe('function');
    const signed = (auth as Authenticator)('nonce-1') as { nkey: string; sig: string };
    expect(signed.nkey).toBe(user.publicKey);
    expect(nkeys.fromPublic(user.publicKey).verify(new TextEncoder().encode('nonce-1'), nkeys.decode(signed.sig))).toBe(true);
  });

  it('is absent until enrollment wrote a seed (an agent enrolled before NATS identities connects as before)', () => {
    const options = agentNatsOptions(makeAgentConfig({ serverId: 'web-1', grpc: { keyFile: '/nonexistent/agent.key' } }));
    expect(options.authenticator).toBeUndefined();
    expect(options.inboxPrefix).toBe('_INBOX.agent.web-1');
  });
});

describe('connecting to a server that requires a password', () => {
  let server: NatsServer;

  beforeAll(async () => {
    server = await startNatsServer({ args: ['--user', 'agent', '--pass', 'secret'] });
  });
  afterAll(async () => {
    await server?.dispose();
  });

  it('succeeds with the configured user and password', async () => {
    const config = makeAgentConfig({ serverId: 'web-1', nats: { servers: [server.url], user: 'agent', pass: 'secret' } });
    const nats = startNatsPublisher({ config, outbox: emptyOutbox, summary, log });
    try {
      await vi.waitUntil(() => nats.connected(), { timeout: 10_000, interval: 20 });
    } finally {
      await nats.stop();
    }
  });

  it('keeps trying after wrong credentials, although the client itself gives up after two refusals', async () => {
    const config = makeAgentConfig({ serverId: 'web-1', nats: { servers: [server.url], user: 'agent', pass: 'wrong' } });
    const nats = startNatsPublisher({ config, outbox: emptyOutbox, summary, log, retry: { baseMs: 50, maxMs: 100 } });
    const refusals = async () => ((await readFile(server.logFile, 'utf8')).match(/authentication error/g) ?? []).length;
    try {
      // The client's own attempts stop after the second refusal; a third means we dialled again.
      await vi.waitUntil(async () => (await refusals()) >= 3, { timeout: 15_000, interval: 50 });
      expect(nats.connected()).toBe(false);
    } finally {
      await nats.stop();
    }
  });
});

it('stop() before NATS was ever reachable returns at once', async () => {
  const config = makeAgentConfig({ serverId: 'web-1', nats: { servers: [`nats://127.0.0.1:${await findFreePort()}`] } });
  const nats = startNatsPublisher({ config, outbox: emptyOutbox, summary, log });
  await new Promise((r) => setTimeout(r, 300));
  expect(nats.connected()).toBe(false);
  const stopping = Date.now();
  await nats.stop();
  expect(Date.now() - stopping).toBeLessThan(500);
});
