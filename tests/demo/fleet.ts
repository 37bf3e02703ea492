/**
 * The fleet demo (README's first command): a controller (embedded PGlite unless
 * DATABASE_URL is set), a private nats-server, and four `wofleet-agent serve` daemons
 * as four "servers" on temp roots, each with two real WordPress sites served by a
 * private nginx + PHP-FPM + MariaDB stack (the `wo`/`wp` stand-ins create them).
 * Every server enrolls with the controller, then one campaign takes the whole fleet
 * from 6.4.5 to 6.5.5: canary web-1 first, then waves of 1 and 50%, with health gates,
 * followed live with `wofleet rollout watch`; `servers list` and `sites list` show the
 * result, and every site is fetched over HTTP to show the core it really serves.
 * Leaves nothing running; --keep keeps the temp roots for a look around.
 */
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import { WP655 } from '../support/agent.js';
import { CONTROLLER_CLI, startFleet, type Fleet } from '../support/fleet.js';
import { generatorVersion } from '../support/releases.js';
import { startStack, type Stack } from '../support/stack.js';

const SERVERS = ['web-1', 'web-2', 'web-3', 'web-4'];
const HEARTBEAT_SECONDS = 3;
const keep = process.argv.includes('--keep');

const say = (text: string) => process.stdout.write(`${text}\n`);

/** `wofleet ARGS` as the operator, its output shown as it comes. */
function wofleetLive(fleet: Fleet, args: readonly string[]): Promise<number | null> {
  say(`\n$ wofleet ${args.join(' ')}`);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CONTROLLER_CLI, ...args], {
      env: { ...process.env, HOME: fleet.home, WOFLEET_LOG_LEVEL: 'silent' },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    child.on('error', reject);
    child.on('close', resolve);
  });
}

async function step(fleet: Fleet, title: string, args: readonly string[]): Promise<void> {
  say(`\n=== ${title}`);
  const code = await wofleetLive(fleet, args);
  if (code !== 0) throw new Error(`demo step failed (exit ${code}): wofleet ${args.join(' ')}`);
}

async function waitOnline(fleet: Fleet): Promise<void> {
  for (const deadline = Date.now() + 60_000; ; ) {
    const servers = await fleet.wofleetJson<{ name: string; state: string }[]>(['servers', 'list']);
    if (servers.length === SERVERS.length && servers.every((s) => s.state === 'SERVER_STATE_ONLINE')) return;
    if (Date.now() > deadline) throw new Error(`servers not online after 60 s: ${JSON.stringify(servers)}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

async function showServing(stack: Stack, fleet: Fleet): Promise<string[]> {
  const versions: string[] = [];
  for (const agent of fleet.agents) {
    for (const site of agent.sites) {
      const page = await stack.request(site, '/');
      const version = generatorVersion(page.body) ?? '?';
      versions.push(version);
      say(`  ${agent.name}  http://${site}/ -> ${page.status}, WordPress ${version}`);
    }
  }
  return versions;
}

const stack = await startStack({ keepRoot: keep, fpmChildren: 4 });
let fleet: Fleet | undefined;
try {
  say(`demo: nginx + PHP-FPM on ${stack.probeAddress}, stack root ${stack.root}`);
  say(`starting the controller, NATS and ${SERVERS.length} agents with 2 sites each (init 6.4.5, servers add, enroll, serve)...`);
  fleet = await startFleet({ agents: SERVERS, canaries: ['web-1'], stack, sitesPerAgent: 2, heartbeatSeconds: HEARTBEAT_SECONDS });
  await waitOnline(fleet);
  say(
    `fleet root ${fleet.root}; controller at ${fleet.controller.address}${process.env.DATABASE_URL ? ' (Postgres)' : ' (embedded PGlite)'}`,
  );

  await step(fleet, 'the fleet', ['servers', 'list']);
  say('\n=== every site serves WordPress 6.4.5');
  await showServing(stack, fleet);

  const sha1 = (await readFile(`${WP655}.sha1`, 'utf8')).trim().split(/\s+/)[0] ?? '';
  await step(fleet, 'add WordPress 6.5.5 to the release catalog', [
    'releases',
    'add',
    '6.5.5',
    '--url',
    pathToFileURL(WP655).href,
    '--sha1',
    sha1,
  ]);
  const campaign = ['--release', '6.5.5', '--waves', '1,1,50%', '--max-parallel', '2', '--min-healthy', '5s', '--healthy-deadline', '2m'];
  await step(fleet, 'plan the rollout (nothing is changed)', ['rollout', 'plan', ...campaign]);
  await step(fleet, 'start it and watch: canary web-1, then 1 server, then 50% per wave', ['rollout', 'start', ...campaign, '--watch']);

  await step(fleet, 'the fleet after the campaign', ['servers', 'list']);
  await step(fleet, 'every site', ['sites', 'list']);
  await step(fleet, 'campaigns', ['rollout', 'list']);
  const inventory = await fleet.wofleetJson<{ server: string; site?: { domain: string; version: string; health: string } }[]>([
    'sites',
    'list',
  ]);
  const notOk = inventory.filter((s) => s.site?.version !== '6.5.5' || s.site.health !== 'HEALTH_LEVEL_OK');
  if (inventory.length !== SERVERS.length * 2 || notOk.length > 0)
    throw new Error(`the controller's inventory is not every site healthy on 6.5.5: ${JSON.stringify(notOk)}`);
  say('\n=== what the sites really serve');
  const versions = await showServing(stack, fleet);
  if (versions.length !== SERVERS.length * 2 || versions.some((v) => v !== '6.5.5'))
    throw new Error(`not every site serves 6.5.5: ${versions.join(', ')}`);
  say('\ndemo finished: every site of the fleet serves WordPress 6.5.5');
} finally {
  if (!keep) await fleet?.destroy();
  await stack.stop();
}
