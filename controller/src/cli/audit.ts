import type { Command } from 'commander';
import type { AuditEvent } from '@wofleet/proto';
import { DEFAULT_AUDIT_LIMIT, parseAuditLimit, parseSince } from '../audit/input.js';
import { parseCampaignId } from '../grpc/rollout-id.js';
import { parseServerName } from '../servers/input.js';
import { withController } from './connect.js';
import { out, table } from './output.js';

/** An audit event as `--json` prints it: its data as an object. */
export interface AuditEntry {
  id: number;
  at: string;
  actor: string;
  server: string;
  kind: string;
  subject: string;
  data: Record<string, unknown>;
}

const DETAILS_MAX = 120;

/** `wofleet audit`: the controller's audit trail (operator actions, agent events, campaign steps). */
export function registerAuditCommand(program: Command): void {
  program
    .command('audit')
    .description('what happened to the fleet: the newest events of the audit trail, oldest first')
    .option('--server <name>', "only this server's events (also campaign steps on it; a removed server's too)")
    .option('--campaign <id>', "only this campaign's events")
    .option('--since <when>', 'only events since then: a duration back from now (30m, 1h, 7d) or a timestamp (2026-12-04T10:00:00Z)')
    .option('--limit <n>', `at most this many, the newest (1-10000, default ${DEFAULT_AUDIT_LIMIT})`)
    .option('--json', 'print as JSON')
    .action(async (o: { server?: string; campaign?: string; since?: string; limit?: string }, cmd: Command) => {
      const request = {
        server: o.server !== undefined ? parseServerName(o.server) : '',
        campaignId: o.campaign !== undefined ? parseCampaignId(o.campaign) : '',
        since: o.since !== undefined ? parseSince(o.since, new Date()).toISOString() : '',
        limit: o.limit !== undefined ? parseAuditLimit('--limit', o.limit) : DEFAULT_AUDIT_LIMIT,
      };
      const r = await withController(cmd, (api) => api.listAudit(request));
      const entries = r.events.map(toEntry).reverse();
      out(cmd, entries, () => renderAudit(entries));
    });
}

function toEntry(event: AuditEvent): AuditEntry {
  const { dataJson, ...rest } = event;
  return { ...rest, data: parseData(dataJson) };
}

function parseData(json: string): Record<string, unknown> {
  try {
    const data: unknown = JSON.parse(json || '{}');
    return typeof data === 'object' && data !== null && !Array.isArray(data) ? (data as Record<string, unknown>) : { value: data };
  } catch {
    return { raw: json };
  }
}

function renderAudit(entries: readonly AuditEntry[]): string[] {
  if (entries.length === 0) return ['no audit events match'];
  return table(
    ['TIME', 'ACTOR', 'KIND', 'SUBJECT', 'DETAILS'],
    entries.map((e) => [e.at.replace(/\.\d+Z$/, 'Z'), e.actor, e.kind, e.subject, details(e)]),
  );
}

/** The data as `key=value` pairs on one line; what the other columns say already (time, subject) is left out. */
function details(entry: AuditEntry): string {
  const text = Object.entries(entry.data)
    .filter(([key, value]) => key !== 'at' && value !== undefined && value !== null && value !== entry.subject)
    .map(([key, value]) => `${key}=${typeof value === 'string' && !/\s/.test(value) ? value : JSON.stringify(value)}`)
    .join(' ');
  return text.length > DETAILS_MAX ? `${text.slice(0, DETAILS_MAX - 3)}...` : text || '-';
}
