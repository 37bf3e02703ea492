import { createFleetCa, FLEET_ROLE, issueCertificate, StateError } from '@wofleet/shared';
import { ensurePrivateDir, fileExists, pkiFiles, PUBLIC_MODE, SECRET_MODE, writeFilesAtomically, type PkiFiles } from './files.js';
import { certificateFingerprint } from './fingerprint.js';

export const CA_VALID_DAYS = 3650;
export const CONTROLLER_CERT_VALID_DAYS = 730;

export interface InitCaOptions {
  dataDir: string;
  /** The controller's name: its certificate says spiffe://wofleet/controller/<name>. */
  name: string;
  /** Names and addresses agents and operators dial the controller by. */
  dnsNames: readonly string[];
  ipAddresses: readonly string[];
  /** Replace an existing CA (every enrolled agent must then enroll again). */
  force: boolean;
}

export interface InitCaResult {
  dataDir: string;
  files: PkiFiles;
  controllerName: string;
  /** SHA-256 of the CA certificate: what `wofleet-agent enroll --ca-fingerprint` pins. */
  caFingerprint: string;
  controllerFingerprint: string;
  replaced: boolean;
}

/**
 * Creates the fleet CA and the controller's certificate (role controller) in the data
 * dir. Everything is generated (and every name checked) before anything is written.
 */
export async function initFleetCa(options: InitCaOptions): Promise<InitCaResult> {
  const files = pkiFiles(options.dataDir);
  const existing = (await fileExists(files.caCert)) || (await fileExists(files.caKey));
  if (existing && !options.force) {
    throw new StateError(
      `a fleet CA already exists in ${options.dataDir}: refusing to replace it (agents enrolled with it would be locked out); pass --force to replace it`,
    );
  }
  const ca = await createFleetCa({ commonName: `wofleet fleet CA (${options.name})`, validDays: CA_VALID_DAYS });
  const controller = await issueCertificate({
    ca,
    role: FLEET_ROLE.controller,
    name: options.name,
    dnsNames: options.dnsNames,
    ipAddresses: options.ipAddresses,
    validDays: CONTROLLER_CERT_VALID_DAYS,
  });
  await ensurePrivateDir(options.dataDir);
  await writeFilesAtomically([
    { file: files.caKey, data: ca.keyPem, mode: SECRET_MODE },
    { file: files.key, data: controller.keyPem, mode: SECRET_MODE },
    { file: files.caCert, data: ca.certPem, mode: PUBLIC_MODE },
    { file: files.cert, data: controller.certPem, mode: PUBLIC_MODE },
  ]);
  return {
    dataDir: options.dataDir,
    files,
    controllerName: options.name,
    caFingerprint: certificateFingerprint(ca.certPem),
    controllerFingerprint: certificateFingerprint(controller.certPem),
    replaced: existing,
  };
}
