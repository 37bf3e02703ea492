import { UsageError } from '../errors.js';
import { printable } from './text.js';

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

/** The `--sha1` / `--sha256` pair of a request (CLI flags, gRPC fields): at most one, well-formed. */
export function parseDigestChoice(sha1: string | undefined, sha256: string | undefined): Digest | undefined {
  if (sha1 && sha256) throw new UsageError('give either --sha1 or --sha256, not both');
  if (sha1) return parseDigest('sha1', sha1);
  if (sha256) return parseDigest('sha256', sha256);
  return undefined;
}

/** A digest as it arrives in a message ({algorithm, hex} as text): a known algorithm and well-formed hex. */
export function parseDigestMessage(message: { algorithm: string; hex: string }): Digest {
  const algorithm = message.algorithm.trim().toLowerCase();
  if (algorithm !== 'sha1' && algorithm !== 'sha256') {
    throw new UsageError(`invalid digest algorithm '${printable(message.algorithm)}': expected sha1 or sha256`);
  }
  return parseDigest(algorithm, message.hex);
}

/** `sha256:<hex>`: how people read a digest (tables, logs). */
export function formatDigest(digest: { algorithm: string; hex: string }): string {
  return `${digest.algorithm}:${digest.hex}`;
}
