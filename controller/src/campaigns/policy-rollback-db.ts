import { TARGET_STATE, type TargetState } from './model.js';
import { restoresDb, REVERT_SUFFIX } from './policy-target.js';

/**
 * Whether an operator's `rollout rollback` restores DB snapshots: only when told to
 * (`--restore-db`). The snapshots were taken when the campaign switched each server,
 * possibly weeks ago; restoring one puts the site's database back to that moment and
 * every write since (orders, comments, users) is lost. Without the flag, a rollback
 * that would cross a schema change is refused, saying how old the snapshots are and
 * how many sites they hold. Leaving the DB as is instead was not chosen: WordPress
 * core older than its DB schema serves pages, but wp-admin asks for a "database
 * update" that would write the older db_version over the newer schema; that is not a
 * state to leave a fleet in without the operator deciding it.
 *
 * Policy rollbacks during the campaign (a failed server, an abort) restore as before:
 * their snapshots are minutes old, taken by the same switch they undo.
 */

/** A target as the campaign-wide rollback sees it. */
export interface RollbackTargetFacts {
  server: string;
  state: TargetState;
  switched: boolean;
  operationId: string | null;
  fromDbVersion: number | null;
  toDbVersion: number | null;
  /** When the switch's snapshot was taken, about: the switch ended (verifying began), else the last change. */
  verifyingSince: Date | null;
  updatedAt: Date;
}

/** The campaign-wide rollback rolls this target back: switched and settled, or a policy rollback that failed. */
export function rollsBackOnCampaignRollback(t: Pick<RollbackTargetFacts, 'switched' | 'state' | 'operationId'>): boolean {
  const retry = t.state === TARGET_STATE.rollbackFailed && !(t.operationId ?? '').endsWith(REVERT_SUFFIX);
  return t.switched && (t.state === TARGET_STATE.succeeded || t.state === TARGET_STATE.failed || retry);
}

/** The targets whose rollback would restore DB snapshots (the switch changed the schema version). */
export function dbRestoresOfRollback<T extends RollbackTargetFacts>(targets: readonly T[]): T[] {
  return targets.filter((t) => rollsBackOnCampaignRollback(t) && restoresDb(t));
}

/** The refusal of a rollback without `--restore-db`: one line, undefined when no DB would be restored. */
export function restoreDbRefusal(
  campaignId: string,
  restores: ReadonlyArray<Pick<RollbackTargetFacts, 'server' | 'verifyingSince' | 'updatedAt'>>,
  sites: number,
  now: Date,
): string | undefined {
  if (restores.length === 0) return undefined;
  const oldest = Math.min(...restores.map((t) => (t.verifyingSince ?? t.updatedAt).getTime()));
  const servers = restores.length === 1 ? `server ${restores[0]?.server}` : `${restores.length} servers`;
  return (
    `rolling back campaign ${campaignId} would restore the DB snapshots of ${sites} site${sites === 1 ? '' : 's'} on ${servers}, ` +
    `taken ${formatAge(now.getTime() - oldest)} ago when the campaign switched them: every write since would be lost. ` +
    'Add --restore-db to roll back and restore them'
  );
}

/** A coarse age: `3d 4h`, `2h 5m`, `12m`, `40s`. */
export function formatAge(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const [d, h, m] = [Math.floor(s / 86_400), Math.floor((s % 86_400) / 3_600), Math.floor((s % 3_600) / 60)];
  if (d > 0) return h > 0 ? `${d}d ${h}h` : `${d}d`;
  if (h > 0) return m > 0 ? `${h}h ${m}m` : `${h}h`;
  return m > 0 ? `${m}m` : `${s}s`;
}
