import { status } from '@grpc/grpc-js';
import { isTerminalOperationState, type Operation, type OperationKind } from '@wofleet/proto';
import { NotFoundError } from '@wofleet/shared';

const SIM_DIGEST = { algorithm: 'sha256', hex: '0'.repeat(64) };
import { AgentUnreachableError, type AgentApi, type AgentTarget } from '../src/agents/client.js';
import type { Clock } from '../src/context/clock.js';

/**
 * Simulated agents in process, for the engine unit tests: the AgentService calls the
 * campaign engine makes, answered the way a `wofleet-agent` does (and as
 * tests/support/sim-agents.ts does over gRPC), with the work taking fake time. Each
 * server keeps its releases (`current`, `previous`) and an operation registry: a
 * repeated operation id answers with the first operation, as the agent's journal does.
 * What a test turns: a broken release (activate fails, the agent reverts itself),
 * failing health, an agent down (every call unreachable).
 */
export interface SimAgents {
  connect(target: AgentTarget): AgentApi;
  /** Version of each server's current release. */
  versions(): Record<string, string>;
  /** The steps of campaign `id` a server accepted (`c<id>-<server>-<step>`), sorted, as the e2e tests read the journal. */
  journaled(server: string, id: string): string[];
  /** Activations a server performed (each changed its current release). */
  activations(server: string): number;
  setHealthy(server: string, healthy: boolean): void;
  /** A failing serving proof of one site, reported to deep health checks only (as the agent runs proofs only then); undefined: proofs pass. */
  setFailingProof(server: string, proof: { site: string; culprit: string; error: string } | undefined): void;
  /** The canary_site of each Activate a server accepted, in order. */
  canarySites(server: string): string[];
  /** The operation ids of the Rollbacks a server accepted that asked to restore the DB snapshots, in order. */
  dbRestores(server: string): string[];
  /** Down: every call fails as unreachable, watches in progress break off. Up again: answers as before. */
  setDown(server: string, down: boolean): void;
  /** The next `count` stages the server accepts end INTERRUPTED, as after an agent killed mid-stage. */
  interruptStages(server: string, count: number): void;
  /** Servers connect() was called for (who drove the campaign). */
  connected: Set<string>;
  /** The wofleet-agent version each server's agent reports. */
  agentVersions(): Record<string, string>;
}

export interface SimAgentOptions {
  servers: readonly string[];
  initialVersion: string;
  clock: Clock;
  /** Versions whose activation fails (their sites do not serve): the agent goes back to the release before. */
  broken?: readonly string[];
  delays?: { stageMs: number; activateMs: number; rollbackMs: number };
  /** The wofleet-agent version every agent reports at first (default 'sim'). */
  initialAgentVersion?: string;
  /** wofleet-agent versions whose install does not take: the agent comes back on the version before. */
  inertPackages?: readonly string[];
  /** wofleet-agent versions that come up broken: the agent reports them, and its health checks fail. */
  brokenPackages?: readonly string[];
}

const DB_VERSION: Readonly<Record<string, number>> = { '6.4.5': 56657, '6.5.5': 57155, '6.6.1': 57155 };

interface SimRelease {
  id: string;
  version: string;
  dbVersion: number;
}

interface SimAgent {
  releases: Map<string, SimRelease>;
  current: SimRelease;
  previous: SimRelease | undefined;
  operations: Map<string, { op: Operation; done: Promise<void> }>;
  healthy: boolean;
  failingProof: { site: string; culprit: string; error: string } | undefined;
  canarySites: string[];
  dbRestores: string[];
  down: boolean;
  interruptStages: number;
  /** Aborted when the agent goes down: its open watches break off. */
  outage: AbortController;
  activations: number;
  agentVersion: string;
  /** wofleet-agent versions staged (StagePackage), with the SHA-256 they were asked with. */
  packages: Map<string, string>;
}

