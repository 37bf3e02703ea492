import type {
  FailureBudgetInput,
  RolloutAction,
  RolloutChangesInput,
  RolloutEventInput,
  RolloutInput,
  RolloutPlanInput,
  RolloutRequest,
  RolloutSettingsInput,
  RolloutTargetInput,
  RolloutUpdateInput,
  RolloutWaveInput,
  WaveSizeInput,
} from '@wofleet/proto';
import { UsageError } from '@wofleet/shared';
import {
  CAMPAIGN_ACTION,
  CAMPAIGN_STATE,
  TARGET_STATE,
  WAVE_STATE,
  type CampaignAction,
  type CampaignEvent,
  type CampaignPlan,
  type CampaignRequest,
  type CampaignRequestText,
  type CampaignView,
  type FailureBudget,
  type TargetView,
  type WaveSize,
  type WaveView,
} from '../campaigns/index.js';
import type { CampaignChanges } from '../events/campaign-changes.js';
import type { CampaignUpdate } from '../events/campaign-events.js';
import { fromWireName, toWireName, WIRE_PREFIX } from '../grpc/wire-names.js';

/**
 * Campaigns as RolloutService messages (rollout.proto), the controller's side. Mapping
 * only: the request is parsed by the engine (parseCampaignRequest), answers are the
 * engine's views. The CLI maps answers back in client/rollout-view.ts.
 */

/** A request's fields as the engine parses them (one validation, in parseCampaignRequest). */
export function toRequestText(request: RolloutRequest): CampaignRequestText {
  return {
    release: request.release,
    servers: request.servers,
    labels: request.labels,
    canary: request.canary,
    waves: request.waves,
    maxParallel: request.maxParallel,
    maxFailures: request.maxFailures,
    minHealthy: request.minHealthy,
    healthyDeadline: request.healthyDeadline,
    progressDeadline: request.progressDeadline,
    pauseAfterCanary: request.pauseAfterCanary,
    window: request.window,
    noAutoRollback: request.noAutoRollback,
    canarySite: request.canarySite,
    checkHttp: request.checkHttp,
    checkCommand: request.checkCommand,
    checkTimeout: request.checkTimeout,
    offline: request.offline,
    offlineWait: request.offlineWait,
  };
}

export function toCampaignAction(wire: RolloutAction): CampaignAction {
  const action = fromWireName(WIRE_PREFIX.action, wire, CAMPAIGN_ACTION);
  if (action === undefined)
    throw new UsageError(`unknown rollout action '${wire}': expected one of ${Object.values(CAMPAIGN_ACTION).join(', ')}`);
  return action;
}

function toWireSize(size: WaveSize | FailureBudget): WaveSizeInput & FailureBudgetInput {
  return 'count' in size ? { count: size.count } : { percent: size.percent };
}

function toWireSettings(request: CampaignRequest): RolloutSettingsInput {
  const { window } = request;
  return {
    release: request.release,
    servers: [...request.selection.servers],
    labels: { ...request.selection.labels },
    canary: request.canary ?? '',
    waves: request.waves.map(toWireSize),
    maxParallel: request.maxParallel,
    maxFailures: toWireSize(request.maxFailures),
    minHealthyMs: request.minHealthyMs,
    healthyDeadlineMs: request.healthyDeadlineMs,
    progressDeadlineMs: request.progressDeadlineMs,
    pauseAfterCanary: request.pauseAfterCanary,
    window: window
      ? {
          text: window.text,
          days: [...window.days],
          startMinute: window.startMinute,
          endMinute: window.endMinute,
          timeZone: window.timeZone,
        }
      : null,
    autoRollback: request.autoRollback,
    canarySite: request.canarySite,
    httpChecks: request.checks.http.map((check) => ({
      text: check.text,
      path: check.path,
      status: check.status,
      body: check.body ?? '',
      maxMs: check.maxMs,
      connectServer: check.connect !== undefined,
      connectPort: check.connect?.port ?? 0,
    })),
    commandChecks: request.checks.commands.map((check) => ({ text: check.text, argv: [...check.argv], timeoutMs: check.timeoutMs })),
    offline: request.offline.policy,
    offlineWaitMs: request.offline.waitMs,
  };
}

