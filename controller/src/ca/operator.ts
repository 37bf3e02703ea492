import path from 'node:path';
import {
  assertFleetName,
  FLEET_ROLE,
  issueCertificate,
  loadTlsMaterial,
  OPERATOR_ACCESS,
  StateError,
  certificateSerial,
  type OperatorAccess,
} from '@wofleet/shared';
import { ensurePrivateDir, fileExists, PUBLIC_MODE, readFleetCa, SECRET_MODE, writeFilesAtomically } from './files.js';

/** Operators renew by asking for a new certificate: a lost laptop's key is good for this long at most. */
export const OPERATOR_CERT_VALID_DAYS = 90;
export const OPERATOR_CERT_MAX_VALID_DAYS = 365;

export interface IssueOperatorOptions {
  dataDir: string;
  /** The operator's name: spiffe://wofleet/operator/<name>, and `operator:<name>` in the audit log. */
  name: string;
  outDir: string;
  validDays: number;
  /** What the certificate allows (default operator: read and change). */
  access?: OperatorAccess;
  force: boolean;
}

export interface OperatorCredentials {
  name: string;
  access: OperatorAccess;
  serial: string;
  caFile: string;
  certFile: string;
  keyFile: string;
  fingerprint: string;
  notAfter: string;
}

/**
 * Issues a certificate with role operator and an access level (viewer, operator) for the `wofleet` CLI, written with the CA
 * certificate into `outDir` (`ca.pem`, `<name>.pem`, `<name>.key` 0600). Runs where
 * the CA key is: on the controller host.
 */
export async function issueOperatorCredentials(options: IssueOperatorOptions): Promise<OperatorCredentials> {
  assertFleetName(options.name);
  const ca = await readFleetCa(options.dataDir);
  const files = {
    caFile: path.join(options.outDir, 'ca.pem'),
    certFile: path.join(options.outDir, `${options.name}.pem`),
    keyFile: path.join(options.outDir, `${options.name}.key`),
  };
  if (!options.force) {
    for (const file of [files.certFile, files.keyFile]) {
      if (await fileExists(file)) throw new StateError(`${file} already exists: refusing to overwrite it; pass --force to replace it`);
    }
  }
  const access = options.access ?? OPERATOR_ACCESS.operator;
  const issued = await issueCertificate({ ca, role: FLEET_ROLE.operator, name: options.name, access, validDays: options.validDays });
  await ensurePrivateDir(options.outDir);
  await writeFilesAtomically([
    { file: files.keyFile, data: issued.keyPem, mode: SECRET_MODE },
    { file: files.certFile, data: issued.certPem, mode: PUBLIC_MODE },
    { file: files.caFile, data: ca.certPem, mode: PUBLIC_MODE },
  ]);
  const { identity } = await loadTlsMaterial(files, { expectRole: FLEET_ROLE.operator });
  return {
    name: options.name,
    access,
    serial: certificateSerial(issued.certPem),
    ...files,
    fingerprint: identity.fingerprint,
    notAfter: identity.notAfter.toISOString(),
  };
}
