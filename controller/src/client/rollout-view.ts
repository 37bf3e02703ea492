import type {
  FailureBudget as WireFailureBudget,
  Rollout,
  RolloutChanges,
  RolloutEvent,
  RolloutPlan,
  RolloutTarget,
  RolloutWave,
  WaveSize as WireWaveSize,
} from '@wofleet/proto';
import { parseDigestMessage, WofleetError } from '@wofleet/shared';
import {
  CAMPAIGN_STATE,
  OFFLINE_POLICY,
  TARGET_STATE,
  WAVE_STATE,
  type CampaignEvent,
  type CampaignPlan,
  type CampaignView,
  type FailureBudget,
  type OfflinePolicy,
  type TargetView,
  type WaveSize,
  type WaveView,
} from '../campaigns/index.js';
import type { CampaignChanges } from '../events/campaign-changes.js';
import { fromWireName, WIRE_PREFIX } from '../grpc/wire-names.js';

/**
 * RolloutService answers as the engine's views, for the CLI: the one place where what
 * the controller sent is checked (states it names, times it gives). Something that
 * does not fit is a ControllerAnswerError, not a half-rendered campaign.
 */
export class ControllerAnswerError extends WofleetError {}

function state<M extends string>(prefix: string, wire: string, values: Readonly<Record<string, M>>, what: string): M {
  const value = fromWireName(prefix, wire, values);
  if (value === undefined)
    throw new ControllerAnswerError(`the controller sent an unknown ${what} state '${wire}' (is this CLI older than the controller?)`);
  return value;
}

function date(text: string, what: string): Date {
  const at = new Date(text);
  if (text === '' || Number.isNaN(at.getTime())) throw new ControllerAnswerError(`the controller sent an invalid ${what} time '${text}'`);
  return at;
}

const optionalDate = (text: string, what: string): Date | null => (text === '' ? null : date(text, what));
const optionalText = (text: string): string | null => (text === '' ? null : text);

function size(wire: WireWaveSize | WireFailureBudget | null, what: string): WaveSize & FailureBudget {
  if (wire?.count !== undefined) return { count: wire.count };
  if (wire?.percent !== undefined) return { percent: wire.percent };
  throw new ControllerAnswerError(`the controller sent a ${what} without count or percent`);
}

export function fromWirePlan(wire: RolloutPlan): CampaignPlan {
  const settings = wire.settings;
  if (!settings) throw new ControllerAnswerError('the controller sent a rollout plan without its settings');
  const { window } = settings;
  return {
    request: {
      release: settings.release,
      selection: { servers: settings.servers, labels: settings.labels },
      canary: optionalText(settings.canary) ?? undefined,
      waves: settings.waves.map((w) => size(w, 'wave size')),
      maxParallel: settings.maxParallel,
      maxFailures: size(settings.maxFailures, 'failure budget'),
      minHealthyMs: settings.minHealthyMs,
      healthyDeadlineMs: settings.healthyDeadlineMs,
      progressDeadlineMs: settings.progressDeadlineMs,
      pauseAfterCanary: settings.pauseAfterCanary,
      window: window
        ? { text: window.text, days: window.days, startMinute: window.startMinute, endMinute: window.endMinute, timeZone: window.timeZone }
        : undefined,
      autoRollback: settings.autoRollback,
      canarySite: settings.canarySite,
      checks: {
        http: settings.httpChecks.map((check) => ({
          text: check.text,
          path: check.path,
          status: check.status,
          body: optionalText(check.body) ?? undefined,
          maxMs: check.maxMs,
          connect: check.connectServer ? { port: check.connectPort === 0 ? undefined : check.connectPort } : undefined,
        })),
        commands: settings.commandChecks.map((check) => ({ text: check.text, argv: check.argv, timeoutMs: check.timeoutMs })),
      },
      offline: { policy: offlinePolicy(settings.offline), waitMs: settings.offlineWaitMs },
    },
    release: {
      version: wire.releaseVersion,
      url: wire.releaseUrl,
      digest: parseDigestMessage(wire.releaseDigest ?? { algorithm: '', hex: '' }),
    },
    canary: wire.canary,
    canarySiteServers: wire.canarySiteServers,
    waves: wire.waves.map((w) => ({ index: w.index, servers: w.servers })),
    offlineServers: wire.offlineServers,
  };
}

