import { Gauge, Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../src/index.js';
import { createScrapeReads, serveMetrics, showReading, type MetricsEndpoint } from '../src/metrics/index.js';

describe('serveMetrics and scrape-time reads', () => {
  const endpoints: MetricsEndpoint[] = [];
  afterEach(async () => {
    for (const endpoint of endpoints.splice(0)) await endpoint.stop();
  });

  /** A registry with one gauge read at scrape time by `read`, served on a free loopback port. */
  async function served(read: () => Promise<number>, timeoutMs: number): Promise<string> {
    const registry = new Registry();
    const reads = createScrapeReads(registry, { prefix: 'test', log: silentLogger(), timeoutMs });
    new Gauge({
      name: 'test_value',
      help: 'a value read at scrape time',
      registers: [registry],
      async collect() {
        showReading(this, await reads.within('value', read));
      },
    });
    const endpoint = await serveMetrics('127.0.0.1:0', registry, silentLogger());
    endpoints.push(endpoint);
    return `http://127.0.0.1:${endpoint.port}`;
  }

  it('serves the registry on GET /metrics in Prometheus text, the value read when scraped', async () => {
    let calls = 0;
    const base = await served(async () => ++calls, 1_000);
    expect(calls).toBe(0);
    const res = await fetch(`${base}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(await res.text()).toMatch(/^test_value 1$/m);
    expect(await (await fetch(`${base}/metrics`)).text()).toMatch(/^test_value 2$/m);
  });

  it('answers 404 on any other path and 405 on other methods', async () => {
    const base = await served(async () => 1, 1_000);
    expect((await fetch(`${base}/`)).status).toBe(404);
    expect((await fetch(`${base}/metrics`, { method: 'POST' })).status).toBe(405);
  });

  it('a read slower than its bound is given up: the scrape answers in time without the series, and counts the failure', async () => {
    const base = await served(() => new Promise<number>(() => {}), 200);
    const started = Date.now();
    const text = await (await fetch(`${base}/metrics`)).text();
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(text).not.toMatch(/^test_value /m);
    expect(text).toMatch(/^test_metrics_read_failures_total\{source="value"\} 1$/m);
  });

  it('a failing read is counted the same way, and the next scrape reads again', async () => {
    let fail = true;
    const base = await served(async () => {
      if (fail) throw new Error('database down');
      return 7;
    }, 1_000);
    expect(await (await fetch(`${base}/metrics`)).text()).toMatch(/^test_metrics_read_failures_total\{source="value"\} 1$/m);
    fail = false;
    expect(await (await fetch(`${base}/metrics`)).text()).toMatch(/^test_value 7$/m);
  });

  it('refuses an address it cannot bind with one line naming it', async () => {
    const base = await served(async () => 1, 1_000);
    const taken = `127.0.0.1:${new URL(base).port}`;
    await expect(serveMetrics(taken, new Registry(), silentLogger())).rejects.toThrow(`cannot serve metrics on ${taken}`);
  });
});
