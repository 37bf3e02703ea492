import { open, readdir, unlink } from 'node:fs/promises';
import path from 'node:path';

/**
 * nginx's FastCGI page cache (WordOps `--wpfc`: one zone for every site, keyed on
 * scheme, method, host and URI, pages kept for 24 h). After a core switch a cached page
 * still carries the old core's HTML, so a switch purges the entries of the sites it
 * switched. nginx reads the key from each cache file's header (`\nKEY: httpGETexample.com/`)
 * and treats a deleted file as a miss, which is how nginx-helper purges too.
 */
export interface PageCache {
  /** Removes every cached page of these hosts; returns how many entries went. */
  purgeHosts(hosts: ReadonlySet<string>): Promise<number>;
}

const HEADER_BYTES = 4096;
const KEY_LINE = /\nKEY: (?:https?)(?:GET|HEAD)([^/\n]+)\//;

async function cacheKeyHost(file: string): Promise<string | undefined> {
  const handle = await open(file, 'r').catch(() => undefined);
  if (!handle) return undefined;
  try {
    const buffer = Buffer.alloc(HEADER_BYTES);
    const { bytesRead } = await handle.read(buffer, 0, HEADER_BYTES, 0);
    return KEY_LINE.exec(buffer.subarray(0, bytesRead).toString('latin1'))?.[1]?.toLowerCase();
  } finally {
    await handle.close();
  }
}

export function createPageCache(cacheDir: string): PageCache {
  const purgeIn = async (dir: string, hosts: ReadonlySet<string>): Promise<number> => {
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    let purged = 0;
    for (const entry of entries) {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) purged += await purgeIn(file, hosts);
      else if (entry.isFile()) {
        const host = await cacheKeyHost(file);
        if (
          host &&
          hosts.has(host) &&
          (await unlink(file).then(
            () => true,
            () => false,
          ))
        )
          purged++;
      }
    }
    return purged;
  };
  return {
    purgeHosts: (hosts) => (hosts.size === 0 ? Promise.resolve(0) : purgeIn(cacheDir, hosts)),
  };
}
