/**
 * `@wofleet/shared/metrics`: a subpath, so that importing @wofleet/shared does not load prom-client.
 * The agent and the controller each build their own registry; this is what both need around it.
 */
export { serveMetrics, METRICS_PATH, type MetricsEndpoint } from './serve.js';
export { createScrapeReads, showReading, DEFAULT_SCRAPE_READ_TIMEOUT_MS, type ScrapeReads } from './scrape-reads.js';
