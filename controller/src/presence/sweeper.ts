import { setTimeout as delay } from 'node:timers/promises';
import type { Logger } from '@wofleet/shared';
import { offlineAudits, offlineCutoff } from './decide.js';
import type { PresenceStore } from './store.js';

/**
 * The offline sweep: SWEEPS_PER_PERIOD times per heartbeat period (so a server is
 * offline at most a quarter period after its third missed beat), servers silent for
 * MISSED_HEARTBEATS periods go offline, each with an audit event, in one transaction. The update is
 * atomic per row, so several controllers sweeping at once take each server offline once.
 */
export const SWEEPS_PER_PERIOD = 4;

export interface SweepClock {
  now: Date;
  /** When this controller started listening (no sweep during the first timeout). */
  startedAt: Date;
  heartbeatSeconds: number;
}

/** One sweep; returns the names of the servers it took offline. */
export async function sweepOfflineServers(store: PresenceStore, log: Logger, clock: SweepClock): Promise<string[]> {
  const cutoff = offlineCutoff(clock.now, clock.startedAt, clock.heartbeatSeconds);
  if (cutoff === undefined) return [];
  const gone = await store.transaction(async (tx) => {
    const servers = await tx.markOfflineServers(cutoff, clock.now);
    for (const audit of offlineAudits(servers, cutoff, clock.now)) await tx.recordAuditEvent(audit);
    return servers;
  });
  for (const server of gone) log.warn({ serverId: server.name, lastSeenBefore: cutoff.toISOString() }, 'server went offline');
  return gone.map((s) => s.name);
}

export interface OfflineSweeperOptions {
  store: PresenceStore;
  log: Logger;
  now: () => Date;
  startedAt: Date;
  heartbeatSeconds: number;
}

export interface OfflineSweeper {
  /** Cancels the wait; a sweep in progress finishes first. */
  stop(): Promise<void>;
}

export function startOfflineSweeper(options: OfflineSweeperOptions): OfflineSweeper {
  const stopping = new AbortController();
  const sweepEveryMs = (options.heartbeatSeconds * 1000) / SWEEPS_PER_PERIOD;
  const loop = (async () => {
    while (!stopping.signal.aborted) {
      await delay(sweepEveryMs, undefined, { signal: stopping.signal }).catch(() => {});
      if (stopping.signal.aborted) return;
      const clock = { now: options.now(), startedAt: options.startedAt, heartbeatSeconds: options.heartbeatSeconds };
      await sweepOfflineServers(options.store, options.log, clock).catch((err: unknown) =>
        options.log.error({ err }, 'offline sweep failed'),
      );
    }
  })();
  return {
    async stop() {
      stopping.abort();
      await loop;
    },
  };
}
