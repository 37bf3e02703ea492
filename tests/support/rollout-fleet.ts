import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { silentLogger, type TlsMaterial } from '@wofleet/shared';
import { connectAgent, type AgentApi } from '../../controller/src/agents/client.js';
import { readControllerTls } from '../../controller/src/ca/files.js';
import type { CampaignView } from '../../controller/src/campaigns/index.js';
import { insertRelease, listServers, openDatabase, pinnedFingerprints, type OpenDatabase } from '../../controller/src/db/index.js';
import { createScratchDatabase, type ScratchPostgres } from '../../controller/test/db.fixtures.js';
import { WP655 } from './agent.js';
import { startFleet, type Fleet, type FleetOptions } from './fleet.js';
import { copyIntoMirror } from './releases.js';
import { startStack, type Stack } from './stack.js';

/**
 * The fleet the rollout e2e tests run campaigns on: one private nginx + PHP-FPM stack,
 * a fresh Postgres database, and `names` real agents (the first flagged canary) on
 * 6.4.5 with two sites each, enrolled and online. The fleet's own controller process
 * is stopped once they are online: each test brings the controllers it means to test
 * (runners in process, or `controller serve` children it kills). 6.5.5 (the fixture, copied
 * into the agents' mirror dir) is in the release catalog. The chaos suite keeps that
 * controller running and may bring its own Postgres or NATS cluster (options).
 */
/** The agents' heartbeat period: the controller takes a server offline after 3 silent ones. */
export const ROLLOUT_HEARTBEAT_SECONDS = 1;

export interface RolloutFleetOptions {
  /** Keep the fleet's `controller serve` running: it drives the campaigns (default: stopped). */
  keepController?: boolean;
  /** A Postgres database the test runs itself (default: a scratch database on the shared server). */
  databaseUrl?: string;
  natsCluster?: FleetOptions['natsCluster'];
  /** Default 2. */
  sitesPerAgent?: number;
  /** /metrics on the controller and every agent (FleetOptions.metrics). */
  metrics?: boolean;
}

export interface RolloutFleet {
  stack: Stack;
  /** The agents' releases.mirrorDir: a release a campaign stages from file:// must be in it. */
  mirrorDir: string;
  fleet: Fleet;
  database: OpenDatabase;
  /** The controller's TLS material, for connectAgent. */
  tls: TlsMaterial;
  scratch: ScratchPostgres;
  /** The release each server's `current` link points at, by name. */
  versions(): Promise<Record<string, string | undefined>>;
  /** The steps of campaign `id` an agent journaled (`c<id>-<server>-<step>.json`), sorted. */
  journaled(server: string, id: string): string[];
  /** The agent's stateDir. */
  stateDir(server: string): string;
  /** The update records (one per activation, whatever its outcome) the agent's state.json holds since `since`. */
  updatesSince(server: string, since: Date): AgentUpdateRecord[];
  /** The state of an operation in the agent's own journal, undefined before it is journaled. */
  journalState(server: string, operationId: string): string | undefined;
  destroy(): Promise<void>;
}

/** An update record of the agent's state.json, as the tests count switches by. */
export interface AgentUpdateRecord {
  from: string;
  to: string;
  startedAt: string;
  outcome: string;
}

export async function startRolloutFleet(names: readonly string[], options: RolloutFleetOptions = {}): Promise<RolloutFleet> {
  const cleanups: Array<() => Promise<void>> = [];
  const cleanup = async () => {
    for (const step of cleanups.splice(0).reverse()) await step();
  };
  try {
    return await assemble(names, options, cleanups, cleanup);
  } catch (err) {
    await cleanup();
    throw err;
  }
}

