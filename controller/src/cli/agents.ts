import { access } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { formatBytes, UsageError } from '@wofleet/shared';
import { withController, withRollouts } from './connect.js';
import { out, table } from './output.js';
import { checkedRequest, EXIT_CODES_HELP, reportStartedCampaign, withRequestOptions, type RequestFlags } from './rollout.js';

/** `wofleet agents upgrade | packages add | packages list`: upgrading wofleet's own agents across the fleet. */
export function registerAgentCommands(program: Command): void {
  const agents = program
    .command('agents')
    .description("wofleet's own agents: upgrade them across the fleet from packages the controller holds");

  withRequestOptions(agents.command('upgrade'), false)
    .description(
      'install a held wofleet-agent package across the fleet as a rollout campaign: canary first, waves, health gate ' +
        '(the agent answers with the new version, its sites healthy), automatic rollback to the package each server ran before',
    )
    .requiredOption('--to <version>', "the wofleet-agent version to install ('wofleet agents packages list')")
    .option('--watch', 'then follow it to its end (exit code as for rollout watch)')
    .option('--json', 'print the campaign as JSON (with --watch: one JSON object per line)')
    .addHelpText(
      'after',
      `
Examples:
  wofleet agents packages add ./wofleet-agent_0.3.0_amd64.deb
  wofleet agents upgrade --to 0.3.0 --waves 1,10%,50% --watch
${EXIT_CODES_HELP}`,
    )
    .action(async (o: RequestFlags & { to: string; watch?: boolean }, cmd: Command) => {
      const request = await checkedRequest({ ...o, release: o.to });
      const wire = await withController(cmd, (api) => api.upgradeAgents(o.to, request));
      const { fromWireRollout } = await import('../client/rollout-view.js');
      const view = fromWireRollout(wire);
      const what = view.plan.release.version;
      if (o.watch) await withRollouts(cmd, (api) => reportStartedCampaign(cmd, view, what, api));
      else await reportStartedCampaign(cmd, view, what);
    });

  const packages = agents.command('packages').description('wofleet-agent packages (.deb) held by the controller');

  packages
    .command('add <file>')
    .description('upload a wofleet-agent .deb to the controller (its version is read from the package, its SHA-256 computed)')
    .option('--json', 'print the result as JSON')
    .action(async (fileArg: string, _o: unknown, cmd: Command) => {
      const file = path.resolve(fileArg);
      await access(file).catch(() => {
        throw new UsageError(`cannot read ${fileArg}`);
      });
      const r = await withController(cmd, (api) => api.addAgentPackage(file));
      out(cmd, r, () => [`added wofleet-agent ${r.version} (${r.architecture}, ${formatBytes(r.sizeBytes)}, sha256 ${r.sha256})`]);
    });

  packages
    .command('list')
    .description('the packages the controller holds, the most recently added first')
    .option('--json', 'print as JSON')
    .action(async (_o: unknown, cmd: Command) => {
      const r = await withController(cmd, (api) => api.listAgentPackages());
      out(cmd, r.packages, () =>
        r.packages.length === 0
          ? ['no agent packages']
          : table(
              ['VERSION', 'ARCH', 'SIZE', 'SHA256', 'ADDED'],
              r.packages.map((p) => [p.version, p.architecture, formatBytes(p.sizeBytes), p.sha256, p.addedAt]),
            ),
      );
    });
}
