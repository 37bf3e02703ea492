import type { GateChecks } from './model.js';

/**
 * The external gate as the engine sees it: a port, injected into the runner like the
 * agent client (gate-checks/ implements it: HTTP requests and operator programs), so
 * the steps stay free of that I/O and the engine tests can script it.
 */
export interface GateCheckRunner {
  /** Runs every check against one switched server: the first failure as one line, undefined when all pass. */
  run(checks: GateChecks, target: GateCheckTarget, signal: AbortSignal): Promise<string | undefined>;
}

/** What the checks are run against: the campaign, its release, the server and its sites as the inventory has them. */
export interface GateCheckTarget {
  campaignId: string;
  /** The WordPress version the server was switched to. */
  release: string;
  server: { name: string; address: string; labels: Readonly<Record<string, string>> };
  sites: ReadonlyArray<{ domain: string; ssl: boolean }>;
}

export function hasGateChecks(checks: GateChecks): boolean {
  return checks.http.length > 0 || checks.commands.length > 0;
}
