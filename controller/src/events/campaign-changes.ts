import type { CampaignView, TargetView, WaveView } from '../campaigns/index.js';

/**
 * What changed in a campaign between two views of it, as WatchRollout sends it after the
 * first message when the watcher asks for changes only: the campaign's own fields always,
 * the waves and targets that differ, whole. A campaign's plan, creator and creation time
 * are fixed when it starts, and its waves and targets are those of the plan, so these
 * fields describe every change a later view can have.
 */
export interface CampaignChanges {
  state: CampaignView['state'];
  updatedAt: Date;
  finishedAt: Date | null;
  reason: string | null;
  waves: readonly WaveView[];
  targets: readonly TargetView[];
}

const sameTime = (a: Date | null, b: Date | null) => (a === null || b === null ? a === b : a.getTime() === b.getTime());

function sameWave(a: WaveView, b: WaveView): boolean {
  return a.state === b.state && sameTime(a.startedAt, b.startedAt) && sameTime(a.finishedAt, b.finishedAt);
}

function sameTarget(a: TargetView, b: TargetView): boolean {
  return (
    a.state === b.state &&
    a.reason === b.reason &&
    a.fromRelease === b.fromRelease &&
    a.fromVersion === b.fromVersion &&
    sameTime(a.updatedAt, b.updatedAt) &&
    sameTime(a.offlineSince, b.offlineSince)
  );
}

/** The changes from `before` to `after`; undefined when nothing differs. */
export function campaignChanges(before: CampaignView, after: CampaignView): CampaignChanges | undefined {
  const previousWave = new Map(before.waves.map((w) => [w.index, w]));
  const previousTarget = new Map(before.targets.map((t) => [t.server, t]));
  const waves = after.waves.filter((w) => {
    const was = previousWave.get(w.index);
    return was === undefined || !sameWave(was, w);
  });
  const targets = after.targets.filter((t) => {
    const was = previousTarget.get(t.server);
    return was === undefined || !sameTarget(was, t);
  });
  const same =
    waves.length === 0 &&
    targets.length === 0 &&
    before.state === after.state &&
    before.reason === after.reason &&
    sameTime(before.updatedAt, after.updatedAt) &&
    sameTime(before.finishedAt, after.finishedAt);
  if (same) return undefined;
  return { state: after.state, updatedAt: after.updatedAt, finishedAt: after.finishedAt, reason: after.reason, waves, targets };
}

/** The changes of an update that adds nothing to the previous one: the campaign's own fields as they are. */
export function noCampaignChanges(view: CampaignView): CampaignChanges {
  return { state: view.state, updatedAt: view.updatedAt, finishedAt: view.finishedAt, reason: view.reason, waves: [], targets: [] };
}

/** `view` with `changes` applied: waves replaced by index, targets by server, order kept. */
export function applyCampaignChanges(view: CampaignView, changes: CampaignChanges): CampaignView {
  const waves = new Map(changes.waves.map((w) => [w.index, w]));
  const targets = new Map(changes.targets.map((t) => [t.server, t]));
  return {
    ...view,
    state: changes.state,
    updatedAt: changes.updatedAt,
    finishedAt: changes.finishedAt,
    reason: changes.reason,
    waves: waves.size === 0 ? view.waves : view.waves.map((w) => waves.get(w.index) ?? w),
    targets: targets.size === 0 ? view.targets : view.targets.map((t) => targets.get(t.server) ?? t),
  };
}
