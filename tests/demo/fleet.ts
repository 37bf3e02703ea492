/**
 * The fleet demo (README's first command), on real WordOps: four servers, each an
 * overlay copy of the real-WordOps 3.22 chroot (deploy/dev/realwo.sh) in its own
 * namespaces with WordOps' nginx, PHP-FPM, MariaDB and Redis, running `wofleet-agent
 * serve`; two sites per server made by `wofleet-agent create` through the real `wo`
 * (one with --wpfc, WordOps' FastCGI page cache). The controller (embedded PGlite unless
 * DATABASE_URL is set) and a private nats-server run on the host; the agents reach them
 * through their veth, the controller reaches each agent on the server's address.
 * One campaign takes the fleet from 6.4.5 to 6.5.5: canary web-1 first, then waves of 1
 * and 50%, with health gates, followed live with `wofleet rollout watch`; `servers list`
 * and `sites list` show the result (the controller's PHP, cache and SSL of each site are
 * checked against `wofleet-agent list` on its server), and every site is fetched through
 * its server's nginx to show the core it really serves.
 *
 * Leaves nothing running or mounted, also on Ctrl-C. --keep keeps the fleet running
 * after the demo, for a look around, until Ctrl-C.
 */
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import type { SiteRow } from '@wofleet/agent';
import { WP655 } from '../support/agent.js';
import { CONTROLLER_CLI, type ControlPlane } from '../support/fleet.js';
import { startRealWoFleet, type RealWoFleet } from '../support/realwo-fleet.js';
import { generatorVersion } from '../support/releases.js';
import { Teardown } from '../support/teardown.js';

const SERVERS = ['web-1', 'web-2', 'web-3', 'web-4'];
const HEARTBEAT_SECONDS = 3;
const keep = process.argv.includes('--keep');

const say = (text: string) => process.stdout.write(`${text}\n`);

/** `wofleet ARGS` as the operator, its output shown as it comes. */
function wofleetLive(plane: ControlPlane, args: readonly string[]): Promise<number | null> {
  say(`\n$ wofleet ${args.join(' ')}`);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CONTROLLER_CLI, ...args], {
      env: { ...process.env, HOME: plane.home, WOFLEET_LOG_LEVEL: 'silent' },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    child.on('error', reject);
    child.on('close', resolve);
  });
}

async function step(plane: ControlPlane, title: string, args: readonly string[]): Promise<void> {
  say(`\n=== ${title}`);
  const code = await wofleetLive(plane, args);
  if (code !== 0) throw new Error(`demo step failed (exit ${code}): wofleet ${args.join(' ')}`);
}

