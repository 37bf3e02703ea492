import { createHash } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { IntegrityError, UsageError } from '@wofleet/shared';
import { writeFileAtomic } from '../state/atomic-file.js';

/**
 * wofleet-agent packages kept on the server for `wofleet agents upgrade`: one
 * `<stateDir>/packages/wofleet-agent_<version>.deb` each (root, 0600 in a 0700 dir),
 * written whole and checked against the SHA-256 the controller named before it gets its
 * name, so a file of that name is always the complete, verified package.
 */

/** The controller's bytes of one package, in order. */
export type PackageSource = (version: string) => AsyncIterable<Uint8Array>;

/** A package bigger than this is refused while streaming (a Node runtime plus the agent is ~40 MB). */
export const MAX_PACKAGE_BYTES = 512 * 1024 * 1024;

const VERSION_RE = /^\d{1,6}\.\d{1,6}\.\d{1,6}(?:[-+~][0-9A-Za-z.+~-]{1,64})?$/;
const SHA256_RE = /^[0-9a-f]{64}$/;

export function packagesDir(stateDir: string): string {
  return path.join(stateDir, 'packages');
}

/** Where a version's package is kept; the version is checked first (it names a file). */
export function packageFile(stateDir: string, version: string): string {
  if (!VERSION_RE.test(version)) throw new UsageError(`invalid wofleet-agent version '${version.slice(0, 80)}': expected x.y.z`);
  return path.join(packagesDir(stateDir), `wofleet-agent_${version}.deb`);
}

export function parseSha256(input: string): string {
  const hex = input.trim().toLowerCase();
  if (!SHA256_RE.test(hex)) throw new UsageError('invalid package sha256: expected 64 hex digits');
  return hex;
}

/**
 * Keeps `version`'s package from `source`, verified against `sha256`; a package already
 * kept with that digest is not fetched again. Answers the file's path.
 */
export async function stagePackage(stateDir: string, version: string, sha256: string, source: PackageSource): Promise<string> {
  const file = packageFile(stateDir, version);
  const expected = parseSha256(sha256);
  if ((await digestOf(file)) === expected) return file;
  await mkdir(packagesDir(stateDir), { recursive: true, mode: 0o700 });
  // Checked before the rename: a package that does not match never gets the version's name.
  await writeFileAtomic(
    file,
    async (out) => {
      const hash = createHash('sha256');
      let bytes = 0;
      for await (const chunk of source(version)) {
        bytes += chunk.byteLength;
        if (bytes > MAX_PACKAGE_BYTES) throw new IntegrityError(`package ${version} is over ${MAX_PACKAGE_BYTES} bytes: refused`);
        hash.update(chunk);
        await out.write(chunk);
      }
      if (hash.digest('hex') !== expected)
        throw new IntegrityError(`package ${version} does not match sha256 ${expected} (${bytes} bytes received): refused`);
    },
    0o600,
  );
  return file;
}

/** The SHA-256 of a kept package; undefined when there is none. */
async function digestOf(file: string): Promise<string | undefined> {
  try {
    return createHash('sha256')
      .update(await readFile(file))
      .digest('hex');
  } catch {
    return undefined;
  }
}
