import { and, eq, exists, sql } from 'drizzle-orm';
import type { TargetKey, TargetPatch } from '../campaigns/repository.js';
import type { CampaignEvent, TargetState } from '../campaigns/model.js';
import { recordAuditEvents } from '../db/audit-events.js';
import type { Database } from '../db/database.js';
import { campaignTargets } from '../db/schema/campaigns.js';
import { servers } from '../db/schema/servers.js';
import { campaignAuditRow } from './audit-writes.js';

/** One step's target transition to write. */
export interface TargetWrite {
  target: TargetKey;
  state: TargetState;
  patch: TargetPatch;
  actor: string;
  now: Date;
}

/**
 * Writes a step's target transition (with its audit row) only while the server is in
 * the inventory: undefined when it was removed meanwhile (`servers remove --force` ended
 * the target: the step's outcome is moot). Checked in the statement itself, under the
 * campaign lock a removal also takes, so no removal slips in between.
 */
export type WriteStepTarget = (write: TargetWrite) => Promise<CampaignEvent | undefined>;

/**
 * The step transitions of one transaction, those asked for in the same turn (the steps
 * of a group commit, write-batch.ts) written together: one UPDATE per set of changed
 * columns, from a JSON record set, and one INSERT of their audit rows. A statement per
 * transition made a batch of 500 take over a second.
 */
export function createStepTargetWrites(tx: Database): WriteStepTarget {
  let asked: Ask[] | undefined;
  return (write) =>
    new Promise((resolve, reject) => {
      if (!asked) {
        const these: Ask[] = [];
        asked = these;
        queueMicrotask(() => {
          asked = undefined;
          writeAll(
            tx,
            these.map((a) => a.write),
          ).then(
            (events) => {
              for (const [i, a] of these.entries()) a.resolve(events[i]);
            },
            (err: unknown) => {
              for (const a of these) a.reject(err);
            },
          );
        });
      }
      asked.push({ write, resolve, reject });
    });
}

interface Ask {
  write: TargetWrite;
  resolve(event: CampaignEvent | undefined): void;
  reject(err: unknown): void;
}

/** The events of `writes`, in their order. A target asked for twice goes in a later round: an UPDATE ... FROM changes a row once. */
async function writeAll(tx: Database, writes: readonly TargetWrite[]): Promise<Array<CampaignEvent | undefined>> {
  const events: Array<CampaignEvent | undefined> = [];
  for (let rest = writes.map((write, index) => ({ write, index })); rest.length > 0; ) {
    const seen = new Set<string>();
    const round: typeof rest = [];
    const later: typeof rest = [];
    for (const item of rest) {
      const key = `${item.write.target.campaignId}/${item.write.target.server}`;
      (seen.has(key) ? later : round).push(item);
      seen.add(key);
    }
    const written = await updateTargets(
      tx,
      round.map((item) => item.write),
    );
    const roundEvents = round.map(({ write, index }) => {
      if (!written.has(`${write.target.campaignId}/${write.target.server}`)) return undefined;
      const event: CampaignEvent = {
        campaignId: write.target.campaignId,
        scope: 'target',
        state: write.state,
        wave: write.target.wave,
        server: write.target.server,
        reason: write.patch.reason ?? undefined,
        at: write.now.toISOString(),
      };
      events[index] = event;
      return { write, event };
    });
    const audited = roundEvents.filter((e) => e !== undefined);
    await recordAuditEvents(
      tx,
      audited.map(({ write, event }) => campaignAuditRow(event, write.actor, write.now)),
    );
    rest = later;
  }
  return writes.map((_, i) => events[i]);
}

type PatchColumn = keyof TargetPatch;

/** Updates the targets, one statement per set of changed columns; the targets written, as `campaignId/server`. */
async function updateTargets(tx: Database, writes: readonly TargetWrite[]): Promise<Set<string>> {
  const groups = new Map<string, { columns: PatchColumn[]; writes: TargetWrite[] }>();
  for (const write of writes) {
    const columns = (Object.keys(write.patch) as PatchColumn[]).filter((c) => write.patch[c] !== undefined).sort();
    const key = columns.join(',');
    const group = groups.get(key) ?? { columns, writes: [] };
    group.writes.push(write);
    groups.set(key, group);
  }
  const written = new Set<string>();
  for (const { columns, writes: group } of groups.values()) {
    const rows = group.map((w) => ({
      campaign_id: w.target.campaignId,
      server: w.target.server,
      state: w.state,
      updated_at: w.now.toISOString(),
      ...Object.fromEntries(columns.map((c) => [campaignTargets[c].name, jsonValue(w.patch[c])])),
    }));
    const v = (name: string) => sql`${sql.identifier('v')}.${sql.identifier(name)}`;
    const recordColumns = sql.join(
      [
        sql`campaign_id uuid, server text, state text, updated_at timestamptz`,
        ...columns.map((c) => sql.raw(`${campaignTargets[c].name} ${campaignTargets[c].getSQLType()}`)),
      ],
      sql`, `,
    );
    const listed = tx
      .select({ one: sql`1` })
      .from(servers)
      .where(eq(servers.name, v('server')));
    const changed = await tx
      .update(campaignTargets)
      .set({
        state: sql`${v('state')}`,
        updatedAt: sql`${v('updated_at')}`,
        ...Object.fromEntries(columns.map((c) => [c, sql`${v(campaignTargets[c].name)}`])),
      })
      .from(sql`jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as v(${recordColumns})`)
      .where(and(eq(campaignTargets.campaignId, v('campaign_id')), eq(campaignTargets.server, v('server')), exists(listed)))
      .returning({ campaignId: campaignTargets.campaignId, server: campaignTargets.server });
    for (const row of changed) written.add(`${row.campaignId}/${row.server}`);
  }
  return written;
}

function jsonValue(value: TargetPatch[PatchColumn]): string | number | boolean | null {
  return value instanceof Date ? value.toISOString() : (value ?? null);
}
