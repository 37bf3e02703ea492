import type { ServerInterceptor } from '@grpc/grpc-js';
import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import { WOFLEET_VERSION, type Logger } from '@wofleet/shared';
import { createScrapeReads } from '@wofleet/shared/metrics';
import type { Database } from '../db/index.js';
import type { EventBacklog, PresenceObserver } from '../presence/index.js';
import { registerFleetGauges } from './fleet-gauges.js';
import { registerPresenceMetrics } from './presence-metrics.js';
import { rpcMetricsInterceptor } from './rpc-metrics.js';

export interface ControllerMetricsOptions {
  db: Database;
  /** This controller's certificate name. */
  controller: string;
  /** This process's lease holder id (`<name>/<instance id>`). */
  holder: string;
  /** The events consumer's backlog (presence's, once it runs). */
  eventBacklog: () => Promise<EventBacklog>;
  log: Logger;
}

/** The controller's metrics: the registry /metrics serves, and the hooks that feed it. */
export interface ControllerMetrics {
  registry: Registry;
  /** For startPresence: heartbeat and event lags. */
  presence: PresenceObserver;
  /** For the gRPC server: every call's duration and status. */
  rpc: ServerInterceptor;
}

/**
 * Builds every controller metric (docs/METRICS.md lists them): the fleet's states read
 * from the database at scrape time, presence lags, RPC durations, the campaign leases
 * held, plus Node's process metrics.
 */
export function createControllerMetrics(options: ControllerMetricsOptions): ControllerMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const reads = createScrapeReads(registry, { prefix: 'wofleet_controller', log: options.log });
  new Gauge({
    name: 'wofleet_controller_info',
    help: 'Always 1: the version of this controller, its name and its lease holder id.',
    labelNames: ['version', 'controller', 'holder'],
    registers: [registry],
  }).set({ version: WOFLEET_VERSION, controller: options.controller, holder: options.holder }, 1);
  registerFleetGauges(registry, reads, options.db, options.holder);
  return {
    registry,
    presence: registerPresenceMetrics(registry, reads, options.eventBacklog),
    rpc: rpcMetricsInterceptor(registry),
  };
}
