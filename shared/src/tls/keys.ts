import { createPrivateKey, createPublicKey, KeyObject, webcrypto } from 'node:crypto';
import { TlsError } from './error.js';

/**
 * Key pairs and signing keys. Every key wofleet makes is ECDSA P-256 (small, fast
 * handshakes, accepted by every TLS stack); private keys are stored as PKCS#8 PEM.
 */
const KEY_ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const SIGNATURE_ALGORITHM = { name: 'ECDSA', hash: 'SHA-256' } as const;

/** Node's WebCrypto, passed explicitly so nothing depends on a global provider. */
export const webCrypto = webcrypto;

export interface GeneratedKey {
  keys: webcrypto.CryptoKeyPair;
  keyPem: string;
}

export async function generateKey(): Promise<GeneratedKey> {
  const keys = await webCrypto.subtle.generateKey(KEY_ALGORITHM, true, ['sign', 'verify']);
  return { keys, keyPem: String(KeyObject.from(keys.privateKey).export({ type: 'pkcs8', format: 'pem' })) };
}

export interface SigningKey {
  key: webcrypto.CryptoKey;
  algorithm: typeof SIGNATURE_ALGORITHM;
}

/** A PEM private key as a WebCrypto signing key; `label` names it in errors. */
export async function importSigningKey(keyPem: string, label: string): Promise<SigningKey> {
  const object = parsePrivateKey(keyPem, label);
  if (object.asymmetricKeyType !== 'ec' || object.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new TlsError(`${label} is not an ECDSA P-256 key (a fleet CA made by wofleet has one)`);
  }
  const der = object.export({ type: 'pkcs8', format: 'der' });
  const key = await webCrypto.subtle.importKey('pkcs8', der, KEY_ALGORITHM, false, ['sign']);
  return { key, algorithm: SIGNATURE_ALGORITHM };
}

export function parsePrivateKey(keyPem: string, label: string): KeyObject {
  if (!keyPem.includes('PRIVATE KEY-----')) throw new TlsError(`${label} is not a PEM private key`);
  try {
    return createPrivateKey(keyPem);
  } catch (err) {
    throw new TlsError(`${label} is not a usable PEM private key (encrypted keys are not supported)`, { cause: err });
  }
}

/** SubjectPublicKeyInfo (DER) of a PEM public key, as the certificate generator takes it. */
export function publicKeyDer(publicKeyPem: string): Buffer {
  try {
    return createPublicKey(publicKeyPem).export({ type: 'spki', format: 'der' });
  } catch (err) {
    throw new TlsError('not a PEM public key', { cause: err });
  }
}
