import type { CampaignPlan, CampaignView, TargetState, WaveState } from '../src/campaigns/index.js';

/** Campaign views built by hand for the pure tests (rendering, wire mapping). */

export const CAMPAIGN_ID = '0b6f4c1e-6a57-4d0e-9a43-3f2d7c1b9e10';
export const STARTED = new Date('2025-01-31T12:00:00.000Z');

export function samplePlan(overrides: Partial<CampaignPlan['request']> = {}): CampaignPlan {
  return {
    request: {
      release: '6.5.5',
      selection: { servers: [], labels: { region: 'eu' } },
      canary: undefined,
      waves: [{ count: 1 }, { count: 1 }, { percent: 50 }],
      maxParallel: 10,
      maxFailures: { percent: 10 },
      minHealthyMs: 30_000,
      healthyDeadlineMs: 300_000,
      progressDeadlineMs: 1_800_000,
      pauseAfterCanary: true,
      window: { text: 'Mon-Fri 01:00-05:00 UTC', days: [1, 2, 3, 4, 5], startMinute: 60, endMinute: 300, timeZone: 'UTC' },
      autoRollback: true,
      canarySite: 'auto',
      checks: { http: [], commands: [] },
      offline: { policy: 'skip', waitMs: 300_000 },
      ...overrides,
    },
    release: { version: '6.5.5', url: 'https://wordpress.org/wordpress-6.5.5.tar.gz', digest: { algorithm: 'sha1', hex: 'a'.repeat(40) } },
    canary: 'web-1',
    canarySiteServers: [],
    waves: [
      { index: 0, servers: ['web-1'] },
      { index: 1, servers: ['web-2'] },
      { index: 2, servers: ['web-3', 'web-4'] },
    ],
    offlineServers: [],
  };
}

const at = (seconds: number) => new Date(STARTED.getTime() + seconds * 1000);

/** A plan with a --canary-site held by web-2 and external checks of every kind. */
export function gatedPlan(): CampaignPlan {
  return {
    ...samplePlan({
      canarySite: 'shop.example.com',
      checks: {
        http: [
          { text: '', path: '/', status: 200, body: undefined, maxMs: 5_000, connect: undefined },
          {
            text: 'path=/cart/,connect=server:8080,body=Cart',
            path: '/cart/',
            status: 200,
            body: 'Cart',
            maxMs: 3_000,
            connect: { port: 8080 },
          },
          { text: 'connect=server', path: '/', status: 200, body: undefined, maxMs: 5_000, connect: { port: undefined } },
        ],
        commands: [{ text: '/usr/local/bin/smoke --fast', argv: ['/usr/local/bin/smoke', '--fast'], timeoutMs: 20_000 }],
      },
    }),
    canarySiteServers: ['web-2'],
  };
}

/**
 * A campaign 3m12s in: canary wave done, wave 1 failed its one server (rolled back),
 * wave 2 running with one server switching and one pending.
 */
export function sampleView(state: CampaignView['state'] = 'running', finishedAfterSeconds?: number): CampaignView {
  const wave = (index: number, s: WaveState, start: number | null, end: number | null) => ({
    index,
    state: s,
    startedAt: start === null ? null : at(start),
    finishedAt: end === null ? null : at(end),
  });
  const target = (server: string, waveIndex: number, s: TargetState, reason: string | null = null) => ({
    server,
    wave: waveIndex,
    state: s,
    fromRelease: s === 'pending' ? null : 'wp-6.4.5-1700000000',
    fromVersion: s === 'pending' ? null : '6.4.5',
    reason,
    offlineSince: null,
    updatedAt: at(150),
  });
  return {
    id: CAMPAIGN_ID,
    state,
    plan: samplePlan(),
    createdBy: 'operator:alice',
    createdAt: STARTED,
    updatedAt: at(190),
    finishedAt: finishedAfterSeconds === undefined ? null : at(finishedAfterSeconds),
    reason: state === 'failed' ? 'failures over --max-failures' : null,
    waves: [wave(0, 'succeeded', 0, 60), wave(1, 'succeeded', 60, 120), wave(2, 'running', 120, null)],
    targets: [
      target('web-1', 0, 'succeeded'),
      target('web-2', 1, 'rolled-back', 'not healthy within 5m'),
      target('web-3', 2, 'switching'),
      target('web-4', 2, 'pending'),
    ],
  };
}
