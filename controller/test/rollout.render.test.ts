import { describe, expect, it } from 'vitest';
import {
  countTargets,
  filterCampaignView,
  formatElapsed,
  renderCampaign,
  renderCampaignList,
  renderEvent,
  renderOutcome,
  renderPlan,
  renderProgressLine,
  renderUpdateLine,
} from '../src/cli/rollout-render.js';
import type { CampaignView } from '../src/campaigns/model.js';
import { CAMPAIGN_ID, gatedPlan, sampleView, samplePlan, STARTED } from './rollout.fixtures.js';

/** What `wofleet rollout` prints, from campaign views and events alone. */
const NOW = new Date(STARTED.getTime() + 192_000);

describe('counts', () => {
  it('sorts every server of the campaign into one bucket', () => {
    expect(countTargets(sampleView())).toEqual({ total: 4, pending: 1, working: 1, succeeded: 1, failed: 0, rolledBack: 1, skipped: 0 });
  });

  it('elapsed time runs to now while the campaign is active, to its end once it is final', () => {
    expect(formatElapsed(sampleView(), NOW)).toBe('3m12s');
    expect(formatElapsed(sampleView('succeeded', 3725), NOW)).toBe('1h02m05s');
    expect(formatElapsed(sampleView(), STARTED)).toBe('0s');
  });
});

describe('plan', () => {
  it('prints the settings, then each wave with its servers in order, canary first', () => {
    const lines = renderPlan(samplePlan());
    expect(lines).toContain(`release:       6.5.5 (sha1:${'a'.repeat(40)})`);
    expect(lines).toContain('targets:       every enrolled server with labels region=eu: 4 servers');
    expect(lines).toContain('waves:         1,1,50%, at most 10 at once, 10% failures tolerated');
    expect(lines).toContain('health:        healthy for 30s, within 5m; progress deadline 30m');
    expect(lines).toContain('window:        Mon-Fri 01:00-05:00 UTC');
    expect(lines).toContain('options:       pause after canary, auto rollback');
    const table = lines.slice(lines.findIndex((l) => l.startsWith('WAVE')));
    expect(table).toEqual([
      'WAVE             SERVERS  NAMES',
      'wave 0 (canary)  1        web-1',
      'wave 1           1        web-2',
      'wave 2           2        web-3,web-4',
    ]);
  });

  it('says when there is no window and no auto rollback', () => {
    const lines = renderPlan(
      samplePlan({
        window: undefined,
        autoRollback: false,
        pauseAfterCanary: false,
        selection: { servers: ['web-1', 'web-2'], labels: {} },
      }),
    );
    expect(lines).toContain('window:        any time');
    expect(lines).toContain('options:       no pause after canary, no auto rollback');
    expect(lines).toContain('targets:       web-1,web-2: 4 servers');
  });
});

