import { EXIT } from '@wofleet/shared';
import type { Command } from 'commander';
import { COMMANDS } from '../commands/table.js';
import { out, run } from './context.js';
import { renderHealth, renderSites, renderStatus } from './render.js';

/** The read-only views: status, list, health. */

export function statusCli(program: Command): void {
  program
    .command('status')
    .description('releases, sites, health summary and disk usage')
    .option('--json', 'print as JSON')
    .action(async (_o: unknown, cmd: Command) => {
      const r = await run(cmd, COMMANDS.status, {});
      out(cmd, r, () => renderStatus(r));
    });
}

export function listCli(program: Command): void {
  program
    .command('list')
    .description('every shared-core site with PHP, cache, SSL, release and health')
    .option('--json', 'print as JSON')
    .action(async (_o: unknown, cmd: Command) => {
      const r = await run(cmd, COMMANDS.list, {});
      out(cmd, r, () => renderSites(r));
    });
}

export function healthCli(program: Command): void {
  program
    .command('health')
    .description('check links, releases, sites, PHP-FPM, nginx, DBs and disk (exit 0 healthy, 2 degraded, 1 unhealthy)')
    .option('--site <domain>', 'check only this site (plus the shared core)')
    .option('--deep', "also run each site's serving proof: its pages rendered through nginx with its theme and plugins")
    .option('--json', 'print as JSON')
    .action(async (o: { site?: string; deep?: boolean }, cmd: Command) => {
      const r = await run(cmd, COMMANDS.health, { site: o.site, deep: o.deep });
      out(cmd, r, () => renderHealth(r));
      process.exitCode = r.level === 'ok' ? EXIT.ok : r.level === 'degraded' ? 2 : EXIT.failure;
    });
}
