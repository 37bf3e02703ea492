import type { Logger } from '@wofleet/shared';
import type { Clock } from '../context/clock.js';
import { maySweep, offlineAudits, presenceTimeoutMs } from './decide.js';
import type { FleetLink } from './link.js';
import type { PresenceStore } from './store.js';

/**
 * The offline sweep: SWEEPS_PER_PERIOD times per heartbeat period (so a server is
 * offline at most a quarter period after its third missed beat), servers silent for
 * MISSED_HEARTBEATS periods go offline, each with an audit event, in one transaction. The update is
 * atomic per row, so several controllers sweeping at once take each server offline once.
 *
 *   sweeping ──link down──► suspended (logged once) ──link up one timeout──► sweeping (logged)
 *
 * Silence is measured on the database's clock; whether to sweep at all on this
 * controller's: it knows only for itself whether it has been hearing the fleet.
 */
export const SWEEPS_PER_PERIOD = 4;

/** One sweep; returns the names of the servers it took offline. */
export async function sweepOfflineServers(store: PresenceStore, log: Logger, heartbeatSeconds: number): Promise<string[]> {
  const gone = await store.transaction(async (tx) => {
    const servers = await tx.markSilentServersOffline(presenceTimeoutMs(heartbeatSeconds));
    await tx.recordAuditEvents(offlineAudits(servers));
    return servers;
  });
  for (const server of gone)
    log.warn({ serverId: server.name, lastSeenBefore: server.lastSeenBefore.toISOString() }, 'server went offline');
  return gone.map((s) => s.name);
}

export interface OfflineSweeperOptions {
  store: PresenceStore;
  log: Logger;
  clock: Clock;
  /** Whether this controller hears the fleet; created up when the controller starts listening. */
  link: FleetLink;
  heartbeatSeconds: number;
}

export interface OfflineSweeper {
  /** Cancels the wait; a sweep in progress finishes first. */
  stop(): Promise<void>;
}

export function startOfflineSweeper(options: OfflineSweeperOptions): OfflineSweeper {
  const { clock, link, log, heartbeatSeconds } = options;
  const stopping = new AbortController();
  const sweepEveryMs = (heartbeatSeconds * 1000) / SWEEPS_PER_PERIOD;
  // A changed upSince means an outage began or passed since the last tick (however brief): resuming is logged.
  let seenUpSince = link.upSince();
  let resumeToLog = false;
  const loop = (async () => {
    while (!stopping.signal.aborted) {
      await clock.sleep(sweepEveryMs, stopping.signal);
      if (stopping.signal.aborted) return;
      const upSince = link.upSince();
      if (upSince !== seenUpSince) resumeToLog = true;
      seenUpSince = upSince;
      if (!maySweep(clock.now(), upSince, heartbeatSeconds)) continue;
      if (resumeToLog) {
        resumeToLog = false;
        log.info({ hearingSince: upSince?.toISOString() }, 'offline sweeps resumed');
      }
      await sweepOfflineServers(options.store, log, heartbeatSeconds).catch((err: unknown) => log.error({ err }, 'offline sweep failed'));
    }
  })();
  return {
    async stop() {
      stopping.abort();
      await loop;
    },
  };
}
