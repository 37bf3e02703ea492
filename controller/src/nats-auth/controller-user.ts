import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { nkeys } from 'nats';
import { StateError } from '@wofleet/shared';
import { createNatsUser } from '@wofleet/shared/nats';
import { ensurePrivateDir, fileExists, SECRET_MODE, writeFilesAtomically } from '../ca/files.js';

/** The controller's own NATS user: its seed in the data dir, beside the controller's TLS key. */
export function controllerSeedFile(dataDir: string): string {
  return path.join(dataDir, 'nats-controller.nk');
}

/** The public key of the seed in `file`, made (0600) when there is none yet. */
export async function ensureControllerNatsUser(file: string): Promise<{ publicKey: string; created: boolean }> {
  if (!(await fileExists(file))) {
    const user = createNatsUser();
    await ensurePrivateDir(path.dirname(file));
    await writeFilesAtomically([{ file, data: `${user.seed}\n`, mode: SECRET_MODE }]);
    return { publicKey: user.publicKey, created: true };
  }
  try {
    const seed = (await readFile(file, 'utf8')).trim();
    return { publicKey: nkeys.fromSeed(new TextEncoder().encode(seed)).getPublicKey(), created: false };
  } catch (err) {
    throw new StateError(`${file} is not a NATS nkey seed: remove it to make a new one`, { cause: err });
  }
}
