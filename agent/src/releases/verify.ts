import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, readFile } from 'node:fs/promises';
import path from 'node:path';
import { IntegrityError, isWordPressVersion, printable, type Digest, type DigestAlgorithm } from '@wofleet/shared';

/**
 * Release integrity (DESIGN 5.6): the archive digest is checked before anything is
 * extracted, and the extracted tree must be a WordPress core of the expected version.
 */

export type ArchiveHashes = Record<DigestAlgorithm, string>;

/** sha1 and sha256 of a file in one streaming read (sha256 is always recorded; sha1 is what wordpress.org publishes). */
export async function hashArchive(file: string): Promise<ArchiveHashes> {
  const sha1 = createHash('sha1');
  const sha256 = createHash('sha256');
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) {
    sha1.update(chunk as Buffer);
    sha256.update(chunk as Buffer);
  }
  return { sha1: sha1.digest('hex'), sha256: sha256.digest('hex') };
}

/**
 * The error names only the expected digest: echoing the actual one would let whoever can
 * name a source hash any file the agent can read. `onMismatch` hands the actual digest to
 * the agent's local log.
 */
export function verifyDigest(hashes: ArchiveHashes, expected: Digest, onMismatch: (actual: string) => void): void {
  const actual = hashes[expected.algorithm];
  if (actual !== expected.hex) {
    onMismatch(actual);
    throw new IntegrityError(`digest mismatch: the archive's ${expected.algorithm} is not the expected ${expected.hex}`);
  }
}

/** What every WordPress core holds; a trailing '/' means a directory. */
export const REQUIRED_CORE_PATHS = [
  'wp-settings.php',
  'wp-load.php',
  'wp-blog-header.php',
  'wp-includes/version.php',
  'wp-admin/',
] as const;

export async function verifyCoreFiles(releaseDir: string): Promise<void> {
  const missing: string[] = [];
  for (const required of REQUIRED_CORE_PATHS) {
    const wantDir = required.endsWith('/');
    const st = await lstat(path.join(releaseDir, required)).catch(() => undefined);
    const ok = st !== undefined && (wantDir ? st.isDirectory() : st.isFile());
    if (!ok) missing.push(required);
  }
  if (missing.length > 0) {
    throw new IntegrityError(`not a WordPress core: missing ${missing.join(', ')}`);
  }
}

export interface CoreVersion {
  version: string;
  dbVersion: number;
}

const WP_VERSION = /^\s*\$wp_version\s*=\s*'([^']*)'\s*;/m;
const WP_DB_VERSION = /\$wp_db_version\s*=\s*(\d+)\s*;/;

/** `$wp_version` and `$wp_db_version` of a release (or any core) directory. */
export function readCoreVersion(coreDir: string): Promise<CoreVersion> {
  return readVersionFile(path.join(coreDir, 'wp-includes', 'version.php'));
}

/** Parse a wp-includes/version.php as text (never executed). */
export async function readVersionFile(file: string): Promise<CoreVersion> {
  const text = await readFile(file, 'utf8');
  const version = WP_VERSION.exec(text)?.[1];
  const db = WP_DB_VERSION.exec(text)?.[1];
  if (version === undefined) throw new IntegrityError(`${file} does not declare $wp_version`);
  if (db === undefined) throw new IntegrityError(`${file} does not declare $wp_db_version`);
  // The version becomes part of a directory name: only accept what a release version looks like.
  if (!isWordPressVersion(version)) throw new IntegrityError(`${file} declares an unexpected version '${printable(version, 40)}'`);
  return { version, dbVersion: Number.parseInt(db, 10) };
}

export function verifyExpectedVersion(actual: string, expected: string | undefined): void {
  if (expected !== undefined && actual !== expected) {
    throw new IntegrityError(`version mismatch: expected WordPress ${expected}, archive holds ${actual}`);
  }
}
