import type { Logger } from '@wofleet/shared';
import type { StorageSettings } from '../config/controller.js';
import { describeDatabaseUrl, migrate, openDatabase } from '../db/index.js';

/** `wofleet controller migrate`: brings the schema up to date and closes; returns which database it was. */
export async function migrateControllerDatabase(settings: StorageSettings, log: Logger): Promise<string> {
  const database = await openDatabase({ databaseUrl: settings.databaseUrl, dataDir: settings.dataDir, log });
  try {
    await migrate(database, log);
    return settings.databaseUrl ? `Postgres at ${describeDatabaseUrl(settings.databaseUrl)}` : `PGlite in ${settings.dataDir}/pglite`;
  } finally {
    await database.close();
  }
}
