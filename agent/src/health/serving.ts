import { describeError, HealthCheckError } from '@wofleet/shared';
import type { Engine } from '../engine.js';
import type { SiteReport } from '../runtime/probe.js';

export interface ServingExpectation {
  wpVersion: string;
  /** When set, the site's DB must be at this schema too. */
  dbVersion?: number;
}

/**
 * A switch is complete only when every site SERVES the expected core (DESIGN
 * §5.2): poll each site's health report until it matches or the switch timeout
 * passes, then name every site that did not get there.
 */
export async function waitUntilServing(
  engine: Engine,
  domains: readonly string[],
  expected: ServingExpectation,
): Promise<Map<string, SiteReport>> {
  const deadline = Date.now() + engine.config.probe.switchTimeoutMs;
  const reports = new Map<string, SiteReport>();
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
          reports.set(domain, report);
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
    if (pending.length === 0) return reports;
    if (Date.now() >= deadline) {
      const detail = pending.map((d) => `${d}: ${lastProblem.get(d)}`).join('; ');
      throw new HealthCheckError(
        `${pending.length} of ${domains.length} site(s) not serving WordPress ${expected.wpVersion} after ${engine.config.probe.switchTimeoutMs} ms: ${detail}`,
      );
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
