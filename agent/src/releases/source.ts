import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  IntegrityError,
  NotFoundError,
  parseDigest,
  parseWordPressVersion,
  printable,
  UsageError,
  type Digest,
  type DigestAlgorithm,
} from '@wofleet/shared';
import type { AgentConfig } from '../config/schema.js';
import { type DownloadLimits, downloadToFile, fetchSmallText, urlExists } from './download.js';

/**
 * Where a release comes from. SRC is a filesystem path, a file:// URL, an
 * http(s):// URL, or a bare version (`6.5.5`, fetched from config.mirrorUrl the
 * way wordpress.org names its archives). A release is never staged without an
 * expected digest: given by the caller (--sha1/--sha256) or published beside the
 * archive (`.sha256`, then `.sha1`, as wordpress.org does).
 */

export type SourceLocation =
  | { kind: 'path'; path: string }
  | { kind: 'url'; url: string /** set when SRC was a bare version */; version?: string };

export interface ResolvedSource {
  /** Local archive file (the original for a path, a download in stagingDir for a URL). */
  archive: string;
  expected: Digest;
  /** The path or URL the archive came from, for logs and messages. */
  origin: string;
  /** The version SRC named (bare-version sources only): the archive must hold it. */
  impliedVersion?: string;
  /** Remove the downloaded copy, if any (a local source is left alone). */
  discard(): Promise<void>;
}

export interface SourceContext {
  config: AgentConfig;
  /** Downloads land here, on the releases filesystem. */
  stagingDir: string;
  downloadTimeoutMs?: number;
  digestTimeoutMs?: number;
}

const DIGEST_FILE_MAX_BYTES = 4096;
const SIDECARS: readonly DigestAlgorithm[] = ['sha256', 'sha1'];

/** Tell the four SRC forms apart (no I/O). */
export function classifySource(src: string, mirrorUrl: string): SourceLocation {
  const input = src.trim();
  if (input === '') throw new UsageError('release source is empty: give a path, URL or version');
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(input)?.[1]?.toLowerCase();
  if (scheme === 'http' || scheme === 'https') return { kind: 'url', url: new URL(input).href };
  if (scheme === 'file') return { kind: 'path', path: fileURLToPath(input) };
  if (scheme !== undefined && scheme.length > 1) {
    throw new UsageError(`unsupported release source '${printable(input)}': use a path, file://, http:// or https:// URL, or a version`);
  }
  if (input.includes('/') || input.startsWith('.') || /\.(tar\.gz|tgz)$/i.test(input)) {
    return { kind: 'path', path: path.resolve(input) };
  }
  const version = parseWordPressVersion(input);
  return { kind: 'url', url: `${mirrorUrl.replace(/\/+$/, '')}/wordpress-${version}.tar.gz`, version };
}

export async function resolveSource(ctx: SourceContext, src: string, digest?: Digest): Promise<ResolvedSource> {
  const location = classifySource(src, ctx.config.mirrorUrl);
  return location.kind === 'path'
    ? resolveLocalArchive(ctx, location.path, digest)
    : resolveRemoteArchive(ctx, location.url, location.version, digest);
}

async function resolveLocalArchive(ctx: SourceContext, file: string, digest: Digest | undefined): Promise<ResolvedSource> {
  const st = await stat(file).catch(() => undefined);
  if (st === undefined) throw new NotFoundError(`release archive not found: ${file}`);
  if (!st.isFile()) throw new UsageError(`release source is not a file: ${file}`);
  if (st.size > ctx.config.limits.maxArchiveBytes) {
    throw new IntegrityError(`refusing ${file}: larger than the archive size cap of ${ctx.config.limits.maxArchiveBytes} bytes`);
  }
  const expected = digest ?? (await readSiblingDigest(file));
  return { archive: file, expected, origin: file, discard: async () => {} };
}

async function readSiblingDigest(file: string): Promise<Digest> {
  for (const algorithm of SIDECARS) {
    const sidecar = `${file}.${algorithm}`;
    const text = await readFile(sidecar, 'utf8').catch(() => undefined);
    if (text !== undefined) return parseDigestFile(sidecar, algorithm, text.slice(0, DIGEST_FILE_MAX_BYTES));
  }
  throw new IntegrityError(
    `no digest for ${file}: neither ${path.basename(file)}.sha256 nor ${path.basename(file)}.sha1 exists beside it; pass --sha1 or --sha256`,
  );
}

async function resolveRemoteArchive(
  ctx: SourceContext,
  url: string,
  impliedVersion: string | undefined,
  digest: Digest | undefined,
): Promise<ResolvedSource> {
  const { redirectHosts } = ctx.config.releases;
  const digestLimits = { maxBytes: DIGEST_FILE_MAX_BYTES, timeoutMs: ctx.digestTimeoutMs ?? 30_000, redirectHosts };
  const expected = digest ?? (await fetchPublishedDigest(url, digestLimits));
  await mkdir(ctx.stagingDir, { recursive: true, mode: 0o755 });
  const archive = path.join(ctx.stagingDir, `download-${randomBytes(6).toString('hex')}.tar.gz`);
  await downloadToFile(url, archive, {
    maxBytes: ctx.config.limits.maxArchiveBytes,
    timeoutMs: ctx.downloadTimeoutMs ?? 10 * 60_000,
    redirectHosts,
  });
  return {
    archive,
    expected,
    origin: url,
    ...(impliedVersion !== undefined ? { impliedVersion } : {}),
    discard: () => rm(archive, { force: true }),
  };
}

async function fetchPublishedDigest(url: string, limits: DownloadLimits): Promise<Digest> {
  for (const algorithm of SIDECARS) {
    const text = await fetchSmallText(`${url}.${algorithm}`, limits);
    if (text !== undefined) return parseDigestFile(`${url}.${algorithm}`, algorithm, text);
  }
  // Both digests missing usually means the archive is missing too: say that instead.
  if (!(await urlExists(url, limits))) throw new NotFoundError(`not found: ${url} (HTTP 404)`);
  throw new IntegrityError(`no digest for ${url}: neither ${url}.sha256 nor ${url}.sha1 exists; pass --sha1 or --sha256`);
}

/** `HEX` or `HEX  filename` (sha256sum output), as mirrors publish them. */
function parseDigestFile(where: string, algorithm: DigestAlgorithm, text: string): Digest {
  const token = text.trim().split(/\s+/)[0] ?? '';
  try {
    return parseDigest(algorithm, token);
  } catch (err) {
    throw new IntegrityError(`invalid digest file ${where}: expected a ${algorithm} hex digest`, { cause: err });
  }
}
