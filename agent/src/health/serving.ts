import { describeError, HealthCheckError } from '@wofleet/shared';
import type { Engine } from '../engine.js';
import { type ProofExpectation, proveSites, type SiteProof } from './proof.js';

/**
 * A switch is complete only when every site SERVES the expected core (DESIGN §5.2) and
 * renders on it (issue 12): poll each site's cheap health report until it names the
 * expected core and DB schema, within the switch timeout, then require one passing
 * serving proof per site (health/proof.ts, a bounded number at once). A failed proof
 * is not retried: a plugin that fatals on the new core fails the same way every time
 * (only a request that got no answer in time is asked once more, in proof.ts).
 */
export async function waitUntilServing(engine: Engine, domains: readonly string[], expected: ProofExpectation): Promise<SiteProof[]> {
  await waitForReports(engine, domains, expected);
  const proofs = await proveSites(
    engine,
    domains.map((domain) => ({ domain, expected })),
  );
  const failed = proofs.filter((p) => !p.ok);
  if (failed.length > 0) {
    const head = failed.length === 1 ? '' : `${failed.length} of ${domains.length} site(s) failed the serving proof: `;
    throw new HealthCheckError(`${head}${failed.map((p) => p.error).join('; ')}`);
  }
  return proofs;
}

async function waitForReports(engine: Engine, domains: readonly string[], expected: ProofExpectation): Promise<void> {
  const deadline = Date.now() + engine.config.probe.switchTimeoutMs;
  const lastProblem = new Map<string, string>();
  let pending = [...domains];
  for (;;) {
    const results = await Promise.all(
      pending.map(async (domain) => {
        try {
          const report = await engine.probe.report(domain);
          if (report.wp_version !== expected.wpVersion) {
            return { domain, problem: `serves WordPress ${report.wp_version}, expected ${expected.wpVersion}` };
          }
          if (expected.dbVersion !== undefined && report.db_version !== expected.dbVersion) {
            return { domain, problem: `db_version ${report.db_version}, expected ${expected.dbVersion}` };
          }
          return { domain, problem: undefined };
        } catch (err) {
          return { domain, problem: describeError(err) };
        }
      }),
    );
    pending = [];
    for (const r of results) {
      if (r.problem !== undefined) {
        pending.push(r.domain);
        lastProblem.set(r.domain, r.problem);
      }
    }
    if (pending.length === 0) return;
    if (Date.now() >= deadline) {
      const detail = pending.map((d) => `${d}: ${lastProblem.get(d)}`).join('; ');
      throw new HealthCheckError(
        `${pending.length} of ${domains.length} site(s) not serving WordPress ${expected.wpVersion} after ${engine.config.probe.switchTimeoutMs} ms: ${detail}`,
      );
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
