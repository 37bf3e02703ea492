import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { TlsError } from './error.js';
import { fleetUri, peerIdentity, type FleetRole } from './identity.js';
import { parsePrivateKey } from './keys.js';

export interface TlsFiles {
  caFile: string;
  certFile: string;
  keyFile: string;
}

export interface TlsIdentity {
  role: FleetRole;
  name: string;
  /** spiffe://wofleet/<role>/<name> */
  uri: string;
  notBefore: Date;
  notAfter: Date;
  /** SHA-256 of the certificate, colon-separated hex (as `openssl x509 -fingerprint -sha256`). */
  fingerprint: string;
}

/** What grpc-js and node:tls take, plus who this process is in the fleet. */
export interface TlsMaterial {
  caPem: string;
  certPem: string;
  keyPem: string;
  identity: TlsIdentity;
}

export interface LoadTlsOptions {
  /** Refuse a certificate marked with another role (an agent loading a controller's files). */
  expectRole?: FleetRole;
  /** Clock for the validity check. */
  now?: Date;
}

/**
 * Read and check this process's TLS files: each present and PEM, the key the
 * certificate's, the certificate issued by the CA, valid now, marked with a fleet
 * role. Every problem is a one-line `TlsError` naming the file.
 */
export async function loadTlsMaterial(files: TlsFiles, options: LoadTlsOptions = {}): Promise<TlsMaterial> {
  const now = options.now ?? new Date();
  const caPem = await readPemFile(files.caFile, 'CA certificate');
  const certPem = await readPemFile(files.certFile, 'certificate');
  const keyPem = await readPemFile(files.keyFile, 'private key');

  const ca = parseCertificate(caPem, files.caFile);
  if (!ca.ca) throw new TlsError(`${files.caFile} is not a CA certificate`);
  checkValidity(ca, files.caFile, now);
  const cert = parseCertificate(certPem, files.certFile);
  const key = parsePrivateKey(keyPem, files.keyFile);
  if (!cert.checkPrivateKey(key)) throw new TlsError(`${files.keyFile}: key does not match certificate ${files.certFile}`);
  if (!cert.checkIssued(ca) || !cert.verify(ca.publicKey)) {
    throw new TlsError(`${files.certFile} is not issued by the fleet CA (${files.caFile})`);
  }
  const { notBefore, notAfter } = checkValidity(cert, files.certFile, now);

  const identity = peerIdentity(cert);
  if (!identity) {
    throw new TlsError(`${files.certFile} has no wofleet role: expected one SAN URI spiffe://wofleet/<controller|agent>/<name>`);
  }
  if (options.expectRole && identity.role !== options.expectRole) {
    throw new TlsError(`${files.certFile} is marked ${identity.role}, expected ${options.expectRole}`);
  }
  return {
    caPem,
    certPem,
    keyPem,
    identity: { ...identity, uri: fleetUri(identity.role, identity.name), notBefore, notAfter, fingerprint: cert.fingerprint256 },
  };
}

async function readPemFile(file: string, what: string): Promise<string> {
  const text = await readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') throw new TlsError(`${what} file ${file} does not exist`);
    throw new TlsError(`cannot read ${what} file ${file}: ${err.code ?? err.message}`, { cause: err });
  });
  if (!/-----BEGIN [A-Z0-9 ]+-----/.test(text)) throw new TlsError(`${file} is not PEM (expected a ${what})`);
  return text;
}

function parseCertificate(pem: string, file: string): X509Certificate {
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) throw new TlsError(`${file} is not a PEM certificate`);
  try {
    return new X509Certificate(pem);
  } catch (err) {
    throw new TlsError(`${file} is not a valid PEM certificate`, { cause: err });
  }
}

function checkValidity(cert: X509Certificate, file: string, now: Date): { notBefore: Date; notAfter: Date } {
  const notBefore = certificateTime(cert.validFrom, file);
  const notAfter = certificateTime(cert.validTo, file);
  if (now.getTime() > notAfter.getTime()) throw new TlsError(`${file}: certificate expired on ${notAfter.toISOString()}`);
  if (now.getTime() < notBefore.getTime()) throw new TlsError(`${file}: certificate not valid before ${notBefore.toISOString()}`);
  return { notBefore, notAfter };
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
/** OpenSSL's ASN1_TIME_print form, which Node 20's validFrom/validTo give: `Jan  5 03:04:05 2026 GMT`. */
const OPENSSL_TIME_RE = /^([A-Z][a-z]{2}) +(\d{1,2}) (\d{2}):(\d{2}):(\d{2}) (\d{4}) GMT$/;

/** A validity date of the certificate, read strictly (Date.parse would guess at anything). */
function certificateTime(text: string, file: string): Date {
  const match = OPENSSL_TIME_RE.exec(text);
  const month = match ? MONTHS.indexOf(match[1] as string) : -1;
  if (!match || month < 0) throw new TlsError(`${file}: unreadable certificate validity date '${text}'`);
  const field = (i: number) => Number(match[i]);
  return new Date(Date.UTC(field(6), month, field(2), field(3), field(4), field(5)));
}
