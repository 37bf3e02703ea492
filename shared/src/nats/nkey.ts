import { readFileSync } from 'node:fs';
import { nkeys } from 'nats';

/**
 * NATS users as nkeys: a key pair whose seed stays with its owner; nats-server is told
 * only the public key ("U...") and checks a signature of its nonce at every connect.
 */
export interface NatsUser {
  /** The secret ("SU..."): written to a 0600 file, never sent anywhere. */
  seed: string;
  publicKey: string;
}

const decoder = new TextDecoder();

export function createNatsUser(): NatsUser {
  const pair = nkeys.createUser();
  return { seed: decoder.decode(pair.getSeed()), publicKey: pair.getPublicKey() };
}

/** Whether `key` is the public key of a NATS user (not of an account, operator or server). */
export function isNatsUserPublicKey(key: string): boolean {
  if (!key.startsWith('U')) return false;
  try {
    nkeys.fromPublic(key); // checks the encoding and the checksum
    return true;
  } catch {
    return false;
  }
}

/** The seed in `file`, without the trailing newline an editor may add. */
export function readNatsSeed(file: string): Uint8Array {
  return new TextEncoder().encode(readFileSync(file, 'utf8').trim());
}