/** Empty from a controller older than `--offline`, which failed offline servers. */
function offlinePolicy(wire: string): OfflinePolicy {
  if (wire === '') return OFFLINE_POLICY.fail;
  const policy = Object.values(OFFLINE_POLICY).find((p) => p === wire);
  if (policy === undefined) throw new ControllerAnswerError(`the controller sent an unknown offline policy '${wire}'`);
  return policy;
}

const fromWireWave = (w: RolloutWave): WaveView => ({
  index: w.index,
  state: state(WIRE_PREFIX.wave, w.state, WAVE_STATE, 'wave'),
  startedAt: optionalDate(w.startedAt, 'wave start'),
  finishedAt: optionalDate(w.finishedAt, 'wave finish'),
});

const fromWireTarget = (t: RolloutTarget): TargetView => ({
  server: t.server,
  wave: t.wave,
  state: state(WIRE_PREFIX.target, t.state, TARGET_STATE, 'target'),
  fromRelease: optionalText(t.fromRelease),
  fromVersion: optionalText(t.fromVersion),
  reason: optionalText(t.reason),
  offlineSince: optionalDate(t.offlineSince, 'target offline'),
  updatedAt: date(t.updatedAt, 'target update'),
});

export function fromWireRollout(wire: Rollout): CampaignView {
  if (!wire.plan) throw new ControllerAnswerError(`the controller sent campaign ${wire.id} without its plan`);
  return {
    id: wire.id,
    state: state(WIRE_PREFIX.campaign, wire.state, CAMPAIGN_STATE, 'campaign'),
    plan: fromWirePlan(wire.plan),
    createdBy: wire.createdBy,
    createdAt: date(wire.createdAt, 'creation'),
    updatedAt: date(wire.updatedAt, 'update'),
    finishedAt: optionalDate(wire.finishedAt, 'finish'),
    reason: optionalText(wire.reason),
    waves: wire.waves.map(fromWireWave),
    targets: wire.targets.map(fromWireTarget),
  };
}

export function fromWireChanges(wire: RolloutChanges): CampaignChanges {
  return {
    state: state(WIRE_PREFIX.campaign, wire.state, CAMPAIGN_STATE, 'campaign'),
    updatedAt: date(wire.updatedAt, 'update'),
    finishedAt: optionalDate(wire.finishedAt, 'finish'),
    reason: optionalText(wire.reason),
    waves: wire.waves.map(fromWireWave),
    targets: wire.targets.map(fromWireTarget),
  };
}

export function fromWireEvent(wire: RolloutEvent, campaignId: string): CampaignEvent {
  const base = { campaignId, at: wire.at, ...(wire.reason ? { reason: wire.reason } : {}) };
  switch (wire.scope) {
    case 'ROLLOUT_EVENT_SCOPE_CAMPAIGN':
      return { ...base, scope: 'campaign', state: state(WIRE_PREFIX.campaign, wire.rolloutState, CAMPAIGN_STATE, 'campaign') };
    case 'ROLLOUT_EVENT_SCOPE_WAVE':
      return { ...base, scope: 'wave', wave: wire.wave, state: state(WIRE_PREFIX.wave, wire.waveState, WAVE_STATE, 'wave') };
    case 'ROLLOUT_EVENT_SCOPE_TARGET':
      return {
        ...base,
        scope: 'target',
        wave: wire.wave,
        server: wire.server,
        state: state(WIRE_PREFIX.target, wire.targetState, TARGET_STATE, 'target'),
      };
    default:
      throw new ControllerAnswerError(`the controller sent a rollout event of unknown scope '${wire.scope}'`);
  }
}
