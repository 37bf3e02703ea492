import { randomBytes } from 'node:crypto';
import { access, mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { FLEET_ROLE, loadTlsMaterial, StateError, type FleetCa, type TlsMaterial } from '@wofleet/shared';

/**
 * The controller's key material in its data dir. The CA key is read by the
 * controller only (it signs agents' CSRs); it never leaves this directory.
 *
 *   <dataDir>/ca.pem           fleet CA certificate (public, handed to every agent)
 *   <dataDir>/ca.key           fleet CA key (0600)
 *   <dataDir>/controller.pem   controller certificate, role controller
 *   <dataDir>/controller.key   its key (0600)
 */
export interface PkiFiles {
  caCert: string;
  caKey: string;
  cert: string;
  key: string;
}

export const SECRET_MODE = 0o600;
export const PUBLIC_MODE = 0o644;

export function pkiFiles(dataDir: string): PkiFiles {
  return {
    caCert: path.join(dataDir, 'ca.pem'),
    caKey: path.join(dataDir, 'ca.key'),
    cert: path.join(dataDir, 'controller.pem'),
    key: path.join(dataDir, 'controller.key'),
  };
}

/** The fleet CA's certificate and key, for issuing certificates. */
export async function readFleetCa(dataDir: string): Promise<FleetCa> {
  const files = pkiFiles(dataDir);
  return { certPem: await readPkiFile(files.caCert, dataDir), keyPem: await readPkiFile(files.caKey, dataDir) };
}

/** The controller's TLS material, checked (issued by the CA, valid, role controller). */
export async function readControllerTls(dataDir: string): Promise<TlsMaterial> {
  const files = pkiFiles(dataDir);
  await readPkiFile(files.caCert, dataDir);
  return loadTlsMaterial({ caFile: files.caCert, certFile: files.cert, keyFile: files.key }, { expectRole: FLEET_ROLE.controller });
}

/** The fleet CA when this data dir holds its key (ca.pem must be there), else undefined. */
export async function readFleetCaIfHeld(dataDir: string): Promise<FleetCa | undefined> {
  const files = pkiFiles(dataDir);
  if (!(await fileExists(files.caKey))) {
    await readPkiFile(files.caCert, dataDir);
    return undefined;
  }
  return readFleetCa(dataDir);
}

async function readPkiFile(file: string, dataDir: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new StateError(`no fleet CA in ${dataDir} (${path.basename(file)} is missing): run 'wofleet ca init' first`);
    }
    throw new StateError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, { cause: err });
  }
}

export async function fileExists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  );
}

/** Creates a directory for key material (0700 when new). */
export async function ensurePrivateDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
}

/**
 * Writes a set of files so that each is complete or absent: every file goes to a
 * temp name beside it first (with its final mode, so a key is never readable by
 * others, not even for a moment), then all are renamed into place.
 */
export async function writeFilesAtomically(files: readonly { file: string; data: string; mode: number }[]): Promise<void> {
  const staged: { tmp: string; file: string }[] = [];
  try {
    for (const { file, data, mode } of files) {
      const tmp = path.join(path.dirname(file), `.${path.basename(file)}.tmp-${randomBytes(6).toString('hex')}`);
      const handle = await open(tmp, 'wx', mode);
      staged.push({ tmp, file });
      try {
        await handle.writeFile(data);
        await handle.chmod(mode);
        await handle.sync();
      } finally {
        await handle.close();
      }
    }
    for (const { tmp, file } of staged) await rename(tmp, file);
  } finally {
    await Promise.all(staged.map(({ tmp }) => rm(tmp, { force: true })));
  }
}
