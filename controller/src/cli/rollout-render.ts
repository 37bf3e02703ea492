import { formatDigest, formatDuration } from '@wofleet/shared';
// model.js and waves.js rather than the engine's index: the CLI loads them for every
// command, and the index brings the database and gRPC with it.
import {
  AUTO_CANARY_SITE,
  CAMPAIGN_STATE,
  OFFLINE_POLICY,
  TARGET_STATE,
  type CampaignEvent,
  type OfflineHandling,
  type GateChecks,
  type CampaignPlan,
  type CampaignView,
  type TargetState,
} from '../campaigns/model.js';
import { describeSize, describeWaves } from '../campaigns/waves.js';
import { table } from './output.js';
import { formatLabels } from './render.js';

/** Human renderings of campaigns: pure functions of the engine's views and events (and the time, where elapsed time shows). */

export interface TargetCounts {
  total: number;
  pending: number;
  /** Staging, switching, verifying or rolling back right now. */
  working: number;
  succeeded: number;
  /** Failed, including those whose rollback failed too. */
  failed: number;
  rolledBack: number;
  skipped: number;
}

const WORKING: ReadonlySet<TargetState> = new Set([
  TARGET_STATE.staging,
  TARGET_STATE.switching,
  TARGET_STATE.verifying,
  TARGET_STATE.rollingBack,
]);

export function countTargets(view: CampaignView): TargetCounts {
  const counts: TargetCounts = { total: view.targets.length, pending: 0, working: 0, succeeded: 0, failed: 0, rolledBack: 0, skipped: 0 };
  for (const { state } of view.targets) {
    if (WORKING.has(state)) counts.working++;
    else if (state === TARGET_STATE.succeeded) counts.succeeded++;
    else if (state === TARGET_STATE.failed || state === TARGET_STATE.rollbackFailed) counts.failed++;
    else if (state === TARGET_STATE.rolledBack) counts.rolledBack++;
    else if (state === TARGET_STATE.skipped) counts.skipped++;
    else counts.pending++; // pending, staged: nothing switched yet
  }
  return counts;
}

/** Servers whose part of the campaign is over, whatever the outcome. */
export function finishedTargets(counts: TargetCounts): number {
  return counts.succeeded + counts.failed + counts.rolledBack + counts.skipped;
}

export function describeCounts(counts: TargetCounts): string {
  const parts = [`${counts.succeeded}/${counts.total} succeeded`];
  if (counts.working) parts.push(`${counts.working} in progress`);
  if (counts.failed) parts.push(`${counts.failed} failed`);
  if (counts.rolledBack) parts.push(`${counts.rolledBack} rolled back`);
  if (counts.skipped) parts.push(`${counts.skipped} skipped`);
  if (counts.pending) parts.push(`${counts.pending} pending`);
  return parts.join(', ');
}

