import { describeError, type Logger } from '@wofleet/shared';
import type { AgentApi, AgentTarget } from '../agents/client.js';
import type { Clock } from '../context/index.js';
import type { Database } from '../db/index.js';
import { pause, RunnerStoppedError } from './agent-calls.js';
import { driveCampaign } from './driver.js';
import type { CampaignEvent } from './model.js';
import { acquireLease, listCampaignIds, releaseLease } from './store.js';

export interface CampaignRunnerOptions {
  db: Database;
  /** Opens a client to one agent (connectAgent with the controller's TLS, in production). */
  connectAgent: (target: AgentTarget) => AgentApi;
  log: Logger;
  clock: Clock;
  /** Sends a committed transition to NATS `campaignEventSubject(id)`; failures are logged, never retried. */
  publish: (event: CampaignEvent) => void | Promise<void>;
  /**
   * This controller, as recorded in the lease: its name, unique among the controllers
   * sharing the database (their certificates tell them apart). A restarted controller
   * takes its own leases back at once.
   */
  holderId: string;
  /** How often each campaign is looked at (default 1s). */
  pollMs?: number;
  /** How long a lease lasts without renewal (default 15s; several polls). */
  leaseMs?: number;
}

export interface CampaignRunner {
  /** Stops driving: steps end where they are (Postgres says where to resume), leases are given up. */
  stop(): Promise<void>;
}

export const DEFAULT_RUNNER_POLL_MS = 1_000;
export const DEFAULT_LEASE_MS = 15_000;

/**
 * Drives every active campaign this controller can take the lease of: scans for
 * active campaigns every poll (so it picks up new ones, its own after a restart, and
 * those of a controller that died once their lease expires) and runs one driver per
 * leased campaign.
 */
export function startCampaignRunner(options: CampaignRunnerOptions): CampaignRunner {
  const pollMs = options.pollMs ?? DEFAULT_RUNNER_POLL_MS;
  const leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
  const log = options.log.child({ component: 'campaign-runner', holder: options.holderId });
  const stopping = new AbortController();
  const drivers = new Map<string, { token: number; done: Promise<void> }>();
  const waiting = { clock: options.clock, pollMs, signal: stopping.signal };

  async function scan(): Promise<void> {
    for (const id of await listCampaignIds(options.db, { active: true })) {
      if (drivers.has(id) || stopping.signal.aborted) continue;
      const token = await acquireLease(options.db, id, options.holderId, leaseMs, 'start');
      if (token === undefined) continue;
      log.info({ campaignId: id, token }, 'driving campaign');
      const done = driveCampaign(
        { ...options, pollMs, leaseMs, signal: stopping.signal },
        { campaignId: id, holder: options.holderId, token },
      ).finally(() => drivers.delete(id));
      drivers.set(id, { token, done });
    }
  }

  const loop = (async () => {
    while (!stopping.signal.aborted) {
      try {
        await scan();
      } catch (err) {
        log.error({ err: describeError(err) }, 'campaign scan failed');
      }
      try {
        await pause(waiting);
      } catch (err) {
        if (!(err instanceof RunnerStoppedError)) throw err;
      }
    }
  })();

  return {
    async stop() {
      stopping.abort();
      await loop;
      const running = [...drivers.entries()];
      await Promise.allSettled(running.map(([, d]) => d.done));
      await Promise.allSettled(running.map(([id, d]) => releaseLease(options.db, id, options.holderId, d.token)));
    },
  };
}
