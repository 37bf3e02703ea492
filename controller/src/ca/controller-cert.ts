import path from 'node:path';
import { assertFleetName, certificateSerial, FLEET_ROLE, issueCertificate, loadTlsMaterial, StateError } from '@wofleet/shared';
import { ensurePrivateDir, fileExists, pkiFiles, PUBLIC_MODE, readFleetCa, SECRET_MODE, writeFilesAtomically } from './files.js';

export interface IssueControllerOptions {
  /** The data dir holding the fleet CA (of the controller that has it). */
  dataDir: string;
  /** The new controller's name: spiffe://wofleet/controller/<name>; its campaign leases say so too. */
  name: string;
  dnsNames: readonly string[];
  ipAddresses: readonly string[];
  /** The new controller's data dir to be: ca.pem, controller.pem, controller.key are written there. */
  outDir: string;
  validDays: number;
  force: boolean;
}

export interface ControllerCredentials {
  name: string;
  outDir: string;
  certFile: string;
  serial: string;
  fingerprint: string;
  notAfter: string;
}

/**
 * A certificate for another controller sharing the fleet (same database, same CA):
 * written as a data dir the second controller serves from. The CA key is not copied:
 * a controller signs agents' enrollments and renewals, so the operator copies ca.key
 * into that dir when (and only when) the second controller should do that too.
 */
export async function issueControllerCredentials(options: IssueControllerOptions): Promise<ControllerCredentials> {
  assertFleetName(options.name);
  const ca = await readFleetCa(options.dataDir);
  const files = pkiFiles(options.outDir);
  if (path.resolve(options.outDir) === path.resolve(options.dataDir)) {
    throw new StateError("--out is this controller's own data dir: give the new controller a directory of its own");
  }
  if (!options.force) {
    for (const file of [files.cert, files.key]) {
      if (await fileExists(file)) throw new StateError(`${file} already exists: refusing to overwrite it; pass --force to replace it`);
    }
  }
  const issued = await issueCertificate({
    ca,
    role: FLEET_ROLE.controller,
    name: options.name,
    dnsNames: options.dnsNames,
    ipAddresses: options.ipAddresses,
    validDays: options.validDays,
  });
  await ensurePrivateDir(options.outDir);
  await writeFilesAtomically([
    { file: files.key, data: issued.keyPem, mode: SECRET_MODE },
    { file: files.cert, data: issued.certPem, mode: PUBLIC_MODE },
    { file: files.caCert, data: ca.certPem, mode: PUBLIC_MODE },
  ]);
  const { identity } = await loadTlsMaterial(
    { caFile: files.caCert, certFile: files.cert, keyFile: files.key },
    { expectRole: FLEET_ROLE.controller },
  );
  return {
    name: options.name,
    outDir: options.outDir,
    certFile: files.cert,
    serial: certificateSerial(issued.certPem),
    fingerprint: identity.fingerprint,
    notAfter: identity.notAfter.toISOString(),
  };
}
