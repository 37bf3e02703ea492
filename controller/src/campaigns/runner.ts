import type { Logger } from '@wofleet/shared';
import type { AgentApi, AgentTarget } from '../agents/client.js';
import type { Clock } from '../commands/context.js';
import type { Database } from '../db/index.js';
import type { CampaignEvent } from './model.js';

export interface CampaignRunnerOptions {
  db: Database;
  /** Opens a client to one agent (connectAgent with the controller's TLS, in production). */
  connectAgent: (target: AgentTarget) => AgentApi;
  log: Logger;
  clock: Clock;
  /** Sends a committed transition to NATS `campaignEventSubject(id)`; failures are logged, never retried. */
  publish: (event: CampaignEvent) => void | Promise<void>;
  /** This controller process, as recorded in the lease (unique among controllers). */
  holderId: string;
  /** How often each campaign is looked at (default 1s). */
  pollMs?: number;
  /** How long a lease lasts without renewal (default 15s). */
  leaseMs?: number;
}

export interface CampaignRunner {
  /** Stops driving: running agent calls are left to finish on the agents, leases are given up. */
  stop(): Promise<void>;
}

export function startCampaignRunner(options: CampaignRunnerOptions): CampaignRunner {
  throw new Error(`campaign runner not implemented yet (${options.holderId})`);
}
