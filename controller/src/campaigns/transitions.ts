import { CAMPAIGN_ACTION, CAMPAIGN_STATE, type CampaignAction, type CampaignState } from './model.js';

/**
 * The operator actions as an explicit table: from which campaign states each is
 * allowed, and the state it records. The runner carries the new state out (abort and
 * rollback roll servers back; resume and promote let it start servers again).
 */
export const ACTION_TRANSITIONS: Readonly<Record<CampaignAction, { from: readonly CampaignState[]; to: CampaignState }>> = {
  [CAMPAIGN_ACTION.pause]: { from: [CAMPAIGN_STATE.running], to: CAMPAIGN_STATE.paused },
  [CAMPAIGN_ACTION.resume]: { from: [CAMPAIGN_STATE.paused], to: CAMPAIGN_STATE.running },
  [CAMPAIGN_ACTION.promote]: { from: [CAMPAIGN_STATE.awaitingPromotion], to: CAMPAIGN_STATE.running },
  [CAMPAIGN_ACTION.abort]: {
    from: [CAMPAIGN_STATE.running, CAMPAIGN_STATE.paused, CAMPAIGN_STATE.awaitingPromotion],
    to: CAMPAIGN_STATE.aborting,
  },
  [CAMPAIGN_ACTION.rollback]: {
    from: [CAMPAIGN_STATE.succeeded, CAMPAIGN_STATE.failed, CAMPAIGN_STATE.aborted],
    to: CAMPAIGN_STATE.rollingBack,
  },
};

/** Reasons the engine records, as named constants (audit rows, views, events). */
export const REASON = {
  awaitingPromotion: 'canary wave done: waiting for promote',
  canaryFailed: 'the canary failed',
  overBudget: 'failed servers over --max-failures',
  progressDeadline: 'progress deadline passed',
  allWavesDone: 'every wave done',
  abortDone: 'aborted: switched servers rolled back, the others skipped',
  rollbackDone: 'every switched server returned to its prior release',
  rollbackIncomplete: 'some servers could not be rolled back',
  notSwitched: 'the campaign ended before this server was switched',
  alreadyOnFrom: 'already on its prior release: nothing to roll back',
  offline: 'server offline',
  removedServer: 'server removed from the inventory',
  waitingOffline: 'waiting for the server to come back online',
  offlineSkipped: 'server offline past --offline-wait: skipped (--offline skip)',
  offlineFailed: 'server offline past --offline-wait (--offline fail)',
  offlineCanary: 'canary server offline past --offline-wait: a canary is never skipped',
  healthyDeadline: 'not healthy for the min healthy time within the healthy deadline',
} as const;

/** How the reason of a campaign's first state begins (`started: 6.5.5`): webhooks tell a start from a resume by it. */
export const STARTED_REASON_PREFIX = 'started: ';

export function actionRequest(action: CampaignAction, actor: string): string {
  return `${action} requested by ${actor}`;
}
