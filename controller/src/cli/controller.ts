import type { Command } from 'commander';
import { createLogger, EXIT } from '@wofleet/shared';
import { resolveControllerSettings } from '../config/controller.js';

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
      const settings = resolveControllerSettings({ dataDir: o.dataDir });
      const log = createLogger('wofleet-controller');
      const { migrateControllerDatabase } = await import('../commands/start-controller.js');
      const database = await migrateControllerDatabase(settings, log);
      process.stdout.write(`database schema up to date (${database})\n`);
    });

  controller
    .command('serve')
    .description('apply migrations, then serve ControllerService over gRPC with TLS until SIGTERM')
    .option('--data-dir <dir>', DATA_DIR_HELP)
    .option('--listen <host:port>', 'address to serve on (default $WOFLEET_LISTEN or 0.0.0.0:7444)')
    .action(async (o: { dataDir?: string; listen?: string }) => {
      const settings = resolveControllerSettings({ dataDir: o.dataDir, listen: o.listen });
      const log = createLogger('wofleet-controller', 'info');
      const { startController } = await import('../commands/start-controller.js');
      const running = await startController({ settings, log });
      await new Promise<void>((resolve) => {
        const onSignal = (signal: NodeJS.Signals) => {
          log.info({ signal }, 'signal received, stopping');
          running.stop().then(resolve, (err: unknown) => {
            log.error({ err }, 'stop failed');
            resolve();
          });
        };
        process.once('SIGTERM', onSignal);
        process.once('SIGINT', onSignal);
      });
      process.exit(EXIT.ok);
    });
}