describe('status', () => {
  it('shows state, counts, elapsed time, each wave and each server', () => {
    const lines = renderCampaign(sampleView(), NOW);
    expect(lines[0]).toBe(`campaign:      ${CAMPAIGN_ID}`);
    expect(lines).toContain('state:         running');
    expect(lines).toContain('started:       2025-01-31T12:00:00.000Z by operator:alice');
    expect(lines).toContain('elapsed:       3m12s');
    expect(lines).toContain('servers:       1/4 succeeded, 1 in progress, 1 rolled back, 1 pending');
    expect(lines).toContainEqual(expect.stringMatching(/^wave 0 \(canary\)\s+succeeded\s+1\/1\s+0\s+2025-01-31T12:00:00.000Z$/));
    expect(lines).toContainEqual(expect.stringMatching(/^wave 2\s+running\s+0\/2\s+0\s+2025-01-31T12:02:00.000Z$/));
    expect(lines).toContainEqual(expect.stringMatching(/^web-2\s+1\s+rolled-back\s+6\.4\.5\s+not healthy within 5m$/));
    expect(lines).toContainEqual(expect.stringMatching(/^web-4\s+2\s+pending\s+-$/));
  });

  it('names the servers it waits for to come back online, with since when, and the --offline handling', () => {
    const view = sampleView();
    const since = new Date(STARTED.getTime() + 130_000);
    const waiting = {
      ...view,
      targets: view.targets.map((t) =>
        t.server === 'web-4' ? { ...t, offlineSince: since, reason: 'waiting for the server to come back online' } : t,
      ),
    };
    const lines = renderCampaign(waiting, NOW);
    expect(lines).toContain('waiting for:   web-4 (offline since 2025-01-31T12:02:10.000Z)');
    expect(lines).toContain('offline:       wait 5m for offline servers, then skip them (the canary fails)');
    expect(lines).toContainEqual(expect.stringMatching(/^web-4\s+2\s+pending\s+-\s+waiting for the server to come back online$/));
    expect(renderCampaign(view, NOW).some((l) => l.startsWith('waiting for:'))).toBe(false);
    expect(renderPlan(samplePlan({ offline: { policy: 'fail', waitMs: 90_000 } }))).toContain(
      'offline:       wait 1m30s for offline servers, then fail them',
    );
  });

  it('shows the canary site, the external checks, and why each server failed on one line', () => {
    const view = sampleView('failed', 200);
    const proof =
      'not healthy for the min healthy time within the healthy deadline (site shop.example.com does not serve [plugin shop-kit]: GET / answered 500: PHP Fatal error)';
    const check =
      'not healthy for the min healthy time within the healthy deadline (--check-command /usr/local/bin/smoke --fast exited with code 3: cart 502)';
    const lines = renderCampaign(
      {
        ...view,
        plan: gatedPlan(),
        targets: view.targets.map((t) =>
          t.server === 'web-1' ? { ...t, reason: proof } : t.server === 'web-2' ? { ...t, reason: check } : t,
        ),
      },
      NOW,
    );
    expect(lines).toContain('canary site:   shop.example.com on web-2; auto on the others');
    expect(lines.slice(lines.indexOf('canary site:   shop.example.com on web-2; auto on the others') + 1).slice(0, 4)).toEqual([
      'checks:        http path=/ (status 200, at most 5000 ms)',
      '               http path=/cart/,connect=server:8080,body=Cart (status 200, at most 3000 ms)',
      '               http connect=server (status 200, at most 5000 ms)',
      '               command /usr/local/bin/smoke --fast (timeout 20s)',
    ]);
    const row = (server: string) => lines.filter((l) => l.startsWith(`${server} `));
    expect(row('web-1')).toEqual([expect.stringMatching(/^web-1\s+0\s+succeeded\s+6\.4\.5\s+not healthy/)]);
    expect(row('web-1')[0]?.endsWith(proof)).toBe(true);
    expect(row('web-2')).toEqual([expect.stringMatching(/^web-2\s+1\s+rolled-back\s+6\.4\.5\s+not healthy/)]);
    expect(row('web-2')[0]?.endsWith(check)).toBe(true);
    expect(renderPlan(samplePlan())).toContain(
      'canary site:   auto (each server its configured canary site, else its site with the most active plugins)',
    );
    expect(renderPlan(samplePlan())).toContain("checks:        none besides the agent's own health");
  });

  it('a final campaign shows why it ended and when', () => {
    const lines = renderCampaign(sampleView('failed', 200), NOW);
    expect(lines).toContain('state:         failed (failures over --max-failures)');
    expect(lines).toContain('elapsed:       3m20s, finished 2025-01-31T12:03:20.000Z');
  });

  it('list has one line per campaign, and says so when there is none', () => {
    const lines = renderCampaignList([sampleView()], NOW);
    expect(lines[0]).toMatch(/^ID\s+STATE\s+RELEASE\s+SERVERS\s+SUCCEEDED\s+FAILED\s+STARTED\s+ELAPSED\s+BY$/);
    expect(lines[1]).toMatch(
      new RegExp(`^${CAMPAIGN_ID}\\s+running\\s+6\\.5\\.5\\s+4\\s+1\\s+0\\s+2025-01-31T12:00:00.000Z\\s+3m12s\\s+operator:alice$`),
    );
    expect(renderCampaignList([], NOW)).toEqual(['no campaigns']);
  });
});