export function createSimAgents(options: SimAgentOptions): SimAgents {
  const delays = options.delays ?? { stageMs: 2_000, activateMs: 1_000, rollbackMs: 1_000 };
  const agents = new Map<string, SimAgent>();
  for (const server of options.servers) {
    const initial = release(options.initialVersion, 0);
    agents.set(server, {
      releases: new Map([[initial.id, initial]]),
      current: initial,
      previous: undefined,
      operations: new Map(),
      healthy: true,
      failingProof: undefined,
      interruptStages: 0,
      canarySites: [],
      dbRestores: [],
      down: false,
      outage: new AbortController(),
      activations: 0,
      agentVersion: options.initialAgentVersion ?? 'sim',
      packages: new Map(),
    });
  }
  const connected = new Set<string>();
  const agentOf = (server: string): SimAgent => {
    const agent = agents.get(server);
    if (!agent) throw new Error(`no simulated agent ${server}`);
    return agent;
  };

  function connect(target: AgentTarget): AgentApi {
    connected.add(target.server);
    const agent = agentOf(target.server);
    const reachable = () => {
      if (agent.down)
        throw new AgentUnreachableError(target.server, status.UNAVAILABLE, `cannot reach agent ${target.server}: connection refused`);
    };
    /** Accepts a mutation once per operation id; the work runs on in the background. */
    const accept = async (
      operationId: string,
      kind: OperationKind,
      work: () => Promise<Partial<Pick<Operation, 'resultJson' | 'stageRelease'>>>,
    ): Promise<Operation> => {
      reachable();
      const known = agent.operations.get(operationId);
      if (known) return { ...known.op };
      const op: Operation = {
        id: operationId,
        kind,
        state: 'OPERATION_STATE_RUNNING',
        error: '',
        errorKind: '',
        resultJson: '',
        progress: [],
        startedAt: options.clock.now().toISOString(),
        finishedAt: '',
      };
      const done = work().then(
        (result) => Object.assign(op, { state: 'OPERATION_STATE_SUCCEEDED', ...result }),
        (err: unknown) =>
          err instanceof SimInterrupted
            ? Object.assign(op, { state: 'OPERATION_STATE_INTERRUPTED' })
            : Object.assign(op, { state: 'OPERATION_STATE_FAILED', error: err instanceof Error ? err.message : String(err) }),
      );
      const finished = done.then(() => {
        op.finishedAt = options.clock.now().toISOString();
      });
      agent.operations.set(operationId, { op, done: finished });
      return { ...op };
    };
    return {
      server: target.server,
      address: target.address,
      // What the engine reads of it is only that the agent answers (presence-probe.ts).
      async getStatus() {
        reachable();
        return {
          serverId: target.server,
          agentVersion: agent.agentVersion,
          uptimeSeconds: 0,
          current: null,
          canary: null,
          previous: null,
          canarySite: '',
          releases: agent.releases.size,
          sites: 0,
          health: null,
          disk: null,
          lastUpdate: null,
        };
      },
      listSites: () => Promise.reject(new Error('not simulated')),
      async checkHealth(request = {}) {
        reachable();
        if (options.brokenPackages?.includes(agent.agentVersion)) {
          const detail = `wofleet-agent ${agent.agentVersion} cannot read its sites`;
          return { level: 'HEALTH_LEVEL_UNHEALTHY', checks: [{ name: 'sites', level: 'HEALTH_LEVEL_UNHEALTHY', detail }], proofs: [] };
        }
        const proof = agent.failingProof;
        if (request.deep && proof) {
          return {
            level: 'HEALTH_LEVEL_UNHEALTHY',
            checks: [{ name: `site ${proof.site}`, level: 'HEALTH_LEVEL_UNHEALTHY', detail: 'serving proof failed' }],
            proofs: [{ ...proof, ok: false, release: agent.current.id, dbVersion: agent.current.dbVersion, renderMs: 80 }],
          };
        }
        return agent.healthy
          ? { level: 'HEALTH_LEVEL_OK', checks: [{ name: 'sites', level: 'HEALTH_LEVEL_OK', detail: 'serving' }], proofs: [] }
          : {
              level: 'HEALTH_LEVEL_UNHEALTHY',
              checks: [{ name: 'sites', level: 'HEALTH_LEVEL_UNHEALTHY', detail: 'answers 503' }],
              proofs: [],
            };
      },
      async listReleases() {
        reachable();
        return {
          releases: [...agent.releases.values()].map((r) => ({
            ...r,
            stagedAt: '',
            files: 0,
            bytes: 0,
            digest: SIM_DIGEST,
            marks:
              r.id === agent.current.id
                ? ['RELEASE_MARK_CURRENT' as const]
                : r.id === agent.previous?.id
                  ? ['RELEASE_MARK_PREVIOUS' as const]
                  : [],
          })),
        };
      },
      stageRelease: (request) =>
        accept(request.operationId ?? '', 'OPERATION_KIND_STAGE_RELEASE', async () => {
          await options.clock.sleep(delays.stageMs);
          if (agent.interruptStages > 0) {
            agent.interruptStages--;
            throw new SimInterrupted();
          }
          const staged = release(versionOf(request.source ?? ''), agent.releases.size);
          agent.releases.set(staged.id, staged);
          return { stageRelease: { release: { ...staged, stagedAt: '', files: 0, bytes: 0, digest: SIM_DIGEST, marks: [] } } };
        }),
      activate: (request) =>
        accept(request.operationId ?? '', 'OPERATION_KIND_ACTIVATE', async () => {
          agent.canarySites.push(request.canarySite ?? '');
          await options.clock.sleep(delays.activateMs);
          const to = agent.releases.get(request.releaseId ?? '');
          if (!to) throw new Error(`no release ${request.releaseId}`);
          if (options.broken?.includes(to.version)) throw new Error(`sites do not serve on ${to.id}: switched back to ${agent.current.id}`);
          agent.previous = agent.current;
          agent.current = to;
          agent.activations++;
          return { resultJson: '{}' };
        }),
      rollback: (request) =>
        accept(request.operationId ?? '', 'OPERATION_KIND_ROLLBACK', async () => {
          if (request.restoreDb) agent.dbRestores.push(request.operationId ?? '');
          await options.clock.sleep(delays.rollbackMs);
          const to = request.toRelease ? agent.releases.get(request.toRelease) : agent.previous;
          if (!to) throw new Error(`no release ${request.toRelease}`);
          agent.previous = agent.current;
          agent.current = to;
          return { resultJson: '{}' };
        }),
      upgradeDb: () => Promise.reject(new Error('not simulated')),
      stagePackage: (request) =>
        accept(request.operationId ?? '', 'OPERATION_KIND_STAGE_PACKAGE', async () => {
          await options.clock.sleep(delays.stageMs);
          agent.packages.set(request.version ?? '', request.sha256 ?? '');
          return { resultJson: '{}' };
        }),
      installPackage: (request) =>
        accept(request.operationId ?? '', 'OPERATION_KIND_INSTALL_PACKAGE', async () => {
          const version = request.version ?? '';
          if (!agent.packages.has(version)) throw new Error(`wofleet-agent ${version} is not staged on this server`);
          await options.clock.sleep(delays.activateMs);
          if (!options.inertPackages?.includes(version)) agent.agentVersion = version;
          agent.activations++;
          return { resultJson: '{}' };
        }),
      async getOperation(operationId) {
        reachable();
        const known = agent.operations.get(operationId);
        if (!known) throw new NotFoundError(`no operation ${operationId}`);
        return { ...known.op };
      },
      async watchOperation(operationId, timeoutMs, watch) {
        reachable();
        const known = agent.operations.get(operationId);
        if (!known) throw new NotFoundError(`no operation ${operationId}`);
        const stop = AbortSignal.any([agent.outage.signal, ...(watch?.signal ? [watch.signal] : [])]);
        await Promise.race([known.done, options.clock.sleep(timeoutMs, stop)]);
        if (watch?.signal?.aborted) throw watch.signal.reason;
        reachable();
        if (!isTerminalOperationState(known.op.state))
          throw new AgentUnreachableError(target.server, status.DEADLINE_EXCEEDED, `agent ${target.server} did not answer`);
        return { ...known.op };
      },
      // No connection to open: the simulated agent answers in process.
      connect() {},
      close() {},
    };
  }

  return {
    connect,
    connected,
    versions: () => Object.fromEntries([...agents].map(([name, a]) => [name, a.current.version])),
    agentVersions: () => Object.fromEntries([...agents].map(([name, a]) => [name, a.agentVersion])),
    journaled: (server, id) =>
      [...agentOf(server).operations.keys()]
        .filter((opId) => opId.startsWith(`c${id}-`))
        .map((opId) => opId.slice(`c${id}-${server}-`.length))
        .sort(),
    activations: (server) => agentOf(server).activations,
    setHealthy(server, healthy) {
      agentOf(server).healthy = healthy;
    },
    setFailingProof(server, proof) {
      agentOf(server).failingProof = proof;
    },
    canarySites: (server) => [...agentOf(server).canarySites],
    dbRestores: (server) => [...agentOf(server).dbRestores],
    interruptStages(server, count) {
      agentOf(server).interruptStages = count;
    },
    setDown(server, down) {
      const agent = agentOf(server);
      agent.down = down;
      if (down) agent.outage.abort();
      else agent.outage = new AbortController();
    },
  };
}

/** The agent died while the operation ran: its journal says INTERRUPTED after the restart. */
class SimInterrupted extends Error {}

function release(version: string, n: number): SimRelease {
  return { id: `wp-${version}-${n}`, version, dbVersion: DB_VERSION[version] ?? 0 };
}

/** The version a StageRelease source names: a catalog URL ending in wordpress-<version>.tar.gz, or the version itself. */
function versionOf(source: string): string {
  const match = /(?:^|wordpress-)(\d+\.\d+(?:\.\d+)?)(?:\.tar\.gz|\.zip)?$/.exec(source);
  if (!match?.[1]) throw new Error(`cannot tell the version of source ${source}`);
  return match[1];
}
