import { generateKey, webCrypto } from './keys.js';
import { subjectAltNameExtension, subjectName, type SubjectNames } from './names.js';
import { loadX509 } from './x509-loader.js';

export interface CsrAndKey {
  csrPem: string;
  /** Stays with the requester; only the CSR is sent. */
  keyPem: string;
}

/**
 * A new key and a PKCS#10 request for it (enrollment). The names in it are a request:
 * the issuer decides what the certificate says (`issueFromCsr`).
 */
export async function createCsr(names: SubjectNames): Promise<CsrAndKey> {
  const x509 = await loadX509();
  const san = subjectAltNameExtension(x509, names);
  const { keys, keyPem } = await generateKey();
  const csr = await x509.Pkcs10CertificateRequestGenerator.create(
    { name: subjectName(names), keys, signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' }, extensions: [san] },
    webCrypto,
  );
  return { csrPem: csr.toString('pem'), keyPem };
}
