import type { Layout } from '../config/paths.js';
import { createDiskCounter } from '../disk/disk-usage.js';
import { releaseDirectories } from '../releases/index.js';

export interface ReleaseDisk {
  releases: number;
  /** Allocated bytes of every release directory, a file hard-linked between releases counted once (as `du`). */
  bytes: number;
}

/**
 * The releases' disk usage, measured when asked. A release directory never changes once
 * it is in releases/ (extracted in .staging, renamed in whole), so the walk is redone only
 * when the set of release directories changed; otherwise the last figure is still true.
 * Concurrent callers (the gauges of one scrape) share one reading.
 */
export function releaseDiskReader(layout: Layout): () => Promise<ReleaseDisk> {
  let last: { key: string; disk: ReleaseDisk } | undefined;
  let reading: Promise<ReleaseDisk> | undefined;
  const read = async (): Promise<ReleaseDisk> => {
    const dirs = await releaseDirectories(layout);
    const key = dirs.join('\n');
    if (last?.key === key) return last.disk;
    const counter = createDiskCounter();
    let bytes = 0;
    for (const dir of dirs) bytes += await counter.measure(dir);
    last = { key, disk: { releases: dirs.length, bytes } };
    return last.disk;
  };
  return () =>
    (reading ??= read().finally(() => {
      reading = undefined;
    }));
}
