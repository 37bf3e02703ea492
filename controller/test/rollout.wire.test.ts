import { describe, expect, it } from 'vitest';
import {
  loadRolloutService,
  ROLLOUT_ACTION,
  ROLLOUT_STATE,
  ROLLOUT_TARGET_STATE,
  ROLLOUT_WAVE_STATE,
  type Rollout,
  type RolloutEvent,
  type RolloutUpdate,
} from '@wofleet/proto';
import { UsageError } from '@wofleet/shared';
import {
  CAMPAIGN_ACTION,
  CAMPAIGN_STATE,
  TARGET_STATE,
  WAVE_STATE,
  type CampaignEvent,
  type CampaignView,
} from '../src/campaigns/index.js';
import { parseCampaignId } from '../src/grpc/rollout-id.js';
import { ControllerAnswerError, fromWireChanges, fromWireEvent, fromWireRollout } from '../src/client/rollout-view.js';
import { toCampaignAction, toWireEvent, toWireRollout, wireUpdates } from '../src/api/rollout-wire.js';
import { applyCampaignChanges, campaignChanges } from '../src/events/campaign-changes.js';
import { toWireName, WIRE_PREFIX } from '../src/grpc/wire-names.js';
import { CAMPAIGN_ID, gatedPlan, sampleView, samplePlan } from './rollout.fixtures.js';

/** Campaigns through RolloutService's encoding (the real protobuf serializers) and back. */
const { service } = loadRolloutService();

function throughTheWire(view: CampaignView): CampaignView {
  const bytes = service.GetRollout.responseSerialize(toWireRollout(view));
  return fromWireRollout(service.GetRollout.responseDeserialize(bytes) as Rollout);
}

function eventThroughTheWire(event: CampaignEvent): CampaignEvent {
  const bytes = service.WatchRollout.responseSerialize({ event: toWireEvent(event), rollout: toWireRollout(sampleView()) });
  const update = service.WatchRollout.responseDeserialize(bytes) as RolloutUpdate;
  return fromWireEvent(update.event as RolloutEvent, event.campaignId);
}

describe('enums', () => {
  it.each([
    ['campaign', WIRE_PREFIX.campaign, CAMPAIGN_STATE, ROLLOUT_STATE],
    ['wave', WIRE_PREFIX.wave, WAVE_STATE, ROLLOUT_WAVE_STATE],
    ['target', WIRE_PREFIX.target, TARGET_STATE, ROLLOUT_TARGET_STATE],
    ['action', WIRE_PREFIX.action, CAMPAIGN_ACTION, ROLLOUT_ACTION],
  ] as const)(
    'every %s value of the engine has its own value in rollout.proto, and the proto has no other',
    (_what, prefix, model, wire) => {
      const names = Object.values(model).map((value) => toWireName(prefix, value));
      expect(new Set(names).size).toBe(names.length);
      expect(
        Object.values(wire)
          .filter((w) => !w.endsWith('_UNSPECIFIED'))
          .sort(),
      ).toEqual([...names].sort());
    },
  );

  it('an action the controller does not know is a usage error', () => {
    expect(toCampaignAction('ROLLOUT_ACTION_PROMOTE')).toBe('promote');
    expect(() => toCampaignAction('ROLLOUT_ACTION_UNSPECIFIED')).toThrow(UsageError);
  });
});