/** From creation to the end (or `now` while it runs), in whole seconds: `1h02m05s`, `3m12s`, `45s`. */
export function formatElapsed(view: CampaignView, now: Date): string {
  const total = Math.max(0, Math.floor(((view.finishedAt ?? now).getTime() - view.createdAt.getTime()) / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const two = (n: number) => String(n).padStart(2, '0');
  if (h) return `${h}h${two(m)}m${two(s)}s`;
  if (m) return `${m}m${two(s)}s`;
  return `${s}s`;
}

const waveName = (index: number): string => (index === 0 ? 'wave 0 (canary)' : `wave ${index}`);

function describeSettings(plan: CampaignPlan): string[] {
  const r = plan.request;
  const selection = r.selection.servers.length ? r.selection.servers.join(',') : 'every enrolled server';
  const labels = Object.keys(r.selection.labels).length ? ` with labels ${formatLabels(r.selection.labels)}` : '';
  return [
    `release:       ${plan.release.version} (${formatDigest(plan.release.digest)})`,
    `targets:       ${selection}${labels}: ${plan.waves.reduce((n, w) => n + w.servers.length, 0)} servers`,
    `canary:        ${plan.canary}`,
    `canary site:   ${describeCanarySite(plan)}`,
    ...describeChecks(r.checks),
    `waves:         ${describeWaves(r.waves)}, at most ${r.maxParallel} at once, ${describeSize(r.maxFailures)} failures tolerated`,
    `health:        healthy for ${formatDuration(r.minHealthyMs)}, within ${formatDuration(r.healthyDeadlineMs)}; progress deadline ${formatDuration(r.progressDeadlineMs)}`,
    `window:        ${r.window ? r.window.text : 'any time'}`,
    `options:       ${r.pauseAfterCanary ? 'pause after canary' : 'no pause after canary'}, ${r.autoRollback ? 'auto rollback' : 'no auto rollback'}`,
    `offline:       ${describeOffline(r.offline)}`,
  ];
}

function describeOffline(offline: OfflineHandling): string {
  if (offline.policy === OFFLINE_POLICY.wait) return 'wait for offline servers without limit';
  const then = offline.policy === OFFLINE_POLICY.skip ? 'skip them (the canary fails)' : 'fail them';
  return `wait ${formatDuration(offline.waitMs)} for offline servers, then ${then}`;
}

function describeCanarySite(plan: CampaignPlan): string {
  const site = plan.request.canarySite;
  return site === AUTO_CANARY_SITE
    ? 'auto (each server its configured canary site, else its site with the most active plugins)'
    : `${site} on ${plan.canarySiteServers.join(',')}; auto on the others`;
}

/** One line per external check, or one saying there is none. */
function describeChecks(checks: GateChecks): string[] {
  const lines = [
    ...checks.http.map((c) => `http ${c.text || 'path=/'} (status ${c.status}, at most ${c.maxMs} ms)`),
    ...checks.commands.map((c) => `command ${c.text} (timeout ${formatDuration(c.timeoutMs)})`),
  ];
  if (lines.length === 0) return ["checks:        none besides the agent's own health"];
  return lines.map((line, i) => `${i === 0 ? 'checks:' : ''}`.padEnd(15) + line);
}

/** `rollout plan`: the settings, the servers offline now, then each wave with its servers in order. */
export function renderPlan(plan: CampaignPlan): string[] {
  const offline = plan.offlineServers;
  return [
    ...describeSettings(plan),
    `offline now:   ${offline.length === 0 ? 'none' : `${offline.length} (${offline.join(',')})`}`,
    ...table(
      ['WAVE', 'SERVERS', 'NAMES'],
      plan.waves.map((w) => [waveName(w.index), String(w.servers.length), w.servers.join(',')]),
    ),
  ];
}

/** What `rollout status --failed` / `--wave N` keep of the waves and servers tables. */
export interface TargetFilter {
  failedOnly: boolean;
  wave?: number | undefined;
}

const isFailedTarget = (state: TargetState): boolean => state === TARGET_STATE.failed || state === TARGET_STATE.rollbackFailed;

/** The campaign with only the waves and servers `filter` keeps (its state, plan and times as they are). */
export function filterCampaignView(view: CampaignView, filter: TargetFilter): CampaignView {
  const inWave = (wave: number) => filter.wave === undefined || wave === filter.wave;
  return {
    ...view,
    waves: view.waves.filter((w) => inWave(w.index)),
    targets: view.targets.filter((t) => inWave(t.wave) && (!filter.failedOnly || isFailedTarget(t.state))),
  };
}

/** `rollout status`: the campaign, its waves with their counts, and every server (or those `filter` keeps; the summary stays whole). */
export function renderCampaign(view: CampaignView, now: Date, filter: TargetFilter = { failedOnly: false }): string[] {
  const counts = countTargets(view);
  const lines = [
    `campaign:      ${view.id}`,
    `state:         ${view.state}${view.reason ? ` (${view.reason})` : ''}`,
    `started:       ${view.createdAt.toISOString()} by ${view.createdBy}`,
    `elapsed:       ${formatElapsed(view, now)}${view.finishedAt ? `, finished ${view.finishedAt.toISOString()}` : ''}`,
    `servers:       ${describeCounts(counts)}`,
    ...waitingFor(view),
    ...describeSettings(view.plan),
  ];
  const shown = filterCampaignView(view, { failedOnly: false, wave: filter.wave });
  const waveRows = shown.waves.map((wave) => {
    const targets = view.targets.filter((t) => t.wave === wave.index);
    const done = targets.filter((t) => t.state === TARGET_STATE.succeeded).length;
    const failed = targets.filter((t) => isFailedTarget(t.state)).length;
    return [waveName(wave.index), wave.state, `${done}/${targets.length}`, String(failed), wave.startedAt?.toISOString() ?? '-'];
  });
  const targets = filterCampaignView(view, filter).targets;
  const targetRows = targets.map((t) => [t.server, String(t.wave), t.state, t.fromVersion ?? '-', t.reason ?? '']);
  return [
    ...lines,
    '',
    ...table(['WAVE', 'STATE', 'SUCCEEDED', 'FAILED', 'STARTED'], waveRows),
    '',
    ...(targets.length === 0 && filter.failedOnly
      ? ['no failed servers']
      : table(['SERVER', 'WAVE', 'STATE', 'FROM', 'REASON'], targetRows)),
  ];
}

/** The servers the campaign waits for to come back online, with since when; none: no line. */
function waitingFor(view: CampaignView): string[] {
  const waiting = view.targets.filter((t) => t.offlineSince !== null);
  if (waiting.length === 0) return [];
  return [`waiting for:   ${waiting.map((t) => `${t.server} (offline since ${t.offlineSince?.toISOString()})`).join(', ')}`];
}

/** `rollout list`: one line per campaign, newest first. */
export function renderCampaignList(views: readonly CampaignView[], now: Date): string[] {
  if (views.length === 0) return ['no campaigns'];
  return table(
    ['ID', 'STATE', 'RELEASE', 'SERVERS', 'SUCCEEDED', 'FAILED', 'STARTED', 'ELAPSED', 'BY'],
    views.map((v) => {
      const counts = countTargets(v);
      return [
        v.id,
        v.state,
        v.plan.release.version,
        String(counts.total),
        String(counts.succeeded),
        String(counts.failed),
        v.createdAt.toISOString(),
        formatElapsed(v, now),
        v.createdBy,
      ];
    }),
  );
}

/** One change as a log line: `2025-01-31T12:00:01.000Z web-3 (wave 1): switching`. */
export function renderEvent(event: CampaignEvent): string {
  const subject =
    event.scope === 'campaign'
      ? 'campaign'
      : event.scope === 'wave'
        ? waveName(event.wave ?? 0)
        : `${event.server ?? '?'} (wave ${event.wave ?? '?'})`;
  return `${event.at} ${subject}: ${event.state}${event.reason ? ` (${event.reason})` : ''}`;
}

/** The current wave (the running one, else the last that started), numbered as everywhere else: wave 0 is the canary. */
function currentWave(view: CampaignView): string {
  const running =
    view.waves.find((w) => w.startedAt !== null && w.finishedAt === null) ?? [...view.waves].reverse().find((w) => w.startedAt !== null);
  return running ? `wave ${running.index} of ${view.waves.length}` : `no wave started of ${view.waves.length}`;
}

/** The terminal's status line: `[########------] 12/40 · 10/40 succeeded, 2 failed · wave 2 of 4 · running · 3m12s`. */
export function renderProgressLine(view: CampaignView, now: Date, barWidth = 24): string {
  const counts = countTargets(view);
  const finished = finishedTargets(counts);
  const filled = counts.total ? Math.round((finished / counts.total) * barWidth) : 0;
  const bar = `[${'#'.repeat(filled)}${'-'.repeat(barWidth - filled)}]`;
  return `${bar} ${finished}/${counts.total} · ${describeCounts(counts)} · ${currentWave(view)} · ${view.state} · ${formatElapsed(view, now)}`;
}

/** A plain line per change when stdout is not a terminal: the event, then where the campaign stands. */
export function renderUpdateLine(event: CampaignEvent | undefined, view: CampaignView, now: Date): string {
  const head = event ? renderEvent(event) : `${now.toISOString()} campaign: ${view.state}`;
  return `${head} | ${describeCounts(countTargets(view))} | ${currentWave(view)} | elapsed ${formatElapsed(view, now)}`;
}

/** The last line of a watch: how it ended. */
export function renderOutcome(view: CampaignView, now: Date): string {
  const verdict = view.state === CAMPAIGN_STATE.succeeded ? 'succeeded' : `ended ${view.state}`;
  return `campaign ${view.id} ${verdict}${view.reason ? ` (${view.reason})` : ''} after ${formatElapsed(view, now)}: ${describeCounts(countTargets(view))}`;
}
