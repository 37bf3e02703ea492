import {
  lockEnrolledServer,
  lockEnrolledServers,
  markSilentServersOffline,
  recordAuditEvent,
  recordAuditEvents,
  recordHeartbeats,
  recordServerHealth,
  recordSiteHealth,
  recordServerRelease,
  recordSiteRelease,
  removeSites,
  upsertSites,
  type Database,
  type HeartbeatWrite,
  type NewAuditEvent,
  type PresenceFacts,
  type SilentServer,
} from '../db/index.js';
import type { InventoryChange } from './decide.js';

/**
 * The data access presence runs on, as a port: the runners never see SQL, and a
 * unit of work (`transaction`) hands them the same port bound to one transaction.
 */
export interface PresenceStore {
  transaction<T>(work: (store: PresenceStore) => Promise<T>): Promise<T>;
  /** The enrolled server of that name, locked for the rest of the transaction. */
  lockEnrolledServer(name: string): Promise<PresenceFacts | undefined>;
  /** The enrolled ones among these servers, locked for the rest of the transaction. */
  lockEnrolledServers(names: readonly string[]): Promise<PresenceFacts[]>;
  /** Many heartbeats in one statement, at most one per server. */
  recordHeartbeats(beats: readonly HeartbeatWrite[]): Promise<void>;
  /** False when an event with the same source id is already recorded. */
  recordAuditEvent(event: NewAuditEvent): Promise<boolean>;
  /** Many events in one statement; one whose source id is already recorded is skipped. */
  recordAuditEvents(events: readonly NewAuditEvent[]): Promise<void>;
  applyInventoryChange(serverId: string, change: InventoryChange, now: Date): Promise<void>;
  /** Online/degraded servers not seen for `silentMs` by the database's clock go offline; returns them. */
  markSilentServersOffline(silentMs: number): Promise<SilentServer[]>;
}

export function createPresenceStore(db: Database): PresenceStore {
  return {
    transaction: (work) => db.transaction((tx) => work(createPresenceStore(tx))),
    lockEnrolledServer: (name) => lockEnrolledServer(db, name),
    lockEnrolledServers: (names) => lockEnrolledServers(db, names),
    recordHeartbeats: (beats) => recordHeartbeats(db, beats),
    async recordAuditEvent(event) {
      return (await recordAuditEvent(db, event)) !== undefined;
    },
    recordAuditEvents: (events) => recordAuditEvents(db, events),
    async applyInventoryChange(serverId, change, now) {
      switch (change.kind) {
        case 'site-on-release':
          // With its facts the site is stored as the agent reported it; without (older agents), only its release.
          if (change.facts) return upsertSites(db, serverId, [change.facts], now);
          return recordSiteRelease(db, serverId, change.domain, change.release, now);
        case 'site-gone':
          await removeSites(db, serverId, [change.domain]);
          return;
        case 'core-switched':
          return recordServerRelease(db, serverId, { release: change.release, version: change.version }, now);
        case 'health':
          await recordServerHealth(db, serverId, change.health, now);
          if (change.sites) await recordSiteHealth(db, serverId, change.sites, now);
          return;
      }
    },
    markSilentServersOffline: (silentMs) => markSilentServersOffline(db, silentMs),
  };
}
