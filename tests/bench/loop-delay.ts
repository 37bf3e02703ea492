import { monitorEventLoopDelay } from 'node:perf_hooks';
import { round } from './proc.js';

/** How long callbacks waited for a busy event loop, in ms. */
export interface LoopDelay {
  p50: number;
  p99: number;
  max: number;
}

/**
 * A process's event loop delay from the text of its /metrics (prom-client's default
 * metrics: over the time since that process's previous scrape, which starts the
 * histogram again).
 */
export function loopDelayFromMetrics(text: string): LoopDelay {
  const ms = (name: string) => {
    const line = text.split('\n').find((l) => l.startsWith(`${name} `));
    return round(Number(line?.slice(line.lastIndexOf(' ') + 1) ?? Number.NaN) * 1000, 1);
  };
  return {
    p50: ms('nodejs_eventloop_lag_p50_seconds'),
    p99: ms('nodejs_eventloop_lag_p99_seconds'),
    max: ms('nodejs_eventloop_lag_max_seconds'),
  };
}

/** This process's own event loop delay from now until stop(). */
export function watchLoopDelay(): { stop(): LoopDelay } {
  const histogram = monitorEventLoopDelay({ resolution: 10 });
  histogram.enable();
  return {
    stop() {
      histogram.disable();
      const ms = (ns: number) => round(ns / 1e6, 1);
      return { p50: ms(histogram.percentile(50)), p99: ms(histogram.percentile(99)), max: ms(histogram.max) };
    },
  };
}

export const formatLoopDelay = (d: LoopDelay) => `${d.p50} / ${d.p99} / ${d.max} ms`;
