/** Helpers for the TLS tests: temp files and certificates wofleet itself would never issue. */
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { FleetCa, TlsFiles } from '../src/index.js';
import { generateKey, importSigningKey } from '../src/tls/keys.js';
import { webCrypto, x509 } from '../src/tls/x509.js';

export const DAY_MS = 24 * 60 * 60 * 1000;
export const daysFromNow = (days: number): Date => new Date(Date.now() + days * DAY_MS);

export async function tempDir(): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), 'wofleet-tls-'));
}

/** Write CA, certificate and key PEMs to a temp dir and return their paths. */
export async function writeTlsFiles(pems: { caPem: string; certPem: string; keyPem: string }): Promise<TlsFiles> {
  const dir = await tempDir();
  const files = { caFile: path.join(dir, 'ca.pem'), certFile: path.join(dir, 'cert.pem'), keyFile: path.join(dir, 'key.pem') };
  await writeFile(files.caFile, pems.caPem);
  await writeFile(files.certFile, pems.certPem);
  await writeFile(files.keyFile, pems.keyPem, { mode: 0o600 });
  return files;
}

/** A certificate of `ca` with exactly these SAN entries (no role URI unless given). */
export async function certificateWithSan(ca: FleetCa, names: x509.JsonGeneralNames): Promise<{ certPem: string; keyPem: string }> {
  const { keys, keyPem } = await generateKey();
  const signer = await importSigningKey(ca.keyPem, 'test CA key');
  const cert = await x509.X509CertificateGenerator.create(
    {
      subject: 'CN=odd',
      issuer: new x509.X509Certificate(ca.certPem).subjectName,
      publicKey: keys.publicKey,
      signingKey: signer.key,
      signingAlgorithm: signer.algorithm,
      notBefore: daysFromNow(-1),
      notAfter: daysFromNow(1),
      extensions: [
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]),
        new x509.SubjectAlternativeNameExtension(names),
      ],
    },
    webCrypto,
  );
  return { certPem: cert.toString('pem'), keyPem };
}
