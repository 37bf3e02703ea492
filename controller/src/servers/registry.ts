import {
  findServerByName,
  insertEnrollmentToken,
  insertServer,
  listServers,
  recordAuditEvent,
  removeServer,
  ServerNotFoundError,
  type Database,
  type ServerListing,
  type ServerRow,
} from '../db/index.js';
import { StateError } from '@wofleet/shared';
import { newEnrollmentToken } from '../enrollment/token.js';
import type { Actor, ControllerContext } from '../context/index.js';
import { checkLabels, checkTokenTtl, DEFAULT_TOKEN_TTL_MS, parseServerAddress, parseServerName } from './input.js';

/** The server inventory as the operator changes it: add (with its enrollment token), list, show, remove. */
export const AUDIT_SERVER_ADDED = 'server-added';
export const AUDIT_SERVER_REMOVED = 'server-removed';
export const AUDIT_TOKEN_ISSUED = 'enrollment-token-issued';

export interface AddServerInput {
  name: string;
  address: string;
  labels?: Readonly<Record<string, string>>;
  canary?: boolean;
  /** How long the enrollment token is valid (default 1h). */
  tokenTtlMs?: number;
}

export interface AddedServer {
  server: ServerRow;
  /** Shown once; only its hash is stored. */
  enrollmentToken: string;
  expiresAt: Date;
}

/** Registers a server and its one-time enrollment token; a refusal writes nothing. */
export async function addServer(ctx: ControllerContext, input: AddServerInput, actor: Actor): Promise<AddedServer> {
  const name = parseServerName(input.name);
  const address = parseServerAddress(input.address);
  const labels = checkLabels(input.labels ?? {});
  const { now, expiresAt, token } = tokenToIssue(ctx, input.tokenTtlMs);
  const server = await ctx.db.transaction(async (tx) => {
    const row = await insertServer(tx, { name, address, labels, canary: input.canary ?? false });
    await insertEnrollmentToken(tx, row.id, token.hash, expiresAt);
    await recordAuditEvent(tx, {
      at: now,
      actor,
      serverId: row.id,
      kind: AUDIT_SERVER_ADDED,
      subject: name,
      data: { address, labels, canary: row.canary, tokenExpiresAt: expiresAt.toISOString() },
    });
    return row;
  });
  ctx.log.info({ server: name, actor }, 'server added');
  return { server, enrollmentToken: token.token, expiresAt };
}

/**
 * A new one-time token for a registered server (re-enrollment: a lost key, an expired
 * or revoked certificate). The server keeps its row, sites and history; the agent's
 * next enrollment replaces its pinned certificate.
 */
export async function issueEnrollmentToken(
  ctx: ControllerContext,
  input: { name: string; tokenTtlMs?: number | undefined },
  actor: Actor,
): Promise<AddedServer> {
  const name = parseServerName(input.name);
  const { now, expiresAt, token } = tokenToIssue(ctx, input.tokenTtlMs);
  const server = await ctx.db.transaction(async (tx) => {
    const row = await findServerByName(tx, name);
    if (!row) throw new ServerNotFoundError(name);
    await insertEnrollmentToken(tx, row.id, token.hash, expiresAt);
    await recordAuditEvent(tx, {
      at: now,
      actor,
      serverId: row.id,
      kind: AUDIT_TOKEN_ISSUED,
      subject: name,
      data: { tokenExpiresAt: expiresAt.toISOString() },
    });
    return row;
  });
  ctx.log.info({ server: name, actor }, 'enrollment token issued');
  return { server, enrollmentToken: token.token, expiresAt };
}

/** A new token and its expiry (the TTL checked first: a refusal issues nothing). */
function tokenToIssue(ctx: ControllerContext, tokenTtlMs: number | undefined) {
  const ttlMs = tokenTtlMs ?? DEFAULT_TOKEN_TTL_MS;
  checkTokenTtl(ttlMs);
  const now = ctx.clock.now();
  return { now, expiresAt: new Date(now.getTime() + ttlMs), token: newEnrollmentToken() };
}

export async function listServerRows(ctx: ControllerContext, labels: Readonly<Record<string, string>>): Promise<ServerListing[]> {
  return listServers(ctx.db, { labels: checkLabels(labels) });
}

export async function getServerRow(ctx: ControllerContext, name: string): Promise<ServerRow> {
  const row = await findServerByName(ctx.db, parseServerName(name));
  if (!row) throw new ServerNotFoundError(name);
  return row;
}

/**
 * The campaigns' hold on a server as its removal sees it, in the removal's transaction
 * (campaign-store/ implements it: the inventory does not reach into campaigns).
 */
export interface ServerTargets {
  /** Its targets that active campaigns still work on (not in a terminal state). */
  unfinished(tx: Database, server: string): Promise<Array<{ campaignId: string; state: string }>>;
  /** Ends those (skipped: removed from the inventory, each audited); no target holds the name any more. */
  release(tx: Database, server: string, actor: Actor, now: Date): Promise<void>;
}

/** A server an active campaign still works on is not removed without --force. */
export class ServerInCampaignError extends StateError {}

/**
 * Removes a server (its sites and tokens with it); its audit events stay. Refused while
 * an active campaign still works on it (the campaign would wait on a server it can no
 * longer reach); `force` ends those targets first (skipped, audited), then removes it.
 */
export async function removeServerRow(
  ctx: ControllerContext,
  name: string,
  actor: Actor,
  options: { force: boolean; targets: ServerTargets },
): Promise<ServerRow> {
  parseServerName(name);
  const now = ctx.clock.now();
  const removed = await ctx.db.transaction(async (tx) => {
    const unfinished = await options.targets.unfinished(tx, name);
    const [first] = unfinished;
    if (first && !options.force) {
      throw new ServerInCampaignError(
        `server '${name}' is ${first.state} in active campaign ${first.campaignId}: let the campaign finish or abort it, ` +
          'or remove with --force (its target is skipped)',
      );
    }
    await options.targets.release(tx, name, actor, now);
    const row = await removeServer(tx, name);
    const data = { address: row.address, ...(first ? { forcedOutOf: unfinished.map((t) => t.campaignId) } : {}) };
    await recordAuditEvent(tx, { at: now, actor, kind: AUDIT_SERVER_REMOVED, subject: name, data });
    return row;
  });
  ctx.log.info({ server: name, actor, force: options.force }, 'server removed');
  return removed;
}
