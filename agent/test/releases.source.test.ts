import { mkdtemp, readdir, readFile, unlink, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IntegrityError, NotFoundError, parseDigest, silentLogger, UsageError, WofleetError } from '@wofleet/shared';
import type { AgentConfigInput } from '../src/config/schema.js';
import { makeAgentConfig } from '../src/config/load.js';
import { layoutOf } from '../src/config/paths.js';
import { classifySource, removeTree, resolveSource, stageRelease, type StageContext } from '../src/releases/index.js';
import { FIXTURE_645, minimalWordPress, writeArchive } from '../../tests/support/archives.js';

const roots: string[] = [];
let mirror: Server;
let mirrorUrl: string;
/** What the mirror serves, by URL path; everything else is a 404. */
const served = new Map<string, Buffer>();

beforeAll(async () => {
  const archive = await readFile(FIXTURE_645);
  // Like wordpress.org: the archive and a .sha1 beside it, no .sha256.
  served.set('/wordpress-6.4.5.tar.gz', archive);
  served.set('/wordpress-6.4.5.tar.gz.sha1', await readFile(`${FIXTURE_645}.sha1`));
  // A mirror answering 6.5.5 with the 6.4.5 archive (and a matching digest).
  served.set('/wordpress-6.5.5.tar.gz', archive);
  served.set('/wordpress-6.5.5.tar.gz.sha1', await readFile(`${FIXTURE_645}.sha1`));
  // An archive published without any digest.
  served.set('/nodigest/wordpress-6.4.5.tar.gz', archive);
  mirror = createServer((req, res) => {
    const body = served.get(req.url ?? '');
    if (body === undefined) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, { 'content-length': body.length });
    res.end(req.method === 'HEAD' ? undefined : body);
  });
  await new Promise<void>((resolve) => mirror.listen(0, '127.0.0.1', resolve));
  mirrorUrl = `http://127.0.0.1:${(mirror.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => mirror.close(() => resolve()));
  for (const root of roots) await removeTree(root);
});

async function makeContext(overrides: Partial<AgentConfigInput> = {}): Promise<StageContext & { root: string }> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'wofleet-source-'));
  roots.push(root);
  const config = makeAgentConfig({
    sharedRoot: path.join(root, 'shared'),
    sitesRoot: path.join(root, 'www'),
    stateDir: path.join(root, 'state'),
    mirrorUrl,
    ...overrides,
  });
  return { root, config, layout: layoutOf(config), log: silentLogger() };
}

describe('release sources', () => {
  it('stages a path whose digest is in a sibling .sha1 file', async () => {
    const ctx = await makeContext();
    const archive = await writeArchive(ctx.root, 'wp.tar.gz', minimalWordPress(), { digest: 'sha1' });
    const release = await stageRelease(ctx, { source: archive.file });
    expect(release.digest).toEqual({ algorithm: 'sha1', hex: archive.sha1 });
    expect(release.archiveSha256).toBe(archive.sha256);
  });

  it('refuses a path with no digest beside it and none given', async () => {
    const ctx = await makeContext();
    const archive = await writeArchive(ctx.root, 'wp.tar.gz', minimalWordPress(), { digest: 'none' });
    const attempt = stageRelease(ctx, { source: archive.file });
    await expect(attempt).rejects.toThrow(IntegrityError);
    await expect(attempt).rejects.toThrow(
      /no digest for .*wp\.tar\.gz: neither wp\.tar\.gz\.sha256 nor wp\.tar\.gz\.sha1 exists beside it/,
    );
  });

  it('stages a path without sidecar when the caller gives the digest', async () => {
    const ctx = await makeContext();
    const archive = await writeArchive(ctx.root, 'wp.tar.gz', minimalWordPress(), { digest: 'none' });
    const release = await stageRelease(ctx, { source: archive.file, digest: parseDigest('sha256', archive.sha256) });
    expect(release.digest).toEqual({ algorithm: 'sha256', hex: archive.sha256 });
  });

  it('stages a file:// URL', async () => {
    const ctx = await makeContext();
    const release = await stageRelease(ctx, { source: pathToFileURL(FIXTURE_645).href });
    expect(release.version).toBe('6.4.5');
  });

  it('refuses a missing path with NotFoundError', async () => {
    const ctx = await makeContext();
    await expect(stageRelease(ctx, { source: path.join(ctx.root, 'nope.tar.gz') })).rejects.toThrow(NotFoundError);
  });

  it('resolves a bare version against the mirror and verifies its published .sha1', async () => {
    const ctx = await makeContext();
    const release = await stageRelease(ctx, { source: '6.4.5' });
    expect(release).toMatchObject({ version: '6.4.5', dbVersion: 56657 });
    expect(release.digest.algorithm).toBe('sha1');
    expect(await readdir(ctx.layout.stagingDir)).toEqual([]); // the download is gone
  });

  it('refuses a bare version whose archive holds another version', async () => {
    const ctx = await makeContext();
    await expect(stageRelease(ctx, { source: '6.5.5' })).rejects.toThrow(
      /version mismatch: expected WordPress 6\.5\.5, archive holds 6\.4\.5/,
    );
    expect(await readdir(ctx.layout.stagingDir)).toEqual([]);
  });

  it('refuses a URL with no digest published beside it', async () => {
    const ctx = await makeContext();
    const url = `${mirrorUrl}/nodigest/wordpress-6.4.5.tar.gz`;
    await expect(stageRelease(ctx, { source: url })).rejects.toThrow(
      new IntegrityError(`no digest for ${url}: neither ${url}.sha256 nor ${url}.sha1 exists; pass --sha1 or --sha256`),
    );
  });

  it('says "not found" with the URL for a version the mirror does not have', async () => {
    const ctx = await makeContext();
    const attempt = stageRelease(ctx, { source: '9.9.9' });
    await expect(attempt).rejects.toThrow(NotFoundError);
    await expect(attempt).rejects.toThrow(`not found: ${mirrorUrl}/wordpress-9.9.9.tar.gz (HTTP 404)`);
  });

  it('says "not found" for a 404 archive even when the digest was given', async () => {
    const ctx = await makeContext();
    const attempt = stageRelease(ctx, { source: `${mirrorUrl}/missing.tar.gz`, digest: parseDigest('sha1', 'b'.repeat(40)) });
    await expect(attempt).rejects.toThrow(`not found: ${mirrorUrl}/missing.tar.gz (HTTP 404 Not Found)`);
  });

  it('says "connection refused" when nothing listens at the mirror', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const ctx = await makeContext({ mirrorUrl: `http://127.0.0.1:${port}` });
    const attempt = stageRelease(ctx, { source: '6.4.5' });
    await expect(attempt).rejects.toThrow(WofleetError);
    await expect(attempt).rejects.toThrow(
      /cannot download http:\/\/127\.0\.0\.1:\d+\/wordpress-6\.4\.5\.tar\.gz\.sha256: connection refused/,
    );
  });

  it('says "timed out" when the mirror accepts the connection but never answers', async () => {
    const silent = createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}/wordpress-6.4.5.tar.gz`;
    const ctx = await makeContext();
    try {
      const attempt = resolveSource({ config: ctx.config, stagingDir: ctx.layout.stagingDir, digestTimeoutMs: 200 }, url);
      await expect(attempt).rejects.toThrow(`download of ${url}.sha256 timed out after 200 ms`);
    } finally {
      silent.closeAllConnections();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });

  it('refuses a download larger than the archive size cap and removes the partial file', async () => {
    const ctx = await makeContext({ limits: { maxArchiveBytes: 100_000 } });
    await expect(stageRelease(ctx, { source: '6.4.5' })).rejects.toThrow(/larger than the archive size cap of 100000 bytes/);
    expect(await readdir(ctx.layout.stagingDir)).toEqual([]);
  });

  it('refuses a bad version string with UsageError', async () => {
    const ctx = await makeContext();
    await expect(stageRelease(ctx, { source: 'latest' })).rejects.toThrow(UsageError);
    await expect(stageRelease(ctx, { source: '6.5.5.5' })).rejects.toThrow(/invalid WordPress version '6\.5\.5\.5'/);
  });

  it('refuses a digest file that holds no digest', async () => {
    const ctx = await makeContext();
    const archive = await writeArchive(ctx.root, 'wp.tar.gz', minimalWordPress(), { digest: 'sha1' });
    await unlink(`${archive.file}.sha1`);
    await writeFile(`${archive.file}.sha256`, '<html>oops</html>');
    await expect(stageRelease(ctx, { source: archive.file })).rejects.toThrow(/invalid digest file .*wp\.tar\.gz\.sha256/);
  });
});

describe('classifySource', () => {
  const mirrorBase = 'https://wordpress.org/';
  it.each([
    ['6.5.5', { kind: 'url', url: 'https://wordpress.org/wordpress-6.5.5.tar.gz', version: '6.5.5' }],
    ['6.6-RC1', { kind: 'url', url: 'https://wordpress.org/wordpress-6.6-RC1.tar.gz', version: '6.6-RC1' }],
    ['https://example.org/wp.tar.gz', { kind: 'url', url: 'https://example.org/wp.tar.gz' }],
    ['file:///srv/wp.tar.gz', { kind: 'path', path: '/srv/wp.tar.gz' }],
    ['/srv/wp.tar.gz', { kind: 'path', path: '/srv/wp.tar.gz' }],
    ['wordpress-6.5.5.tar.gz', { kind: 'path', path: path.resolve('wordpress-6.5.5.tar.gz') }],
  ])('reads %s', (src, expected) => {
    expect(classifySource(src, mirrorBase)).toEqual(expected);
  });

  it('refuses other URL schemes', () => {
    expect(() => classifySource('ftp://example.org/wp.tar.gz', mirrorBase)).toThrow(UsageError);
  });
});
