import type { Logger } from '@wofleet/shared';
import type { AgentApi, AgentTarget } from '../agents/client.js';
import type { Clock } from '../context/clock.js';
import type { GateCheckRunner } from './gate-checks.js';
import type { CampaignEvent } from './model.js';
import type { CampaignRepository } from './repository.js';

export interface CampaignRunnerOptions {
  repository: CampaignRepository;
  /** Opens a client to one agent (connectAgent with the controller's TLS, in production). */
  connectAgent: (target: AgentTarget) => AgentApi;
  /** Runs a campaign's external checks during the verify hold (createGateCheckRunner, in production). */
  gateChecks: GateCheckRunner;
  log: Logger;
  /** Every wait of the engine (polls, pauses, retries) goes through it. */
  clock: Clock;
  /** Sends a committed transition to NATS `campaignEventSubject(id)`; failures are logged, never retried. */
  publish: (event: CampaignEvent) => void | Promise<void>;
  /**
   * This controller process, as recorded in the lease: its certificate's name plus an
   * instance id made at start, so two processes never share one (not even with a copied
   * data dir) and neither takes the other's live lease.
   */
  holderId: string;
  /** How often each campaign is looked at (default 1s). */
  pollMs?: number;
  /** How long a lease lasts without renewal (default 15s; several polls). */
  leaseMs?: number;
}

export const DEFAULT_RUNNER_POLL_MS = 1_000;
export const DEFAULT_LEASE_MS = 15_000;

/** What one campaign's driver runs with: the runner's options with their defaults, and the runner's stop signal. */
export interface DriverDeps extends Omit<CampaignRunnerOptions, 'pollMs' | 'leaseMs'> {
  pollMs: number;
  leaseMs: number;
  signal: AbortSignal;
}
