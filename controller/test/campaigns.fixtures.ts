import { insertRelease, insertServer, markServerEnrolled, recordHeartbeat, type Database } from '../src/db/index.js';
import type { CampaignRequestText } from '../src/campaigns/index.js';
import { T0 } from './db.fixtures.js';

/** Campaign request text as flags would give it, defaults everywhere but the release. */
export function requestText(overrides: Partial<CampaignRequestText> = {}): CampaignRequestText {
  return {
    release: '6.5.5',
    servers: [],
    labels: {},
    canary: '',
    waves: '',
    maxParallel: 0,
    maxFailures: '',
    minHealthy: '',
    healthyDeadline: '',
    progressDeadline: '',
    pauseAfterCanary: false,
    window: '',
    noAutoRollback: false,
    canarySite: '',
    checkHttp: [],
    checkCommand: [],
    checkTimeout: '',
    offline: '',
    offlineWait: '',
    ...overrides,
  };
}

/** Enrolled servers that have sent a heartbeat (online), plus the 6.5.5 release in the catalog. */
export async function seedFleet(
  db: Database,
  servers: ReadonlyArray<{ name: string; canary?: boolean; labels?: Record<string, string>; online?: boolean }>,
): Promise<void> {
  await insertRelease(db, {
    version: '6.5.5',
    url: 'file:///fixtures/wordpress-6.5.5.tar.gz',
    digest: { algorithm: 'sha256', hex: 'a'.repeat(64) },
    dbVersion: 57155,
  });
  for (const s of servers) {
    await insertServer(db, { name: s.name, address: `127.0.0.1:${7000 + servers.indexOf(s)}`, canary: s.canary, labels: s.labels });
    await markServerEnrolled(db, s.name, 'f'.repeat(64), T0);
    if (s.online !== false) await recordHeartbeat(db, s.name, { agentVersion: '0.1.0', health: 'ok' }, T0);
  }
}
