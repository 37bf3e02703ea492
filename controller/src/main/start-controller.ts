import { randomBytes } from 'node:crypto';
import type { NatsConnection } from 'nats';
import type { Logger, TlsMaterial } from '@wofleet/shared';
import { connectAgent, type AgentPins } from '../agents/client.js';
import { batchedPins } from '../agents/pins.js';
import { startCampaignRunner } from '../campaigns/index.js';
import { readControllerTls, readFleetCaIfHeld } from '../ca/files.js';
import type { ControllerSettings } from '../config/controller.js';
import { migrate, openDatabase, pinnedFingerprintsOf, type OpenDatabase } from '../db/index.js';
import { createControllerHandlers } from '../api/controller-handlers.js';
import { natsCampaignPublisher, natsSubscriber } from '../events/campaign-events.js';
import { createRolloutHandlers } from '../api/rollout-handlers.js';
import { startControllerServer } from '../api/server.js';
import { createCampaignRepository } from '../campaign-store/index.js';
import { connectControllerNats } from '../presence/connect.js';
import { startPresence, type Presence } from '../presence/index.js';
import { createControllerMetrics } from '../metrics/index.js';
import { serveMetrics } from '@wofleet/shared/metrics';
import { startSiteSyncs } from '../sites/sync-on-return.js';
import type { AgentDialer } from '../servers/live.js';
import { clockWithTestOffset, systemClock, type Clock, type ControllerContext } from '../context/index.js';
import { createGateCheckRunner } from '../gate-checks/index.js';
import { startWebhookDelivery, type WebhookDeliveryTuning } from '../webhooks/index.js';
import { readWebhookSecret } from '../config/webhooks.js';

export interface StartControllerOptions {
  settings: ControllerSettings;
  log: Logger;
  clock?: Clock;
  /** Drive campaigns (default true). Tests of the operator surface turn it off and move campaigns themselves. */
  runCampaigns?: boolean;
  /** Webhook delivery timing (tests shorten the retries); the defaults otherwise. */
  webhookDelivery?: WebhookDeliveryTuning;
}

export interface RunningController {
  /** The port ControllerService listens on (the one chosen when listen said port 0). */
  port: number;
  /** The port /metrics is served on, when metricsListen is set. */
  metricsPort: number | undefined;
  context: ControllerContext;
  database: OpenDatabase;
  /** Reconnects by itself; presence consumes agents' heartbeats and events on it. */
  nc: NatsConnection;
  /** The controller's CA, certificate (role controller) and key: what it calls agents with. */
  tls: TlsMaterial;
  /** Stops serving (running calls finish), then presence, NATS and the database. */
  stop(): Promise<void>;
}

/** How long `servers show --live` waits for an agent's GetStatus. */
const LIVE_STATUS_TIMEOUT_MS = 5_000;

/**
 * `wofleet controller serve`: checks the data dir's key material, opens the database
 * and brings its schema up to date, connects to NATS (waiting for it) and starts
 * presence, then serves ControllerService. Fails before listening when any of that
 * fails; stops in the reverse order.
 */
export async function startController(options: StartControllerOptions): Promise<RunningController> {
  const { settings, log } = options;
  const tls = await readControllerTls(settings.dataDir);
  const ca = await readFleetCaIfHeld(settings.dataDir);
  const webhookSecret = settings.webhooks ? await readWebhookSecret(settings.webhooks.secretFile) : undefined;
  const database = await openDatabase({ databaseUrl: settings.databaseUrl, dataDir: settings.dataDir, log });
  const cleanups: Array<() => Promise<void>> = [() => database.close()];
  const cleanup = async () => {
    for (const step of cleanups.splice(0).reverse()) await step();
  };
  try {
    await migrate(database, log);
    const context: ControllerContext = { db: database.db, ca, clock: options.clock ?? clockWithTestOffset(systemClock), log };
    const nc = await connectControllerNats(settings.nats, `wofleet-controller/${tls.identity.name}`, log);
    cleanups.push(() => nc.drain().catch(() => nc.close()));
    const clock = context.clock;
    const pins: AgentPins = batchedPins((servers) => pinnedFingerprintsOf(database.db, servers));
    const dialAgent: AgentDialer = (target) => connectAgent(target, tls, pins, LIVE_STATUS_TIMEOUT_MS);
    const siteSync = startSiteSyncs(context, (target) => connectAgent(target, tls, pins));
    cleanups.push(() => siteSync.stop());
    // The lease holder (and webhook claimer) is this process, not the name: a second process
    // under the same certificate (a copied data dir, a restart) must not take its live leases.
    const holderId = `${tls.identity.name}/${randomBytes(4).toString('hex')}`;
    // Presence reports to the metrics, which read its backlog back; /metrics is served only once presence runs.
    let presence: Presence | undefined;
    const metrics =
      settings.metricsListen === undefined
        ? undefined
        : createControllerMetrics({
            db: database.db,
            controller: tls.identity.name,
            holder: holderId,
            eventBacklog: () => (presence as Presence).eventBacklog(),
            log,
          });
    const startedPresence = await startPresence({
      db: database.db,
      nc,
      log,
      heartbeatSeconds: settings.heartbeatSeconds,
      now: () => clock.now(),
      onServerBack: siteSync.request,
      observer: metrics?.presence,
    });
    presence = startedPresence;
    cleanups.push(() => startedPresence.stop());
    const webhookUrls = settings.webhooks?.urls ?? [];
    if (webhookSecret !== undefined) {
      const webhooks = startWebhookDelivery({
        db: database.db,
        secret: webhookSecret,
        holder: holderId,
        clock,
        log,
        ...options.webhookDelivery,
      });
      cleanups.push(() => webhooks.stop());
    }
    const watches = new AbortController();
    const rollout = createRolloutHandlers(context, {
      publish: natsCampaignPublisher(nc, log),
      subscribe: natsSubscriber(nc),
      shutdown: watches.signal,
      dialAgent,
      webhookUrls,
    });
    const server = await startControllerServer(settings.listen, tls, createControllerHandlers(context, { dialAgent }), {
      rollout,
      interceptors: metrics ? [metrics.rpc] : [],
    });
    cleanups.push(() => server.stop());
    // Runs before server.stop (reverse order): open watches end rather than hold the shutdown.
    cleanups.push(async () => watches.abort());
    // Campaigns: driven here, one lease per campaign shared with any other controller.
    if (options.runCampaigns !== false) {
      const runner = startCampaignRunner({
        repository: createCampaignRepository(database.db, { webhookUrls }),
        connectAgent: (target) => connectAgent(target, tls, pins),
        gateChecks: createGateCheckRunner(),
        log,
        clock,
        publish: natsCampaignPublisher(nc, log),
        holderId,
        leaseMs: settings.campaignLeaseMs,
      });
      cleanups.push(() => runner.stop());
    }
    const metricsEndpoint =
      metrics && settings.metricsListen ? await serveMetrics(settings.metricsListen, metrics.registry, log) : undefined;
    if (metricsEndpoint) cleanups.push(() => metricsEndpoint.stop());
    log.info(
      {
        listen: settings.listen,
        port: server.port,
        controller: tls.identity.name,
        holder: holderId,
        signsAgents: ca !== undefined,
        database: database.kind,
        webhooks: webhookUrls.length,
        metricsPort: metricsEndpoint?.port,
      },
      'controller serving',
    );
    return { port: server.port, metricsPort: metricsEndpoint?.port, context, database, nc, tls, stop: cleanup };
  } catch (err) {
    await cleanup();
    throw err;
  }
}
