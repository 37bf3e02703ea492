import path from 'node:path';
import { parseDigestChoice } from '@wofleet/shared';
import type { Command } from 'commander';
import { COMMANDS } from '../commands/table.js';
import { positiveInt } from './args.js';
import { engineFor, out, run } from './context.js';
import { renderReleases } from './render.js';
import { runCommand } from '../commands/command.js';
import { explicitConfigFile } from '../config/load.js';
import type { WoPluginRequest } from '../wo-plugin/install.js';

/** The release commands: init, update, rollback, releases, prune. */

export function initCli(program: Command): void {
  program
    .command('init')
    .description('lay out the shared core and stage its first release (idempotent)')
    .option('--release <src>', 'first release: path, file:// or http(s):// URL, or version like 6.5.5')
    .option('--sha1 <hex>', 'expected SHA-1 of the archive')
    .option('--sha256 <hex>', 'expected SHA-256 of the archive')
    .option('--force', 'repair a damaged layout (links, managed files, state)')
    .option('--wo-plugin', "install 'wo multitenancy', the WordOps plugin that runs this agent")
    .option('--no-wo-plugin', "remove the 'wo multitenancy' plugin")
    .option('--json', 'print the result as JSON')
    .action(async (o: { release?: string; sha1?: string; sha256?: string; force?: boolean; woPlugin?: boolean }, cmd: Command) => {
      const { woPlugin, sha1, sha256, ...rest } = o;
      const r = await run(cmd, COMMANDS.init, {
        ...rest,
        digest: parseDigestChoice(sha1, sha256),
        woPlugin: woPluginRequest(cmd, woPlugin),
      });
      out(cmd, r, () => [
        r.created ? `initialised shared core on ${r.release} (WordPress ${r.version})` : `shared core already initialised on ${r.release}`,
        ...r.repaired.map((x) => `repaired: ${x}`),
        ...(r.woPlugin ? [`wo multitenancy: ${r.woPlugin.action} (${r.woPlugin.module}, ${r.woPlugin.config})`] : []),
      ]);
    });
}

/** The plugin runs this very agent: this node, this script, this config file. */
function woPluginRequest(cmd: Command, install: boolean | undefined): WoPluginRequest | undefined {
  if (install === undefined) return undefined;
  if (!install) return { action: 'remove' };
  const config = explicitConfigFile(cmd.optsWithGlobals<{ config?: string }>().config);
  const script = path.resolve(process.argv[1] ?? '');
  return { action: 'install', agent: { node: process.execPath, script, ...(config && { config }) } };
}

export function updateCli(program: Command): void {
  program
    .command('update')
    .description('stage a release, check it on the canary site, switch every site, upgrade DBs')
    .requiredOption('--release <src>', 'path, file:// or http(s):// URL, or version like 6.5.5')
    .option('--sha1 <hex>', 'expected SHA-1 of the archive')
    .option('--sha256 <hex>', 'expected SHA-256 of the archive')
    .option(
      '--canary <domain|auto>',
      'site switched and proven first (default: the configured canarySite, else auto: the site with the most active plugins)',
    )
    .option('--force', 'skip the canary step')
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      `
Examples:
  wofleet-agent update --release 6.5.5
  wofleet-agent update --release https://wordpress.org/wordpress-6.5.5.tar.gz --sha1 <hex> --canary shop.example.com`,
    )
    .action(async (o: { release: string; sha1?: string; sha256?: string; canary?: string; force?: boolean }, cmd: Command) => {
      const r = await run(cmd, COMMANDS.update, { ...o, digest: parseDigestChoice(o.sha1, o.sha256) });
      out(cmd, r, () =>
        r.changed
          ? [
              `switched ${r.sites} site(s) from WordPress ${r.from.version} to ${r.to.version} (${r.to.id})`,
              ...(r.canary ? [`canary: ${r.canary}`] : []),
              ...(r.dbUpgraded.length ? [`DB upgraded ${r.from.dbVersion} -> ${r.to.dbVersion}: ${r.dbUpgraded.join(', ')}`] : []),
              ...(r.pruned.length ? [`pruned: ${r.pruned.join(', ')}`] : []),
            ]
          : [`already running ${r.to.id} (WordPress ${r.to.version}); nothing to do`],
      );
    });
}

export function rollbackCli(program: Command): void {
  program
    .command('rollback')
    .description('switch back to the previous (or named) release')
    .option('--to <release>', 'release id or version to return to')
    .option('--restore-db', 'restore the DB snapshots taken by the update (needed across a schema change)')
    .option('--json', 'print the result as JSON')
    .action(async (o: { to?: string; restoreDb?: boolean }, cmd: Command) => {
      const r = await run(cmd, COMMANDS.rollback, o);
      for (const w of r.warnings) process.stderr.write(`warning: ${w}\n`);
      out(cmd, r, () => [`rolled back from WordPress ${r.from.version} to ${r.to.version} (${r.to.id})`]);
    });
}

export function releasesCli(program: Command): void {
  program
    .command('releases')
    .description('staged releases, marking current, canary and previous')
    .option('--json', 'print as JSON')
    .action(async (_o: unknown, cmd: Command) => {
      const r = await run(cmd, COMMANDS.releases, {});
      out(cmd, r, () => renderReleases(r));
    });
}

export function pruneCli(program: Command): void {
  program
    .command('prune')
    .description('delete old releases (never current, canary or previous) and DB snapshot dumps no record needs')
    .option('--keep <n>', 'releases to keep (default: keepReleases from config)')
    .option('--json', 'print the result as JSON')
    .action(async (o: { keep?: string }, cmd: Command) => {
      const engine = await engineFor(cmd);
      const r = await runCommand(COMMANDS.prune, engine, { keep: positiveInt('--keep', o.keep) });
      out(cmd, r, () => {
        const lines = [
          ...(r.removed.length ? [`removed ${r.removed.join(', ')}; freed ${r.freedBytes} bytes`] : []),
          ...(r.snapshotBatches.length ? [`removed DB snapshot dumps ${r.snapshotBatches.join(', ')}`] : []),
        ];
        return lines.length ? lines : ['nothing to prune'];
      });
    });
}
