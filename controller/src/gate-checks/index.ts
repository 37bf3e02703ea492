import type { GateCheckRunner } from '../campaigns/index.js';
import { runCommandCheck } from './command-check.js';
import { runHttpCheck } from './http-check.js';

/**
 * The campaign engine's GateCheckRunner on this host: every `--check-http` on every
 * site of the server (a few sites at a time), then every `--check-command`. The first
 * failure is the answer, with how many more sites failed the same check.
 */
const SITES_AT_ONCE = 8;

export function createGateCheckRunner(): GateCheckRunner {
  return {
    async run(checks, target, signal) {
      for (const check of checks.http) {
        const failures: string[] = [];
        for (let i = 0; i < target.sites.length; i += SITES_AT_ONCE) {
          const batch = target.sites.slice(i, i + SITES_AT_ONCE);
          const results = await Promise.all(batch.map((site) => runHttpCheck(check, site, target.server.address, signal)));
          failures.push(...results.filter((r): r is string => r !== undefined));
        }
        const [first] = failures;
        if (first !== undefined) return `--check-http ${first}${failures.length > 1 ? ` (and ${failures.length - 1} more sites)` : ''}`;
      }
      for (const check of checks.commands) {
        const failure = await runCommandCheck(check, target, signal);
        if (failure !== undefined) return `--check-command ${failure}`;
      }
      return undefined;
    },
  };
}

export { commandCheckInput, type CommandCheckInput } from './command-check.js';
