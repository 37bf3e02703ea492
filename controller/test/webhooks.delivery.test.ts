import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '@wofleet/shared';
import { createCampaignRepository } from '../src/campaign-store/index.js';
import { actOnCampaign, getCampaign, parseCampaignRequest, startCampaign, startCampaignRunner } from '../src/campaigns/index.js';
import { systemClock } from '../src/context/index.js';
import { listWebhookDeliveries, recordHeartbeat } from '../src/db/index.js';
import {
  ATTEMPT_HEADER,
  EVENT_HEADER,
  EVENT_ID_HEADER,
  SIGNATURE_HEADER,
  startWebhookDelivery,
  TIMESTAMP_HEADER,
  webhookSignatureMatches,
  type WebhookPayload,
} from '../src/webhooks/index.js';
import { requestText, seedFleet } from './campaigns.fixtures.js';
import { createSimAgents } from './campaigns.sim-agents.js';
import { createTestFleet } from './cli.fixtures.js';
import { useTestPostgres } from './db.fixtures.js';

/**
 * Webhooks end to end on real Postgres: the campaign engine runs a campaign (simulated
 * agents), its transitions queue webhooks in their transactions, and the delivery worker
 * POSTs them to a real HTTP receiver here, which checks every signature. The receiver
 * first answers 500, then is down (connection refused), then answers: every event
 * still arrives.
 */
const pg = useTestPostgres();
const SECRET = Buffer.from('test-webhook-secret-0123456789abcdef');
const SERVERS = ['web-1', 'web-2'];

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  status: number;
}

/** An HTTP receiver on loopback that records every request; `answer` decides each status. */
class Receiver {
  readonly requests: Received[] = [];
  answer: (request: number) => number = () => 200;
  private server: Server | undefined;
  port = 0;

