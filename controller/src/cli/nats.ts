import type { Command } from 'commander';
import { createLogger } from '@wofleet/shared';
import { resolveStorageSettings } from '../config/controller.js';
import { out } from './output.js';

/** `wofleet nats config`: run on the controller host, where the database and the data dir are. */
export function registerNatsCommands(program: Command): void {
  const nats = program
    .command('nats')
    .description("NATS identities: the controller's and one per enrolled server (on the controller host)");

  nats
    .command('config')
    .description(
      'write the nats-server authorization block: the controller user, and one nkey user per enrolled server that may publish only on wofleet.agent.<server>.>',
    )
    .requiredOption('--out <file>', 'the file nats-server includes (`include <file>` in its config)')
    .option('--data-dir <dir>', 'controller data dir (default $WOFLEET_DATA_DIR or /var/lib/wofleet-controller)')
    .option('--controller-seed <file>', "the controller's nkey seed, made (0600) when missing (default <data-dir>/nats-controller.nk)")
    .option('--json', 'print the result as JSON')
    .action(async (o: { out: string; dataDir?: string; controllerSeed?: string }, cmd: Command) => {
      const settings = resolveStorageSettings({ dataDir: o.dataDir });
      const { controllerSeedFile } = await import('../nats-auth/controller-user.js');
      const { writeNatsConfig } = await import('../nats-auth/write-config.js');
      const r = await writeNatsConfig(
        settings,
        { out: o.out, controllerSeedFile: o.controllerSeed ?? controllerSeedFile(settings.dataDir) },
        createLogger('wofleet', 'warn'),
      );
      out(cmd, r, () => [
        `wrote ${r.file}: the controller and ${r.servers.length} server(s)${r.servers.length > 0 ? ` (${r.servers.join(', ')})` : ''}`,
        `  controller NATS user: ${r.controllerKey} (seed ${r.controllerSeedFile}${r.controllerKeyCreated ? ', new' : ''})`,
        'reload nats-server to apply it (nats-server --signal reload, or SIGHUP);',
        `the controller connects with: wofleet controller serve --nats-seed ${r.controllerSeedFile}`,
      ]);
    });
}
