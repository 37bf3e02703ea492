import type { Command } from 'commander';
import { parseWordPressVersion } from '@wofleet/shared';
import { parseServerName } from '../servers/input.js';
import { withController } from './connect.js';
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
    .option('--json', 'print as JSON')
    .action(async (o: { server?: string; version?: string }, cmd: Command) => {
      const server = o.server === undefined ? '' : parseServerName(o.server);
      const version = o.version === undefined ? '' : parseWordPressVersion(o.version);
      const r = await withController(cmd, (api) => api.listSites({ server, version }));
      out(cmd, r.sites, () => renderSites(r.sites));
    });
}
