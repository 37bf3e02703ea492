import type { Clock } from '../context/clock.js';
import { LeaseLostError, type Lease } from './lease.js';
import type { CampaignRepository } from './repository.js';

/**
 * Renews the driver's lease once a poll, however often kicks make passes (every write
 * checks the lease anyway). keep() throws LeaseLostError once another holder has it.
 */
export interface LeaseKeeper {
  keep(): Promise<void>;
}

export function createLeaseKeeper(
  repository: CampaignRepository,
  lease: Lease,
  clock: Clock,
  leaseMs: number,
  pollMs: number,
): LeaseKeeper {
  let renewedAt = Number.NEGATIVE_INFINITY;
  return {
    async keep() {
      if (clock.now().getTime() - renewedAt < pollMs) return;
      const token = await repository.acquireLease(lease.campaignId, lease.holder, leaseMs, 'renew');
      if (token !== lease.token) throw new LeaseLostError(`lease on campaign ${lease.campaignId} lost`);
      renewedAt = clock.now().getTime();
    },
  };
}
