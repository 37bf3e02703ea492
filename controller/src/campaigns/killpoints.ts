/**
 * Crash-injection points of the campaign engine, for the controller crash test. When
 * WOFLEET_CONTROLLER_KILL_AT names this point, the controller kills itself with
 * SIGKILL right here (as a power cut would), once the state before it is committed.
 * Unset in production: one environment lookup per point.
 */
export const KILL_POINT = {
  afterStagingRecorded: 'campaign:after-staging-recorded',
  afterStagedRecorded: 'campaign:after-staged-recorded',
  afterWaveStarted: 'campaign:after-wave-started',
  beforeActivate: 'campaign:before-activate',
  afterActivateAccepted: 'campaign:after-activate-accepted',
  afterVerifyingRecorded: 'campaign:after-verifying-recorded',
  duringVerifying: 'campaign:during-verifying',
  afterSucceededRecorded: 'campaign:after-succeeded-recorded',
  afterWaveDone: 'campaign:after-wave-done',
  beforeRollback: 'campaign:before-rollback',
  afterRollbackAccepted: 'campaign:after-rollback-accepted',
} as const;
export type KillPoint = (typeof KILL_POINT)[keyof typeof KILL_POINT];

export function killPoint(name: KillPoint): void {
  if (process.env.WOFLEET_CONTROLLER_KILL_AT === name) process.kill(process.pid, 'SIGKILL');
}
