import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HealthCheckError } from '@wofleet/shared';
import { createSiteProbe, type SiteProbe } from '../src/runtime/probe.js';
import { type EndlessSite, peakRssGrowth, startEndlessSite } from '../../tests/support/hostile-site.js';

const MiB = 1024 * 1024;
let site: EndlessSite;
let probe: SiteProbe;

beforeAll(async () => {
  site = await startEndlessSite();
  probe = createSiteProbe(site.address, async () => 'token', 10_000);
});

afterAll(async () => {
  await site.close();
});

describe('the probe against a site streaming an endless body', () => {
  it('fails the health report at 1 MiB, hanging up at once and with bounded memory', async () => {
    const { result, growthBytes } = await peakRssGrowth(() => probe.report('hostile.test'));
    expect(result.status === 'rejected' && result.reason).toBeInstanceOf(HealthCheckError);
    expect(result.status === 'rejected' && (result.reason as Error).message).toBe(`hostile.test: answer larger than ${MiB} bytes`);
    await site.allClosed();
    expect(site.bytesSent()).toBeLessThan(16 * MiB);
    expect(growthBytes).toBeLessThan(64 * MiB);
  });

  it('fails a proof page at its maxBodyBytes', async () => {
    const attempt = probe.get('hostile.test', '/', { maxBodyBytes: 2 * MiB });
    await expect(attempt).rejects.toThrow(`hostile.test: answer larger than ${2 * MiB} bytes`);
    await site.allClosed();
    expect(site.bytesSent()).toBeLessThan(32 * MiB);
  });
});
