import type { FleetCa, Logger } from '@wofleet/shared';
import type { Database } from '../db/index.js';

/** The time source; injected so tests move it instead of sleeping. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** What every controller command runs with: its ports, passed in, never imported. */
export interface ControllerContext {
  db: Database;
  /** The fleet CA (certificate and key): signs agents' CSRs at enrollment. */
  ca: FleetCa;
  clock: Clock;
  log: Logger;
}

/** Who asked, as recorded in audit events: `operator:<name>`, `agent:<server>`. */
export type Actor = string;

export function operatorActor(name: string): Actor {
  return `operator:${name}`;
}

export function agentActor(server: string): Actor {
  return `agent:${server}`;
}
