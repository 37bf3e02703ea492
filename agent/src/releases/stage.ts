import { randomBytes } from 'node:crypto';
import { chmod, lstat, mkdir, realpath, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import { StateError, type CommandRunner, type Digest, type Logger } from '@wofleet/shared';
import type { AgentConfig } from '../config/schema.js';
import { type FilesystemSpace, requireFreeSpace, statfsSpace } from '../disk/free-space.js';
import type { Layout } from '../config/paths.js';
import { killPoint } from '../state/killpoints.js';
import { findReleaseByDigest, isCompleteRelease, type ReleaseInfo } from './catalog.js';
import { extractArchive } from './extract.js';
import { fsyncDir } from '../state/atomic-file.js';
import { flushFilesystem } from './flush.js';
import { writeReleaseMarker, RELEASE_MARKER, type ReleaseMarker } from './marker.js';
import { resolveSource } from './source.js';
import { estimateUnpackedBytes } from './unpacked-size.js';
import { chmodDirectories, removeTree } from './tree.js';
import { hashArchive, readCoreVersion, verifyCoreFiles, verifyDigest, verifyExpectedVersion } from './verify.js';

/**
 * Stage a release: resolve SRC -> verify its digest -> reuse an identical staged
 * release, or check free space and extract into releases/.staging/tmp-* -> verify the core -> make it
 * read-only, write the marker last, flush -> rename into releases/ -> fsync.
 *
 * Until the rename nothing is visible in releases/; a crash at any point leaves
 * only leftovers in .staging, which `cleanupStaging` removes.
 */

export interface StageContext {
  config: AgentConfig;
  layout: Layout;
  log: Logger;
  run?: CommandRunner;
  now?: () => Date;
  /** Free-space facts for the check before extraction (default: statfs). */
  space?: FilesystemSpace;
}

export interface StageRequest {
  /** Path, file:// URL, http(s):// URL or bare version. */
  source: string;
  /** Expected digest from --sha1/--sha256; otherwise published beside the archive. */
  digest?: Digest;
  /** Refuse an archive holding another version. */
  expectVersion?: string;
  /** A complete release (usually current's) whose identical files are hard-linked. */
  dedupeAgainst?: string;
  onProgress?: (message: string) => void;
}

export interface StagedRelease extends ReleaseInfo {
  /** True when an already-staged release of the same archive was returned and nothing was written. */
  reused: boolean;
}

export const STAGE_KILL_POINTS = ['stage:after-download', 'stage:after-extract', 'stage:before-rename'] as const;

export async function stageRelease(ctx: StageContext, request: StageRequest): Promise<StagedRelease> {
  const { layout, config } = ctx;
  const progress = request.onProgress ?? (() => {});
  const log = ctx.log.child({ step: 'stage' });
  await mkdir(layout.stagingDir, { recursive: true, mode: 0o755 });

  const source = await resolveSource({ config, stagingDir: layout.stagingDir }, request.source, request.digest);
  try {
    killPoint('stage:after-download');
    const hashes = await hashArchive(source.archive);
    verifyDigest(hashes, source.expected, (actual) =>
      log.info({ origin: source.origin, expected: source.expected, actual }, 'archive digest mismatch'),
    );
    log.info({ origin: source.origin, digest: source.expected }, 'archive digest verified');

    const expectVersion = request.expectVersion ?? source.impliedVersion;
    const existing = await findReleaseByDigest(layout, hashes.sha256);
    if (existing !== undefined) {
      verifyExpectedVersion(existing.version, expectVersion);
      progress(`already staged as ${existing.id}`);
      return { ...existing, reused: true };
    }

    // Before the first byte is extracted: a refusal leaves nothing behind (a download is discarded below).
    await requireFreeSpace(ctx.space ?? statfsSpace, config.limits, `staging ${path.basename(source.origin)}`, [
      { path: layout.releasesDir, bytes: await estimateUnpackedBytes(source.archive, config.limits.maxUnpackedBytes), what: 'the release' },
    ]);
    const dedupeAgainst = await usableDedupeSource(request.dedupeAgainst, log);
    const temp = path.join(layout.stagingDir, `tmp-${randomBytes(6).toString('hex')}`);
    progress(`extracting ${path.basename(source.origin)}`);
    const extracted = await extractArchive({ archive: source.archive, destination: temp, limits: config.limits, dedupeAgainst });
    try {
      killPoint('stage:after-extract');
      await verifyCoreFiles(temp);
      const core = await readCoreVersion(temp);
      verifyExpectedVersion(core.version, expectVersion);

      const stagedAt = (ctx.now ?? (() => new Date()))();
      const published = await publish(ctx, temp, {
        version: core.version,
        dbVersion: core.dbVersion,
        digest: { algorithm: source.expected.algorithm, hex: source.expected.hex },
        archiveSha256: hashes.sha256,
        stagedAt: stagedAt.toISOString(),
        files: extracted.files,
        bytes: extracted.bytes,
        newBytes: extracted.newBytes,
      });
      log.info({ id: published.id, files: extracted.files, bytes: extracted.bytes, newBytes: extracted.newBytes }, 'release staged');
      progress(`staged ${published.id}`);
      return { ...published, reused: false };
    } catch (err) {
      await removeTree(temp);
      throw err;
    }
  } finally {
    await source.discard();
  }
}

/** Read-only, marker last, flushed, renamed under a free id, then the rename made durable. */
async function publish(ctx: StageContext, temp: string, fields: Omit<ReleaseMarker, 'id'>): Promise<ReleaseInfo> {
  const { releasesDir } = ctx.layout;
  chmodDirectories(temp, 0o555, { includeRoot: false });
  const base = `wp-${fields.version}-${utcStamp(new Date(fields.stagedAt))}`;
  for (let attempt = 1; attempt <= 20; attempt++) {
    const id = attempt === 1 ? base : `${base}-${attempt}`;
    if (await pathExists(path.join(releasesDir, id))) continue;
    const marker: ReleaseMarker = { id, ...fields };
    await writeReleaseMarker(temp, marker);
    await flushFilesystem(temp, ctx.run);
    killPoint('stage:before-rename');
    const target = path.join(releasesDir, id);
    try {
      await rename(temp, target);
    } catch (err) {
      // Lost a race for this id (rename over a non-empty dir fails): take the next suffix.
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw err;
      await unlink(path.join(temp, RELEASE_MARKER));
      continue;
    }
    // The top dir stays writable until here: renaming a directory to a new parent needs write access to it.
    await chmod(target, 0o555);
    await fsyncDir(releasesDir);
    return { ...marker, path: target };
  }
  throw new StateError(`cannot find a free release id for ${base} in ${releasesDir}`);
}

async function usableDedupeSource(dir: string | undefined, log: Logger): Promise<string | undefined> {
  if (dir === undefined) return undefined;
  // Callers may pass the `current` link: link against the release it points at.
  const real = await realpath(dir).catch(() => dir);
  // Only a complete release is immutable; hard-linking to anything else could share files that later change.
  if (await isCompleteRelease(real)) return real;
  log.warn({ dir }, 'dedupe source is not a complete release; writing every file');
  return undefined;
}

/** YYYYMMDDTHHMMSSZ in UTC. */
export function utcStamp(date: Date): string {
  return date
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}Z$/, 'Z');
}

async function pathExists(p: string): Promise<boolean> {
  return lstat(p).then(
    () => true,
    () => false,
  );
}
