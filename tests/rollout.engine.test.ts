import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { connect, nkeyAuthenticator, type NatsConnection } from 'nats';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '@wofleet/shared';
import { readNatsSeed } from '@wofleet/shared/nats';
import { connectAgent, type AgentTarget } from '../controller/src/agents/client.js';
import {
  actOnCampaign,
  askOnce,
  getCampaign,
  listCampaigns,
  parseCampaignRequest,
  startCampaign,
  startCampaignRunner,
  type CampaignEvent,
  type CampaignRequestText,
  type CampaignRunner,
  type CampaignView,
} from '../controller/src/campaigns/index.js';
import {
  findServerByName,
  insertRelease,
  listSites,
  markOfflineServers,
  pinnedFingerprints,
  recordHeartbeat,
} from '../controller/src/db/index.js';
import { requestText } from '../controller/test/campaigns.fixtures.js';
import { WP655 } from './support/agent.js';
import { generatorVersion, injectFatal, repackRelease } from './support/releases.js';
import { allOn, campaignSummary, startRolloutFleet, type RolloutFleet } from './support/rollout-fleet.js';
import { systemClock } from '../controller/src/context/index.js';
import { createCampaignRepository } from '../controller/src/campaign-store/index.js';
import { createGateCheckRunner } from '../controller/src/gate-checks/index.js';

/**
 * Issue 6, the campaign engine end to end: the runner in this process on a fresh
 * Postgres database, four real `wofleet-agent serve` daemons (web-1, the canary, to
 * web-4) with two real sites each on one private nginx + PHP-FPM + MariaDB stack, a
 * private nats-server for the campaign events. The fleet's controller process enrolls
 * the agents and marks them online, then is stopped: the runners here are the only
 * ones driving campaigns. Scenarios run in order on the same servers; each leaves
 * every server back on 6.4.5 (a campaign `rollback` where it switched any).
 *
 * The engine's behaviour (pause, promote, abort, windows, deadlines, failure budget,
 * restarts) is tested in fake time by controller/test/campaigns.engine*.test.ts; here
 * only what the real stack shows: an agent reverting a broken release itself, two
 * runners sharing a lease on Postgres, events on NATS, the health gate failing on a
 * site that stops serving, a killed agent as the gRPC client sees it, and the sites
 * serving the version the engine recorded.
 */
const NAMES = ['web-1', 'web-2', 'web-3', 'web-4'];
const POLL_MS = 200;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

interface Calls {
  servers: Set<string>;
}