async function waitOnline(plane: ControlPlane): Promise<void> {
  for (const deadline = Date.now() + 60_000; ; ) {
    const servers = await plane.wofleetJson<{ name: string; state: string }[]>(['servers', 'list']);
    if (servers.length === SERVERS.length && servers.every((s) => s.state === 'online')) return;
    if (Date.now() > deadline) throw new Error(`servers not online after 60 s: ${JSON.stringify(servers)}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

type InventoryRow = {
  server: string;
  site?: { domain: string; version: string; health: string; php: string; cache: string; ssl: boolean };
};

/**
 * Until the controller's inventory has every site healthy on 6.5.5: site health comes
 * from each agent's own health checks (health-changed events), which can lag behind
 * the campaign's verification of the switch.
 */
async function waitInventory(plane: ControlPlane): Promise<void> {
  const started = Date.now();
  for (const deadline = started + 120_000; ; ) {
    const inventory = await plane.wofleetJson<InventoryRow[]>(['sites', 'list']);
    const notOk = inventory.filter((s) => s.site?.version !== '6.5.5' || s.site.health !== 'HEALTH_LEVEL_OK');
    if (inventory.length === SERVERS.length * 2 && notOk.length === 0) break;
    if (Date.now() > deadline)
      throw new Error(`the controller's inventory is not every site healthy on 6.5.5 after 120 s: ${JSON.stringify(notOk)}`);
    await new Promise((r) => setTimeout(r, 1000));
  }
  const waited = (Date.now() - started) / 1000;
  if (waited >= 1) say(`\n(waited ${waited.toFixed(0)} s for every site's health report on 6.5.5)`);
}

/** Every site through its server's nginx (Host header), as a visitor gets it; `times` GETs each, the last one shown. */
async function showServing(fleet: RealWoFleet, times = 1): Promise<string[]> {
  const versions: string[] = [];
  for (const { name, server, sites } of fleet.servers) {
    for (const site of sites) {
      let page = await server.http(site, '/');
      for (let i = 1; i < times; i++) page = await server.http(site, '/');
      const version = generatorVersion(page.body) ?? '?';
      const cache = page.headers['x-fastcgi-cache'];
      versions.push(version);
      say(
        `  ${name}  http://${site}/ via ${server.address} -> ${page.status}, WordPress ${version}${cache ? `, page cache ${cache}` : ''}`,
      );
    }
  }
  return versions;
}

/**
 * The controller's PHP, cache and SSL of every site must be what the agent on its server
 * reads from WordOps there (`wofleet-agent list`).
 */
async function checkFacts(plane: ControlPlane, fleet: RealWoFleet): Promise<void> {
  const inventory = await plane.wofleetJson<InventoryRow[]>(['sites', 'list']);
  const wrong: string[] = [];
  for (const { name, server } of fleet.servers) {
    for (const row of await server.agentJson<SiteRow[]>(['list'])) {
      const site = inventory.find((s) => s.server === name && s.site?.domain === row.domain)?.site;
      const onServer = { php: row.php, cache: row.cache, ssl: row.ssl };
      const inController = { php: site?.php, cache: site?.cache, ssl: site?.ssl };
      if (JSON.stringify(onServer) !== JSON.stringify(inController))
        wrong.push(`${name} ${row.domain}: controller ${JSON.stringify(inController)}, wofleet-agent list ${JSON.stringify(onServer)}`);
    }
  }
  if (wrong.length > 0) throw new Error(`the controller's site facts differ from the servers':\n  ${wrong.join('\n  ')}`);
  say(`\n(checked: PHP, cache and SSL of all ${inventory.length} sites are what wofleet-agent list reads from WordOps on each server)`);
}

async function demo(teardown: Teardown): Promise<void> {
  const started = Date.now();
  say(`demo: ${SERVERS.length} real-WordOps servers with 2 sites each (wofleet-agent create through the real wo), a controller and NATS`);
  const fleet = await startRealWoFleet(
    {
      servers: SERVERS,
      canaries: ['web-1'],
      sites: (server) => [
        { domain: `s1.${server}.test`, flags: [] },
        { domain: `s2.${server}.test`, flags: ['--wpfc'] },
      ],
      heartbeatSeconds: HEARTBEAT_SECONDS,
      progress: (line) => say(`  ${line}`),
    },
    teardown,
  );
  const { plane } = fleet;
  await waitOnline(plane);
  say(
    `fleet ready in ${((Date.now() - started) / 1000).toFixed(0)} s; controller data in ${plane.dataDir}${process.env.DATABASE_URL ? ' (Postgres)' : ' (embedded PGlite)'}`,
  );

  await step(plane, 'the fleet', ['servers', 'list']);
  say("\n=== every site serves WordPress 6.4.5 (each fetched twice: the --wpfc sites' second answer comes from WordOps' page cache)");
  await showServing(fleet, 2);

  const sha1 = (await readFile(`${WP655}.sha1`, 'utf8')).trim().split(/\s+/)[0] ?? '';
  await step(plane, 'add WordPress 6.5.5 to the release catalog', [
    'releases',
    'add',
    '6.5.5',
    '--url',
    pathToFileURL(WP655).href,
    '--sha1',
    sha1,
  ]);
  const campaign = ['--release', '6.5.5', '--waves', '1,1,50%', '--max-parallel', '2', '--min-healthy', '5s', '--healthy-deadline', '2m'];
  await step(plane, 'plan the rollout (nothing is changed)', ['rollout', 'plan', ...campaign]);
  await step(plane, 'start it and watch: canary web-1, then 1 server, then 50% per wave', ['rollout', 'start', ...campaign, '--watch']);

  await step(plane, 'the fleet after the campaign', ['servers', 'list']);
  await waitInventory(plane);
  await step(plane, 'every site', ['sites', 'list']);
  await checkFacts(plane, fleet);
  await step(plane, 'campaigns', ['rollout', 'list']);
  say("\n=== what the sites really serve, through WordOps' nginx (the agent purged the --wpfc sites' page cache at the switch)");
  const versions = await showServing(fleet);
  if (versions.length !== SERVERS.length * 2 || versions.some((v) => v !== '6.5.5'))
    throw new Error(`not every site serves 6.5.5: ${versions.join(', ')}`);
  say(`\ndemo finished in ${((Date.now() - started) / 1000).toFixed(0)} s: every site of the fleet serves WordPress 6.5.5`);
  if (keep) {
    say(`--keep: the fleet keeps running; the operator CLI: HOME=${plane.home} node ${CONTROLLER_CLI} servers list`);
    for (const { name, server } of fleet.servers) say(`  ${name}: root ${server.root}, nginx at ${server.address}`);
    say('Ctrl-C stops it');
    await new Promise(() => undefined);
  }
}

const teardown = new Teardown();
let interrupted = false;
const interrupt = (signal: NodeJS.Signals) => {
  if (interrupted) return;
  interrupted = true;
  say(`\n${signal}: stopping the servers, agents, controller and NATS...`);
  void teardown.run().then(() => process.exit(signal === 'SIGINT' ? 130 : 143));
};
process.on('SIGINT', interrupt);
process.on('SIGTERM', interrupt);

try {
  await demo(teardown);
} catch (err) {
  // After Ctrl-C, whatever the demo was doing fails as its parts stop: the teardown speaks.
  if (!interrupted) {
    process.stderr.write(`demo failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  }
} finally {
  if (!interrupted) {
    const stopping = Date.now();
    await teardown.run();
    say(`stopped the servers, agents, controller and NATS in ${((Date.now() - stopping) / 1000).toFixed(0)} s`);
  }
}
