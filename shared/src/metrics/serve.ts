import type { Server } from 'node:http';
import type { Registry } from 'prom-client';
import type { Logger } from '../logger.js';
import { WofleetError } from '../errors.js';

/** The HTTP endpoint Prometheus scrapes: GET /metrics, nothing else. */
export interface MetricsEndpoint {
  /** The port bound (the one chosen when the listen address said port 0). */
  port: number;
  stop(): Promise<void>;
}

export const METRICS_PATH = '/metrics';

/**
 * node:http without an ESM import, which on Node 22+ reads every export and so loads
 * undici and worker_threads for the WebSocket getters (~13 MiB of RSS, see runtime/probe.ts
 * in the agent): the agent serves its metrics from the packaged Node 24.
 */
const { createServer } = process.getBuiltinModule('node:http');

/** HOST:PORT as the configs hold it (validated there): host without IPv6 brackets, and the port. */
function splitListen(listen: string): { host: string; port: number } {
  const colon = listen.lastIndexOf(':');
  return { host: listen.slice(0, colon).replace(/^\[(.*)\]$/, '$1'), port: Number(listen.slice(colon + 1)) };
}

/**
 * Serves `registry` as Prometheus text on `listen` (HOST:PORT). Plain HTTP without
 * authentication, like every Prometheus exporter: listen where only the scraper reaches.
 * A scrape renders every metric's collect() at once; a failure is a 500, logged.
 */
export async function serveMetrics(listen: string, registry: Registry, log: Logger): Promise<MetricsEndpoint> {
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://metrics');
    if (url.pathname !== METRICS_PATH) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end(`not found: the metrics are at ${METRICS_PATH}\n`);
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('method not allowed\n');
      return;
    }
    registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(req.method === 'HEAD' ? undefined : text),
      (err: unknown) => {
        log.error({ err }, 'metrics scrape failed');
        res.writeHead(500, { 'content-type': 'text/plain' }).end('metrics scrape failed\n');
      },
    );
  });
  const { host, port } = splitListen(listen);
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) => reject(new WofleetError(`cannot serve metrics on ${listen}: ${err.message}`, { cause: err })));
    server.listen(port, host, () => resolve());
  });
  const address = server.address();
  const bound = typeof address === 'object' && address !== null ? address.port : port;
  log.info({ listen, port: bound, path: METRICS_PATH }, 'metrics serving');
  return {
    port: bound,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Keep-alive scrapers hold connections open; a stop must not wait for them.
        server.closeAllConnections();
      }),
  };
}