describe('rollout campaign engine with real agents, Postgres and NATS', () => {
  let rf: RolloutFleet;
  let nc: NatsConnection;
  const events: CampaignEvent[] = [];
  let offsetMs = 0;
  const clock = { ...systemClock, now: () => new Date(Date.now() + offsetMs) };
  const ctx = () => ({ repository: createCampaignRepository(rf.database.db), clock });

  const request = (overrides: Partial<CampaignRequestText> = {}) =>
    parseCampaignRequest(
      requestText({ waves: '1,1,50%', maxParallel: 2, minHealthy: '1s', healthyDeadline: '30s', progressDeadline: '10m', ...overrides }),
    );

  function runner(holderId: string, calls?: Calls): CampaignRunner {
    return startCampaignRunner({
      repository: createCampaignRepository(rf.database.db),
      connectAgent: (target: AgentTarget) => {
        calls?.servers.add(target.server);
        return connectAgent(target, rf.tls, (server) => pinnedFingerprints(rf.database.db, server));
      },
      gateChecks: createGateCheckRunner(),
      log: silentLogger(),
      clock,
      publish: (event) => nc.publish(`wofleet.campaign.${event.campaignId}.event`, JSON.stringify(event)),
      holderId,
      pollMs: POLL_MS,
      leaseMs: 3_000,
    });
  }

  async function waitFor(id: string, what: string, check: (view: CampaignView) => boolean, timeoutMs = 120_000): Promise<CampaignView> {
    let view = await getCampaign(ctx(), id);
    for (const deadline = Date.now() + timeoutMs; !check(view); view = await getCampaign(ctx(), id)) {
      if (Date.now() > deadline) throw new Error(`${what} did not happen within ${timeoutMs} ms: ${campaignSummary(view)}`);
      await sleep(100);
    }
    return view;
  }
  const targetState = (view: CampaignView, server: string) => view.targets.find((t) => t.server === server)?.state;
  const statesOf = (view: CampaignView) => Object.fromEntries(view.targets.map((t) => [t.server, t.state]));

  async function servedVersions(server: string): Promise<Array<string | undefined>> {
    return Promise.all(rf.fleet.agent(server).sites.map(async (d) => generatorVersion((await rf.stack.request(d, '/')).body)));
  }
  const all = (version: string) => allOn(NAMES, version);
  const versions = () => rf.versions();
  const journaled = (server: string, id: string) => rf.journaled(server, id);

  /** Returns every server the campaign switched to 6.4.5 (`rollout rollback`). */
  async function rollBack(id: string): Promise<CampaignView> {
    await actOnCampaign(ctx(), id, 'rollback', 'operator:test', { restoreDb: true });
    const view = await waitFor(id, 'rollback', (v) => v.state === 'rolled-back');
    expect(await versions()).toEqual(all('6.4.5'));
    return view;
  }

  /**
   * Fails `server` in its health gate: once it is verifying, one of its sites loses its
   * wp-config.php (it answers 503) until the campaign has failed it; then the file is
   * put back, so that the rollback's own check that the sites serve again can pass.
   */
  async function failWhileVerifying(id: string, server: string): Promise<void> {
    await waitFor(id, `${server} verifying`, (v) => targetState(v, server) === 'verifying');
    const config = path.join(rf.stack.sitesRoot, rf.fleet.agent(server).sites[0]!, 'wp-config.php');
    renameSync(config, `${config}.away`);
    try {
      await waitFor(id, `${server} failed`, (v) => targetState(v, server) !== 'verifying');
    } finally {
      renameSync(`${config}.away`, config);
    }
  }

  beforeAll(async () => {
    rf = await startRolloutFleet(NAMES);
    const broken = repackRelease(
      WP655,
      (dir) => {
        injectFatal(dir);
        const version = path.join(dir, 'wp-includes/version.php');
        writeFileSyncReplacing(version, "$wp_version = '6.5.5'", "$wp_version = '6.6.1'");
      },
      { into: rf.mirrorDir },
    );
    await insertRelease(rf.database.db, {
      version: '6.6.1',
      url: pathToFileURL(broken.file).href,
      digest: { algorithm: 'sha256', hex: broken.sha256 },
      dbVersion: 57155,
    });

    const seed = rf.fleet.controllerNatsSeed;
    nc = await connect({ servers: rf.fleet.nats.url, ...(seed ? { authenticator: nkeyAuthenticator(readNatsSeed(seed)) } : {}) });
    const sub = nc.subscribe('wofleet.campaign.*.event');
    void (async () => {
      for await (const m of sub) events.push(m.json<CampaignEvent>());
    })();
    expect(await versions()).toEqual(all('6.4.5'));
  }, 300_000);

  // A scenario that failed half way leaves its campaign active: abort it, so the next one starts clean.
  afterEach(async () => {
    const active = await listCampaigns(ctx(), { active: true });
    if (active.length === 0) return;
    const run = runner('ctl-cleanup');
    try {
      for (const campaign of active) {
        if (['running', 'paused', 'awaiting-promotion'].includes(campaign.state))
          await actOnCampaign(ctx(), campaign.id, 'abort', 'operator:test');
        await waitFor(
          campaign.id,
          'cleanup',
          (v) => !['running', 'paused', 'awaiting-promotion', 'aborting', 'rolling-back'].includes(v.state),
        );
      }
    } finally {
      await run.stop();
    }
  }, 180_000);

  afterAll(async () => {
    await nc?.drain();
    await rf?.destroy();
  }, 120_000);

  it('a broken release fails on the canary: canary back on 6.4.5, nothing beyond it touched', async () => {
    const run = runner('ctl-a');
    try {
      const { id } = await startCampaign(ctx(), request({ release: '6.6.1' }), 'operator:test');
      const view = await waitFor(id, 'campaign failed', (v) => v.state === 'failed');
      expect(view.reason).toBe('the canary failed');
      expect(statesOf(view)).toEqual({ 'web-1': 'rolled-back', 'web-2': 'skipped', 'web-3': 'skipped', 'web-4': 'skipped' });
      expect(view.waves.map((w) => w.state)).toEqual(['failed', 'skipped', 'skipped']);
      expect(await versions()).toEqual(all('6.4.5'));
      expect(await servedVersions('web-1')).toEqual(['6.4.5', '6.4.5']);
      expect(journaled('web-1', id)).toEqual(['activate', 'stage']);
      for (const server of ['web-2', 'web-3', 'web-4']) expect(journaled(server, id)).toEqual(['stage']);
    } finally {
      await run.stop();
    }
  });

  it('a closed window holds every wave until it opens; one of two runners drives the whole campaign', async () => {
    const callsA: Calls = { servers: new Set() };
    const callsB: Calls = { servers: new Set() };
    const now = clock.now();
    const opens = new Date(now.getTime() + 2 * 3_600_000);
    const hhmm = (d: Date) => `${String(d.getUTCHours()).padStart(2, '0')}:${String(d.getUTCMinutes()).padStart(2, '0')}`;
    const window = `Mon-Sun ${hhmm(opens)}-${hhmm(new Date(opens.getTime() + 3_600_000))} UTC`;
    const runA = runner('ctl-a', callsA);
    const runB = runner('ctl-b', callsB);
    try {
      const { id } = await startCampaign(ctx(), request({ window, progressDeadline: '1d' }), 'operator:test');
      await waitFor(id, 'every server staged', (v) => v.targets.every((t) => t.state === 'staged'));
      await sleep(2_000);
      const held = await getCampaign(ctx(), id);
      expect(held.waves.map((w) => w.state)).toEqual(['pending', 'pending', 'pending']);
      for (const server of NAMES) expect(journaled(server, id)).toEqual(['stage']);

      offsetMs += opens.getTime() - now.getTime() + 60_000;
      const view = await waitFor(id, 'campaign succeeded', (v) => v.state === 'succeeded');
      expect(statesOf(view)).toEqual(all('succeeded'));
      expect(view.targets.map((t) => t.fromVersion)).toEqual(['6.4.5', '6.4.5', '6.4.5', '6.4.5']);
      expect(await versions()).toEqual(all('6.5.5'));
      for (const server of NAMES) {
        expect(await servedVersions(server)).toEqual(['6.5.5', '6.5.5']);
        expect(journaled(server, id)).toEqual(['activate', 'stage']);
      }
      // Exactly one runner ever opened a connection to an agent.
      expect([callsA.servers.size, callsB.servers.size].sort()).toEqual([0, NAMES.length]);

      const mine = events.filter((e) => e.campaignId === id);
      expect(mine.filter((e) => e.scope === 'campaign').map((e) => e.state)).toEqual(['succeeded']);
      for (const server of NAMES) {
        expect(mine.filter((e) => e.server === server).map((e) => e.state)).toEqual([
          'staging',
          'staged',
          'switching',
          'verifying',
          'succeeded',
        ]);
      }
      expect(mine.filter((e) => e.scope === 'wave').map((e) => `${e.wave}:${e.state}`)).toEqual([
        '0:running',
        '0:succeeded',
        '1:running',
        '1:succeeded',
        '2:running',
        '2:succeeded',
      ]);

      const back = await rollBack(id);
      expect(statesOf(back)).toEqual(all('rolled-back'));
      for (const server of NAMES) {
        expect(await servedVersions(server)).toEqual(['6.4.5', '6.4.5']);
        expect(journaled(server, id)).toEqual(['activate', 'revert', 'stage']);
      }
    } finally {
      await Promise.all([runA.stop(), runB.stop()]);
    }
  });

  it('a failure over --max-failures halts the campaign: the failed server rolled back, the rest never switched', async () => {
    const run = runner('ctl-a');
    try {
      const { id } = await startCampaign(ctx(), request({ maxFailures: '0', minHealthy: '3s', healthyDeadline: '8s' }), 'operator:test');
      await failWhileVerifying(id, 'web-2');
      const view = await waitFor(id, 'campaign failed', (v) => v.state === 'failed');
      expect(view.reason).toBe('failed servers over --max-failures');
      expect(statesOf(view)).toEqual({ 'web-1': 'succeeded', 'web-2': 'rolled-back', 'web-3': 'skipped', 'web-4': 'skipped' });
      expect(await versions()).toEqual({ 'web-1': '6.5.5', 'web-2': '6.4.5', 'web-3': '6.4.5', 'web-4': '6.4.5' });
      for (const server of ['web-3', 'web-4']) expect(journaled(server, id)).toEqual(['stage']);
      await rollBack(id);
    } finally {
      await run.stop();
    }
  });

  it('an agent killed mid-campaign fails its server after the healthy deadline, and the policy goes on within --max-failures', async () => {
    const run = runner('ctl-a');
    const victim = rf.fleet.agent('web-3');
    try {
      const { id } = await startCampaign(ctx(), request({ maxFailures: '1', healthyDeadline: '6s' }), 'operator:test');
      await waitFor(id, 'web-2 switching', (v) => targetState(v, 'web-2') === 'switching' || targetState(v, 'web-2') === 'verifying');
      await victim.stop('SIGKILL');
      const view = await waitFor(id, 'campaign succeeded', (v) => v.state === 'succeeded');
      const web3 = view.targets.find((t) => t.server === 'web-3');
      // Never reached to switch, nor to roll back: both said so after the deadline.
      expect(web3?.state).toBe('rollback-failed');
      expect(web3?.reason).toMatch(/cannot reach agent web-3|did not answer/);
      expect(statesOf(view)).toMatchObject({ 'web-1': 'succeeded', 'web-2': 'succeeded', 'web-4': 'succeeded' });
      expect(view.waves.map((w) => w.state)).toEqual(['succeeded', 'succeeded', 'failed']);

      await victim.start();
      expect(journaled('web-3', id)).toEqual(['stage']);
      // The campaign rollback finds web-3 still on its prior release and leaves it so.
      const back = await rollBack(id);
      expect(back.targets.find((t) => t.server === 'web-3')?.reason).toBe('already on its prior release: nothing to roll back');
    } finally {
      if (!victim.running()) await victim.start();
      await run.stop();
    }
  });

  it('servers presence marked offline whose agents answer over gRPC (the canary too) are planned, switched and never skipped', async () => {
    const run = runner('ctl-a');
    const { db } = rf.database;
    const stale = ['web-1', 'web-3'];
    const agentVersions = new Map<string, string>();
    for (const server of stale) agentVersions.set(server, (await findServerByName(db, server))?.agentVersion ?? '');
    try {
      // Heartbeats unheard (a NATS outage) while the agents run on.
      for (const server of stale) await recordHeartbeat(db, server, { agentVersion: agentVersions.get(server) ?? '' }, new Date(0));
      expect(await markOfflineServers(db, new Date(1_000))).toEqual(stale);
      // Planning asks the canary's agent the way the controller's RolloutService does.
      const dial = (target: AgentTarget) => connectAgent(target, rf.tls, (server) => pinnedFingerprints(db, server));
      const planning = { ...ctx(), agentAnswers: askOnce(dial, clock) };
      const { id } = await startCampaign(planning, request({ maxFailures: '0', offline: 'skip', offlineWait: '5s' }), 'operator:test');
      const view = await waitFor(id, 'campaign over', (v) => ['succeeded', 'failed'].includes(v.state), 180_000);
      expect(view.state).toBe('succeeded');
      expect(view.plan.offlineServers).toEqual(stale);
      expect(statesOf(view)).toEqual(all('succeeded'));
      for (const server of stale) expect(journaled(server, id)).toEqual(['activate', 'stage']);
      expect(await versions()).toEqual(all('6.5.5'));
      await rollBack(id);
    } finally {
      for (const server of stale) await recordHeartbeat(db, server, { agentVersion: agentVersions.get(server) ?? '' }, new Date());
      await run.stop();
    }
  });

  it('--offline skip: a dead agent that presence marked offline is waited for, then skipped; the campaign succeeds under --max-failures 0', async () => {
    const run = runner('ctl-a');
    const victim = rf.fleet.agent('web-3');
    const { db } = rf.database;
    const agentVersion = (await findServerByName(db, 'web-3'))?.agentVersion ?? '';
    try {
      await victim.stop('SIGKILL');
      // What the presence sweeper does 3 heartbeat periods after the last beat.
      await recordHeartbeat(db, 'web-3', { agentVersion }, new Date(0));
      expect(await markOfflineServers(db, new Date(1_000))).toEqual(['web-3']);
      const { id } = await startCampaign(ctx(), request({ maxFailures: '0', offline: 'skip', offlineWait: '5s' }), 'operator:test');
      const view = await waitFor(id, 'campaign over', (v) => ['succeeded', 'failed'].includes(v.state), 180_000);
      expect(view.state).toBe('succeeded');
      expect(view.plan.offlineServers).toEqual(['web-3']);
      expect(statesOf(view)).toEqual({ 'web-1': 'succeeded', 'web-2': 'succeeded', 'web-3': 'skipped', 'web-4': 'succeeded' });
      expect(view.targets.find((t) => t.server === 'web-3')?.reason).toBe('server offline past --offline-wait: skipped (--offline skip)');
      expect(view.waves.map((w) => w.state)).toEqual(['succeeded', 'succeeded', 'succeeded']);
      await victim.start();
      expect(journaled('web-3', id)).toEqual([]);
      expect(await versions()).toEqual({ ...all('6.5.5'), 'web-3': '6.4.5' });
      await rollBack(id);
    } finally {
      if (!victim.running()) await victim.start();
      await recordHeartbeat(db, 'web-3', { agentVersion }, new Date());
      await run.stop();
    }
  });

  it('external checks: an HTTP check failing on one server halts the campaign and rolls it back; a command check gets the server and its sites on stdin', async () => {
    // The public side as a load balancer's backend would see it: web-2's sites answer 503.
    const broken = new Set(rf.fleet.agent('web-2').sites);
    const front = createServer((req, res) => {
      const down = broken.has(req.headers.host ?? '');
      res.writeHead(down ? 503 : 200).end(down ? 'maintenance' : 'ok');
    });
    await new Promise<void>((resolve) => front.listen(0, '127.0.0.1', resolve));
    const frontPort = (front.address() as AddressInfo).port;
    const dir = await mkdtemp(path.join(os.tmpdir(), 'wofleet-check-'));
    const script = path.join(dir, 'record.mjs');
    writeFileSync(
      script,
      "import { readFileSync, writeFileSync } from 'node:fs';\n" +
        'const input = JSON.parse(readFileSync(0, "utf8"));\n' +
        "writeFileSync(process.argv[2] + '/' + input.server.name + '.json', JSON.stringify(input));\n",
    );
    const run = runner('ctl-a');
    try {
      for (const server of ['web-1', 'web-2'])
        expect((await listSites(rf.database.db, { server })).map((s) => s.domain)).toEqual(rf.fleet.agent(server).sites);
      const { id } = await startCampaign(
        ctx(),
        request({
          maxFailures: '0',
          minHealthy: '2s',
          healthyDeadline: '10s',
          checkHttp: [
            `path=/,connect=server:${frontPort}`,
            // Through the real nginx: each site's front page shows the new core.
            `path=/,connect=server:${rf.stack.port},body=content="WordPress 6\\.5\\.5"`,
          ],
          checkCommand: [`${process.execPath} ${script} ${dir}`],
          checkTimeout: '5s',
        }),
        'operator:test',
      );
      const view = await waitFor(id, 'campaign failed', (v) => v.state === 'failed');
      expect(view.reason).toBe('failed servers over --max-failures');
      expect(statesOf(view)).toEqual({ 'web-1': 'succeeded', 'web-2': 'rolled-back', 'web-3': 'skipped', 'web-4': 'skipped' });
      const [first] = rf.fleet.agent('web-2').sites;
      expect(view.targets.find((t) => t.server === 'web-2')?.reason).toBe(
        'not healthy for the min healthy time within the healthy deadline ' +
          `(--check-http GET http://${first}/ via 127.0.0.1:${frontPort}: status 503, expected 200 (and 1 more sites))`,
      );
      expect(await versions()).toEqual({ 'web-1': '6.5.5', 'web-2': '6.4.5', 'web-3': '6.4.5', 'web-4': '6.4.5' });

      const web1 = rf.fleet.agent('web-1');
      expect(JSON.parse(readFileSync(path.join(dir, 'web-1.json'), 'utf8'))).toEqual({
        campaign: id,
        release: '6.5.5',
        server: { name: 'web-1', address: web1.address, labels: {} },
        sites: web1.sites.map((domain) => ({ domain, url: `http://${domain}/` })),
      });
      // web-2 never passed its HTTP checks, so its command never ran.
      expect(existsSync(path.join(dir, 'web-2.json'))).toBe(false);
      await rollBack(id);
    } finally {
      await run.stop();
      front.closeAllConnections();
      await new Promise((resolve) => front.close(resolve));
      await rm(dir, { recursive: true, force: true });
    }
  });
});

function writeFileSyncReplacing(file: string, from: string, to: string): void {
  const source = readFileSync(file, 'utf8');
  if (!source.includes(from)) throw new Error(`${file} does not contain ${from}`);
  writeFileSync(file, source.replace(from, to));
}
