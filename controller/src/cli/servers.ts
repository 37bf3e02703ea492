import type { Command } from 'commander';
import { EXIT, UsageError, WofleetError } from '@wofleet/shared';
import { parseLabelFlags, parseServerAddress, parseServerName, parseTokenTtl } from '../servers/input.js';
import { limitOption, parseLimit } from './args.js';
import { addServersFromFile } from './servers-bulk.js';
import { withController } from './connect.js';
import { expiryWarnings } from './certificate-render.js';
import { fleetSiteJson, serverJson } from './json-view.js';
import { collect, out, printErrorLine } from './output.js';
import { formatLabels, renderAgentStatus, renderServer, renderServers, renderSites } from './render.js';
import { followPages } from '../client/pages.js';

interface AddFlags {
  address?: string;
  label: string[];
  canary?: boolean;
  tokenTtl: string;
  fromFile?: string;
}

/** `wofleet servers add | token | list | show | update | sync | remove`. */
export function registerServerCommands(program: Command): void {
  const servers = program.command('servers').description('the servers of the fleet: register, list, show, update, sync, remove');

  servers
    .command('add [name]')
    .description(
      "register a server and print the one-time token its agent enrolls with (name = the agent's serverId); --from-file: many at once",
    )
    .option('--address <host:port>', "the agent's gRPC endpoint (required with a name)")
    .option('--label <key=value>', 'label the server (repeatable)', collect, [])
    .option('--canary', 'rollouts update this server first')
    .option('--token-ttl <duration>', 'how long the enrollment token is valid: 30m, 1h, 2d (1m to 7d)', '1h')
    .option('--from-file <file>', 'register every server of a YAML (servers: [{name, address, labels, canary}]) or .csv file, a token each')
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      `
Examples:
  wofleet servers add web-1 --address 10.0.0.1:7443 --label region=eu --canary
  wofleet servers add --from-file servers.yaml --token-ttl 2d --json > tokens.json
  servers.csv: a header line name,address,labels,canary, then web-2,10.0.0.2:7443,region=eu;tier=web,yes`,
    )
    .action(async (nameArg: string | undefined, o: AddFlags, cmd: Command) => {
      if (o.fromFile !== undefined) {
        if (nameArg !== undefined || o.address !== undefined || o.label.length > 0 || o.canary) {
          throw new UsageError('--from-file takes the names, addresses, labels and canary flags from the file: give none of them');
        }
        await addServersFromFile(cmd, o.fromFile, parseTokenTtl(o.tokenTtl));
        return;
      }
      if (nameArg === undefined) throw new UsageError('servers add needs a NAME and --address (or --from-file)');
      if (o.address === undefined) throw new UsageError("required option '--address <host:port>' not specified");
      const name = parseServerName(nameArg);
      const address = parseServerAddress(o.address);
      const labels = parseLabelFlags(o.label);
      const ttlMs = parseTokenTtl(o.tokenTtl);
      const r = await withController(cmd, async (api) => ({
        ...(await api.addServer({ name, address, labels, canary: o.canary === true }, ttlMs)),
        controller: api.address,
        caFingerprint: api.caFingerprint,
      }));
      const { server, caFingerprint } = r;
      const shown = { server: server && serverJson(server), enrollmentToken: r.enrollmentToken, expiresAt: r.expiresAt, caFingerprint };
      out(cmd, shown, () => [
        `added server ${name} (${address})${server?.canary ? ', canary' : ''}, labels ${formatLabels(labels)}`,
        `enrollment token (single use, expires ${r.expiresAt}):`,
        `  ${r.enrollmentToken}`,
        `on ${name} (agent config serverId: ${name}), as root, then paste the token:`,
        `  wofleet-agent enroll --controller ${r.controller} --ca-fingerprint ${caFingerprint} --token-file -`,
      ]);
    });

  servers
    .command('token <name>')
    .alias('reenroll')
    .description(
      'a new one-time enrollment token for a registered server: its agent enrolls again (new key and certificate), the server keeps its sites and history',
    )
    .option('--token-ttl <duration>', 'how long the enrollment token is valid: 30m, 1h, 2d (1m to 7d)', '1h')
    .option('--json', 'print the result as JSON')
    .action(async (nameArg: string, o: { tokenTtl: string }, cmd: Command) => {
      const name = parseServerName(nameArg);
      const ttlMs = parseTokenTtl(o.tokenTtl);
      const r = await withController(cmd, async (api) => ({
        ...(await api.issueEnrollmentToken(name, ttlMs)),
        controller: api.address,
        caFingerprint: api.caFingerprint,
      }));
      const shown = {
        server: r.server && serverJson(r.server),
        enrollmentToken: r.enrollmentToken,
        expiresAt: r.expiresAt,
        caFingerprint: r.caFingerprint,
      };
      out(cmd, shown, () => [
        `enrollment token for ${name} (single use, expires ${r.expiresAt}):`,
        `  ${r.enrollmentToken}`,
        `on ${name}, as root (replaces its certificate and key), then paste the token:`,
        `  wofleet-agent enroll --force --controller ${r.controller} --ca-fingerprint ${r.caFingerprint} --token-file -`,
      ]);
    });

  servers
    .command('list')
    .description('every server with its state, release and labels (from the controller database)')
    .option('--label <key=value>', 'only servers carrying this label (repeatable: all of them)', collect, [])
    .addOption(limitOption())
    .option('--json', 'print as JSON')
    .addHelpText(
      'after',
      `
Examples:
  wofleet servers list --label region=eu
  wofleet servers list --json | jq -r '.[] | select(.state == "offline") | .name'`,
    )
    .action(async (o: { label: string[]; limit?: string }, cmd: Command) => {
      const labels = parseLabelFlags(o.label);
      const limit = parseLimit(o.limit);
      const list = await withController(cmd, (api) =>
        followPages(async (page) => {
          const r = await api.listServers({ labels, ...page });
          return { items: r.servers, nextPageToken: r.nextPageToken };
        }, limit),
      );
      out(cmd, list.map(serverJson), () => renderServers(list));
      for (const warning of expiryWarnings(list, new Date())) printErrorLine(warning);
    });

  servers
    .command('show <name>')
    .description(
      "one server as last reported; with --live also its agent's status now (exit 1, with the reason, when the agent cannot answer)",
    )
    .option('--live', "ask the server's agent for its status now (deadline 5 s)")
    .option('--json', 'print as JSON')
    .action(async (nameArg: string, o: { live?: boolean }, cmd: Command) => {
      const name = parseServerName(nameArg);
      const live = o.live === true;
      const r = await withController(cmd, (api) => api.getServer({ name, live }));
      const liveError = live && r.liveError ? r.liveError : undefined;
      const server = r.server && serverJson(r.server);
      const shown = live ? { server, status: r.status, liveError: liveError ?? null } : { server };
      out(cmd, shown, () => [
        ...(r.server ? renderServer(r.server) : []),
        ...(live && r.status ? ['live status:', ...renderAgentStatus(r.status).map((l) => `  ${l}`)] : []),
      ]);
      // The stored record is still shown; the exit code tells scripts the live part is missing.
      if (liveError !== undefined) {
        printErrorLine(`live status unavailable: ${liveError}`);
        process.exitCode = EXIT.failure;
      }
    });

  servers
    .command('update <name>')
    .description("change a registered server's labels, canary flag or address (audited); what is not given stays")
    .option('--label <key=value>', 'add a label or give it a new value (repeatable)', collect, [])
    .option('--remove-label <key>', 'remove a label (repeatable)', collect, [])
    .option('--canary', 'rollouts update this server first')
    .option('--no-canary', 'no longer a canary server')
    .option('--address <host:port>', "the agent's new gRPC endpoint")
    .option('--json', 'print the server as JSON')
    .addHelpText(
      'after',
      `
Examples:
  wofleet servers update web-1 --label tier=web --remove-label region
  wofleet servers update web-1 --no-canary --address 10.0.0.9:7443`,
    )
    .action(async (nameArg: string, o: { label: string[]; removeLabel: string[]; canary?: boolean; address?: string }, cmd: Command) => {
      const name = parseServerName(nameArg);
      const setLabels = parseLabelFlags(o.label);
      const address = o.address === undefined ? '' : parseServerAddress(o.address);
      const canary = o.canary === undefined ? 'CANARY_CHANGE_UNSPECIFIED' : o.canary ? 'CANARY_CHANGE_SET' : 'CANARY_CHANGE_CLEAR';
      const { server } = await withController(cmd, (api) =>
        api.updateServer({ name, setLabels, removeLabels: o.removeLabel, canary, address }),
      );
      if (!server) throw new WofleetError(`the controller sent no server for ${name}`);
      out(cmd, serverJson(server), () => [`updated server ${name}`, ...renderServer(server)]);
    });

  servers
    .command('sync <name>')
    .description("re-read the server's sites from its agent now (PHP, cache, SSL, health, disk) and store them")
    .option('--json', 'print the result as JSON')
    .action(async (nameArg: string, _o: unknown, cmd: Command) => {
      const name = parseServerName(nameArg);
      const r = await withController(cmd, (api) => api.syncServer(name));
      out(cmd, { server: name, sites: r.sites.map(fleetSiteJson), removed: r.removed }, () => [
        `synced ${name}: ${r.sites.length} site(s)${r.removed.length ? `, forgot ${r.removed.join(', ')}` : ''}`,
        ...renderSites(r.sites),
      ]);
    });

  servers
    .command('remove <name>')
    .description(
      'forget a server (its sites and unused token with it; its audit events stay); refused while an active campaign still works on it',
    )
    .option('--force', "remove it even so: its campaign target is skipped ('server removed from the inventory') and the campaign goes on")
    .option('--json', 'print the result as JSON')
    .action(async (nameArg: string, o: { force?: boolean }, cmd: Command) => {
      const name = parseServerName(nameArg);
      await withController(cmd, (api) => api.removeServer(name, o.force === true));
      out(cmd, { removed: name }, () => [`removed server ${name}`]);
    });
}
