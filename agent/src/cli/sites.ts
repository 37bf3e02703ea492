import { EXIT } from '@wofleet/shared';
import { type Command, CommanderError, Option } from 'commander';
import { runCommand } from '../commands/command.js';
import { COMMANDS } from '../commands/table.js';
import { CACHE_TYPES, PHP_VERSIONS } from './args.js';
import { engineFor, out, run } from './context.js';

/** The site commands: create, convert (and --revert), remove (and --all). */

export function createCli(program: Command): void {
  const create = program
    .command('create <domain>')
    .description('create a WordOps WordPress site and put it on the shared core')
    .option('--admin-email <email>', 'WordPress admin e-mail')
    .option('--le', "request a Let's Encrypt certificate")
    .option('--json', 'print the result as JSON');
  for (const v of PHP_VERSIONS) create.addOption(new Option(`--php${v}`, `PHP ${v[0]}.${v.slice(1)}`));
  for (const c of CACHE_TYPES) create.addOption(new Option(`--${c}`, `WordOps cache: ${c}`));
  create.action(async (domain: string, o: Record<string, unknown>, cmd: Command) => {
    const r = await run(cmd, COMMANDS.create, { domain, flags: o });
    out(cmd, r, () => [`created ${r.domain} on ${r.release} (WordPress ${r.version})`]);
  });
}

export function convertCli(program: Command): void {
  program
    .command('convert <domain>')
    .description('turn an existing WordOps WordPress site into a shared-core site')
    .option('--dry-run', 'show what would be done and change nothing')
    .option('--revert', "restore the site's own core from the convert backup")
    .option('--json', 'print the result as JSON')
    .action(async (domain: string, o: { dryRun?: boolean; revert?: boolean }, cmd: Command) => {
      if (o.revert) {
        const r = await run(cmd, COMMANDS.revert, { domain });
        out(cmd, r, () => [
          `reverted ${r.domain} to its own core${r.restoredDb ? ' (DB restored from the convert snapshot)' : ''}`,
          ...(r.keptInShared.length ? [`kept in the shared tree: ${r.keptInShared.join(', ')}`] : []),
        ]);
        return;
      }
      const r = await run(cmd, COMMANDS.convert, { domain, dryRun: o.dryRun });
      out(cmd, r, () => {
        if ('paths' in r) {
          return [
            `convert ${r.domain}: WordPress ${r.siteVersion} (db ${r.siteDbVersion}) -> shared ${r.release.id}${r.dbUpgrade ? ' (DB upgrade, snapshot first)' : ''}`,
            `  core entries moved to backup: ${r.coreEntries.length}`,
            ...r.content.map((c) => `  ${c.kind}/${c.name}: ${c.action}${c.reason ? ` (${c.reason})` : ''}`),
            r.conflicts.length ? `  ${r.conflicts.length} conflict(s): convert would refuse` : '  no conflicts',
          ];
        }
        return [
          `converted ${r.domain} to ${r.release}; backup in ${r.backupDir}`,
          ...r.sharedAdded.map((s) => `  added to shared tree: ${s}`),
        ];
      });
    });
}

export function removeCli(program: Command): void {
  program
    .command('remove [domain]')
    .description('delete a shared-core site (shared core untouched), or with --all the shared infrastructure')
    .option('--all', 'remove the shared core itself (refused while any site uses it)')
    .option('--json', 'print the result as JSON')
    .action(async (domain: string | undefined, o: { all?: boolean }, cmd: Command) => {
      const engine = await engineFor(cmd);
      if (o.all) {
        if (domain) throw new CommanderError(EXIT.usage, 'wofleet.usage', 'give a domain or --all, not both');
        const r = await runCommand(COMMANDS.removeAll, engine, {});
        out(cmd, r, () => [`removed ${r.removed.join(', ')}`]);
        return;
      }
      if (!domain) throw new CommanderError(EXIT.usage, 'wofleet.usage', 'remove needs a DOMAIN (or --all)');
      const r = await runCommand(COMMANDS.remove, engine, { domain });
      out(cmd, r, () => [`removed ${r.domain}; shared core intact`]);
    });
}
