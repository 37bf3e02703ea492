import { CommandFailedError, runCommand, type CommandRunner } from '@wofleet/shared';
import type { CommandCheck, GateCheckTarget } from '../campaigns/index.js';
import { siteUrl } from './http-check.js';

/**
 * `--check-command` for one server: the operator's program runs on the controller host
 * (argv, no shell) with the campaign, the release, the server and its sites as JSON on
 * stdin. Exit 0 passes; otherwise the reason carries the exit code (or the timeout)
 * and the last line the program wrote to stderr, else stdout.
 */

/** What the program reads on stdin. */
export interface CommandCheckInput {
  campaign: string;
  release: string;
  server: { name: string; address: string; labels: Record<string, string> };
  sites: Array<{ domain: string; url: string }>;
}

export function commandCheckInput(target: GateCheckTarget): CommandCheckInput {
  return {
    campaign: target.campaignId,
    release: target.release,
    server: { name: target.server.name, address: target.server.address, labels: { ...target.server.labels } },
    sites: target.sites.map((site) => ({ domain: site.domain, url: siteUrl(site) })),
  };
}

/** Undefined when the program exits 0, else why not (one line). */
export async function runCommandCheck(
  check: CommandCheck,
  target: GateCheckTarget,
  signal: AbortSignal,
  run: CommandRunner = runCommand,
): Promise<string | undefined> {
  const [program, ...args] = check.argv;
  if (program === undefined) return 'empty command';
  try {
    await run(program, args, { input: JSON.stringify(commandCheckInput(target)), timeoutMs: check.timeoutMs, signal });
    return undefined;
  } catch (err) {
    if (signal.aborted || !(err instanceof CommandFailedError)) throw err;
    return err.message;
  }
}
