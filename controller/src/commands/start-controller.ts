import type { Logger } from '@wofleet/shared';
import { readControllerTls, readFleetCa } from '../ca/files.js';
import type { ControllerSettings } from '../config/controller.js';
import { describeDatabaseUrl, migrate, openDatabase, type OpenDatabase } from '../db/index.js';
import { createControllerHandlers } from '../grpc/handlers.js';
import { startControllerServer } from '../grpc/server.js';
import { systemClock, type Clock, type ControllerContext } from './context.js';

export interface StartControllerOptions {
  settings: ControllerSettings;
  log: Logger;
  clock?: Clock;
}

export interface RunningController {
  /** The port ControllerService listens on (the one chosen when listen said port 0). */
  port: number;
  context: ControllerContext;
  database: OpenDatabase;
  /** Stops serving (running calls finish), then closes the database. */
  stop(): Promise<void>;
}

/**
 * `wofleet controller serve`: checks the data dir's key material, opens the database
 * and brings its schema up to date, then serves ControllerService. Fails before
 * listening when any of that fails; stops in the reverse order.
 */
export async function startController(options: StartControllerOptions): Promise<RunningController> {
  const { settings, log } = options;
  const tls = await readControllerTls(settings.dataDir);
  const ca = await readFleetCa(settings.dataDir);
  const database = await openDatabase({ databaseUrl: settings.databaseUrl, dataDir: settings.dataDir, log });
  try {
    await migrate(database, log);
    const context: ControllerContext = { db: database.db, ca, clock: options.clock ?? systemClock, log };
    const server = await startControllerServer(settings.listen, tls, createControllerHandlers(context));
    log.info({ listen: settings.listen, port: server.port, controller: tls.identity.name, database: database.kind }, 'controller serving');
    return {
      port: server.port,
      context,
      database,
      async stop() {
        await server.stop();
        await database.close();
      },
    };
  } catch (err) {
    await database.close();
    throw err;
  }
}

/** `wofleet controller migrate`: brings the schema up to date and closes; returns which database it was. */
export async function migrateControllerDatabase(settings: ControllerSettings, log: Logger): Promise<string> {
  const database = await openDatabase({ databaseUrl: settings.databaseUrl, dataDir: settings.dataDir, log });
  try {
    await migrate(database, log);
    return settings.databaseUrl ? `Postgres at ${describeDatabaseUrl(settings.databaseUrl)}` : `PGlite in ${settings.dataDir}/pglite`;
  } finally {
    await database.close();
  }
}
