import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import type { Logger } from '@wofleet/shared';
import { createScrapeReads, serveMetrics, type MetricsEndpoint } from '@wofleet/shared/metrics';
import type { Layout } from '../config/paths.js';
import type { StepDoneListener } from '../engine.js';
import type { OperationRecord } from '../operations/index.js';
import { releaseDiskReader } from './release-disk.js';
import { registerScrapeGauges, type AgentScrapeSources } from './scrape-gauges.js';
import { switchTiming } from './switch-timing.js';

/** What serve() reads the gauges from: the daemon's parts, once they run. */
export interface AgentMetricSources extends Omit<AgentScrapeSources, 'releaseDisk'> {
  serverId: string;
  version: string;
  layout: Layout;
}

/**
 * The agent's metrics (docs/METRICS.md lists them), in two steps because the daemon's
 * parts need the hooks before they exist themselves: create gives the hooks the engine
 * and the operation registry report to; serve() adds the gauges read at scrape time
 * from the running parts and serves /metrics.
 */
export interface AgentMetrics {
  registry: Registry;
  /** For OperationRegistry.open: each operation that ended. */
  operationFinished(record: OperationRecord): void;
  /** For the engine: each completed step of update and rollback. */
  stepDone: StepDoneListener;
  /** Serves /metrics on the listen address given to create. */
  serve(sources: AgentMetricSources): Promise<MetricsEndpoint>;
}

/** `OPERATION_KIND_STAGE_RELEASE` -> `stage_release` (the wire's enum name without its prefix). */
function kindLabel(kind: string): string {
  return kind.replace(/^OPERATION_KIND_/, '').toLowerCase();
}

/** `listen`: the config's metrics.listen (HOST:PORT). */
export function createAgentMetrics(listen: string, log: Logger): AgentMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const operations = new Counter({
    name: 'wofleet_agent_operations_total',
    help: 'Operations (mutating calls: stage, activate, rollback, site changes, ...) that ended, by kind and result (succeeded, failed, interrupted).',
    labelNames: ['kind', 'result'],
    registers: [registry],
  });
  return {
    registry,
    operationFinished: (record) => operations.inc({ kind: kindLabel(record.kind), result: record.state.toLowerCase() }),
    stepDone: switchTiming(registry),
    serve({ serverId, version, layout, ...sources }) {
      new Gauge({
        name: 'wofleet_agent_info',
        help: 'Always 1: the version of this agent and its server name.',
        labelNames: ['version', 'server'],
        registers: [registry],
      }).set({ version, server: serverId }, 1);
      const reads = createScrapeReads(registry, { prefix: 'wofleet_agent', log });
      registerScrapeGauges(registry, reads, { ...sources, releaseDisk: releaseDiskReader(layout) });
      return serveMetrics(listen, registry, log);
    },
  };
}