export function toWirePlan(plan: CampaignPlan): RolloutPlanInput {
  return {
    settings: toWireSettings(plan.request),
    releaseVersion: plan.release.version,
    releaseUrl: plan.release.url,
    releaseDigest: plan.release.digest,
    canary: plan.canary,
    canarySiteServers: [...plan.canarySiteServers],
    waves: plan.waves.map((wave) => ({ index: wave.index, servers: [...wave.servers] })),
    offlineServers: [...plan.offlineServers],
  };
}

const time = (at: Date | null): string => at?.toISOString() ?? '';

const toWireWave = (wave: WaveView): RolloutWaveInput => ({
  index: wave.index,
  state: toWireName(WIRE_PREFIX.wave, wave.state),
  startedAt: time(wave.startedAt),
  finishedAt: time(wave.finishedAt),
});

const toWireTarget = (target: TargetView): RolloutTargetInput => ({
  server: target.server,
  wave: target.wave,
  state: toWireName(WIRE_PREFIX.target, target.state),
  fromRelease: target.fromRelease ?? '',
  fromVersion: target.fromVersion ?? '',
  reason: target.reason ?? '',
  updatedAt: time(target.updatedAt),
  offlineSince: time(target.offlineSince),
});

export function toWireRollout(view: CampaignView): RolloutInput {
  return {
    id: view.id,
    state: toWireName(WIRE_PREFIX.campaign, view.state),
    plan: toWirePlan(view.plan),
    createdBy: view.createdBy,
    createdAt: time(view.createdAt),
    updatedAt: time(view.updatedAt),
    finishedAt: time(view.finishedAt),
    reason: view.reason ?? '',
    waves: view.waves.map(toWireWave),
    targets: view.targets.map(toWireTarget),
  };
}

export function toWireChanges(changes: CampaignChanges): RolloutChangesInput {
  return {
    state: toWireName(WIRE_PREFIX.campaign, changes.state),
    updatedAt: time(changes.updatedAt),
    finishedAt: time(changes.finishedAt),
    reason: changes.reason ?? '',
    waves: changes.waves.map(toWireWave),
    targets: changes.targets.map(toWireTarget),
  };
}

/**
 * The messages of one WatchRollout. `changesOnly`: the whole campaign on the first, then
 * only what changed. Otherwise the whole campaign on every message, mapped once per view
 * (the events of one read share it).
 */
export function wireUpdates(changesOnly: boolean): (update: CampaignUpdate) => RolloutUpdateInput {
  let mapped: { view: CampaignView; rollout: RolloutInput } | undefined;
  const rolloutOf = (view: CampaignView) => {
    if (mapped?.view !== view) mapped = { view, rollout: toWireRollout(view) };
    return mapped.rollout;
  };
  return ({ event, view, changes }) => {
    const wireEvent = event ? toWireEvent(event) : null;
    return changesOnly && changes ? { event: wireEvent, changes: toWireChanges(changes) } : { event: wireEvent, rollout: rolloutOf(view) };
  };
}

function oneOf<M extends string>(values: Readonly<Record<string, M>>, value: string): value is M {
  return (Object.values(values) as string[]).includes(value);
}

/** The event's state goes in the field of its scope; a state that does not belong to the scope is left UNSPECIFIED. */
export function toWireEvent(event: CampaignEvent): RolloutEventInput {
  const { scope, state } = event;
  return {
    at: event.at,
    scope: toWireName(WIRE_PREFIX.scope, scope),
    rolloutState:
      scope === 'campaign' && oneOf(CAMPAIGN_STATE, state) ? toWireName(WIRE_PREFIX.campaign, state) : 'ROLLOUT_STATE_UNSPECIFIED',
    waveState: scope === 'wave' && oneOf(WAVE_STATE, state) ? toWireName(WIRE_PREFIX.wave, state) : 'ROLLOUT_WAVE_STATE_UNSPECIFIED',
    targetState:
      scope === 'target' && oneOf(TARGET_STATE, state) ? toWireName(WIRE_PREFIX.target, state) : 'ROLLOUT_TARGET_STATE_UNSPECIFIED',
    wave: event.wave ?? 0,
    server: event.server ?? '',
    reason: event.reason ?? '',
  };
}
