import { describeError } from '@wofleet/shared';
import { sitePaths } from '../config/paths.js';
import type { AgentConfig } from '../config/schema.js';
import type { Engine } from '../engine.js';
import { markLog, readSince } from '../runtime/log-growth.js';
import { isProbeTimeout, type HttpAnswer } from '../runtime/probe.js';
import { newProofNonce, proofRequest, type ProofRequest } from '../runtime/proof-request.js';
import { summarisePhpLog } from './php-log.js';
import type { ProofMarker } from './proof-marker.js';
import { explainFromLog, judgeLog, judgePage, type ProofExpectation, type ProofFailure } from './proof-verdict.js';

export type { ProofExpectation } from './proof-verdict.js';

/** The serving proof of one site (agent.proto SiteProof). */
export interface SiteProof {
  site: string;
  ok: boolean;
  /** The release and DB schema the rendering worker ran on (empty / 0 when no page told). */
  release: string;
  dbVersion: number;
  /** Request to last byte, summed over the checked paths. */
  renderMs: number;
  culprit?: string;
  /** One line, prefixed with the site; unset when ok. */
  error?: string;
}

/** The front page, then the paths configured for the site (else the `default` ones), each once. */
export function proofPaths(config: AgentConfig, domain: string): string[] {
  const listed = config.proof.paths[domain] ?? config.proof.paths.default ?? [];
  return [...new Set(['/', ...listed])];
}

/**
 * The serving proof (issue 12): a site is healthy on a release only when each checked
 * path renders through nginx, with the theme and every active plugin loaded, on that
 * release and DB schema, without a PHP fatal or more than `proof.maxWarnings` warnings
 * in the page or in the site's error log. Stops at the first failing path.
 */
export async function proveSite(engine: Engine, domain: string, expected: ProofExpectation): Promise<SiteProof> {
  const { proof } = engine.config;
  const errorLog = sitePaths(engine.config, domain).errorLog;
  const logFrom = await markLog(errorLog);
  const token = await engine.probe.token();
  let renderMs = 0;
  let last: ProofMarker | undefined;
  let failure: ProofFailure | undefined;
  for (const path of proofPaths(engine.config, domain)) {
    try {
      const { request, answer } = await requestProof(engine, domain, path, token);
      renderMs += answer.ms;
      const verdict = judgePage(
        { path, status: answer.status, body: answer.body, nonce: request.nonce },
        { frontPage: path === '/', expected, maxWarnings: proof.maxWarnings },
      );
      last = verdict.marker ?? last;
      failure = verdict.failure;
    } catch (err) {
      failure = { error: `${path}: ${describeError(err).replace(`${domain}: `, '')}` };
    }
    if (failure) break;
  }
  const logged = summarisePhpLog(await readSince(errorLog, logFrom, proof.maxLogBytes));
  failure = failure ? explainFromLog(failure, logged) : judgeLog(logged, proof.maxWarnings);
  return {
    site: domain,
    ok: failure === undefined,
    release: last?.release ?? '',
    dbVersion: last?.db_version ?? 0,
    renderMs,
    ...(failure?.culprit ? { culprit: failure.culprit } : {}),
    ...(failure ? { error: `${domain}: ${failure.error}` } : {}),
  };
}

/**
 * A proof request that got no answer in time is asked once more (a new nonce): a moment's
 * overload is not a broken site, and a page that hangs hangs twice. Seen: a rollback under
 * load reverted because one front page took over the probe's 10 s once. Any answer, good
 * or bad, is final.
 */
export const PROOF_ATTEMPTS = 2;

async function requestProof(
  engine: Engine,
  domain: string,
  path: string,
  token: string,
): Promise<{ request: ProofRequest; answer: HttpAnswer }> {
  for (let attempt = 1; ; attempt++) {
    const request = proofRequest(path, newProofNonce(), token);
    try {
      const answer = await engine.probe.get(domain, request.path, {
        headers: request.headers,
        maxBodyBytes: engine.config.proof.maxBodyBytes,
      });
      return { request, answer };
    } catch (err) {
      if (attempt >= PROOF_ATTEMPTS || !isProbeTimeout(err)) throw err;
      engine.log.warn({ site: domain, path, err: describeError(err) }, 'serving proof got no answer in time: asking once more');
    }
  }
}

/** Proofs of many sites, at most `proof.parallel` at once (each renders full pages on PHP-FPM). */
export async function proveSites(engine: Engine, sites: readonly { domain: string; expected: ProofExpectation }[]): Promise<SiteProof[]> {
  const results: SiteProof[] = new Array(sites.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < sites.length; i = next++) {
      const site = sites[i] as { domain: string; expected: ProofExpectation };
      results[i] = await proveSite(engine, site.domain, site.expected);
    }
  };
  await Promise.all(Array.from({ length: Math.min(engine.config.proof.parallel, sites.length) }, worker));
  return results;
}
