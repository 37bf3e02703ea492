import { NotFoundError } from '@wofleet/shared';
import type { ControllerContext } from '../context/index.js';
import { findServerByName, hasAuditSubject, listAuditEvents, type AuditListing } from '../db/index.js';
import { parseCampaignId } from '../grpc/rollout-id.js';
import { parseServerName } from '../servers/input.js';
import { DEFAULT_AUDIT_LIMIT, parseAuditLimit, parseTimestamp } from './input.js';

/** The audit trail as ListAudit asks for it: text from the wire, empty meaning "any". */
export interface AuditRequest {
  server: string;
  campaignId: string;
  since: string;
  limit: number;
}

/**
 * The newest events that match, newest first. A server or campaign nobody has heard of
 * is refused rather than answered with nothing, so a typo does not read as a quiet
 * fleet; a removed server's name is still known by its events.
 */
export async function listAuditTrail(ctx: ControllerContext, request: AuditRequest): Promise<AuditListing[]> {
  const server = request.server ? parseServerName(request.server) : undefined;
  const campaignId = request.campaignId ? parseCampaignId(request.campaignId) : undefined;
  const since = request.since ? parseTimestamp('since', request.since) : undefined;
  const limit = request.limit === 0 ? DEFAULT_AUDIT_LIMIT : parseAuditLimit('limit', request.limit);
  if (server !== undefined && !(await findServerByName(ctx.db, server)) && !(await hasAuditSubject(ctx.db, server))) {
    throw new NotFoundError(`unknown server '${server}': not in the inventory and not in the audit trail`);
  }
  if (campaignId !== undefined && !(await hasAuditSubject(ctx.db, campaignId))) {
    throw new NotFoundError(`unknown campaign '${campaignId}'`);
  }
  return listAuditEvents(ctx.db, {
    ...(server !== undefined ? { server } : {}),
    ...(campaignId !== undefined ? { campaignId } : {}),
    ...(since !== undefined ? { since } : {}),
    limit,
  });
}
