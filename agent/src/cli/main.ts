#!/usr/bin/env node
import { Command, CommanderError, Option } from 'commander';
import { createLogger, describeError, EXIT, isWofleetError, parseDomain } from '@wofleet/shared';
import { healthCommand } from '../commands/health.js';
import { initCommand } from '../commands/init.js';
import { listCommand } from '../commands/list.js';
import { pruneCommand, releasesCommand } from '../commands/releases.js';
import { rollbackCommand } from '../commands/rollback.js';
import { convertCommand, createCommand, removeAllCommand, removeCommand, revertCommand } from '../commands/site-commands.js';
import { statusCommand } from '../commands/status.js';
import { updateCommand } from '../commands/update.js';
import { baselineSetCommand, baselineShowCommand } from '../commands/baseline.js';
import { loadAgentConfig } from '../config/load.js';
import { createEngine, type Engine } from '../engine.js';
import { CACHE_TYPES, createFlags, digestFromFlags, PHP_VERSIONS, positiveInt } from './args.js';
import { printJson, printLines } from './output.js';
import { renderHealth, renderReleases, renderSites, renderStatus } from './render.js';

const log = createLogger('wofleet-agent');

async function engineFor(cmd: Command): Promise<Engine> {
  const { config: file, json } = cmd.optsWithGlobals<{ config?: string; json?: boolean }>();
  const config = await loadAgentConfig(file);
  const quiet = json === true || process.env.WOFLEET_QUIET === '1';
  return createEngine(config, { log, progress: quiet ? () => {} : (m) => process.stderr.write(`... ${m}\n`) });
}

function out(cmd: Command, value: unknown, human: () => string[]): void {
  if (cmd.optsWithGlobals<{ json?: boolean }>().json) printJson(value);
  else printLines(human());
}

const program = new Command('wofleet-agent')
  .description('Run every WordPress site of this WordOps server off one shared, versioned core.')
  .option('-c, --config <file>', 'agent config (YAML); default $WOFLEET_AGENT_CONFIG or /etc/wofleet/agent.yaml')
  .exitOverride();

program
  .command('init')
  .description('lay out the shared core and stage its first release (idempotent)')
  .option('--release <src>', 'first release: path, file:// or http(s):// URL, or version like 6.5.5')
  .option('--sha1 <hex>', 'expected SHA-1 of the archive')
  .option('--sha256 <hex>', 'expected SHA-256 of the archive')
  .option('--force', 'repair a damaged layout (links, managed files, state)')
  .option('--json', 'print the result as JSON')
  .action(async (o: { release?: string; sha1?: string; sha256?: string; force?: boolean }, cmd: Command) => {
    const r = await initCommand(await engineFor(cmd), { release: o.release, digest: digestFromFlags(o), force: o.force });
    out(cmd, r, () => [
      r.created ? `initialised shared core on ${r.release} (WordPress ${r.version})` : `shared core already initialised on ${r.release}`,
      ...r.repaired.map((x) => `repaired: ${x}`),
    ]);
  });

const create = program
  .command('create <domain>')
  .description('create a WordOps WordPress site and put it on the shared core')
  .option('--admin-email <email>', 'WordPress admin e-mail')
  .option('--le', "request a Let's Encrypt certificate")
  .option('--json', 'print the result as JSON');
for (const v of PHP_VERSIONS) create.addOption(new Option(`--php${v}`, `PHP ${v[0]}.${v.slice(1)}`));
for (const c of CACHE_TYPES) create.addOption(new Option(`--${c}`, `WordOps cache: ${c}`));
create.action(async (domain: string, o: Record<string, unknown>, cmd: Command) => {
  const r = await createCommand(await engineFor(cmd), parseDomain(domain), createFlags(o));
  out(cmd, r, () => [`created ${r.domain} on ${r.release} (WordPress ${r.version})`]);
});

