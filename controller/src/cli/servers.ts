import type { Command } from 'commander';
import { EXIT } from '@wofleet/shared';
import { parseLabelFlags, parseServerAddress, parseServerName, parseTokenTtl } from '../servers/input.js';
import { withController } from './connect.js';
import { expiryWarnings } from './certificate-render.js';
import { collect, out, printErrorLine } from './output.js';
import { formatLabels, renderAgentStatus, renderServer, renderServers, renderSites } from './render.js';

/** `wofleet servers add | token | list | show | sync | remove`. */
export function registerServerCommands(program: Command): void {
  const servers = program.command('servers').description('the servers of the fleet: register, list, show, sync, remove');

  servers
    .command('add <name>')
    .description("register a server and print the one-time token its agent enrolls with (name = the agent's serverId)")
    .requiredOption('--address <host:port>', "the agent's gRPC endpoint")
    .option('--label <key=value>', 'label the server (repeatable)', collect, [])
    .option('--canary', 'rollouts update this server first')
    .option('--token-ttl <duration>', 'how long the enrollment token is valid: 30m, 1h, 2d (1m to 7d)', '1h')
    .option('--json', 'print the result as JSON')
    .action(async (nameArg: string, o: { address: string; label: string[]; canary?: boolean; tokenTtl: string }, cmd: Command) => {
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
      out(cmd, { server, enrollmentToken: r.enrollmentToken, expiresAt: r.expiresAt, caFingerprint }, () => [
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
      out(cmd, { server: r.server, enrollmentToken: r.enrollmentToken, expiresAt: r.expiresAt, caFingerprint: r.caFingerprint }, () => [
        `enrollment token for ${name} (single use, expires ${r.expiresAt}):`,
        `  ${r.enrollmentToken}`,
        `on ${name}, as root (replaces its certificate and key):`,
        `  wofleet-agent enroll --force --controller ${r.controller} --token ${r.enrollmentToken} --ca-fingerprint ${r.caFingerprint}`,
      ]);
    });

  servers
    .command('list')
    .description('every server with its state, release and labels (from the controller database)')
    .option('--label <key=value>', 'only servers carrying this label (repeatable: all of them)', collect, [])
    .option('--json', 'print as JSON')
    .action(async (o: { label: string[] }, cmd: Command) => {
      const labels = parseLabelFlags(o.label);
      const r = await withController(cmd, (api) => api.listServers({ labels }));
      out(cmd, r.servers, () => renderServers(r.servers));
      for (const warning of expiryWarnings(r.servers, new Date())) printErrorLine(warning);
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
      const shown = live ? { server: r.server, status: r.status, liveError: liveError ?? null } : { server: r.server };
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
    .command('sync <name>')
    .description("re-read the server's sites from its agent now (PHP, cache, SSL, health, disk) and store them")
    .option('--json', 'print the result as JSON')
    .action(async (nameArg: string, _o: unknown, cmd: Command) => {
      const name = parseServerName(nameArg);
      const r = await withController(cmd, (api) => api.syncServer(name));
      out(cmd, { server: name, sites: r.sites, removed: r.removed }, () => [
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
