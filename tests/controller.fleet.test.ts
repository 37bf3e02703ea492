import { readdirSync } from 'node:fs';
import path from 'node:path';
import { connect, nkeyAuthenticator } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '@wofleet/shared';
import { readNatsSeed } from '@wofleet/shared/nats';
import { connectAgent } from '../controller/src/agents/client.js';
import { readControllerTls } from '../controller/src/ca/files.js';
import { listAuditEvents, openDatabase, pinnedFingerprints, type OpenDatabase } from '../controller/src/db/index.js';
import { PRESENCE_AUDIT } from '../controller/src/presence/index.js';
import { createScratchDatabase, type ScratchPostgres } from '../controller/test/db.fixtures.js';
import { WP655 } from './support/agent.js';
import { startFleet, type Fleet } from './support/fleet.js';

/**
 * Issue 5 end to end: the built `wofleet` CLI and `wofleet controller serve`, three real
 * `wofleet-agent serve` processes on temp roots, a fresh Postgres database and a private
 * nats-server that admits only the NATS users `wofleet nats config` wrote (the controller's
 * and one per enrolled agent). Heartbeats every second on both sides, so "3 missed" is 3 s.
 */
const PERIOD_S = 1;
const NAMES = ['web-01', 'web-02', 'web-03'];

interface ServerJson {
  name: string;
  address: string;
  state: string;
  lastSeenAt: string;
  current: { id: string; version: string } | null;
}

