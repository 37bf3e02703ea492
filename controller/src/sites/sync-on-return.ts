import { describeError } from '@wofleet/shared';
import type { ControllerContext } from '../context/index.js';
import { CONTROLLER_ACTOR } from '../presence/index.js';
import type { AgentDialer } from '../servers/live.js';
import { syncServerSites } from './sync.js';

export interface SiteSyncs {
  /** Re-read this server's sites soon (in the background; a request while one runs for it is folded in). */
  request(server: string): void;
  /** Waits for the syncs under way; later requests are dropped. */
  stop(): Promise<void>;
}

/** An agent's first heartbeat can come before its gRPC port listens (the daemon starts NATS first). */
const ATTEMPTS = 4;
const RETRY_MS = 2_000;
/**
 * Syncs at once. A whole fleet comes back together after a controller or NATS outage: one
 * dial per server at once took the controller past 700 MiB and delayed heartbeats by
 * seconds with 1000 servers (bench:presence); the rest wait their turn, once each.
 */
export const SITE_SYNC_PARALLEL = 8;

/**
 * The syncs presence asks for when a server comes back (first heartbeat after enrollment,
 * or after being offline): what changed on the server while the controller could not
 * hear it reaches the inventory without an operator. A failed sync is logged; the next
 * comeback or `servers sync` tries again.
 */
export function startSiteSyncs(ctx: ControllerContext, dial: AgentDialer): SiteSyncs {
  const waiting = new Set<string>();
  const running = new Map<string, Promise<void>>();
  const stopped = new AbortController();

  async function syncWithRetries(server: string): Promise<void> {
    for (let attempt = 1; attempt <= ATTEMPTS && !stopped.signal.aborted; attempt++) {
      try {
        await syncServerSites(ctx, server, dial, CONTROLLER_ACTOR);
        return;
      } catch (err) {
        if (attempt === ATTEMPTS) ctx.log.warn({ server, err: describeError(err) }, 'site sync after comeback failed');
        else await ctx.clock.sleep(RETRY_MS, stopped.signal);
      }
    }
  }

  function startWaiting(): void {
    for (const server of waiting) {
      if (stopped.signal.aborted || running.size >= SITE_SYNC_PARALLEL) return;
      waiting.delete(server);
      running.set(
        server,
        syncWithRetries(server).finally(() => {
          running.delete(server);
          startWaiting();
        }),
      );
    }
  }

  return {
    request(server) {
      if (stopped.signal.aborted || running.has(server)) return;
      waiting.add(server);
      startWaiting();
    },
    async stop() {
      stopped.abort();
      waiting.clear();
      await Promise.all(running.values());
    },
  };
}
