import { describeError } from '@wofleet/shared';
import { pause, RunnerStoppedError } from './agent-calls.js';
import { driveCampaign } from './driver.js';
import { DEFAULT_LEASE_MS, DEFAULT_RUNNER_POLL_MS, type CampaignRunnerOptions } from './runner-options.js';

export interface CampaignRunner {
  /** Stops driving: steps end where they are (Postgres says where to resume), leases are given up. */
  stop(): Promise<void>;
}

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
    for (const id of await options.repository.listCampaignIds({ active: true })) {
      if (drivers.has(id) || stopping.signal.aborted) continue;
      const token = await options.repository.acquireLease(id, options.holderId, leaseMs, 'start');
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
      await Promise.allSettled(running.map(([id, d]) => options.repository.releaseLease(id, options.holderId, d.token)));
    },
  };
}