interface ShowJson {
  server: ServerJson;
  status: { serverId: string; current: { version: string } | null; uptimeSeconds: number } | null;
  liveError: string | null;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

describe('controller with three real agents: enrollment, presence, events across a restart, live status', () => {
  let scratch: ScratchPostgres;
  let fleet: Fleet;
  let database: OpenDatabase;

  const list = () => fleet.wofleetJson<ServerJson[]>(['servers', 'list']);
  const stateOf = async (name: string) => (await list()).find((s) => s.name === name);
  /** Polls `servers list --json` until `check` holds; returns the servers then and when that was. */
  async function waitForList(
    what: string,
    check: (servers: ServerJson[]) => boolean,
    timeoutMs: number,
  ): Promise<{ servers: ServerJson[]; at: number }> {
    let last: ServerJson[] = [];
    for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; await sleep(200)) {
      last = await list();
      if (check(last)) return { servers: last, at: Date.now() };
    }
    throw new Error(`${what} did not happen within ${timeoutMs} ms; last list: ${JSON.stringify(last, null, 2)}`);
  }

  beforeAll(async () => {
    scratch = await createScratchDatabase();
    fleet = await startFleet({ agents: NAMES, heartbeatSeconds: PERIOD_S, databaseUrl: scratch.url, natsIdentities: true });
    database = await openDatabase({ databaseUrl: scratch.url, dataDir: fleet.dataDir, log: silentLogger(), maxConnections: 1 });
  }, 180_000);
  afterAll(async () => {
    await database?.close();
    await fleet?.destroy();
    await scratch?.drop();
  }, 60_000);

  it('lists all three enrolled servers online with their release', async () => {
    const { servers } = await waitForList('all three online', (s) => s.length === 3 && s.every((x) => x.state === 'online'), 10_000);
    expect(servers.map((s) => [s.name, s.state, s.current?.version])).toEqual(NAMES.map((n) => [n, 'online', '6.4.5']));
    for (const s of servers) expect(s.address).toBe(fleet.agent(s.name).address);
  });

  it('shows the live status of a running agent, asked over gRPC', async () => {
    const r = await fleet.wofleet(['servers', 'show', 'web-01', '--live', '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const shown = JSON.parse(r.stdout) as ShowJson;
    expect(shown.liveError).toBeNull();
    expect(shown.status).toMatchObject({ serverId: 'web-01', current: { version: '6.4.5' } });
    const human = await fleet.wofleet(['servers', 'show', 'web-01', '--live']);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/^live status:\n {2}agent version: .*\n {2}current: {7}6\.4\.5 \(/m);
  });

  it('marks a stopped agent offline once 3 heartbeat periods pass without a beat (within a quarter period more), and online again once restarted', async () => {
    const agent = fleet.agent('web-03');
    expect(await agent.stop()).toBe(0);
    const offline = await waitForList('web-03 offline', (s) => s.find((x) => x.name === 'web-03')?.state === 'offline', 15_000);
    const lastSeen = Date.parse((offline.servers.find((x) => x.name === 'web-03') as ServerJson).lastSeenAt);
    // When the controller decided (its audit event), not when a CLI poll (~1 s a process) saw it.
    const [wentOffline] = (await listAuditEvents(database.db, { server: 'web-03', limit: 10 })).filter(
      (e) => e.kind === PRESENCE_AUDIT.wentOffline,
    );
    const silentMs = (wentOffline?.at.getTime() ?? Number.NaN) - lastSeen;
    // 3 periods without a beat, found by a sweep that runs 4 times a period.
    expect(silentMs, `offline ${silentMs} ms after the last beat`).toBeGreaterThanOrEqual(3 * PERIOD_S * 1000);
    expect(silentMs, `offline ${silentMs} ms after the last beat`).toBeLessThanOrEqual(3.25 * PERIOD_S * 1000 + 300);
    expect(offline.servers.filter((x) => x.name !== 'web-03').every((x) => x.state === 'online')).toBe(true);

    await agent.start();
    await waitForList('web-03 online again', (s) => s.find((x) => x.name === 'web-03')?.state === 'online', 3 * PERIOD_S * 1000 + 2000);
  }, 40_000);

  it("cannot be kept online by another agent's NATS user: web-01's beats for a stopped web-03 are refused", async () => {
    const agent = fleet.agent('web-03');
    const seed = readNatsSeed(path.join(fleet.agent('web-01').host.root, 'tls/nats.nk'));
    const forger = await connect({ servers: fleet.nats.url, authenticator: nkeyAuthenticator(seed), reconnect: false });
    const refused: string[] = [];
    void (async () => {
      for await (const s of forger.status()) if (s.type === 'error' && s.permissionContext) refused.push(s.permissionContext.subject);
    })();
    expect(await agent.stop()).toBe(0);
    try {
      const forging = setInterval(() => {
        const beat = { serverId: 'web-03', agentVersion: 'forged', uptimeSeconds: 1, at: new Date().toISOString() };
        forger.publish('wofleet.agent.web-03.heartbeat', JSON.stringify(beat));
      }, 200);
      try {
        await waitForList('web-03 offline', (s) => s.find((x) => x.name === 'web-03')?.state === 'offline', 15_000);
      } finally {
        clearInterval(forging);
      }
      expect(refused.length).toBeGreaterThan(0);
      expect(new Set(refused)).toEqual(new Set(['wofleet.agent.web-03.heartbeat']));
    } finally {
      await forger.close();
      await agent.start();
      await waitForList('web-03 online again', (s) => s.find((x) => x.name === 'web-03')?.state === 'online', 10_000);
    }
  }, 40_000);

  it('says clearly that a stopped agent cannot be reached, with the stored record', async () => {
    const agent = fleet.agent('web-03');
    expect(await agent.stop()).toBe(0);
    try {
      const human = await fleet.wofleet(['servers', 'show', 'web-03', '--live']);
      expect(human.code).toBe(1);
      expect(human.stderr).toMatch(
        new RegExp(`^wofleet: live status unavailable: cannot reach agent web-03 at ${agent.address.replace(/\./g, '\\.')}: .+\\n$`),
      );
      expect(human.stdout).toMatch(/^name: +web-03$/m);
      expect(human.stdout).not.toContain('live status:');

      const json = await fleet.wofleet(['servers', 'show', 'web-03', '--live', '--json']);
      expect(json.code).toBe(1);
      const shown = JSON.parse(json.stdout) as ShowJson;
      expect(shown.server.name).toBe('web-03');
      expect(shown.status).toBeNull();
      expect(shown.liveError).toMatch(/^cannot reach agent web-03 at /);
    } finally {
      await agent.start();
    }
  }, 30_000);

  it('records in the audit table the events agents sent while the controller was down', async () => {
    const agent = fleet.agent('web-02');
    expect(await fleet.controller.stop()).toBe(0);
    /** Agent events recorded for web-02 (presence's own audit rows carry no source event id). */
    const agentEvents = async () =>
      (await listAuditEvents(database.db, { server: 'web-02', limit: 1000 })).filter((e) => e.sourceEventId !== null);
    const staged655 = async () => (await agentEvents()).filter((e) => e.kind === 'staged' && e.data.version === '6.5.5');
    const before = await agentEvents();
    expect(await staged655()).toEqual([]);

    // The agent works while the controller is away: here, staging a release asked for over gRPC
    // (with the controller's own certificate, as a rollout will).
    const client = connectAgent(
      { server: 'web-02', address: agent.address },
      await readControllerTls(fleet.dataDir),
      (server) => pinnedFingerprints(database.db, server),
      60_000,
    );
    try {
      await client.stageRelease({ operationId: 'fleet-test-stage-655', source: WP655 });
      const op = await client.watchOperation('fleet-test-stage-655', 60_000);
      expect(op.state, op.error).toBe('OPERATION_STATE_SUCCEEDED');
    } finally {
      client.close();
    }
    // Published to JetStream (acknowledged) once the agent's outbox is empty again.
    const outbox = path.join(agent.host.root, 'state/outbox');
    for (const deadline = Date.now() + 15_000; readdirSync(outbox).length > 0; await sleep(100)) {
      if (Date.now() > deadline) throw new Error(`web-02's outbox still holds ${readdirSync(outbox).join(', ')}`);
    }
    expect(await agentEvents()).toHaveLength(before.length);

    await fleet.controller.start();
    for (const deadline = Date.now() + 10_000; (await staged655()).length === 0; await sleep(200)) {
      if (Date.now() > deadline)
        throw new Error(
          `no staging of 6.5.5 recorded for web-02 after the restart: ${(await agentEvents()).map((e) => e.kind).join(', ')}`,
        );
    }
    const after = await agentEvents();
    expect(await staged655()).toHaveLength(1);
    expect(after.every((e) => e.actor === 'agent:web-02')).toBe(true);
    // Still current on 6.4.5: staging is not switching.
    expect((await stateOf('web-02'))?.current?.version).toBe('6.4.5');
  }, 90_000);
});
