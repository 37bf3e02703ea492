/** TLS for the fleet: the CA, role-marked certificates, enrollment CSRs, loading and peer identity. */
export { TlsError } from './error.js';
export {
  FLEET_ROLE,
  FLEET_URI_PREFIX,
  assertFleetName,
  fleetUri,
  isFleetRole,
  parseFleetUri,
  peerIdentity,
  identityFromAltNames,
  subjectAltNames,
  type FleetRole,
  type PeerIdentity,
  type SubjectAltName,
} from './identity.js';
export { createFleetCa, type CreateFleetCaOptions, type FleetCa } from './ca.js';
export { issueCertificate, issueFromCsr, type CertificateAndKey, type IssueCertificateOptions, type LeafOptions } from './issue.js';
export { createCsr, type CsrAndKey } from './csr.js';
export { loadTlsMaterial, type LoadTlsOptions, type TlsFiles, type TlsIdentity, type TlsMaterial } from './material.js';
export {
  ACCESS_OU_PREFIX,
  OPERATOR_ACCESS,
  accessAllows,
  isOperatorAccess,
  operatorAccess,
  type OperatorAccess,
} from './access.js';
export { certificateSerial, normalizeSerial } from './serial.js';
