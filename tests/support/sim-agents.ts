/**
 * SIMULATED AGENTS, for benchmarks only (`pnpm bench:rollout`): a fleet of AgentService
 * endpoints that speak the real contract over the real transports (gRPC with mutual TLS
 * from the fleet CA, NATS heartbeats) but do no WordPress work: staging, switching and
 * rolling back are fixed delays over an in-memory release state. Tests never use this;
 * they run real `wofleet-agent` daemons.
 *
 * What is real here: the agent's gRPC server and its controller-role guard
 * (createAgentServer), its TLS (its own certificate, client certificates required), its
 * idempotent operation registry with an on-disk journal (OperationRegistry: a repeated
 * operation id returns the first outcome), its operation calls (operation-calls.ts: mutation
 * answers, GetOperation, WatchOperation) and its heartbeat loop (startHeartbeat).
 *
 * What is shared, so that 10,000 agents fit in one process: one TCP listener. Every agent
 * has an address of its own in 127.0.0.0/8 (simAgentHost), all on the same port; the
 * listener tells the agent by the address a connection came to and hands the connection to
 * that agent's gRPC server, which does the TLS handshake with that agent's certificate.
 * The controller still holds one channel per server and checks each one's certificate.
 * (The controller sends a fixed TLS server name to IP addresses, so SNI cannot tell them.)
 */
import { mkdir } from 'node:fs/promises';
import { createServer, type Server as NetServer, type Socket } from 'node:net';
import path from 'node:path';
import { status, type Server } from '@grpc/grpc-js';
import { connect, type NatsConnection } from 'nats';
import type {
  AgentServiceHandlers,
  AgentStatusInput,
  OperationInput,
  OperationKind,
  ReleaseSummaryInput,
  StageReleaseRequest,
} from '@wofleet/proto';
import { NotFoundError, parseDigestMessage, silentLogger } from '@wofleet/shared';
import { reloadableServerCredentials } from '../../agent/src/daemon/grpc/credentials.js';
import { createAgentServer } from '../../agent/src/daemon/grpc/server.js';
import { acceptOperation, operationQueries, unary } from '../../agent/src/daemon/grpc/operation-calls.js';
import { startHeartbeat, type HeartbeatLoop } from '../../agent/src/daemon/nats/heartbeat.js';
import { heartbeatSubject } from '../../agent/src/daemon/nats/subjects.js';
import { realTimers } from '../../agent/src/daemon/nats/timers.js';
import { OperationRegistry, validateOperationId } from '../../agent/src/operations/index.js';

/** `$wp_db_version` of the fixture releases; anything else is simulated as 0. */
const DB_VERSION: Readonly<Record<string, number>> = { '6.4.5': 56657, '6.5.5': 57155 };

export interface SimDelays {
  stageMs: number;
  activateMs: number;
  rollbackMs: number;
}

/** One simulated agent: its server name, its address (simAgentHost), and the certificate its enrollment gave it. */
export interface SimAgentSpec {
  name: string;
  host: string;
  certPem: string;
  keyPem: string;
}

/**
 * The loopback address of the agent numbered `index` (from 0): 127.1.0.1, 127.1.0.2, ...
 * Linux routes all of 127.0.0.0/8 to the loopback interface, so nothing is set up for them.
 */
export function simAgentHost(index: number): string {
  if (!Number.isInteger(index) || index < 0 || index >= 254 * 256 * 254) throw new Error(`no simulated agent address for #${index}`);
  return `127.${1 + Math.floor(index / (256 * 254))}.${Math.floor(index / 254) % 256}.${1 + (index % 254)}`;
}

export interface SimFleetOptions {
  agents: readonly SimAgentSpec[];
  /** The port every agent listens on, at its own host. */
  port: number;
  caPem: string;
  natsUrl: string;
  /** Where the operation journals go (one directory per agent). */
  stateDir: string;
  /** The release every agent runs at start. */
  initialVersion: string;
  delays: SimDelays;
  heartbeatSeconds: number;
  sitesPerAgent?: number;
  /** Agents sharing one NATS connection. Default 100. */
  agentsPerConnection?: number;
}

export interface SimAgentCounters {
  stages: number;
  activations: number;
  rollbacks: number;
  /** Sum of the simulated work started (ms), by step. */
  workMs: { stage: number; activate: number; rollback: number };
}

/** When an agent's simulated work ran (epoch ms), by step: the first run of each. */
export interface SimStepTimes {
  stage?: { startMs: number; endMs: number };
  activate?: { startMs: number; endMs: number };
}

export interface SimFleet {
  /** name -> 127.0.0.1:<port> */
  addresses: ReadonlyMap<string, string>;
  counters: SimAgentCounters;
  /** Activations per agent (a campaign must switch each server once). */
  activationsOf(name: string): number;
  currentVersionOf(name: string): string;
  stepTimesOf(name: string): SimStepTimes;
  stop(): Promise<void>;
}

interface SimRelease {
  id: string;
  version: string;
  dbVersion: number;
  stagedAt: string;
}

