import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '@wofleet/shared';
import { PUBLIC_MODE, writeFilesAtomically } from '../ca/files.js';
import type { StorageSettings } from '../config/controller.js';
import { listNatsUsers, migrate, openDatabase, type NatsUserRow } from '../db/index.js';
import { renderNatsAuthorization } from './authorization.js';
import { ensureControllerNatsUser } from './controller-user.js';

export interface NatsConfigResult {
  file: string;
  controllerSeedFile: string;
  controllerKey: string;
  controllerKeyCreated: boolean;
  /** The servers given a NATS user, by name. */
  servers: string[];
}

/**
 * `wofleet nats config`: reads the servers' NATS users from the database and writes the
 * authorization block (public keys only) for nats-server to include. It brings the schema
 * up to date first, as `controller serve` does, so it also runs before the first start.
 * With PGlite the controller must be stopped: the embedded database has one process at a time.
 */
export async function writeNatsConfig(
  settings: StorageSettings,
  options: { out: string; controllerSeedFile: string },
  log: Logger,
): Promise<NatsConfigResult> {
  const controller = await ensureControllerNatsUser(options.controllerSeedFile);
  const database = await openDatabase({ databaseUrl: settings.databaseUrl, dataDir: settings.dataDir, log, maxConnections: 1 });
  let agents: NatsUserRow[];
  try {
    await migrate(database, log);
    agents = await listNatsUsers(database.db);
  } finally {
    await database.close();
  }
  const file = path.resolve(options.out);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFilesAtomically([{ file, data: renderNatsAuthorization({ controllerKey: controller.publicKey, agents }), mode: PUBLIC_MODE }]);
  return {
    file,
    controllerSeedFile: options.controllerSeedFile,
    controllerKey: controller.publicKey,
    controllerKeyCreated: controller.created,
    servers: agents.map((a) => a.name),
  };
}
