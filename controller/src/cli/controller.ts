import type { Command } from 'commander';
import { createLogger, EXIT } from '@wofleet/shared';
import { collect } from './output.js';
import { resolveControllerSettings, resolveStorageSettings, type ControllerFlags } from '../config/controller.js';

type ServeFlags = Pick<
  ControllerFlags,
  | 'dataDir'
  | 'listen'
  | 'nats'
  | 'natsCreds'
  | 'natsSeed'
  | 'natsCa'
  | 'natsCert'
  | 'natsKey'
  | 'heartbeatSeconds'
  | 'webhookUrl'
  | 'webhookSecretFile'
  | 'metricsListen'
  | 'campaignLease'
>;

const DATA_DIR_HELP = 'controller data dir (default $WOFLEET_DATA_DIR or /var/lib/wofleet-controller)';

/** `wofleet controller migrate | serve`: the controller service itself (DATABASE_URL selects Postgres). */
export function registerControllerCommands(program: Command): void {
  const controller = program
    .command('controller')
    .description('run the controller: DATABASE_URL selects Postgres, else PGlite in <data-dir>/pglite');

  controller
    .command('migrate')
    .description('bring the database schema up to date and exit')
    .option('--data-dir <dir>', DATA_DIR_HELP)
    .action(async (o: { dataDir?: string }) => {
      const settings = resolveStorageSettings({ dataDir: o.dataDir });
      const log = createLogger('wofleet-controller');
      const { migrateControllerDatabase } = await import('../main/migrate-database.js');
      const database = await migrateControllerDatabase(settings, log);
      process.stdout.write(`database schema up to date (${database})\n`);
    });

  controller
    .command('serve')
    .description('apply migrations, then serve ControllerService over gRPC with TLS until SIGTERM')
    .option('--data-dir <dir>', DATA_DIR_HELP)
    .option('--listen <host:port>', 'address to serve on (default $WOFLEET_LISTEN or 0.0.0.0:7444)')
    .option('--nats <url,...>', 'NATS servers (default $WOFLEET_NATS_URL or nats://127.0.0.1:4222)')
    .option(
      '--nats-creds <file>',
      'NATS credentials file (default $WOFLEET_NATS_CREDS; user/password: $WOFLEET_NATS_USER, $WOFLEET_NATS_PASS)',
    )
    .option('--nats-seed <file>', "the controller's NATS nkey seed, as 'wofleet nats config' made it (default $WOFLEET_NATS_SEED)")
    .option('--nats-ca <file>', 'CA that signs the NATS servers (default $WOFLEET_NATS_CA)')
    .option('--nats-cert <file>', 'client certificate for NATS (default $WOFLEET_NATS_CERT)')
    .option('--nats-key <file>', 'its key (default $WOFLEET_NATS_KEY)')
    .option(
      '--heartbeat-seconds <n>',
      "the agents' heartbeat period in seconds or as a duration (30s, 1m): offline after 3 missed (default $WOFLEET_HEARTBEAT_SECONDS or 10)",
    )
    .option(
      '--webhook-url <url>',
      'send campaign events to this URL; repeat for several (default $WOFLEET_WEBHOOK_URLS, comma-separated)',
      collect,
    )
    .option('--webhook-secret-file <file>', 'file holding the secret webhooks are signed with (default $WOFLEET_WEBHOOK_SECRET_FILE)')
    .option(
      '--metrics-listen <host:port>',
      'serve Prometheus /metrics (plain HTTP, no auth) on this address (default $WOFLEET_METRICS_LISTEN, else not served)',
    )
    .option(
      '--campaign-lease <duration>',
      "how long after a controller's last renewal (every second) another takes its campaigns over; the same on every controller (default $WOFLEET_CAMPAIGN_LEASE or 15s)",
    )
    .action(async (o: ServeFlags) => {
      const settings = resolveControllerSettings(o);
      const log = createLogger('wofleet-controller', 'info');
      const { serveUntilSignal } = await import('../main/serve.js');
      await serveUntilSignal(settings, log);
      process.exit(EXIT.ok);
    });
}
