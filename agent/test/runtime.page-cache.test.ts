import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createPageCache } from '../src/runtime/page-cache.js';

/** A cache file as nginx writes one: a binary header, then `KEY: <key>`, then the upstream answer. */
function cacheFile(dir: string, name: string, key: string): void {
  const sub = path.join(dir, name.slice(-1), name.slice(-3, -1));
  mkdirSync(sub, { recursive: true });
  const header = Buffer.alloc(40, 1);
  writeFileSync(path.join(sub, name), Buffer.concat([header, Buffer.from(`\nKEY: ${key}\nStatus: 200\r\n\r\n<html>old core</html>`)]));
}

const files = (dir: string) =>
  readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => e.name)
    .sort();

describe('FastCGI page cache purge', () => {
  let dir = '';
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('removes the pages of the given hosts only, by the key in each file', async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'wofleet-cache-'));
    cacheFile(dir, 'aaa0001', 'httpGETa.test/');
    cacheFile(dir, 'aaa0002', 'httpsGETa.test/about/');
    cacheFile(dir, 'bbb0003', 'httpHEADwww.a.test/');
    cacheFile(dir, 'ccc0004', 'httpGETab.test/');
    cacheFile(dir, 'ddd0005', 'httpGETother.test/a.test/');
    writeFileSync(path.join(dir, 'not-a-cache-file'), 'no key here');
    const purged = await createPageCache(dir).purgeHosts(new Set(['a.test', 'www.a.test']));
    expect(purged).toBe(3);
    expect(files(dir)).toEqual(['ccc0004', 'ddd0005', 'not-a-cache-file']);
  });

  it('is a no-op for no hosts and for a cache directory that does not exist', async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'wofleet-cache-'));
    cacheFile(dir, 'aaa0001', 'httpGETa.test/');
    expect(await createPageCache(dir).purgeHosts(new Set())).toBe(0);
    expect(await createPageCache(path.join(dir, 'missing')).purgeHosts(new Set(['a.test']))).toBe(0);
    expect(files(dir)).toEqual(['aaa0001']);
  });
});
