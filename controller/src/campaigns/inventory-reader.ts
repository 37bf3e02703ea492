import type { Clock } from '../context/clock.js';
import type { CampaignRepository, FleetServer } from './repository.js';
import { shareRecentRead, type SharedRead } from './shared-read.js';

/**
 * The inventory as the driver reads it: the passes and the verify steps (which ask for
 * their server's presence every poll) share one read per poll rather than each asking
 * Postgres.
 */
/** The inventory as one pass reads it, by server name. */
export type Inventory = ReadonlyMap<string, FleetServer>;

export type InventoryReader = SharedRead<Inventory>;

export function createInventoryReader(repository: CampaignRepository, clock: Clock, pollMs: number): InventoryReader {
  return shareRecentRead(async (): Promise<Inventory> => new Map((await repository.listServers()).map((s) => [s.name, s])), clock, pollMs);
}