program
  .command('convert <domain>')
  .description('turn an existing WordOps WordPress site into a shared-core site')
  .option('--dry-run', 'show what would be done and change nothing')
  .option('--revert', "restore the site's own core from the convert backup")
  .option('--json', 'print the result as JSON')
  .action(async (domain: string, o: { dryRun?: boolean; revert?: boolean }, cmd: Command) => {
    const engine = await engineFor(cmd);
    const d = parseDomain(domain);
    if (o.revert) {
      const r = await revertCommand(engine, d);
      out(cmd, r, () => [
        `reverted ${r.domain} to its own core${r.restoredDb ? ' (DB restored from the convert snapshot)' : ''}`,
        ...(r.keptInShared.length ? [`kept in the shared tree: ${r.keptInShared.join(', ')}`] : []),
      ]);
      return;
    }
    const r = await convertCommand(engine, d, { dryRun: o.dryRun });
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

program
  .command('update')
  .description('stage a release, check it on the canary site, switch every site, upgrade DBs')
  .requiredOption('--release <src>', 'path, file:// or http(s):// URL, or version like 6.5.5')
  .option('--sha1 <hex>', 'expected SHA-1 of the archive')
  .option('--sha256 <hex>', 'expected SHA-256 of the archive')
  .option('--canary <domain>', 'site to try the new core on first (default: the last canary, else the first site)')
  .option('--force', 'skip the canary check')
  .option('--json', 'print the result as JSON')
  .action(async (o: { release: string; sha1?: string; sha256?: string; canary?: string; force?: boolean }, cmd: Command) => {
    const r = await updateCommand(await engineFor(cmd), {
      release: o.release,
      digest: digestFromFlags(o),
      canary: o.canary === undefined ? undefined : parseDomain(o.canary),
      force: o.force,
    });
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

program
  .command('rollback')
  .description('switch back to the previous (or named) release')
  .option('--to <release>', 'release id or version to return to')
  .option('--restore-db', 'restore the DB snapshots taken by the update (needed across a schema change)')
  .option('--json', 'print the result as JSON')
  .action(async (o: { to?: string; restoreDb?: boolean }, cmd: Command) => {
    const r = await rollbackCommand(await engineFor(cmd), o);
    for (const w of r.warnings) process.stderr.write(`warning: ${w}\n`);
    out(cmd, r, () => [`rolled back from WordPress ${r.from.version} to ${r.to.version} (${r.to.id})`]);
  });

program
  .command('status')
  .description('releases, sites, health summary and disk usage')
  .option('--json', 'print as JSON')
  .action(async (_o: unknown, cmd: Command) => {
    const r = await statusCommand(await engineFor(cmd));
    out(cmd, r, () => renderStatus(r));
  });

program
  .command('list')
  .description('every shared-core site with PHP, cache, SSL, release and health')
  .option('--json', 'print as JSON')
  .action(async (_o: unknown, cmd: Command) => {
    const r = await listCommand(await engineFor(cmd));
    out(cmd, r, () => renderSites(r));
  });

program
  .command('health')
  .description('check links, releases, sites, PHP-FPM, nginx, DBs and disk (exit 0 healthy, 2 degraded, 1 unhealthy)')
  .option('--site <domain>', 'check only this site (plus the shared core)')
  .option('--json', 'print as JSON')
  .action(async (o: { site?: string }, cmd: Command) => {
    const r = await healthCommand(await engineFor(cmd), { site: o.site === undefined ? undefined : parseDomain(o.site) });
    out(cmd, r, () => renderHealth(r));
    process.exitCode = r.level === 'ok' ? EXIT.ok : r.level === 'degraded' ? 2 : EXIT.failure;
  });

program
  .command('remove [domain]')
  .description('delete a shared-core site (shared core untouched), or with --all the shared infrastructure')
  .option('--all', 'remove the shared core itself (refused while any site uses it)')
  .option('--json', 'print the result as JSON')
  .action(async (domain: string | undefined, o: { all?: boolean }, cmd: Command) => {
    const engine = await engineFor(cmd);
    if (o.all) {
      if (domain) throw new CommanderError(EXIT.usage, 'wofleet.usage', 'give a domain or --all, not both');
      const r = await removeAllCommand(engine);
      out(cmd, r, () => [`removed ${r.removed.join(', ')}`]);
      return;
    }
    if (!domain) throw new CommanderError(EXIT.usage, 'wofleet.usage', 'remove needs a DOMAIN (or --all)');
    const r = await removeCommand(engine, parseDomain(domain));
    out(cmd, r, () => [`removed ${r.domain}; shared core intact`]);
  });

program
  .command('releases')
  .description('staged releases, marking current, canary and previous')
  .option('--json', 'print as JSON')
  .action(async (_o: unknown, cmd: Command) => {
    const r = await releasesCommand(await engineFor(cmd));
    out(cmd, r, () => renderReleases(r));
  });

program
  .command('prune')
  .description('delete old releases (never current, canary or previous)')
  .option('--keep <n>', 'releases to keep (default: keepReleases from config)')
  .option('--json', 'print the result as JSON')
  .action(async (o: { keep?: string }, cmd: Command) => {
    const r = await pruneCommand(await engineFor(cmd), positiveInt('--keep', o.keep));
    out(cmd, r, () => (r.removed.length ? [`removed ${r.removed.join(', ')}; freed ${r.freedBytes} bytes`] : ['nothing to prune']));
  });

const baseline = program.command('baseline').description('the plugins, theme and options enforced on every site');
baseline
  .command('show')
  .description('print baseline.json')
  .option('--json', 'print as JSON')
  .action(async (_o: unknown, cmd: Command) => {
    const r = await baselineShowCommand(await engineFor(cmd));
    out(cmd, r, () => [
      `theme:   ${r.theme ?? '(site choice)'}`,
      `plugins: ${r.plugins.length ? r.plugins.join(', ') : '(none forced)'}`,
      ...Object.entries(r.options).map(([k, v]) => `option:  ${k} = ${JSON.stringify(v)}`),
    ]);
  });
baseline
  .command('set')
  .description('change the baseline (replaces the given parts)')
  .option('--plugin <file...>', 'plugin files to force active, like akismet/akismet.php')
  .option('--theme <dir>', "theme directory to force ('' for none)")
  .option('--option <name=value...>', 'option values to force')
  .option('--file <baseline.json>', 'replace the whole baseline from a file')
  .option('--json', 'print the result as JSON')
  .action(async (o: { plugin?: string[]; theme?: string; option?: string[]; file?: string }, cmd: Command) => {
    const r = await baselineSetCommand(await engineFor(cmd), o);
    out(cmd, r, () => ['baseline updated']);
  });

program
  .command('serve')
  .description('run as the daemon: gRPC (mutual TLS) for the controller, heartbeats and events to NATS')
  .action(async (_o: unknown, cmd: Command) => {
    const { config: file } = cmd.optsWithGlobals<{ config?: string }>();
    const daemonLog = createLogger('wofleet-agent', 'info');
    // Loaded here only: every other command starts faster without gRPC and NATS.
    const { startAgent } = await import('../daemon/serve.js');
    const agent = await startAgent(await loadAgentConfig(file), daemonLog);
    await new Promise<void>((resolve) => {
      // Stay subscribed (not `once`): execa's signal-exit re-raises a signal that has no
      // other listener left, which would kill the daemon before running work finishes.
      const onSignal = (signal: NodeJS.Signals) => {
        daemonLog.info({ signal }, 'signal received');
        agent.stop().then(resolve, (err: unknown) => {
          daemonLog.error({ err }, 'stop failed');
          resolve();
        });
      };
      process.on('SIGTERM', onSignal);
      process.on('SIGINT', onSignal);
    });
    // Lingering handles (sockets being closed) must not keep a stopped daemon alive.
    process.exit(EXIT.ok);
  });

program
  .command('enroll')
  .description("trade the one-time token from 'wofleet servers add' for this agent's certificate (writes grpc.caFile, certFile, keyFile)")
  .requiredOption('--controller <host:port>', 'the controller (ControllerService)')
  .requiredOption('--token <token>', "one-time enrollment token from 'wofleet servers add'")
  .requiredOption('--ca-fingerprint <sha256>', "SHA-256 of the fleet CA as 'wofleet ca init' printed it (AB:CD:...): pins the controller")
  .option('--force', 'enroll again although a certificate is already in place')
  .option('--json', 'print the result as JSON')
  .action(async (o: { controller: string; token: string; caFingerprint: string; force?: boolean }, cmd: Command) => {
    const { config: file } = cmd.optsWithGlobals<{ config?: string }>();
    // Loaded here only, like serve: other commands start faster without gRPC.
    const { enrollCommand } = await import('../commands/enroll.js');
    const r = await enrollCommand(await loadAgentConfig(file), o);
    out(cmd, r, () => [
      `enrolled as agent ${r.serverId} (${r.uri}) with controller ${r.controller}`,
      `  certificate: ${r.files.certFile} (SHA256 ${r.fingerprint}, valid until ${r.notAfter})`,
      `  key:         ${r.files.keyFile}`,
      `  fleet CA:    ${r.files.caFile} (SHA256 ${r.caFingerprint})`,
    ]);
  });

async function main(argv: string[]): Promise<number> {
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return EXIT.ok;
      if (err.code === 'wofleet.usage') process.stderr.write(`wofleet-agent: error: ${err.message}\n`);
      return EXIT.usage;
    }
    if (isWofleetError(err)) {
      process.stderr.write(`wofleet-agent: error: ${err.message}\n`);
      return err.exitCode;
    }
    log.error({ err }, 'unexpected failure');
    process.stderr.write(`wofleet-agent: internal error: ${describeError(err)}\n`);
    return EXIT.failure;
  }
}

process.exitCode = await main(process.argv);