interface SimState {
  current: SimRelease;
  previous: SimRelease | undefined;
  releases: Map<string, SimRelease>;
  activations: number;
  times: SimStepTimes;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function simRelease(version: string, stagedAt: Date, n: number): SimRelease {
  const stamp = stagedAt
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return {
    id: `wp-${version}-${stamp}${n > 0 ? `-${n}` : ''}`,
    version,
    dbVersion: DB_VERSION[version] ?? 0,
    stagedAt: stagedAt.toISOString(),
  };
}

/** The version a StageRelease source names: "6.5.5" or a URL/path ending in wordpress-6.5.5.tar.gz. */
function versionOfSource(source: string): string {
  const match = /(?:^|wordpress-)(\d+\.\d+(?:\.\d+)?)(?:\.tar\.gz|\.zip)?$/.exec(source);
  if (!match?.[1])
    throw Object.assign(new Error(`simulated agent cannot tell the version of source ${source}`), { code: status.INVALID_ARGUMENT });
  return match[1];
}

const summary = (r: SimRelease | undefined): ReleaseSummaryInput | undefined =>
  r && { id: r.id, version: r.version, dbVersion: r.dbVersion };

function simHandlers(
  name: string,
  state: SimState,
  operations: OperationRegistry,
  options: SimFleetOptions,
  counters: SimAgentCounters,
  startedAt: number,
): AgentServiceHandlers {
  const sites = options.sitesPerAgent ?? 2;
  const mutation = <Req extends { operationId: string }>(kind: OperationKind, work: (request: Req) => Promise<unknown>) =>
    unary<Req, OperationInput>((request) =>
      acceptOperation(operations, validateOperationId(request.operationId), kind, request, () => work(request)),
    );
  const unimplemented = unary<unknown, never>(async () => {
    throw Object.assign(new Error('not simulated'), { code: status.UNIMPLEMENTED });
  });
  let staged = 0;

  return {
    GetStatus: unary(async () => {
      const answer: AgentStatusInput = {
        serverId: name,
        agentVersion: 'sim',
        uptimeSeconds: Math.floor((Date.now() - startedAt) / 1000),
        current: summary(state.current),
        previous: summary(state.previous),
        releases: state.releases.size,
        sites,
        health: { healthy: sites, degraded: 0, unhealthy: 0 },
      };
      return answer;
    }),
    ListSites: unary(async () => ({
      sites: Array.from({ length: sites }, (_, i) => ({
        domain: `s${i + 1}.${name}.test`,
        link: 'SITE_LINK_CURRENT' as const,
        release: state.current.id,
        version: state.current.version,
        health: 'HEALTH_LEVEL_OK' as const,
      })),
    })),
    CheckHealth: unary(async () => ({
      level: 'HEALTH_LEVEL_OK' as const,
      checks: [{ name: 'current link', level: 'HEALTH_LEVEL_OK' as const, detail: state.current.id }],
    })),
    ListReleases: unary(async () => ({
      releases: [...state.releases.values()].map((r) => ({
        ...r,
        marks:
          r.id === state.current.id
            ? ['RELEASE_MARK_CURRENT' as const]
            : r.id === state.previous?.id
              ? ['RELEASE_MARK_PREVIOUS' as const]
              : [],
      })),
    })),
    GetBaseline: unimplemented,
    StageRelease: mutation('OPERATION_KIND_STAGE_RELEASE', async (r: StageReleaseRequest) => {
      const version = versionOfSource(r.source);
      // The controller always sends the catalog's digest; the release reports it as the real agent does.
      const digest = parseDigestMessage(r.digest ?? { algorithm: '', hex: '' });
      counters.stages++;
      counters.workMs.stage += options.delays.stageMs;
      const startMs = Date.now();
      await sleep(options.delays.stageMs);
      state.times.stage ??= { startMs, endMs: Date.now() };
      const release = simRelease(version, new Date(), staged++);
      state.releases.set(release.id, release);
      return { ...release, digest, files: 3_000, bytes: 70_000_000 };
    }),
    Activate: mutation('OPERATION_KIND_ACTIVATE', async (r: { operationId: string; releaseId: string }) => {
      const to = state.releases.get(r.releaseId);
      if (!to) throw new NotFoundError(`no release ${r.releaseId}`);
      counters.activations++;
      counters.workMs.activate += options.delays.activateMs;
      const startMs = Date.now();
      await sleep(options.delays.activateMs);
      state.times.activate ??= { startMs, endMs: Date.now() };
      const from = state.current;
      state.previous = from;
      state.current = to;
      state.activations++;
      return { from: summary(from), to: summary(to), changed: from.id !== to.id, sites, dbUpgraded: [], pruned: [] };
    }),
    Rollback: mutation('OPERATION_KIND_ROLLBACK', async (r: { operationId: string; toRelease: string }) => {
      const to =
        r.toRelease === '' ? state.previous : [...state.releases.values()].find((x) => x.id === r.toRelease || x.version === r.toRelease);
      if (!to) throw new NotFoundError(r.toRelease === '' ? 'no previous release to roll back to' : `no release ${r.toRelease}`);
      counters.rollbacks++;
      counters.workMs.rollback += options.delays.rollbackMs;
      await sleep(options.delays.rollbackMs);
      const from = state.current;
      state.current = to;
      state.previous = from;
      return { from: summary(from), to: summary(to) };
    }),
    UpgradeDb: mutation('OPERATION_KIND_UPGRADE_DB', async () => ({ upgraded: [] })),
    Prune: unimplemented,
    CreateSite: unimplemented,
    ConvertSite: unimplemented,
    RemoveSite: unimplemented,
    SetBaseline: unimplemented,
    StagePackage: unimplemented,
    InstallPackage: unimplemented,
    ...operationQueries(operations),
  };
}

/** A connection injector of grpc-js: hands an accepted socket to one server, which does the TLS handshake. */
type Injector = ReturnType<Server['createConnectionInjector']>;

/** Starts the fleet: the shared listener, and per agent its gRPC server, registry and heartbeat. */
export async function startSimFleet(options: SimFleetOptions): Promise<SimFleet> {
  const counters: SimAgentCounters = { stages: 0, activations: 0, rollbacks: 0, workMs: { stage: 0, activate: 0, rollback: 0 } };
  const states = new Map<string, SimState>();
  const addresses = new Map<string, string>();
  const servers: Server[] = [];
  const injectors = new Map<string, Injector>();
  const registries: OperationRegistry[] = [];
  const loops: HeartbeatLoop[] = [];
  const connections: NatsConnection[] = [];
  const sockets = new Set<Socket>();
  const perConnection = options.agentsPerConnection ?? 100;
  const startedAt = Date.now();
  const listener = await listenForAgents(options.port, injectors, sockets);

  const stop = async () => {
    await Promise.all(loops.map((l) => l.stop()));
    for (const injector of injectors.values()) injector.destroy();
    for (const server of servers) server.forceShutdown();
    for (const socket of sockets) socket.destroy();
    for (const r of registries) r.close();
    await new Promise<void>((r) => listener.close(() => r()));
    await Promise.all(connections.map((c) => c.drain().catch(() => {})));
  };

  try {
    for (const [i, agent] of options.agents.entries()) {
      const { name } = agent;
      const initial = simRelease(options.initialVersion, new Date(startedAt - 86_400_000), 0);
      const state: SimState = {
        current: initial,
        previous: undefined,
        releases: new Map([[initial.id, initial]]),
        activations: 0,
        times: {},
      };
      states.set(name, state);
      const dir = path.join(options.stateDir, name);
      await mkdir(dir, { recursive: true });
      const registry = await OperationRegistry.open(dir, { log: silentLogger() });
      registries.push(registry);
      const { server } = createAgentServer(simHandlers(name, state, registry, options, counters, startedAt));
      servers.push(server);
      const tls = { caPem: options.caPem, certPem: agent.certPem, keyPem: agent.keyPem };
      injectors.set(agent.host, server.createConnectionInjector(reloadableServerCredentials(tls).credentials));
      addresses.set(name, `${agent.host}:${options.port}`);

      if (i % perConnection === 0) connections.push(await connect({ servers: options.natsUrl, name: `sim-agents-${connections.length}` }));
      const nc = connections.at(-1);
      if (!nc) throw new Error('no NATS connection');
      const codec = new TextEncoder();
      loops.push(
        startHeartbeat({
          serverId: name,
          agentVersion: 'sim',
          periodMs: options.heartbeatSeconds * 1000,
          summary: async () => ({
            current: { release: state.current.id, version: state.current.version },
            canary: null,
            sites: options.sitesPerAgent ?? 2,
            health: 'ok',
            diskFreeBytes: 50 * 1024 ** 3,
          }),
          publish: (beat) => nc.publish(heartbeatSubject(name), codec.encode(JSON.stringify(beat))),
          connected: () => !nc.isClosed(),
          timers: realTimers,
          log: silentLogger(),
          startedAtMs: startedAt,
        }),
      );
    }
  } catch (err) {
    await stop();
    throw err;
  }

  return {
    addresses,
    counters,
    activationsOf: (name) => states.get(name)?.activations ?? 0,
    currentVersionOf: (name) => states.get(name)?.current.version ?? '',
    stepTimesOf: (name) => states.get(name)?.times ?? {},
    stop,
  };
}

/**
 * The one TCP listener of all agents. It must take connections to every agent's address, so
 * it listens on all of them (0.0.0.0); a connection to an address that is no agent's is closed.
 */
async function listenForAgents(port: number, injectors: ReadonlyMap<string, Injector>, sockets: Set<Socket>): Promise<NetServer> {
  const listener = createServer({ noDelay: true }, (socket) => {
    const injector = injectors.get(socket.localAddress?.replace(/^::ffff:/, '') ?? '');
    if (!injector) {
      socket.destroy();
      return;
    }
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    injector.injectConnection(socket);
  });
  await new Promise<void>((resolve, reject) => {
    listener.once('error', reject);
    listener.listen({ port, host: '0.0.0.0', backlog: 4096 }, () => resolve());
  });
  return listener;
}
