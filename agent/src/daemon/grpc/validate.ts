import { NotFoundError, parseDomain, printable, UsageError } from '@wofleet/shared';
import type { WireDigest } from '@wofleet/proto';
import type { Layout } from '../../config/paths.js';
import type { AgentConfig } from '../../config/schema.js';
import { classifySource, confineToMirrorDir, readRelease, resolveReleaseRef } from '../../releases/index.js';
import { validateOperationId } from '../../operations/index.js';

/**
 * The gRPC input boundary: every request field is checked here and handed
 * inward as a typed value. Strings are bounded so an oversized field is refused
 * before it reaches a journal, a log or a command line.
 */
export const MAX_FIELD = 2048;

export function field(name: string, value: string, max = MAX_FIELD): string {
  if (value.length > max) throw new UsageError(`${name}: ${value.length} characters (${max} at most)`);
  if (/[\x00-\x1f\x7f]/.test(value)) throw new UsageError(`${name}: control characters are not allowed`);
  return value;
}

export function operationId(value: string): string {
  if (value === '') throw new UsageError('operation_id is required');
  validateOperationId(field('operation_id', value, 128));
  return value;
}

export function domain(name: string, value: string): string {
  return parseDomain(field(name, value, 253 + 8));
}

export function optionalDomain(name: string, value: string): string | undefined {
  return value === '' ? undefined : domain(name, value);
}

const RELEASE_ID = /^wp-[0-9A-Za-z.-]+-\d{8}T\d{6}Z(?:-\d+)?$/;

export function releaseId(name: string, value: string): string {
  if (!RELEASE_ID.test(field(name, value, 128))) {
    throw new UsageError(`${name}: '${printable(value)}' is not a release id (wp-<version>-<stamp>)`);
  }
  return value;
}

/**
 * A release source: an http(s):// URL or a version as sent; a path or file:// URL only
 * inside releases.mirrorDir, as its real path (releases/mirror-dir.ts). The release code
 * checks the rest.
 */
export async function source(value: string, config: AgentConfig): Promise<string> {
  if (value === '') throw new UsageError('source is required');
  const location = classifySource(field('source', value), config.mirrorUrl);
  return location.kind === 'path' ? confineToMirrorDir(location.path, config.releases.mirrorDir) : value;
}

/** The expected digest, bounded; unset is absent. The command's schema checks algorithm and hex. */
export function digest(value: WireDigest | null | undefined): { algorithm: string; hex: string } | undefined {
  if (!value) return undefined;
  return { algorithm: field('digest.algorithm', value.algorithm, 16), hex: field('digest.hex', value.hex, 128) };
}

/** A release that must already be staged here: an unknown one is a malformed request. */
export async function knownRelease(layout: Layout, name: string, value: string): Promise<string> {
  const id = releaseId(name, value);
  await readRelease(layout, id).catch((err: unknown) => {
    throw err instanceof NotFoundError ? new UsageError(`${name}: ${err.message}`) : err;
  });
  return id;
}

/** A release id or version that must resolve to a staged release. */
export async function knownReleaseRef(layout: Layout, name: string, value: string): Promise<string> {
  const ref = field(name, value, 128);
  const release = await resolveReleaseRef(layout, ref).catch((err: unknown) => {
    throw err instanceof NotFoundError ? new UsageError(`${name}: ${err.message}`) : err;
  });
  return release.id;
}
