import { WofleetError } from '@wofleet/shared';
import type { CampaignEvent } from './model.js';
import type { CampaignLock, CampaignRepository, CampaignWriter } from './repository.js';

/**
 * Who drives a campaign. Several controllers may run; each campaign row carries a
 * lease (holder, expiry, fencing token) rather than a Postgres advisory lock, because
 * an advisory lock lives on one session and would need a dedicated connection per
 * campaign, which neither a pooled postgres.js client nor PGlite gives. The holder
 * renews the lease every pass; a controller that stalls past the expiry loses it to
 * another, whose token is one higher. Every engine write runs in a transaction that
 * first locks the campaign row and checks the token is still ours, so a stalled
 * holder that wakes up can no longer write: the agent calls it may still make are
 * harmless, as they carry the same operation ids the new holder sends.
 */
export interface Lease {
  campaignId: string;
  holder: string;
  token: number;
}

/** The lease was taken over by another controller: stop driving the campaign. */
export class LeaseLostError extends WofleetError {}

/** A change written under the lease: returns the events to publish once it is committed. */
export type LeasedWrite = (write: CampaignWriter, row: CampaignLock) => Promise<CampaignEvent[]>;

/**
 * Runs `write` in a transaction fenced by the lease, with the campaign row locked and
 * as it is now (the operator may have changed its state since the pass read it);
 * returns what `write` returns.
 */
export async function writeUnderLease<T>(
  repository: CampaignRepository,
  lease: Lease,
  write: (writer: CampaignWriter, row: CampaignLock) => Promise<T>,
): Promise<T> {
  return repository.withCampaignLocked(lease.campaignId, async (row, writer) => {
    if (!row || row.leaseHolder !== lease.holder || row.leaseToken !== lease.token) {
      throw new LeaseLostError(
        `lease on campaign ${lease.campaignId} lost (now ${row?.leaseHolder ?? 'nobody'}, token ${row?.leaseToken ?? '-'})`,
      );
    }
    return write(writer, row);
  });
}