describe('views', () => {
  it('a campaign comes back as it was sent', () => {
    expect(throughTheWire(sampleView())).toEqual(sampleView());
    const finished = sampleView('failed', 200);
    expect(throughTheWire(finished)).toEqual(finished);
  });

  it('a plan without window, canary or labels, with a count budget, comes back as it was sent', () => {
    const view = {
      ...sampleView(),
      plan: samplePlan({ window: undefined, maxFailures: { count: 0 }, selection: { servers: ['web-1'], labels: {} }, canary: 'web-1' }),
    };
    expect(throughTheWire(view)).toEqual(view);
  });

  it('a plan with a canary site and external checks comes back as it was sent', () => {
    const view = { ...sampleView(), plan: gatedPlan() };
    expect(throughTheWire(view)).toEqual(view);
  });

  it.each<CampaignEvent>([
    { campaignId: CAMPAIGN_ID, at: '2025-01-31T12:00:00.000Z', scope: 'campaign', state: 'awaiting-promotion', reason: 'canary done' },
    { campaignId: CAMPAIGN_ID, at: '2025-01-31T12:00:00.000Z', scope: 'wave', state: 'running', wave: 0 },
    {
      campaignId: CAMPAIGN_ID,
      at: '2025-01-31T12:00:00.000Z',
      scope: 'target',
      state: 'rollback-failed',
      wave: 2,
      server: 'web-3',
      reason: 'agent unreachable',
    },
  ])('a $scope event comes back as it was sent', (event) => {
    expect(eventThroughTheWire(event)).toEqual(event);
  });

  it('a state this CLI does not know is refused, not rendered half-way', () => {
    const wire = service.GetRollout.responseDeserialize(service.GetRollout.responseSerialize(toWireRollout(sampleView()))) as Rollout;
    expect(() => fromWireRollout({ ...wire, state: 'ROLLOUT_STATE_UNSPECIFIED' })).toThrow(ControllerAnswerError);
    expect(() => fromWireRollout({ ...wire, createdAt: 'yesterday' })).toThrow(/invalid creation time 'yesterday'/);
  });
});

describe('watch updates', () => {
  const before = sampleView();
  const after: CampaignView = {
    ...before,
    state: 'failed',
    reason: 'failures over --max-failures',
    updatedAt: new Date(before.updatedAt.getTime() + 5_000),
    finishedAt: new Date(before.updatedAt.getTime() + 5_000),
    waves: before.waves.map((w) =>
      w.index === 2 ? { ...w, state: 'failed', finishedAt: new Date(before.updatedAt.getTime() + 5_000) } : w,
    ),
    targets: before.targets.map((t) => (t.server === 'web-3' ? { ...t, state: 'failed', reason: 'not healthy within 5m' } : t)),
  };
  const encode = (update: ReturnType<ReturnType<typeof wireUpdates>>) =>
    service.WatchRollout.responseDeserialize(service.WatchRollout.responseSerialize(update)) as RolloutUpdate;

  it('changes only: the whole campaign first, then only the changed wave and server, which applied give the new view', () => {
    const toWire = wireUpdates(true);
    const first = encode(toWire({ event: undefined, view: before, changes: undefined }));
    expect(first.changes).toBeNull();
    const changes = campaignChanges(before, after);
    if (!changes) throw new Error('no changes found between two different views');
    const second = encode(toWire({ event: undefined, view: after, changes }));
    expect(second.rollout).toBeNull();
    expect(second.changes?.waves.map((w) => w.index)).toEqual([2]);
    expect(second.changes?.targets.map((t) => t.server)).toEqual(['web-3']);
    const snapshot = fromWireRollout(first.rollout as Rollout);
    expect(applyCampaignChanges(snapshot, fromWireChanges(second.changes as NonNullable<RolloutUpdate['changes']>))).toEqual(after);
  });

  it('without changes only, every message carries the whole campaign, as before', () => {
    const toWire = wireUpdates(false);
    const changes = campaignChanges(before, after);
    const update = encode(toWire({ event: undefined, view: after, changes }));
    expect(update.changes).toBeNull();
    expect(fromWireRollout(update.rollout as Rollout)).toEqual(after);
  });

  it('two views alike have no changes', () => {
    expect(campaignChanges(before, sampleView())).toBeUndefined();
  });
});

describe('campaign ids', () => {
  it('takes a UUID in either case and refuses anything else before it reaches a query', () => {
    expect(parseCampaignId(CAMPAIGN_ID.toUpperCase())).toBe(CAMPAIGN_ID);
    expect(() => parseCampaignId('42')).toThrow("invalid campaign id '42': expected the id 'wofleet rollout start' or 'list' printed");
  });
});
