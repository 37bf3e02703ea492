import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  connect,
  ErrorCode,
  nkeyAuthenticator,
  type JetStreamManager,
  type Msg,
  type NatsConnection,
  type NatsError,
  type Status,
} from 'nats';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { silentLogger } from '@wofleet/shared';
import { createNatsUser, readNatsSeed } from '@wofleet/shared/nats';
import { makeAgentConfig } from '../agent/src/config/load.js';
import { agentNatsOptions, startNatsPublisher } from '../agent/src/daemon/nats/index.js';
import { createOutbox } from '../agent/src/events/outbox.js';
import { insertServer, migrate, openDatabase, setServerNatsKey } from '../controller/src/db/index.js';
import { ensureEventConsumer, ensureEventStream } from '../controller/src/presence/jetstream.js';
import { createScratchDatabase, type ScratchPostgres } from '../controller/test/db.fixtures.js';
import { CONTROLLER_CLI, expectOk, runNodeCli } from './support/fleet.js';
import { startNatsServer, type NatsServer } from './support/nats-server.js';

/**
 * Issue 13 item 3 on a real nats-server that includes what `wofleet nats config` wrote
 * from the inventory: each agent's nkey user may publish on its own subjects only, may
 * read only its own reply inbox, and has no JetStream API; the controller owns the stream.
 */
const STREAM = 'WOFLEET_EVENTS';
const A = 'web-a';
const B = 'web-b';
const log = silentLogger();
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** An agent's connection exactly as its daemon makes it (its seed, its inbox prefix), and the errors the server sent it. */
async function connectAgent(url: string, serverId: string, seedFile: string) {
  const config = makeAgentConfig({ serverId, nats: { servers: [url], seedFile, stream: STREAM } });
  const nc = await connect({ ...agentNatsOptions(config), reconnect: false, waitOnFirstConnect: false });
  const errors: string[] = [];
  void (async () => {
    for await (const s of nc.status() as AsyncIterable<Status>) {
      if (s.type !== 'error') continue;
      const denied = s.permissionContext;
      errors.push(denied ? `${denied.operation} ${denied.subject}` : String(s.data));
    }
  })();
  return { nc, errors, config };
}

