import {
  findServerByName,
  insertEnrollmentToken,
  insertServer,
  listServers,
  lockServerByName,
  recordAuditEvent,
  updateServer,
  removeServer,
  ServerNotFoundError,
  type Database,
  type KeysetPage,
  type ServerChange,
  type ServerListing,
  type ServerRow,
} from '../db/index.js';
import { StateError, UsageError } from '@wofleet/shared';
import { newEnrollmentToken } from '../enrollment/token.js';
import type { Actor, ControllerContext } from '../context/index.js';
import { checkLabelKey, checkLabels, checkTokenTtl, DEFAULT_TOKEN_TTL_MS, parseServerAddress, parseServerName } from './input.js';

/** The server inventory as the operator changes it: add (with its enrollment token), list, show, remove. */
export const AUDIT_SERVER_ADDED = 'server-added';
export const AUDIT_SERVER_REMOVED = 'server-removed';
export const AUDIT_TOKEN_ISSUED = 'enrollment-token-issued';
export const AUDIT_SERVER_UPDATED = 'server-updated';

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

export async function listServerRows(
  ctx: ControllerContext,
  labels: Readonly<Record<string, string>>,
  page?: KeysetPage<string>,
): Promise<ServerListing[]> {
  return listServers(ctx.db, { labels: checkLabels(labels) }, page);
}

export interface UpdateServerInput {
  name: string;
  /** Labels added or given a new value. */
  setLabels?: Readonly<Record<string, string>>;
  /** Label keys removed (removing one the server does not carry changes nothing). */
  removeLabels?: readonly string[];
  canary?: boolean | undefined;
  address?: string | undefined;
}

/** Changes a registered server's labels, canary flag or address in one audited write; a refusal writes nothing. */
export async function updateServerRow(ctx: ControllerContext, input: UpdateServerInput, actor: Actor): Promise<ServerRow> {
  const name = parseServerName(input.name);
  const setLabels = checkLabels(input.setLabels ?? {});
  const removeLabels = [...(input.removeLabels ?? [])];
  for (const key of removeLabels) {
    checkLabelKey(key);
    if (Object.hasOwn(setLabels, key)) throw new UsageError(`label '${key}' is both set and removed`);
  }
  const address = input.address === undefined ? undefined : parseServerAddress(input.address);
  if (Object.keys(setLabels).length === 0 && removeLabels.length === 0 && input.canary === undefined && address === undefined) {
    throw new UsageError('nothing to change: give --label, --remove-label, --canary or --no-canary, or --address');
  }
  const now = ctx.clock.now();
  const updated = await ctx.db.transaction(async (tx) => {
    const before = await lockServerByName(tx, name);
    const labels = Object.fromEntries(Object.entries({ ...before.labels, ...setLabels }).filter(([key]) => !removeLabels.includes(key)));
    const change: ServerChange = { labels, canary: input.canary, address };
    const row = await updateServer(tx, name, change, now);
    await recordAuditEvent(tx, {
      at: now,
      actor,
      serverId: row.id,
      kind: AUDIT_SERVER_UPDATED,
      subject: name,
      data: {
        before: { address: before.address, labels: before.labels, canary: before.canary },
        after: { address: row.address, labels: row.labels, canary: row.canary },
      },
    });
    return row;
  });
  ctx.log.info({ server: name, actor }, 'server updated');
  return updated;
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