  async start(): Promise<void> {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const status = this.answer(this.requests.length);
        this.requests.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), status });
        res.writeHead(status).end();
      });
    });
    server.listen(this.port, '127.0.0.1');
    await once(server, 'listening');
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/hooks/wofleet`;
  }
}

async function until(what: string, check: () => boolean | Promise<boolean>, withinMs = 30_000): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const stops: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
});

describe('campaign webhooks', () => {
  it('every event of a campaign reaches the receiver signed, after a 500 and while it was down', async () => {
    const receiver = new Receiver();
    await receiver.start();
    stops.push(() => receiver.stop());
    // The first request is answered 500; then the receiver goes down until the test brings it back.
    receiver.answer = (n) => {
      if (n === 0) setImmediate(() => void receiver.stop());
      return n === 0 ? 500 : 200;
    };

    await seedFleet(pg.db, [{ name: 'web-1', canary: true }, { name: 'web-2' }]);
    const repository = createCampaignRepository(pg.db, { webhookUrls: [receiver.url] });
    const clock = systemClock;
    const agents = createSimAgents({
      servers: SERVERS,
      initialVersion: '6.4.5',
      clock,
      delays: { stageMs: 20, activateMs: 20, rollbackMs: 20 },
    });
    const worker = startWebhookDelivery({
      db: pg.db,
      secret: SECRET,
      holder: 'ctl-a/test',
      clock,
      log: silentLogger(),
      pollMs: 50,
      retry: { firstDelayMs: 100, maxDelayMs: 400, retryForMs: 60_000 },
    });
    stops.push(() => worker.stop());
    const runner = startCampaignRunner({
      repository,
      connectAgent: (target) => agents.connect(target),
      gateChecks: { run: async () => undefined },
      log: silentLogger(),
      clock,
      publish: () => {},
      holderId: 'ctl-a/test',
      pollMs: 50,
      leaseMs: 5_000,
    });
    stops.push(() => runner.stop());

    const ctx = { repository, clock };
    const request = parseCampaignRequest(requestText({ waves: '1,100%', minHealthy: '1s', healthyDeadline: '30s' }));
    const { id } = await startCampaign(ctx, request, 'operator:alice');

    // Down: the worker's attempts are refused until the receiver is back.
    await until('the first event to be refused', async () => {
      const firstId = receiver.requests[0]?.headers[EVENT_ID_HEADER];
      return (await listWebhookDeliveries(pg.db)).some((d) => d.eventId === firstId && d.lastError?.includes('ECONNREFUSED') === true);
    });
    await receiver.start();
    await until('the campaign to succeed', async () => (await getCampaign(ctx, id)).state === 'succeeded');
    await actOnCampaign(ctx, id, 'rollback', 'operator:alice', { restoreDb: true });
    await until('the campaign to roll back', async () => (await getCampaign(ctx, id)).state === 'rolled-back');
    await until('every delivery', async () => (await listWebhookDeliveries(pg.db)).every((d) => d.deliveredAt !== null));

    // Every request is signed over its timestamp and exact body with the shared secret.
    for (const r of receiver.requests) {
      const timestamp = Number(r.headers[TIMESTAMP_HEADER]);
      expect(Math.abs(Date.now() / 1000 - timestamp)).toBeLessThan(300);
      expect(webhookSignatureMatches(SECRET, timestamp, r.body, String(r.headers[SIGNATURE_HEADER]))).toBe(true);
      expect(
        webhookSignatureMatches(SECRET, timestamp, r.body.replace('"campaign', '"Campaign'), String(r.headers[SIGNATURE_HEADER])),
      ).toBe(false);
      const payload = JSON.parse(r.body) as WebhookPayload;
      expect(r.headers[EVENT_ID_HEADER]).toBe(payload.id);
      expect(r.headers[EVENT_HEADER]).toBe(payload.event);
      expect(r.headers['content-type']).toBe('application/json');
    }

    // Each event arrived (2xx) once; the one answered 500 was sent again with the same id and body.
    const delivered = receiver.requests.filter((r) => r.status === 200).map((r) => JSON.parse(r.body) as WebhookPayload);
    const byTime = [...delivered].sort((a, b) => a.time.localeCompare(b.time));
    expect(byTime.map((p) => `${p.event}${p.wave ? `:${p.wave.index}` : ''}`)).toEqual([
      'campaign.started',
      'campaign.wave-done:0',
      'campaign.wave-done:1',
      'campaign.succeeded',
      'campaign.rolled-back',
    ]);
    expect(new Set(delivered.map((p) => p.id)).size).toBe(delivered.length);
    const [first] = receiver.requests;
    expect(first?.status).toBe(500);
    const retried = receiver.requests.filter((r) => r.headers[EVENT_ID_HEADER] === first?.headers[EVENT_ID_HEADER]);
    expect(retried.map((r) => r.status)).toEqual([500, 200]);
    expect(retried[1]?.body).toBe(first?.body);
    expect(Number(retried[1]?.headers[ATTEMPT_HEADER])).toBeGreaterThanOrEqual(3);

    const started = delivered.find((p) => p.event === 'campaign.started');
    expect(started).toMatchObject({ campaign: { id, release: '6.5.5', state: 'running' }, wave: null, counts: { pending: 2, total: 2 } });
    expect(delivered.find((p) => p.event === 'campaign.succeeded')).toMatchObject({
      campaign: { id, state: 'succeeded' },
      counts: { succeeded: 2, total: 2 },
    });
    expect(delivered.find((p) => p.event === 'campaign.rolled-back')).toMatchObject({
      campaign: { id, state: 'rolled-back' },
      counts: { 'rolled-back': 2, total: 2 },
    });
    const rows = await listWebhookDeliveries(pg.db);
    expect(rows).toHaveLength(5);
    expect(rows.every((r) => r.url === receiver.url && r.claimedBy === null)).toBe(true);
  }, 60_000);
});

describe('campaign webhooks from a running controller', () => {
  it("rollout start and pause through the CLI reach the configured URL, signed with the secret file's secret", async () => {
    const receiver = new Receiver();
    await receiver.start();
    stops.push(() => receiver.stop());
    const dir = await mkdtemp(path.join(os.tmpdir(), 'wofleet-webhook-'));
    stops.push(() => rm(dir, { recursive: true, force: true }));
    const secretFile = path.join(dir, 'webhook.secret');
    await writeFile(secretFile, `${SECRET.toString()}\n`, { mode: 0o600 });
    const fleet = await createTestFleet({
      runCampaigns: false,
      webhooks: { settings: { urls: [receiver.url], secretFile }, delivery: { pollMs: 50 } },
    });
    stops.push(() => fleet.destroy());
    await seedFleet(fleet.db, [{ name: 'web-1', canary: true }, { name: 'web-2' }]);
    for (const name of SERVERS) await recordHeartbeat(fleet.db, name, { agentVersion: '0.1.0', health: 'ok' }, fleet.clock.now());

    const { id } = await fleet.wofleetJson<{ id: string }>(['rollout', 'start', '--release', '6.5.5', '--waves', '1,100%']);
    expect((await fleet.wofleet(['rollout', 'pause', id])).code).toBe(0);
    await until('two events', () => receiver.requests.length >= 2);

    const payloads = receiver.requests.map((r) => {
      const timestamp = Number(r.headers[TIMESTAMP_HEADER]);
      expect(webhookSignatureMatches(SECRET, timestamp, r.body, String(r.headers[SIGNATURE_HEADER]))).toBe(true);
      return JSON.parse(r.body) as WebhookPayload;
    });
    expect(payloads.map((p) => [p.event, p.campaign.id, p.campaign.state])).toEqual([
      ['campaign.started', id, 'running'],
      ['campaign.paused', id, 'paused'],
    ]);
    expect(payloads[1]?.campaign.reason).toBe('pause requested by operator:alice');
  }, 60_000);
});