describe('per-agent NATS identity: nats-server with the authorization `wofleet nats config` writes', () => {
  let root: string;
  let scratch: ScratchPostgres;
  let nats: NatsServer;
  let controller: NatsConnection;
  let jsm: JetStreamManager;
  let seedA: string;
  let configText: string;
  const seen: Msg[] = [];

  beforeAll(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'wofleet-nats-identity-'));
    scratch = await createScratchDatabase();
    const database = await openDatabase({ databaseUrl: scratch.url, dataDir: root, log, maxConnections: 1 });
    try {
      await migrate(database, log);
      for (const name of [A, B]) {
        const user = createNatsUser();
        await insertServer(database.db, { name, address: `127.0.0.1:${name === A ? 7001 : 7002}` });
        await setServerNatsKey(database.db, name, user.publicKey);
        await writeFile(path.join(root, `${name}.nk`), `${user.seed}\n`, { mode: 0o600 });
      }
      // A registered server that never enrolled has no NATS user.
      await insertServer(database.db, { name: 'web-c', address: '127.0.0.1:7003' });
    } finally {
      await database.close();
    }
    seedA = path.join(root, `${A}.nk`);
    const authFile = path.join(root, 'nats', 'wofleet-auth.conf');
    await expectOk(
      'wofleet nats config',
      runNodeCli(CONTROLLER_CLI, ['nats', 'config', '--out', authFile, '--data-dir', path.join(root, 'controller')], {
        DATABASE_URL: scratch.url,
      }),
    );
    configText = await readFile(authFile, 'utf8');
    nats = await startNatsServer({ include: authFile });
    const controllerSeed = path.join(root, 'controller', 'nats-controller.nk');
    controller = await connect({ servers: nats.url, authenticator: nkeyAuthenticator(readNatsSeed(controllerSeed)) });
    jsm = await controller.jetstreamManager();
    await ensureEventStream(jsm, STREAM);
    controller.subscribe('wofleet.agent.>', { callback: (_err, msg) => seen.push(msg) });
    await controller.flush();
  }, 60_000);
  afterAll(async () => {
    await controller?.close();
    await nats?.dispose();
    await scratch?.drop();
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('lists the controller and each enrolled server by its public key, and makes the controller seed 0600', async () => {
    expect(configText.match(/nkey: "U[A-Z0-9]{55}"/g)).toHaveLength(3);
    expect(configText).toContain(`"wofleet.agent.${A}.>"`);
    expect(configText).toContain(`"wofleet.agent.${B}.>"`);
    expect(configText).not.toContain('web-c');
    expect((await stat(path.join(root, 'controller', 'nats-controller.nk'))).mode & 0o777).toBe(0o600);
  });

  it('keeps the controller seed across runs, and refuses one that is not a seed with one line and exit 1', async () => {
    const dataDir = path.join(root, 'controller');
    const again = await expectOk(
      'wofleet nats config',
      runNodeCli(CONTROLLER_CLI, ['nats', 'config', '--out', path.join(root, 'again.conf'), '--data-dir', dataDir, '--json'], {
        DATABASE_URL: scratch.url,
      }),
    );
    const result = JSON.parse(again.stdout) as { controllerKeyCreated: boolean; servers: string[] };
    expect(result).toMatchObject({ controllerKeyCreated: false, servers: [A, B] });
    expect(await readFile(path.join(root, 'again.conf'), 'utf8')).toBe(configText);

    const bad = path.join(root, 'bad.nk');
    await writeFile(bad, 'not a seed\n');
    const r = await runNodeCli(
      CONTROLLER_CLI,
      ['nats', 'config', '--out', path.join(root, 'x.conf'), '--data-dir', dataDir, '--controller-seed', bad],
      {
        DATABASE_URL: scratch.url,
      },
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`wofleet: error: ${bad} is not a NATS nkey seed: remove it to make a new one\n`);
  });

  it('refuses a client without a NATS user', async () => {
    await expect(connect({ servers: nats.url, reconnect: false })).rejects.toMatchObject({ code: ErrorCode.AuthorizationViolation });
  });

  it("refuses agent A's publish on agent B's subjects: nothing reaches the controller", async () => {
    const a = await connectAgent(nats.url, A, seedA);
    try {
      seen.length = 0;
      a.nc.publish(`wofleet.agent.${B}.heartbeat`, JSON.stringify({ serverId: B, agentVersion: 'forged' }));
      a.nc.publish(`wofleet.agent.${B}.event`, JSON.stringify({ serverId: B, type: 'staged' }));
      a.nc.publish(`wofleet.agent.${A}.heartbeat`, JSON.stringify({ serverId: A, agentVersion: 'own' }));
      await a.nc.flush();
      await vi.waitUntil(() => seen.some((m) => m.subject === `wofleet.agent.${A}.heartbeat`), { timeout: 5_000 });
      await vi.waitUntil(() => a.errors.length >= 2, { timeout: 5_000 });
      expect(seen.map((m) => m.subject)).toEqual([`wofleet.agent.${A}.heartbeat`]);
      expect(a.errors.join('\n')).toContain(`publish wofleet.agent.${B}.heartbeat`);
      expect((await jsm.streams.info(STREAM)).state.messages).toBe(0);
    } finally {
      await a.nc.close();
    }
  });

  it("refuses agent A's subscriptions to other agents' subjects and to other inboxes", async () => {
    const a = await connectAgent(nats.url, A, seedA);
    try {
      const received: string[] = [];
      const refused: string[] = [];
      for (const subject of [`wofleet.agent.${B}.>`, 'wofleet.agent.>', '_INBOX.>', `_INBOX.agent.${B}.>`]) {
        a.nc.subscribe(subject, {
          callback: (err: NatsError | null, msg) => (err ? refused.push(subject) : received.push(msg.subject)),
        });
      }
      await a.nc.flush();
      await vi.waitUntil(() => refused.length === 4, { timeout: 5_000 });
      controller.publish(`wofleet.agent.${B}.heartbeat`, JSON.stringify({ serverId: B }));
      controller.publish(`_INBOX.agent.${B}.x.y`, 'a reply meant for B');
      await controller.flush();
      await sleep(300);
      expect(received).toEqual([]);
      expect(a.errors.join('\n')).toContain(`subscription wofleet.agent.${B}.>`);
    } finally {
      await a.nc.close();
    }
  });

  it('refuses agent A any JetStream API call: it cannot delete, purge, change or create a stream', async () => {
    const a = await connectAgent(nats.url, A, seedA);
    try {
      const ajsm = await a.nc.jetstreamManager({ checkAPI: false, timeout: 2_000 });
      await expect(ajsm.streams.delete(STREAM)).rejects.toThrow();
      await expect(ajsm.streams.purge(STREAM)).rejects.toThrow();
      await expect(ajsm.streams.update(STREAM, { max_age: 1 })).rejects.toThrow();
      await expect(ajsm.streams.add({ name: 'ROGUE', subjects: ['rogue.>'] })).rejects.toThrow();
      expect(a.errors.join('\n')).toContain(`publish $JS.API.STREAM.DELETE.${STREAM}`);
      const names: string[] = [];
      for await (const name of jsm.streams.names()) names.push(name);
      expect(names).toEqual([STREAM]);
      expect((await jsm.streams.info(STREAM)).config.max_age).not.toBe(1);
    } finally {
      await a.nc.close();
    }
  });

  it("still lets agent A's daemon publish its own events into the stream, where the controller's consumer reads them", async () => {
    const config = makeAgentConfig({ serverId: A, nats: { servers: [nats.url], seedFile: seedA, stream: STREAM, heartbeatSeconds: 1 } });
    const outbox = createOutbox(path.join(root, 'outbox'), A);
    await outbox.emit('staged', { release: 'r1' });
    const summary = async () => ({ current: null, canary: null, sites: 0, health: 'ok' as const, diskFreeBytes: 0 });
    const publisher = startNatsPublisher({ config, outbox, summary, log, retry: { baseMs: 50, maxMs: 200 } });
    try {
      await vi.waitUntil(async () => (await outbox.pending()).length === 0, { timeout: 10_000, interval: 50 });
    } finally {
      await publisher.stop();
    }
    await ensureEventConsumer(jsm, STREAM, 'wofleet-controller', 10);
    const consumer = await controller.jetstream().consumers.get(STREAM, 'wofleet-controller');
    const msg = await consumer.next({ expires: 5_000 });
    expect(msg?.subject).toBe(`wofleet.agent.${A}.event`);
    expect(msg?.json<{ serverId: string; type: string }>()).toMatchObject({ serverId: A, type: 'staged' });
    msg?.ack();
  });
});
