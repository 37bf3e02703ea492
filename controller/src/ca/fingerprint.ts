import { X509Certificate } from 'node:crypto';

/** SHA-256 of a certificate as `openssl x509 -fingerprint -sha256` prints it (AB:CD:...). */
export function certificateFingerprint(certPem: string): string {
  return new X509Certificate(certPem).fingerprint256;
}

/** The same fingerprint as plain lower-case hex (how the database stores agent certificates). */
export function certificateFingerprintHex(certPem: string): string {
  return certificateFingerprint(certPem).replaceAll(':', '').toLowerCase();
}
