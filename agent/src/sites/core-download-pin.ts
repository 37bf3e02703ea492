import { mkdir, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Layout } from '../config/paths.js';
import { writeFileAtomic } from '../state/atomic-file.js';

/**
 * `wo site create --wp` runs `wp core download` with no version: the LATEST WordPress,
 * usually newer than the shared core, whose database schema the shared core cannot run
 * on. WordOps passes its environment to WP-CLI, and WP-CLI reads the default version of
 * `core download` from the config file named by WP_CLI_CONFIG_PATH, so pinning it there
 * makes WordOps install the shared core's own version (the downloaded files are then
 * replaced by the shared core; the schema it installed is the shared core's). The
 * operator's own global config is inherited, so their other WP-CLI settings still apply.
 * Returns the environment for the `wo` call.
 */
export async function pinCoreDownload(layout: Layout, version: string, home = os.homedir()): Promise<Record<string, string>> {
  const dir = path.join(layout.stateDir, 'wp-cli');
  const file = path.join(dir, 'core-download.yml');
  const globalConfig = process.env.WP_CLI_CONFIG_PATH ?? path.join(home, '.wp-cli', 'config.yml');
  const inherit =
    globalConfig !== file &&
    (await stat(globalConfig).then(
      (s) => s.isFile(),
      () => false,
    ));
  const lines = [
    ...(inherit ? ['_:', `  inherit: ${JSON.stringify(globalConfig)}`, '  merge: true'] : []),
    'core download:',
    `  version: ${JSON.stringify(version)}`,
    '',
  ];
  await mkdir(dir, { recursive: true });
  await writeFileAtomic(file, lines.join('\n'), 0o644);
  return { WP_CLI_CONFIG_PATH: file };
}
