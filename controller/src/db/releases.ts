import { compareVersions, StateError, type Digest } from '@wofleet/shared';
import { violatedUniqueConstraint } from './sql-error.js';
import type { Database } from './database.js';
import { releases } from './schema/releases.js';

/** Every query on the `releases` table: the catalog rollouts pick from. */

export type ReleaseRow = typeof releases.$inferSelect;

export interface NewRelease {
  version: string;
  /** Archive URL; omitted: the agents' mirror. */
  url?: string | null;
  digest: Digest;
  sizeBytes?: number | null;
  dbVersion?: number | null;
}

export class ReleaseExistsError extends StateError {
  constructor(
    readonly version: string,
    options?: { cause?: unknown },
  ) {
    super(`release ${version} is already in the catalog`, options);
  }
}

export async function insertRelease(db: Database, release: NewRelease): Promise<ReleaseRow> {
  try {
    const [row] = await db
      .insert(releases)
      .values({
        version: release.version,
        url: release.url ?? null,
        digestAlgorithm: release.digest.algorithm,
        digestHex: release.digest.hex,
        sizeBytes: release.sizeBytes ?? null,
        dbVersion: release.dbVersion ?? null,
      })
      .returning();
    if (!row) throw new Error('insert into releases returned no row');
    return row;
  } catch (err) {
    if (violatedUniqueConstraint(err) === 'releases_version_unique') throw new ReleaseExistsError(release.version, { cause: err });
    throw err;
  }
}

/** The catalog, oldest WordPress version first (6.4.5 before 6.10.0). */
export async function listReleases(db: Database): Promise<ReleaseRow[]> {
  const rows = await db.select().from(releases);
  return rows.sort((a, b) => compareVersions(a.version, b.version));
}
