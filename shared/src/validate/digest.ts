import { UsageError } from '../errors.js';
import { printable } from './domain.js';

export type DigestAlgorithm = 'sha1' | 'sha256';
export interface Digest {
  algorithm: DigestAlgorithm;
  hex: string;
}

const LENGTH: Record<DigestAlgorithm, number> = { sha1: 40, sha256: 64 };

export function parseDigest(algorithm: DigestAlgorithm, input: string): Digest {
  const hex = input.trim().toLowerCase();
  if (!/^[0-9a-f]+$/.test(hex) || hex.length !== LENGTH[algorithm]) {
    throw new UsageError(`invalid --${algorithm} '${printable(input)}': expected ${LENGTH[algorithm]} hex digits`);
  }
  return { algorithm, hex };
}
