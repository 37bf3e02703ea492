import { createPrivateKey, createPublicKey, X509Certificate, type webcrypto } from 'node:crypto';
import type * as X509 from '@peculiar/x509';
import type { FleetCa } from './ca.js';
import { TlsError } from './error.js';
import type { OperatorAccess } from './access.js';
import type { FleetRole } from './identity.js';
import { generateKey, importSigningKey, publicKeyDer, webCrypto } from './keys.js';
import { subjectAltNameExtension, subjectName } from './names.js';
import { validityPeriod } from './validity.js';
import { loadX509 } from './x509-loader.js';

export interface LeafOptions {
  role: FleetRole;
  /** Server id (agent) or controller name; becomes spiffe://wofleet/<role>/<name>. */
  name: string;
  /** Names peers dial this one by (server side of TLS checks them). */
  dnsNames?: readonly string[];
  ipAddresses?: readonly string[];
  /** Operators only: the access level the certificate carries. */
  access?: OperatorAccess;
  validDays: number;
  notBefore?: Date;
}

export interface IssueCertificateOptions extends LeafOptions {
  ca: FleetCa;
  /** Certify this key instead of making a new one (then no keyPem is returned). */
  publicKeyPem?: string;
}

export interface CertificateAndKey {
  certPem: string;
  keyPem: string;
}

/**
 * A certificate of the fleet CA marked with its role (SAN URI) and usable on both
 * ends of TLS (EKU serverAuth + clientAuth): agents serve gRPC and call the
 * controller; the controller does the reverse.
 */
export async function issueCertificate(options: IssueCertificateOptions & { publicKeyPem: string }): Promise<{ certPem: string }>;
export async function issueCertificate(options: IssueCertificateOptions & { publicKeyPem?: undefined }): Promise<CertificateAndKey>;
export async function issueCertificate(options: IssueCertificateOptions): Promise<{ certPem: string; keyPem?: string }> {
  if (options.publicKeyPem !== undefined) {
    return { certPem: await signLeaf(options.ca, publicKeyDer(options.publicKeyPem), options) };
  }
  const { keys, keyPem } = await generateKey();
  return { certPem: await signLeaf(options.ca, keys.publicKey, options), keyPem };
}

/**
 * Enrollment: certify the key of a PKCS#10 request. Role, name, DNS names and IP
 * addresses come from the issuer's own records (`options`); whatever the request asks
 * for is ignored. The request's signature proves the requester holds the key.
 */
export async function issueFromCsr(ca: FleetCa, csrPem: string, options: LeafOptions): Promise<{ certPem: string }> {
  const x509 = await loadX509();
  let csr: X509.Pkcs10CertificateRequest;
  try {
    csr = new x509.Pkcs10CertificateRequest(csrPem);
  } catch (err) {
    throw new TlsError('not a PEM certificate request', { cause: err });
  }
  const signed = await csr.verify(webCrypto).catch(() => false);
  if (!signed) throw new TlsError('the certificate request is not signed by its own key');
  return { certPem: await signLeaf(ca, csr.publicKey, options) };
}

type SubjectKey = webcrypto.CryptoKey | X509.PublicKey | Buffer;

async function signLeaf(ca: FleetCa, publicKey: SubjectKey, options: LeafOptions): Promise<string> {
  const { notBefore, notAfter } = validityPeriod(options);
  const x509 = await loadX509();
  const sanExtension = subjectAltNameExtension(x509, options);
  const caCert = readCaCertificate(x509, ca);
  const signer = await importSigningKey(ca.keyPem, 'the fleet CA key');
  const subjectKey = await x509.PublicKey.create(publicKey, webCrypto);
  const usages = x509.KeyUsageFlags.digitalSignature | (isRsa(subjectKey) ? x509.KeyUsageFlags.keyEncipherment : 0);
  const caKeyId = caCert.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId;
  const cert = await x509.X509CertificateGenerator.create(
    {
      subject: subjectName(options),
      issuer: caCert.subjectName,
      publicKey: subjectKey,
      signingKey: signer.key,
      signingAlgorithm: signer.algorithm,
      notBefore,
      notAfter,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(usages, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]),
        sanExtension,
        await x509.SubjectKeyIdentifierExtension.create(subjectKey, false, webCrypto),
        caKeyId
          ? new x509.AuthorityKeyIdentifierExtension(caKeyId)
          : await x509.AuthorityKeyIdentifierExtension.create(caCert.publicKey, false, webCrypto),
      ],
    },
    webCrypto,
  );
  return cert.toString('pem');
}

/** The CA certificate, checked to be a CA whose key is the one we were given. */
function readCaCertificate(x509: typeof X509, ca: FleetCa): X509.X509Certificate {
  let node: X509Certificate;
  try {
    node = new X509Certificate(ca.certPem);
  } catch (err) {
    throw new TlsError('the fleet CA certificate is not a PEM certificate', { cause: err });
  }
  if (!node.ca) throw new TlsError('the fleet CA certificate is not a CA certificate');
  let matches: boolean;
  try {
    matches = node.checkPrivateKey(createPrivateKey(ca.keyPem));
  } catch (err) {
    throw new TlsError('the fleet CA key is not a PEM private key', { cause: err });
  }
  if (!matches) throw new TlsError('the fleet CA key does not match the CA certificate');
  return new x509.X509Certificate(ca.certPem);
}

function isRsa(key: X509.PublicKey): boolean {
  return createPublicKey({ key: Buffer.from(key.rawData), format: 'der', type: 'spki' }).asymmetricKeyType === 'rsa';
}
