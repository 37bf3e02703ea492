/**
 * The single-server demo (README's first command): a private nginx + PHP-FPM +
 * MariaDB stack in a temp directory, the `wo`/`wp` stand-ins, and the real
 * `wofleet-agent` CLI: init, 3 sites, update 6.4.5 -> 6.5.5, rollback, status.
 * Leaves nothing running; --keep keeps the temp root for a look around.
 */
import { runAgent, writeAgentConfig, WP645, WP655 } from '../support/agent.js';
import { generatorVersion } from '../support/releases.js';
import { startStack, type Stack } from '../support/stack.js';

const SITES = ['blog.example.test', 'shop.example.test', 'docs.example.test'];

async function step(stack: Stack, title: string, args: string[]): Promise<void> {
  process.stdout.write(`\n=== ${title}\n$ wofleet-agent ${args.join(' ')}\n`);
  const started = Date.now();
  const result = await runAgent(stack, args);
  process.stdout.write(result.stdout);
  process.stderr.write(result.stderr);
  process.stdout.write(`(exit ${result.code}, ${((Date.now() - started) / 1000).toFixed(1)} s)\n`);
  if (result.code !== 0) throw new Error(`demo step failed: ${title}`);
}

async function showServing(stack: Stack): Promise<void> {
  for (const site of SITES) {
    const page = await stack.request(site, '/');
    process.stdout.write(`  http://${site}/ -> ${page.status}, WordPress ${generatorVersion(page.body) ?? '?'}\n`);
  }
}

const stack = await startStack({ keepRoot: process.argv.includes('--keep') });
try {
  process.stdout.write(`demo root: ${stack.root} (nginx on ${stack.probeAddress})\n`);
  await writeAgentConfig(stack);
  await step(stack, 'init the shared core with WordPress 6.4.5', ['init', '--release', WP645]);
  for (const site of SITES) await step(stack, `create ${site}`, ['create', site]);
  await step(stack, 'list', ['list']);
  await showServing(stack);
  await step(stack, 'update every site to 6.5.5 (canary first, DB upgrades)', [
    'update',
    '--release',
    WP655,
    '--canary',
    SITES[0] as string,
  ]);
  await showServing(stack);
  await step(stack, 'rollback to 6.4.5, restoring the DB snapshots', ['rollback', '--restore-db']);
  await showServing(stack);
  await step(stack, 'status', ['status']);
  process.stdout.write('\ndemo finished\n');
} finally {
  await stack.stop();
}