describe('watch', () => {
  it('an event reads as one line naming what changed', () => {
    const at = '2025-01-31T12:03:00.000Z';
    expect(
      renderEvent({ campaignId: CAMPAIGN_ID, at, scope: 'target', state: 'failed', wave: 1, server: 'web-2', reason: 'offline' }),
    ).toBe(`${at} web-2 (wave 1): failed (offline)`);
    expect(renderEvent({ campaignId: CAMPAIGN_ID, at, scope: 'wave', state: 'running', wave: 0 })).toBe(`${at} wave 0 (canary): running`);
    expect(renderEvent({ campaignId: CAMPAIGN_ID, at, scope: 'campaign', state: 'paused', reason: 'pause by operator:alice' })).toBe(
      `${at} campaign: paused (pause by operator:alice)`,
    );
  });

  it('the terminal progress line fills the bar with the servers that are done', () => {
    const before = sampleView();
    expect(
      renderProgressLine({ ...before, waves: before.waves.map((w) => ({ ...w, startedAt: null, finishedAt: null })) }, NOW, 4),
    ).toContain(' · no wave started of 3 · ');
    expect(renderProgressLine(sampleView(), NOW, 8)).toBe(
      '[####----] 2/4 · 1/4 succeeded, 1 in progress, 1 rolled back, 1 pending · wave 2 of 3 · running · 3m12s',
    );
  });

  it('a plain line per update carries the event, the counts, the wave and the elapsed time', () => {
    const event = {
      campaignId: CAMPAIGN_ID,
      at: '2025-01-31T12:03:10.000Z',
      scope: 'target' as const,
      state: 'switching' as const,
      wave: 2,
      server: 'web-3',
    };
    expect(renderUpdateLine(event, sampleView(), NOW)).toBe(
      '2025-01-31T12:03:10.000Z web-3 (wave 2): switching | 1/4 succeeded, 1 in progress, 1 rolled back, 1 pending | wave 2 of 3 | elapsed 3m12s',
    );
    expect(renderUpdateLine(undefined, sampleView(), NOW)).toMatch(/^2025-01-31T12:03:12.000Z campaign: running \| /);
  });

  it('the outcome line says whether the campaign succeeded', () => {
    expect(renderOutcome(sampleView('succeeded', 300), NOW)).toBe(
      `campaign ${CAMPAIGN_ID} succeeded after 5m00s: 1/4 succeeded, 1 in progress, 1 rolled back, 1 pending`,
    );
    expect(renderOutcome(sampleView('failed', 300), NOW)).toMatch(
      new RegExp(`^campaign ${CAMPAIGN_ID} ended failed \\(failures over --max-failures\\) after 5m00s`),
    );
  });
});

describe('status --failed and --wave', () => {
  const failing = (): CampaignView => {
    const view = sampleView('failed', 200);
    const [first] = view.targets;
    if (!first) throw new Error('sampleView has targets');
    return {
      ...view,
      targets: [
        ...view.targets,
        { ...first, server: 'web-5', wave: 2, state: 'failed', reason: 'health check failed' },
        { ...first, server: 'web-6', wave: 1, state: 'rollback-failed', reason: 'agent unreachable' },
      ],
    };
  };
  const serverRows = (lines: string[]) => lines.slice(lines.findIndex((l) => l.startsWith('SERVER')) + 1).map((l) => l.split(/\s+/)[0]);

  it('--failed lists only the failed and rollback-failed servers; the summary still counts the whole campaign', () => {
    const lines = renderCampaign(failing(), NOW, { failedOnly: true });
    expect(serverRows(lines)).toEqual(['web-5', 'web-6']);
    expect(lines).toContainEqual(expect.stringMatching(/^servers: +1\/6 succeeded, 1 in progress, 2 failed, 1 rolled back, 1 pending$/));
    expect(filterCampaignView(failing(), { failedOnly: true }).targets.map((t) => t.server)).toEqual(['web-5', 'web-6']);
    expect(renderCampaign(sampleView(), NOW, { failedOnly: true }).at(-1)).toBe('no failed servers');
  });

  it('--wave N keeps that wave and its servers, with --failed too', () => {
    const lines = renderCampaign(failing(), NOW, { failedOnly: false, wave: 2 });
    expect(serverRows(lines)).toEqual(['web-3', 'web-4', 'web-5']);
    const waveTable = lines.slice(
      lines.findIndex((l) => l.startsWith('WAVE')) + 1,
      lines.indexOf(
        '',
        lines.findIndex((l) => l.startsWith('WAVE')),
      ),
    );
    expect(waveTable).toEqual([expect.stringMatching(/^wave 2\s+running\s+0\/3\s+1\s/)]);
    const view = filterCampaignView(failing(), { failedOnly: true, wave: 1 });
    expect(view.waves.map((w) => w.index)).toEqual([1]);
    expect(view.targets.map((t) => t.server)).toEqual(['web-6']);
  });
});
