import { createLogger, EXIT, UsageError } from '@wofleet/shared';
import { type Command, Option } from 'commander';
import { loadAgentConfig } from '../config/load.js';
import { out } from './context.js';
import { readTokenFile } from './token-file.js';

/**
 * serve and enroll: the agent as a fleet member. Their code (gRPC, NATS, TLS) is
 * imported when they run: every other command starts faster without it.
 */

export function serveCli(program: Command): void {
  program
    .command('serve')
    .description('run as the daemon: gRPC (mutual TLS) for the controller, heartbeats and events to NATS')
    .action(async (_o: unknown, cmd: Command) => {
      const { config: file } = cmd.optsWithGlobals<{ config?: string }>();
      const daemonLog = createLogger('wofleet-agent', 'info');
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
}

export function enrollCli(program: Command): void {
  program
    .command('enroll')
    .description(
      "trade the one-time token from 'wofleet servers add' for this agent's certificate and NATS user (writes grpc.caFile, certFile, keyFile, nats.seedFile)",
    )
    .requiredOption('--controller <host:port>', 'the controller (ControllerService)')
    .option(
      '--token-file <path>',
      "file holding the one-time enrollment token from 'wofleet servers add', or - to read it from stdin (never an argument: ps would show it)",
    )
    // Gone: refused with the way to do it instead, rather than commander's "unknown option".
    .addOption(new Option('--token <token>').hideHelp())
    .requiredOption('--ca-fingerprint <sha256>', "SHA-256 of the fleet CA as 'wofleet ca init' printed it (AB:CD:...): pins the controller")
    .option('--force', 'enroll again although a certificate is already in place')
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      `
Example (paste the token 'wofleet servers add' printed, then Ctrl-D):
  wofleet-agent enroll --controller ctl.example.com:7444 --ca-fingerprint AB:CD:... --token-file -`,
    )
    .action(async (o: { controller: string; tokenFile?: string; token?: string; caFingerprint: string; force?: boolean }, cmd: Command) => {
      const { config: file } = cmd.optsWithGlobals<{ config?: string }>();
      const { tokenFile, token: argvToken, ...options } = o;
      if (argvToken !== undefined) {
        throw new UsageError(
          '--token is refused: ps and shell history would show the token; use --token-file PATH, or --token-file - and paste it',
        );
      }
      if (tokenFile === undefined) throw new UsageError('--token-file PATH (or - for stdin) is required');
      const token = await readTokenFile(tokenFile);
      const { enrollCommand } = await import('../commands/enroll.js');
      const r = await enrollCommand(await loadAgentConfig(file), { ...options, token });
      out(cmd, r, () => [
        `enrolled as agent ${r.serverId} (${r.uri}) with controller ${r.controller}`,
        `  certificate: ${r.files.certFile} (SHA256 ${r.fingerprint}, valid until ${r.notAfter})`,
        `  key:         ${r.files.keyFile}`,
        `  fleet CA:    ${r.files.caFile} (SHA256 ${r.caFingerprint})`,
        `  NATS user:   ${r.nats.publicKey} (seed ${r.nats.seedFile}); the operator runs 'wofleet nats config' to admit it`,
      ]);
    });
}
