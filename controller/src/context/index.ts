import type { FleetCa, Logger } from '@wofleet/shared';
import type { Database } from '../db/index.js';
import type { Clock } from './clock.js';

export { agentActor, operatorActor, type Actor } from './actor.js';
export { systemClock, type Clock } from './clock.js';
export { clockWithTestOffset } from './clock-offset.js';

/** What every controller operation runs with: its ports, passed in, never imported. */
export interface ControllerContext {
  db: Database;
  /**
   * The fleet CA (certificate and key): signs agents' CSRs at enrollment and renewal.
   * Undefined on a controller whose data dir has no ca.key (`ca issue-controller`).
   */
  ca: FleetCa | undefined;
  clock: Clock;
  log: Logger;
}
