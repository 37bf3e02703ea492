import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { HealthCheckError, silentLogger } from '@wofleet/shared';
import { loadAgentConfig } from '../src/config/load.js';
import type { Engine } from '../src/engine.js';
import { PROOF_ATTEMPTS, proveSite } from '../src/health/proof.js';
import { PROOF_MARKER_OPEN } from '../src/health/proof-marker.js';
import { PROOF_NONCE_HEADER, ProbeTimeoutError, type GetOptions, type HttpAnswer, type SiteProbe } from '../src/runtime/probe.js';

/** What a site's worker renders for a proof request: its page, ended by the marker with the request's nonce. */
function renderedPage(nonce: string): string {
  const marker = {
    nonce,
    wp_version: '6.5.5',
    wp_db_version: 57155,
    db_version: 57155,
    release: '6.5.5-abc',
    theme: 'twentytwentyfour',
    plugins: [],
    footer: true,
    warnings: 0,
    first_warning: null,
    ms: 12,
  };
  return `<html><body>shop</body></html>${PROOF_MARKER_OPEN}${JSON.stringify(marker)} -->`;
}

/** A probe that answers each request with the next of `answers`: a page, or no answer in time. */
function scriptedProbe(answers: ('page' | 'timeout' | 'refused')[]): { probe: SiteProbe; asked: () => number } {
  let asked = 0;
  const probe: SiteProbe = {
    token: async () => 'token',
    async get(domain: string, _path: string, options?: GetOptions): Promise<HttpAnswer> {
      const next = answers[asked++] ?? 'page';
      if (next === 'timeout') {
        throw new HealthCheckError(`${domain}: no complete answer within 10000 ms`, {
          cause: new ProbeTimeoutError('no complete answer within 10000 ms'),
        });
      }
      if (next === 'refused') throw new HealthCheckError(`${domain}: connect ECONNREFUSED`, { cause: new Error('connect ECONNREFUSED') });
      return { status: 200, body: renderedPage(options?.headers?.[PROOF_NONCE_HEADER] ?? ''), ms: 5 };
    },
    report: async () => {
      throw new Error('not asked by a proof');
    },
  };
  return { probe, asked: () => asked };
}

async function engineWith(probe: SiteProbe): Promise<Engine> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'wofleet-proof-'));
  await mkdir(path.join(root, 'shop.test', 'logs'), { recursive: true });
  await writeFile(path.join(root, 'shop.test', 'logs', 'error.log'), '');
  const configFile = path.join(root, 'agent.yaml');
  await writeFile(configFile, `sitesRoot: ${root}\n`);
  // Only what a proof touches: the config, the probe and a logger.
  return { config: await loadAgentConfig(configFile), probe, log: silentLogger() } as unknown as Engine;
}

const EXPECTED = { wpVersion: '6.5.5', dbVersion: 57155 };

describe('the serving proof', () => {
  it('asks once more when a page got no answer in time, and passes on the answer', async () => {
    const { probe, asked } = scriptedProbe(['timeout', 'page']);
    const proof = await proveSite(await engineWith(probe), 'shop.test', EXPECTED);
    expect(proof).toMatchObject({ site: 'shop.test', ok: true, release: '6.5.5-abc' });
    expect(asked()).toBe(2);
  });

  it(`fails once ${PROOF_ATTEMPTS} requests in a row got no answer in time`, async () => {
    const { probe, asked } = scriptedProbe(['timeout', 'timeout', 'page']);
    const proof = await proveSite(await engineWith(probe), 'shop.test', EXPECTED);
    expect(proof.ok).toBe(false);
    expect(proof.error).toBe('shop.test: /: no complete answer within 10000 ms');
    expect(asked()).toBe(PROOF_ATTEMPTS);
  });

  it('does not ask again after any other failure', async () => {
    const { probe, asked } = scriptedProbe(['refused', 'page']);
    const proof = await proveSite(await engineWith(probe), 'shop.test', EXPECTED);
    expect(proof).toMatchObject({ ok: false, error: 'shop.test: /: connect ECONNREFUSED' });
    expect(asked()).toBe(1);
  });
});