async function assemble(
  names: readonly string[],
  options: RolloutFleetOptions,
  cleanups: Array<() => Promise<void>>,
  cleanup: () => Promise<void>,
): Promise<RolloutFleet> {
  const stack = await startStack();
  cleanups.push(() => stack.stop());
  const scratch: ScratchPostgres =
    options.databaseUrl === undefined
      ? await createScratchDatabase()
      : { name: new URL(options.databaseUrl).pathname.slice(1), url: options.databaseUrl, drop: async () => {} };
  cleanups.push(() => scratch.drop());
  const mirrorDir = path.join(stack.root, 'mirror');
  const wp655 = copyIntoMirror(mirrorDir, WP655);
  const fleet = await startFleet({
    mirrorDir,
    agents: names,
    heartbeatSeconds: ROLLOUT_HEARTBEAT_SECONDS,
    databaseUrl: scratch.url,
    // A cluster the test runs is not under the fleet's NATS authorization.
    natsIdentities: options.natsCluster === undefined,
    ...(options.natsCluster ? { natsCluster: options.natsCluster } : {}),
    stack,
    sitesPerAgent: options.sitesPerAgent ?? 2,
    canaries: names.slice(0, 1),
    metrics: options.metrics === true,
  });
  cleanups.push(() => fleet.destroy());
  const database = await openDatabase({ databaseUrl: scratch.url, dataDir: fleet.dataDir, log: silentLogger(), maxConnections: 8 });
  cleanups.push(() => database.close());
  for (const deadline = Date.now() + 20_000; ; await new Promise((r) => setTimeout(r, 200))) {
    const servers = await listServers(database.db);
    if (servers.length === names.length && servers.every((s) => s.status === 'online')) break;
    if (Date.now() > deadline) throw new Error(`servers not online: ${JSON.stringify(servers.map((s) => [s.name, s.status]))}`);
  }
  if (options.keepController !== true) await fleet.controller.stop();
  const tls = await readControllerTls(fleet.dataDir);
  const probes = new Map<string, AgentApi>(
    fleet.agents.map((a) => [
      a.name,
      connectAgent({ server: a.name, address: a.address }, tls, (server) => pinnedFingerprints(database.db, server)),
    ]),
  );
  cleanups.push(async () => {
    for (const probe of probes.values()) probe.close();
  });
  const sha256 = readFileSync(`${wp655}.sha256`, 'utf8').trim().split(/\s+/)[0] ?? '';
  await insertRelease(database.db, {
    version: '6.5.5',
    url: pathToFileURL(wp655).href,
    digest: { algorithm: 'sha256', hex: sha256 },
    dbVersion: 57155,
  });
  const stateDir = (server: string) => fleet.agent(server).host.agentConfig.stateDir as string;

  return {
    stack,
    mirrorDir,
    fleet,
    database,
    tls,
    scratch,
    stateDir,
    async versions() {
      const out: Record<string, string | undefined> = {};
      for (const [name, probe] of probes) {
        // ListReleases reads the links on disk; GetStatus answers from a cache refreshed in the background.
        const { releases } = await probe.listReleases();
        out[name] = releases.find((r) => r.marks.includes('RELEASE_MARK_CURRENT'))?.version;
      }
      return out;
    },
    journaled(server, id) {
      return readdirSync(path.join(stateDir(server), 'operations'))
        .filter((f) => f.startsWith(`c${id}-`) && f.endsWith('.json'))
        .map((f) => f.slice(`c${id}-${server}-`.length, -'.json'.length))
        .sort();
    },
    updatesSince(server, since) {
      const state = JSON.parse(readFileSync(path.join(stateDir(server), 'state.json'), 'utf8')) as { updates: AgentUpdateRecord[] };
      return state.updates.filter((u) => new Date(u.startedAt) >= since);
    },
    journalState(server, operationId) {
      const file = path.join(stateDir(server), 'operations', `${operationId}.json`);
      return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as { state: string }).state : undefined;
    },
    destroy: cleanup,
  };
}

/** One line per campaign for assertion messages: state, waves, every target with its reason. */
export function campaignSummary(view: CampaignView): string {
  const targets = view.targets.map((t) => `${t.server}=${t.state}${t.reason ? ` [${t.reason}]` : ''}`).join(' ');
  return `${view.state} (${view.reason}); waves ${view.waves.map((w) => w.state).join(',')}; ${targets}`;
}

/** Every server on `version`, as versions() returns them. */
export function allOn(names: readonly string[], version: string): Record<string, string> {
  return Object.fromEntries(names.map((n) => [n, version]));
}
