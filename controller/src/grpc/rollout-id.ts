import { printable, UsageError } from '@wofleet/shared';

const CAMPAIGN_ID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A campaign id as `rollout start` printed it (a UUID); checked before it reaches a query. */
export function parseCampaignId(input: string): string {
  const id = input.trim().toLowerCase();
  if (!CAMPAIGN_ID_RE.test(id))
    throw new UsageError(`invalid campaign id '${printable(input)}': expected the id 'wofleet rollout start' or 'list' printed`);
  return id;
}
