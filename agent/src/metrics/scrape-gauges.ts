import { Gauge, type Registry } from 'prom-client';
import { showReading, type ScrapeReads } from '@wofleet/shared/metrics';
import type { Level } from '../commands/health.js';
import type { ReleaseDisk } from './release-disk.js';

/** What the agent's gauges read when Prometheus scrapes. */
export interface AgentScrapeSources {
  /** Events waiting in the outbox for NATS (a directory listing). */
  outboxDepth(): Promise<number>;
  /** The server's level from the health monitor's last check; undefined before the first. */
  healthLevel(): Level | undefined;
  /** Each site's level from that check. */
  siteLevels(): Record<string, Level>;
  /** Operations running now. */
  runningOperations(): number;
  releaseDisk(): Promise<ReleaseDisk>;
}

/** Levels as numbers, so alerts can compare (`> 0`: not healthy). */
export const LEVEL_VALUE: Record<Level, number> = { ok: 0, degraded: 1, unhealthy: 2 };

export function registerScrapeGauges(registry: Registry, reads: ScrapeReads, sources: AgentScrapeSources): void {
  new Gauge({
    name: 'wofleet_agent_outbox_events',
    help: 'Events waiting in the outbox until NATS acknowledges them.',
    registers: [registry],
    async collect() {
      showReading(this, await reads.within('outbox', sources.outboxDepth));
    },
  });
  new Gauge({
    name: 'wofleet_agent_operations_running',
    help: 'Operations (mutating calls) running now.',
    registers: [registry],
    collect() {
      this.set(sources.runningOperations());
    },
  });
  new Gauge({
    name: 'wofleet_agent_health_level',
    help: "The server's level from the last periodic health check: 0 ok, 1 degraded, 2 unhealthy (no series before the first check).",
    registers: [registry],
    collect() {
      const level = sources.healthLevel();
      showReading(this, level === undefined ? undefined : LEVEL_VALUE[level]);
    },
  });
  new Gauge({
    name: 'wofleet_agent_site_health_level',
    help: "Each shared-core site's level from the last periodic health check: 0 ok, 1 degraded, 2 unhealthy.",
    labelNames: ['site'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [site, level] of Object.entries(sources.siteLevels())) this.set({ site }, LEVEL_VALUE[level]);
    },
  });
  new Gauge({
    name: 'wofleet_agent_sites_by_health',
    help: 'Shared-core sites by level in the last periodic health check.',
    labelNames: ['level'],
    registers: [registry],
    collect() {
      const counts: Record<Level, number> = { ok: 0, degraded: 0, unhealthy: 0 };
      for (const level of Object.values(sources.siteLevels())) counts[level]++;
      for (const [level, n] of Object.entries(counts)) this.set({ level }, n);
    },
  });
  const releaseDisk = () => reads.within('releases', sources.releaseDisk);
  new Gauge({
    name: 'wofleet_agent_releases',
    help: 'WordPress core releases on disk.',
    registers: [registry],
    async collect() {
      showReading(this, (await releaseDisk())?.releases);
    },
  });
  new Gauge({
    name: 'wofleet_agent_releases_disk_bytes',
    help: 'Bytes the releases take on disk (allocated; a file hard-linked between releases counted once).',
    registers: [registry],
    async collect() {
      showReading(this, (await releaseDisk())?.bytes);
    },
  });
}
