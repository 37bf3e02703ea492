import { lstat, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { describeError } from '@wofleet/shared';
import type { Layout } from '../config/paths.js';
import { createDiskCounter, walkTree } from '../disk/disk-usage.js';
import type { Engine } from '../engine.js';
import type { AgentState } from '../state/store.js';

/**
 * SQL dumps live in `snapshots/<batch>/<domain>.sql`, one batch per update record
 * (`u<stamp>`), per `upgrade-db` run (`db-<stamp>`) or per convert (`convert-<backup>`).
 * A batch a record still names stays. An update batch whose record was trimmed
 * goes with it: nothing can restore it any more. Other batches no record names
 * (upgrade-db runs, converts whose backup is gone, leftovers of a crash) are kept
 * as the newest few only, for an operator to restore by hand.
 */
export const KEEP_UNRECORDED_SNAPSHOT_BATCHES = 5;
const UPDATE_BATCH = /^u\d{8}T\d{9}Z$/;
const DUMP_SUFFIX = '.sql';

/** Where convert dumps the site's DB (under snapshotsDir): named after the backup, kept as long as it is. */
export function snapshotBatchOfBackup(backupDir: string): string {
  return `convert-${path.basename(backupDir)}`;
}

/** The snapshot batches of every convert backup on disk, whatever its manifest says. */
async function backupSnapshotBatches(layout: Layout): Promise<string[]> {
  return (await readdir(layout.backupsDir).catch(() => [] as string[])).map(snapshotBatchOfBackup);
}

/** The batches the state's update records name, plus `others` (the batches of the convert backups that still exist). */
function recordedBatches(state: AgentState, others: readonly string[]): Set<string> {
  const batches = new Set<string>();
  for (const record of state.updates) {
    batches.add(record.id);
    for (const snapshot of record.snapshots) batches.add(path.basename(path.dirname(snapshot.file)));
  }
  if (state.pendingRollback?.record) batches.add(state.pendingRollback.record);
  for (const batch of others) batches.add(batch);
  return batches;
}

/** Removes the dump batches no update record or convert backup needs (see above); returns the batches removed. */
export async function pruneSnapshotBatches(layout: Layout, state: AgentState): Promise<string[]> {
  const recorded = recordedBatches(state, await backupSnapshotBatches(layout));
  const unrecorded: { name: string; mtimeMs: number; ofTrimmedUpdate: boolean }[] = [];
  for (const name of await readdir(layout.snapshotsDir).catch(() => [] as string[])) {
    if (recorded.has(name)) continue;
    const st = await lstat(path.join(layout.snapshotsDir, name));
    if (st.isDirectory()) unrecorded.push({ name, mtimeMs: st.mtimeMs, ofTrimmedUpdate: UPDATE_BATCH.test(name) });
  }
  const others = unrecorded.filter((b) => !b.ofTrimmedUpdate).sort((a, b) => b.mtimeMs - a.mtimeMs);
  const doomed = [...unrecorded.filter((b) => b.ofTrimmedUpdate), ...others.slice(KEEP_UNRECORDED_SNAPSHOT_BATCHES)];
  for (const batch of doomed) await rm(path.join(layout.snapshotsDir, batch.name), { recursive: true, force: true });
  return doomed.map((b) => b.name).sort();
}

/** Housekeeping after a command changed the records: a failure is logged, never fails the command. */
export async function pruneSnapshotsQuietly(engine: Engine, state: AgentState): Promise<void> {
  try {
    const removed = await pruneSnapshotBatches(engine.layout, state);
    if (removed.length > 0) engine.log.info({ removed }, 'removed DB snapshot dumps no record needs');
  } catch (err) {
    engine.log.warn({ err: describeError(err) }, 'pruning DB snapshot dumps failed');
  }
}

/** How many dumps `snapshots/` holds and the bytes it takes on disk. */
export async function measureSnapshots(layout: Layout): Promise<{ dumps: number; bytes: number }> {
  let dumps = 0;
  await walkTree(layout.snapshotsDir, (file, kind) => {
    // writeFileAtomic's temp files (`.<name>.tmp-*`) are dumps being written, not dumps.
    if (kind === 'file' && file.endsWith(DUMP_SUFFIX) && !path.basename(file).startsWith('.')) dumps++;
  });
  return { dumps, bytes: await createDiskCounter().measure(layout.snapshotsDir) };
}
