import { Counter, type Gauge, type Registry } from 'prom-client';
import type { Logger } from '../logger.js';

/**
 * Values that need a database, NATS or disk read are read when Prometheus scrapes
 * (in a metric's collect()), never on a timer: an unscraped process does no work for
 * its metrics. Each read is bounded: one slower than `timeoutMs` (a database that
 * stopped answering) or failing is given up on, so the scrape still answers with
 * everything else; the metric it fed is left without series (stale figures presented
 * as fresh would be worse), and `<prefix>_metrics_read_failures_total{source}` counts it.
 */
export interface ScrapeReads {
  /** `read()`'s value, or undefined when it failed or took longer than the bound (logged, counted). */
  within<T>(source: string, read: () => Promise<T>): Promise<T | undefined>;
}

/** Long enough for a busy database, well under Prometheus' default scrape timeout (10 s). */
export const DEFAULT_SCRAPE_READ_TIMEOUT_MS = 3_000;

export function createScrapeReads(registry: Registry, options: { prefix: string; log: Logger; timeoutMs?: number }): ScrapeReads {
  const timeoutMs = options.timeoutMs ?? DEFAULT_SCRAPE_READ_TIMEOUT_MS;
  const inFlight = new Set<Promise<unknown>>();
  const failures = new Counter({
    name: `${options.prefix}_metrics_read_failures_total`,
    help: 'Scrape-time reads (database, NATS, disk) that failed or took longer than their bound; the metric they feed had no series in that scrape.',
    labelNames: ['source'],
    registers: [registry],
    // Rendered with the gauges whose reads it counts: once every collect() has started (the
    // registry starts them all, in order, before awaiting any), wait for their reads to end.
    async collect() {
      await new Promise<void>((resolve) => setImmediate(resolve));
      await Promise.allSettled([...inFlight]);
    },
  });
  const bounded = async <T>(source: string, read: () => Promise<T>): Promise<T | undefined> => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`took longer than ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      return await Promise.race([read(), timeout]);
    } catch (err) {
      failures.inc({ source });
      options.log.warn({ err, source }, 'metrics read failed');
      return undefined;
    } finally {
      clearTimeout(timer);
    }
  };
  return {
    within(source, read) {
      const reading = bounded(source, read);
      inFlight.add(reading);
      void reading.finally(() => inFlight.delete(reading));
      return reading;
    },
  };
}

/** An unlabeled gauge's value from a scrape-time read: no series when the read gave none (reset() would show 0). */
export function showReading(gauge: Gauge, value: number | undefined): void {
  if (value === undefined) gauge.remove();
  else gauge.set(value);
}
