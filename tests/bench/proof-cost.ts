import { performance } from 'node:perf_hooks';
import { proveSite, proveSites } from '@wofleet/agent';
import { engineFor, initSites } from '../support/agent.js';
import { startStack } from '../support/stack.js';
import { progress } from './report.js';

export interface ProofCost {
  sites: number;
  rounds: number;
  /** One full serving proof of one site (front page through nginx + error log), sequential. */
  proofMs: { median: number; p99: number };
  /** The cheap health report of one site (answered before plugins and theme load). */
  reportMs: { median: number; p99: number };
  /** What a proof adds per site over the cheap report: median proof - median report. */
  addedMedianMs: number;
  /** verify-serving's proofs of every site, `parallel` at once (the agent's default bound). */
  allSitesMs: { median: number; parallel: number };
}

function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] as number;
}
const stats = (samples: number[]) => {
  const sorted = [...samples].sort((a, b) => a - b);
  return { median: Math.round(quantile(sorted, 0.5) * 10) / 10, p99: Math.round(quantile(sorted, 0.99) * 10) / 10 };
};

/** On a fresh stack with `count` shared-core sites on 6.4.5 (no load), times proofs and cheap reports, `rounds` times each site. */
export async function measureProofCost(count: number, rounds: number, fpmChildren: number): Promise<ProofCost> {
  const stack = await startStack({ fpmChildren });
  try {
    const sites = Array.from({ length: count }, (_, i) => `p${String(i + 1).padStart(2, '0')}.test`);
    progress(`proof cost: creating ${count} sites`);
    await initSites(stack, sites);
    const engine = engineFor(stack);
    const expected = { wpVersion: '6.4.5' };
    // One untimed pass: the first request of each site fills opcache and WordPress' own caches.
    await proveSites(
      engine,
      sites.map((domain) => ({ domain, expected })),
    );
    const proofMs: number[] = [];
    const reportMs: number[] = [];
    const allMs: number[] = [];
    for (let round = 0; round < rounds; round++) {
      progress(`proof cost: round ${round + 1}/${rounds}`);
      for (const site of sites) {
        let t = performance.now();
        const proof = await proveSite(engine, site, expected);
        proofMs.push(performance.now() - t);
        if (!proof.ok) throw new Error(`proof of ${site} failed: ${proof.error}`);
        t = performance.now();
        await engine.probe.report(site);
        reportMs.push(performance.now() - t);
      }
      const t = performance.now();
      await proveSites(
        engine,
        sites.map((domain) => ({ domain, expected })),
      );
      allMs.push(performance.now() - t);
    }
    const proof = stats(proofMs);
    const report = stats(reportMs);
    return {
      sites: count,
      rounds,
      proofMs: proof,
      reportMs: report,
      addedMedianMs: Math.round((proof.median - report.median) * 10) / 10,
      allSitesMs: { median: stats(allMs).median, parallel: engine.config.proof.parallel },
    };
  } finally {
    await stack.stop();
  }
}
