import type { Command } from 'commander';
import { parseWordPressVersion } from '@wofleet/shared';
import { parseServerName } from '../servers/input.js';
import { followPages } from '../client/pages.js';
import { limitOption, parseLimit } from './args.js';
import { withController } from './connect.js';
import { fleetSiteJson } from './json-view.js';
import { out } from './output.js';
import { renderSites } from './render.js';

/** `wofleet sites list`: sites across the fleet as their agents last reported them. */
export function registerSiteCommands(program: Command): void {
  const sites = program.command('sites').description('sites across the fleet');

  sites
    .command('list')
    .description('every site with its server, WordPress version, PHP, cache and health')
    .option('--server <name>', "only this server's sites")
    .option('--version <version>', 'only sites on this WordPress version')
    .addOption(limitOption())
    .option('--json', 'print as JSON')
    .addHelpText(
      'after',
      `
Examples:
  wofleet sites list --server web-1
  wofleet sites list --version 6.4.5 --json | jq -r '.[] | select(.site.health != "ok") | .site.domain'`,
    )
    .action(async (o: { server?: string; version?: string; limit?: string }, cmd: Command) => {
      const server = o.server === undefined ? '' : parseServerName(o.server);
      const version = o.version === undefined ? '' : parseWordPressVersion(o.version);
      const limit = parseLimit(o.limit);
      const sites = await withController(cmd, (api) =>
        followPages(async (page) => {
          const r = await api.listSites({ server, version, ...page });
          return { items: r.sites, nextPageToken: r.nextPageToken };
        }, limit),
      );
      out(cmd, sites.map(fleetSiteJson), () => renderSites(sites));
    });
}
