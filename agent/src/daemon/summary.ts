import { statfs } from 'node:fs/promises';
import { linkedRelease } from '../layout/links.js';
import type { Engine } from '../engine.js';
import { readRelease } from '../releases/index.js';
import { scanSharedSites } from '../sites/inventory.js';
import type { HealthMonitor } from './health-monitor.js';
import type { HeartbeatSummary, ReleaseRef } from './nats/index.js';

/** What a heartbeat says: read from links and disk only, no probes (those run in the monitor). */
export function heartbeatSummary(engine: Engine, monitor: HealthMonitor): () => Promise<HeartbeatSummary> {
  const ref = async (link: 'current' | 'canary'): Promise<ReleaseRef | null> => {
    const id = await linkedRelease(engine.layout, link);
    if (!id) return null;
    const release = await readRelease(engine.layout, id).catch(() => undefined);
    return release ? { release: release.id, version: release.version } : null;
  };
  return async () => {
    const fs = await statfs(engine.layout.sharedRoot);
    return {
      current: await ref('current'),
      canary: await ref('canary'),
      sites: (await scanSharedSites(engine)).length,
      health: monitor.level() ?? 'unhealthy',
      diskFreeBytes: fs.bavail * fs.bsize,
    };
  };
}
