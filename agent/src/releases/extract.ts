import { createReadStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { setImmediate } from 'node:timers/promises';
import { createGunzip } from 'node:zlib';
import type { Parser, ReadEntry } from 'tar';
import { IntegrityError } from '@wofleet/shared';
import { ARCHIVE_TOP_DIR, checkEntry, describeRejection, ENTRY_RULE, type EntryKind } from './entry-rules.js';
import { removeTree } from './tree.js';
import { TreeWriter } from './tree-writer.js';

/**
 * Safe extraction of a WordPress .tar.gz (DESIGN 5.7). node-tar parses the stream in
 * strict mode (bad checksums, truncation and garbage are errors, not warnings); every
 * entry then passes `checkEntry` before a byte of it is read, and the files are
 * written by TreeWriter, never by node-tar, so this module decides every path that
 * is created. The contents of `wordpress/` land directly in `destination`.
 * Any failure removes `destination` entirely.
 */

export interface ExtractLimits {
  maxUnpackedBytes: number;
  /** Cap on files plus directories. */
  maxFiles: number;
}

export interface ExtractRequest {
  archive: string;
  /** Must not exist yet; its parent must (and should be on the releases filesystem). */
  destination: string;
  limits: ExtractLimits;
  /** A complete (immutable) release whose identical files are hard-linked. */
  dedupeAgainst?: string;
}

export interface ExtractResult {
  files: number;
  directories: number;
  linkedFiles: number;
  bytes: number;
  newBytes: number;
}

/** Headers, padding and pax records on top of file bodies; anything beyond is a decompression bomb. */
const PER_ENTRY_OVERHEAD = 2048;
const ARCHIVE_SLACK = 10 * 1024 * 1024;
const MAX_META_ENTRY = 64 * 1024;
/** Large chunks: zlib's default 16 KiB output chunks make inflating 3-4x slower. */
const READ_CHUNK = 1024 * 1024;
const INFLATE_CHUNK = 256 * 1024;

export async function extractArchive(request: ExtractRequest): Promise<ExtractResult> {
  await mkdir(request.destination, { mode: 0o755 });
  try {
    return await unpack(request);
  } catch (err) {
    await removeTree(request.destination);
    throw err;
  }
}

async function unpack(request: ExtractRequest): Promise<ExtractResult> {
  const { maxUnpackedBytes, maxFiles } = request.limits;
  const inflateCap = maxUnpackedBytes + maxFiles * PER_ENTRY_OVERHEAD + ARCHIVE_SLACK;
  let failure: unknown;
  const fail = (err: unknown): void => {
    failure ??= err;
  };
  const seen = new Map<string, EntryKind>();
  let entries = 0;
  let declaredBytes = 0;
  const writer = new TreeWriter(request.destination, request.dedupeAgainst);
  const write = (what: () => void): void => {
    try {
      what();
    } catch (err) {
      fail(asWriteError(err));
    }
  };

  const onEntry = (entry: ReadEntry): void => {
    if (failure !== undefined) return void entry.resume();
    const verdict = checkEntry(entry.type, entry.path, seen);
    if (!verdict.ok) {
      fail(new IntegrityError(describeRejection(entry.path, verdict.rule, verdict.detail)));
      return void entry.resume();
    }
    if (++entries > maxFiles) {
      fail(new IntegrityError(`archive exceeds the file count cap: more than ${maxFiles} files and directories`));
      return void entry.resume();
    }
    seen.set(verdict.relative, verdict.kind);
    if (verdict.kind === 'directory') {
      write(() => writer.directory(verdict.relative));
      return void entry.resume();
    }
    declaredBytes += entry.size;
    if (declaredBytes > maxUnpackedBytes) {
      fail(new IntegrityError(`archive exceeds the unpacked size cap of ${maxUnpackedBytes} bytes at '${entry.path}'`));
      return void entry.resume();
    }
    collectBody(entry, (data) => {
      if (failure !== undefined) return;
      if (data.length !== entry.size) fail(new IntegrityError(`truncated archive entry '${entry.path}'`));
      else write(() => writer.file(verdict.relative, data));
    });
  };

  // node-tar loads when a release is unpacked: the daemon and most commands never do.
  const { Parser } = await import('tar');
  const parser = new Parser({ strict: true, brotli: false, zstd: false, maxMetaEntrySize: MAX_META_ENTRY, onReadEntry: onEntry });
  parser.on('error', (err: Error) => fail(new IntegrityError(`corrupt tar archive: ${err.message}`, { cause: err })));
  // Entries node-tar will not hand out: unknown types and oversized pax headers.
  parser.on('ignoredEntry', (entry: ReadEntry) =>
    fail(new IntegrityError(describeRejection(entry.path, ENTRY_RULE.unsupportedType, entry.type))),
  );

  let inflated = 0;
  try {
    const feed = async (source: AsyncIterable<Buffer>): Promise<void> => {
      for await (const chunk of source) {
        inflated += chunk.length;
        if (inflated > inflateCap) {
          fail(new IntegrityError(`archive exceeds the unpacked size cap: inflates beyond ${inflateCap} bytes`));
        }
        if (failure !== undefined) throw failure;
        parser.write(chunk);
        if (failure !== undefined) throw failure;
        // Files are written synchronously inside parser.write: let timers and I/O run between chunks.
        await setImmediate();
      }
      await endParser(parser);
    };
    const archive = createReadStream(request.archive, { highWaterMark: READ_CHUNK });
    await pipeline(archive, requireGzip, createGunzip({ chunkSize: INFLATE_CHUNK }), feed);
  } catch (err) {
    fail(isZlibError(err) ? new IntegrityError(`corrupt or truncated gzip data: ${(err as Error).message}`, { cause: err }) : err);
  }
  if (failure !== undefined) throw failure;
  if (entries === 0) throw new IntegrityError(`no ${ARCHIVE_TOP_DIR}/ top directory in the archive`);

  const { stats } = writer;
  return {
    files: stats.writtenFiles + stats.linkedFiles,
    directories: stats.directories,
    linkedFiles: stats.linkedFiles,
    bytes: stats.bytes,
    newBytes: stats.newBytes,
  };
}

function collectBody(entry: ReadEntry, done: (data: Buffer) => void): void {
  const chunks: Buffer[] = [];
  let length = 0;
  entry.on('data', (chunk: Buffer) => {
    chunks.push(chunk);
    length += chunk.length;
  });
  entry.on('end', () => done(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, length)));
}

function endParser(parser: Parser): Promise<void> {
  return new Promise((resolve) => {
    // Strict-mode errors (truncation) are emitted before 'end' and recorded by the 'error' listener.
    parser.once('end', () => resolve());
    parser.once('abort', () => resolve());
    parser.end();
  });
}

async function* requireGzip(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  let first = true;
  for await (const chunk of source) {
    if (first && (chunk.length < 2 || chunk[0] !== 0x1f || chunk[1] !== 0x8b)) {
      throw new IntegrityError('not a gzip archive (bad magic bytes)');
    }
    first = false;
    yield chunk;
  }
  if (first) throw new IntegrityError('not a gzip archive (empty file)');
}

/** A name the filesystem refuses is the archive's fault; anything else (ENOSPC, EIO) is the server's. */
function asWriteError(err: unknown): unknown {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENAMETOOLONG') return new IntegrityError(`unsafe archive entry: path too long (${(err as Error).message})`, { cause: err });
  return err;
}

function isZlibError(err: unknown): boolean {
  const code = (err as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && code.startsWith('Z_');
}
