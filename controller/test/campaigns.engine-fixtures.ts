import { silentLogger } from '@wofleet/shared';
import {
  actOnCampaign,
  askOnce,
  getCampaign,
  parseCampaignRequest,
  startCampaign,
  startCampaignRunner,
  type ActionOptions,
  type CampaignEvent,
  type CampaignRepository,
  type CampaignRequestText,
  type CampaignRunner,
  type CampaignView,
  type GateCheckRunner,
  type GateCheckTarget,
} from '../src/campaigns/index.js';
import { requestText } from './campaigns.fixtures.js';
import { createMemoryRepository, type MemoryRepository } from './campaigns.memory-repository.js';
import { createSimAgents, type SimAgents } from './campaigns.sim-agents.js';
import { T0 } from './db.fixtures.js';
import { createFakeClock, type FakeClock } from './fake-clock.js';

/**
 * The campaign engine on its own, in fake time: the real runner, driver, policy and
 * steps over the in-memory repository and simulated agents. Four servers (web-1, the
 * canary, to web-4) on 6.4.5; 6.5.5 and a broken 6.6.1 (its activation fails) in the
 * catalog. Delays as on the real stack: staging is quick, a switch takes a while.
 */
export const NAMES = ['web-1', 'web-2', 'web-3', 'web-4'];
export const POLL_MS = 200;

export interface EngineWorld {
  clock: FakeClock;
  repository: MemoryRepository;
  agents: SimAgents;
  /** The external checks, scripted: what they were asked and which servers fail them. */
  gate: ScriptedGate;
  /** Events the runners published. */
  events: CampaignEvent[];
  request(overrides?: Partial<CampaignRequestText>): ReturnType<typeof parseCampaignRequest>;
  start(overrides?: Partial<CampaignRequestText>): Promise<string>;
  act(id: string, action: Parameters<typeof actOnCampaign>[2], options?: ActionOptions): Promise<CampaignView>;
  /**
   * A runner as a controller named `holderId` runs it; `connected` collects the servers
   * it opened channels to; `through`: the repository as this controller reaches it.
   */
  runner(holderId: string, connected?: Set<string>, through?: CampaignRepository): CampaignRunner;
  /** Stops a runner, letting fake time run while it does. */
  stop(runner: CampaignRunner): Promise<void>;
  view(id: string): Promise<CampaignView>;
  /** Runs fake time until `check` holds for the campaign. */
  waitFor(id: string, what: string, check: (view: CampaignView) => boolean): Promise<CampaignView>;
}

/** The GateCheckRunner of the engine tests: fails the servers in `failing` with their reason, records every run. */
export interface ScriptedGate extends GateCheckRunner {
  failing: Map<string, string>;
  runs: GateCheckTarget[];
}

function scriptedGate(): ScriptedGate {
  const failing = new Map<string, string>();
  const runs: GateCheckTarget[] = [];
  return {
    failing,
    runs,
    async run(_checks, target) {
      runs.push(target);
      return failing.get(target.server.name);
    },
  };
}

export function engineWorld(): EngineWorld {
  const clock = createFakeClock(T0);
  const repository = createMemoryRepository(() => clock.now().getTime() - clock.jumpedMs());
  repository.addRelease({
    version: '6.5.5',
    url: 'file:///fixtures/wordpress-6.5.5.tar.gz',
    digest: { algorithm: 'sha256', hex: 'a'.repeat(64) },
  });
  repository.addRelease({
    version: '6.6.1',
    url: 'file:///fixtures/wordpress-6.6.1.tar.gz',
    digest: { algorithm: 'sha256', hex: 'b'.repeat(64) },
  });
  for (const [i, name] of NAMES.entries()) {
    repository.addServer({
      name,
      address: `127.0.0.1:${7000 + i}`,
      canary: i === 0,
      enrolled: true,
      status: 'online',
      labels: { n: `${i}` },
      agentVersion: '0.2.0',
    });
    for (const site of ['a', 'b']) repository.addSite({ server: name, domain: `${site}.${name}.test`, ssl: site === 'a' });
  }
  const gate = scriptedGate();
  const agents = createSimAgents({
    servers: NAMES,
    initialVersion: '6.4.5',
    clock,
    broken: ['6.6.1'],
    initialAgentVersion: '0.2.0',
    brokenPackages: ['0.3.9'],
    inertPackages: ['0.3.8'],
    delays: { stageMs: 500, activateMs: 3_000, rollbackMs: 2_000 },
  });
  const events: CampaignEvent[] = [];
  // Planning asks an offline canary's agent, as the controller's RolloutService does.
  const ctx = { repository, clock, agentAnswers: askOnce((target) => agents.connect(target), clock) };
  const request = (overrides: Partial<CampaignRequestText> = {}) =>
    parseCampaignRequest(
      requestText({ waves: '1,1,50%', maxParallel: 2, minHealthy: '1s', healthyDeadline: '30s', progressDeadline: '10m', ...overrides }),
    );
  const view = (id: string) => getCampaign(ctx, id);

  return {
    clock,
    repository,
    agents,
    gate,
    events,
    request,
    start: async (overrides) => (await startCampaign(ctx, request(overrides), 'operator:test')).id,
    act: (id, action, options) => actOnCampaign(ctx, id, action, 'operator:test', options),
    runner: (holderId, connected, through) =>
      startCampaignRunner({
        repository: through ?? repository,
        connectAgent: (target) => {
          connected?.add(target.server);
          return agents.connect(target);
        },
        gateChecks: gate,
        log: silentLogger(),
        clock,
        publish: (event) => void events.push(event),
        holderId,
        pollMs: POLL_MS,
        leaseMs: 3_000,
      }),
    async stop(runner) {
      let stopped = false;
      const stopping = runner.stop().then(() => {
        stopped = true;
      });
      await clock.runUntil(() => stopped, 'runner stopped');
      await stopping;
    },
    view,
    async waitFor(id, what, check) {
      let last = await view(id);
      try {
        await clock.runUntil(async () => {
          last = await view(id);
          return check(last);
        }, what);
      } catch (err) {
        throw new Error(`${err instanceof Error ? err.message : String(err)}: ${summary(last)}`);
      }
      return last;
    },
  };
}

export const statesOf = (view: CampaignView) => Object.fromEntries(view.targets.map((t) => [t.server, t.state]));
export const targetState = (view: CampaignView, server: string) => view.targets.find((t) => t.server === server)?.state;
export const allOn = (value: string) => Object.fromEntries(NAMES.map((n) => [n, value]));

function summary(view: CampaignView): string {
  return `${view.state}; ${view.targets.map((t) => `${t.server}=${t.state}${t.reason ? ` [${t.reason}]` : ''}`).join(' ')}`;
}
