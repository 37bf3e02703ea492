import { createHash } from 'node:crypto';
import { readFile, mkdtemp, readdir } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDigest } from '@wofleet/shared';
import type { AgentConfigInput } from '../src/config/schema.js';
import { makeAgentConfig } from '../src/config/load.js';
import { removeTree, resolveSource, type SourceContext } from '../src/releases/index.js';
import { FIXTURE_645 } from '../../tests/support/archives.js';
import { peakRssGrowth, startEndlessSite } from '../../tests/support/hostile-site.js';

const MiB = 1024 * 1024;
const roots: string[] = [];
let archive: Buffer;
let sha1: string;
/** The mirror the agent asks (127.0.0.1) and another host (127.0.0.2), each answering by path. */
let mirror: Server;
let elsewhere: Server;
let mirrorUrl: string;
let elsewhereUrl: string;

function answer(routes: () => Record<string, string>) {
  return createServer((req, res) => {
    const to = routes()[req.url ?? ''];
    if (to === 'archive') res.writeHead(200, { 'content-length': archive.length }).end(archive);
    else if (to !== undefined) res.writeHead(302, { location: to }).end();
    else res.writeHead(404).end('not found');
  });
}

async function listen(server: Server, host: string): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return `http://${host}:${(server.address() as AddressInfo).port}`;
}

beforeAll(async () => {
  archive = await readFile(FIXTURE_645);
  sha1 = (await readFile(`${FIXTURE_645}.sha1`, 'utf8')).trim().split(/\s+/)[0] ?? '';
  mirror = answer(() => ({
    '/wp.tar.gz': 'archive',
    '/moved.tar.gz': '/wp.tar.gz',
    '/away.tar.gz': `${elsewhereUrl}/wp.tar.gz`,
    '/away.tar.gz.sha256': `${elsewhereUrl}/wp.tar.gz.sha256`,
    '/loop.tar.gz': '/loop.tar.gz',
    '/gopher.tar.gz': 'gopher://127.0.0.1/wp.tar.gz',
  }));
  elsewhere = answer(() => ({ '/wp.tar.gz': 'archive' }));
  mirrorUrl = await listen(mirror, '127.0.0.1');
  elsewhereUrl = await listen(elsewhere, '127.0.0.2');
});

afterAll(async () => {
  for (const server of [mirror, elsewhere]) await new Promise<void>((resolve) => server.close(() => resolve()));
  for (const root of roots) await removeTree(root);
});

async function makeContext(overrides: Partial<AgentConfigInput> = {}): Promise<SourceContext> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'wofleet-download-'));
  roots.push(root);
  const config = makeAgentConfig({
    sharedRoot: path.join(root, 'shared'),
    sitesRoot: path.join(root, 'www'),
    stateDir: path.join(root, 'state'),
    mirrorUrl,
    ...overrides,
  });
  return { config, stagingDir: path.join(root, 'staging'), digestTimeoutMs: 2000, downloadTimeoutMs: 5000 };
}

/** Resolve `url` with its digest given; the sha1 of what was downloaded. */
async function download(ctx: SourceContext, url: string): Promise<string> {
  const source = await resolveSource(ctx, url, parseDigest('sha1', sha1));
  try {
    return createHash('sha1')
      .update(await readFile(source.archive))
      .digest('hex');
  } finally {
    await source.discard();
  }
}

describe('a hostile site streaming an endless body', () => {
  it('fails a digest file at 4096 bytes, hanging up at once and with bounded memory', async () => {
    const site = await startEndlessSite();
    try {
      const ctx = await makeContext();
      const url = site.url('/wordpress-6.4.5.tar.gz');
      const { result, growthBytes } = await peakRssGrowth(() => resolveSource(ctx, url));
      expect(result.status === 'rejected' && (result.reason as Error).message).toBe(
        `refusing ${url}.sha256: larger than the digest file cap of 4096 bytes`,
      );
      await site.allClosed();
      // What was sent bounds what was read: one chunk plus what the sockets buffer.
      expect(site.bytesSent()).toBeLessThan(16 * MiB);
      expect(growthBytes).toBeLessThan(64 * MiB);
    } finally {
      await site.close();
    }
  });

  it('fails an archive at the archive size cap, hanging up at once and leaving no file', async () => {
    const site = await startEndlessSite();
    try {
      const ctx = await makeContext({ limits: { maxArchiveBytes: 3 * MiB } });
      const url = site.url('/wp.tar.gz');
      const { result, growthBytes } = await peakRssGrowth(() => resolveSource(ctx, url, parseDigest('sha1', sha1)));
      expect(result.status === 'rejected' && (result.reason as Error).message).toBe(
        `refusing ${url}: larger than the archive size cap of ${3 * MiB} bytes`,
      );
      await site.allClosed();
      expect(site.bytesSent()).toBeLessThan(16 * MiB);
      expect(growthBytes).toBeLessThan(64 * MiB);
      expect(await readdir(ctx.stagingDir)).toEqual([]);
    } finally {
      await site.close();
    }
  });
});

describe('release download redirects', () => {
  it('follows a redirect on the same host', async () => {
    expect(await download(await makeContext(), `${mirrorUrl}/moved.tar.gz`)).toBe(sha1);
  });

  it('refuses a redirect to another host, naming it', async () => {
    const url = `${mirrorUrl}/away.tar.gz`;
    await expect(download(await makeContext(), url)).rejects.toThrow(
      `refusing the redirect of ${url} to host 127.0.0.2: not 127.0.0.1 and not in releases.redirectHosts`,
    );
  });

  it('follows a redirect to a host in releases.redirectHosts', async () => {
    const ctx = await makeContext({ releases: { redirectHosts: ['127.0.0.2'] } });
    expect(await download(ctx, `${mirrorUrl}/away.tar.gz`)).toBe(sha1);
  });

  it('refuses a redirect to another scheme', async () => {
    const url = `${mirrorUrl}/gopher.tar.gz`;
    await expect(download(await makeContext(), url)).rejects.toThrow(`refusing the redirect of ${url} to gopher: (only http and https)`);
  });

  it('gives up after 5 redirects', async () => {
    const url = `${mirrorUrl}/loop.tar.gz`;
    await expect(download(await makeContext(), url)).rejects.toThrow(`download of ${url} failed: more than 5 redirects`);
  });

  it('applies the same rule to the digest published beside the archive', async () => {
    const url = `${mirrorUrl}/away.tar.gz`;
    const ctx = await makeContext();
    await expect(resolveSource(ctx, url)).rejects.toThrow(`refusing the redirect of ${url}.sha256 to host 127.0.0.2`);
  });
});
