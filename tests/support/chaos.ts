import { appendFileSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { expect } from 'vitest';
import {
  actOnCampaign,
  getCampaign,
  parseCampaignRequest,
  startCampaign,
  type CampaignRequestText,
  type CampaignState,
  type CampaignView,
  type TargetState,
} from '../../controller/src/campaigns/index.js';
import { CAMPAIGN_AUDIT_KIND } from '../../controller/src/campaigns/repository.js';
import { createCampaignRepository } from '../../controller/src/campaign-store/index.js';
import { systemClock } from '../../controller/src/context/index.js';
import { insertRelease, listAuditEvents } from '../../controller/src/db/index.js';
import { PRESENCE_AUDIT } from '../../controller/src/presence/decide.js';
import { requestText } from '../../controller/test/campaigns.fixtures.js';
import { startLoad, type LoadHandle } from './load.js';
import { WP655 } from './agent.js';
import { generatorVersion, repackRelease } from './releases.js';
import {
  campaignSummary,
  ROLLOUT_HEARTBEAT_SECONDS,
  startRolloutFleet,
  type RolloutFleet,
  type RolloutFleetOptions,
} from './rollout-fleet.js';

/**
 * The chaos suite's harness (issue 14): one rollout fleet per test file, whose own
 * `controller serve` drives the campaigns; each test runs a campaign to a release none of
 * the servers has yet (6.5.5, then 6.5.6, ...: repacked, so that the tests of a file
 * share its fleet, the slow part, and need no rollback in between), every site under a
 * load generator, one fault injected by the test; then one verdict, the same for every
 * fault, counted from what the parts recorded themselves:
 *
 * - the campaign's end state and every target's;
 * - switches per server: the update records in the agent's own state.json since the start
 *   (at most one each), and the release each server is on (its `current` link, and what
 *   every one of its sites serves: one version);
 * - rollbacks: servers the agents' records or the campaign show rolled back (none of
 *   the faults breaks a site, so every one would be a healthy server rolled back);
 * - events lost: a target whose audit trail (campaign.target rows) does not end in its
 *   final state, a server whose agent-side stage or switch has no agent event in the
 *   audit trail, an agent outbox that never drained;
 * - failed requests: transport errors and non-2xx answers the load saw. None of the
 *   faults touches nginx, PHP-FPM or MariaDB, so the fault causes none itself;
 * - and, shown but not judged, how often presence took a server offline meanwhile.
 *
 * Each verdict is a row of the suite's table (CHAOS_TABLE, printed once at the end by
 * chaos-global-setup.ts), written before it is asserted, so a failing test has its row too.
 */
export const CHAOS_TABLE = path.join(os.tmpdir(), 'wofleet-chaos-table.jsonl');

/** The first campaign's release, in the catalog from the start; later ones are repacked from it. */
const FIRST_VERSION = '6.5.5';
const DB_VERSION_655 = 57155;

export interface ChaosRow {
  fault: string;
  outcome: string;
  switches: Record<string, number>;
  healthyRollbacks: number;
  eventsLost: number;
  failedRequests: number;
  /** How often presence took a server offline during the run: what the fault did to the controller's view. */
  offline: number;
  seconds: number;
}

/** What the right end of the run is. */
export interface ChaosExpectation {
  campaign: CampaignState;
  /** Every target's end state, by server (default: all succeeded). */
  targets?: Record<string, TargetState>;
}

/** The verdict's details, for the assertion messages. */
interface Findings {
  row: ChaosRow;
  /** Each server's release before the campaign. */
  before: Record<string, string | undefined>;
  view: CampaignView;
  versions: Record<string, string | undefined>;
  /** Versions each server's sites served at the end. */
  served: Record<string, Array<string | undefined>>;
  rolledBack: string[];
  lost: string[];
  problems: Record<string, number>;
  /** The warnings and errors of the fleet's controller, for the messages. */
  controllerTrouble: string;
}

const POLL_MS = 200;

export interface ChaosRun {
  id: string;
  /** The release it rolls out. */
  version: string;
  startedAt: Date;
  load: LoadHandle;
  view(): Promise<CampaignView>;
  /** Polls the campaign until `check` holds; throws with its summary after `timeoutMs`. */
  waitFor(what: string, check: (view: CampaignView) => boolean, timeoutMs?: number): Promise<CampaignView>;
  /**
   * Waits for the campaign to end, stops the load, counts the verdict, appends the table
   * row, then asserts it: the right end state, at most one switch per server and one
   * release, no rollback, no event lost, no failed request.
   */
  finish(expected: ChaosExpectation, timeoutMs?: number): Promise<ChaosRow>;
}

/** The fleet's servers: web-1 (the canary) to web-3. */
export const CHAOS_SERVERS = ['web-1', 'web-2', 'web-3'] as const;
/** How long a silent server stays online: 3 heartbeat periods. */
export const OFFLINE_TIMEOUT_MS = 3 * ROLLOUT_HEARTBEAT_SECONDS * 1000;

export interface ChaosFleet {
  rf: RolloutFleet;
  /** Starts the load on every site, then a campaign to the next release; `fault` names the table row. */
  run(fault: string, overrides?: Partial<CampaignRequestText>): Promise<ChaosRun>;
  destroy(): Promise<void>;
}

/** A rollout fleet whose own controller keeps running and drives the campaigns; one site per server. */
export async function startChaosFleet(options: RolloutFleetOptions = {}): Promise<ChaosFleet> {
  const rf = await startRolloutFleet(CHAOS_SERVERS, { keepController: true, sitesPerAgent: 1, ...options });
  let runs = 0;
  return {
    rf,
    async run(fault, overrides = {}) {
      const version = runs === 0 ? FIRST_VERSION : await addRelease(rf, `6.5.${5 + runs}`);
      runs++;
      return startChaosRun(rf, fault, version, chaosRequest({ release: version, ...overrides }));
    },
    destroy: () => rf.destroy(),
  };
}

/** 6.5.5 with another $wp_version, in the agents' mirror dir and the catalog. */
async function addRelease(rf: RolloutFleet, version: string): Promise<string> {
  const repacked = repackRelease(
    WP655,
    (dir) => {
      const file = path.join(dir, 'wp-includes/version.php');
      const source = readFileSync(file, 'utf8');
      if (!source.includes(`$wp_version = '${FIRST_VERSION}'`)) throw new Error(`${file} does not set ${FIRST_VERSION}`);
      writeFileSync(file, source.replace(`$wp_version = '${FIRST_VERSION}'`, `$wp_version = '${version}'`));
    },
    { into: rf.mirrorDir },
  );
  await insertRelease(rf.database.db, {
    version,
    url: pathToFileURL(repacked.file).href,
    digest: { algorithm: 'sha256', hex: repacked.sha256 },
    dbVersion: DB_VERSION_655,
  });
  return version;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** The default request: canary wave then the rest, short holds (the faults last seconds). */
export function chaosRequest(overrides: Partial<CampaignRequestText> = {}): CampaignRequestText {
  return requestText({ waves: '1,100%', maxParallel: 4, minHealthy: '3s', healthyDeadline: '90s', progressDeadline: '10m', ...overrides });
}

async function startChaosRun(rf: RolloutFleet, fault: string, version: string, request: CampaignRequestText): Promise<ChaosRun> {
  const names = rf.fleet.agents.map((a) => a.name);
  const before = await rf.versions();
  const hosts = rf.fleet.agents.flatMap((a) => a.sites);
  const ctx = () => ({ repository: createCampaignRepository(rf.database.db), clock: systemClock });
  const load = startLoad({ port: rf.stack.port, hosts, concurrency: 2, maxSeconds: 400, timeoutMs: 15_000 });
  const startedAt = new Date();
  const began = Date.now();
  const { id } = await startCampaign(ctx(), parseCampaignRequest(request), 'operator:chaos');
  const view = () => getCampaign(ctx(), id);
  const waitFor: ChaosRun['waitFor'] = async (what, check, timeoutMs = 180_000) => {
    let current = await view();
    for (const deadline = Date.now() + timeoutMs; !check(current); current = await view()) {
      if (Date.now() > deadline) throw new Error(`${fault}: ${what} did not happen within ${timeoutMs} ms: ${campaignSummary(current)}`);
      await sleep(POLL_MS);
    }
    return current;
  };
  return {
    id,
    version,
    startedAt,
    load,
    view,
    waitFor,
    async finish(expected, timeoutMs = 240_000) {
      let ended: CampaignView | undefined;
      let waitError: unknown;
      try {
        ended = await waitFor('the campaign ending', (v) => TERMINAL.has(v.state), timeoutMs);
      } catch (err) {
        waitError = err;
        // The fleet's next test needs its servers: end this campaign (its row still shows where it hung).
        await actOnCampaign(ctx(), id, 'abort', 'operator:chaos').catch(() => undefined);
        await waitFor('the aborted campaign ending', (v) => TERMINAL.has(v.state), 60_000).catch(() => undefined);
      }
      const findings = await collectFindings(rf, names, { fault, id, version, before, startedAt, load, began });
      recordChaosRow(findings.row);
      if (waitError !== undefined || ended === undefined) throw waitError;
      assertFindings(findings, names, version, expected);
      return findings.row;
    },
  };
}

const TERMINAL = new Set<CampaignState>(['succeeded', 'failed', 'aborted', 'rolled-back']);

function expectedTargets(names: readonly string[], expected: ChaosExpectation): Record<string, TargetState> {
  return Object.fromEntries(names.map((n) => [n, expected.targets?.[n] ?? 'succeeded']));
}

async function collectFindings(
  rf: RolloutFleet,
  names: readonly string[],
  run: {
    fault: string;
    id: string;
    version: string;
    before: Record<string, string | undefined>;
    startedAt: Date;
    load: LoadHandle;
    began: number;
  },
): Promise<Findings> {
  const report = await run.load.stop();
  const view = await getCampaign({ repository: createCampaignRepository(rf.database.db) }, run.id);
  const versions = await rf.versions();
  const served: Findings['served'] = {};
  for (const agent of rf.fleet.agents) {
    served[agent.name] = await Promise.all(agent.sites.map(async (d) => generatorVersion((await rf.stack.request(d, '/')).body)));
  }
  const switches: Record<string, number> = {};
  const rolledBack: string[] = [];
  for (const name of names) {
    const updates = rf.updatesSince(name, run.startedAt);
    switches[name] = updates.length;
    const target = view.targets.find((t) => t.server === name);
    if (
      updates.some((u) => u.outcome === 'rolled-back') ||
      rf.journaled(name, run.id).includes('revert') ||
      target?.state === 'rolled-back'
    )
      rolledBack.push(name);
  }
  let lost = await findLostEvents(rf, names, run, view);
  for (
    const deadline = Date.now() + EVENT_GRACE_MS;
    lost.length > 0 && Date.now() < deadline;
    lost = await findLostEvents(rf, names, run, view)
  )
    await sleep(POLL_MS);
  const offline = (await listAuditEvents(rf.database.db, { limit: 100_000 })).filter(
    (e) => e.kind === PRESENCE_AUDIT.wentOffline && e.at >= run.startedAt,
  ).length;
  const outcome = `${view.state}: ${view.targets.map((t) => `${t.server} ${t.state}`).join(', ')}`;
  const row: ChaosRow = {
    fault: run.fault,
    outcome,
    switches,
    healthyRollbacks: rolledBack.length,
    eventsLost: lost.length,
    failedRequests: report.errors + report.non2xx,
    offline,
    seconds: Math.round((Date.now() - run.began) / 1000),
  };
  const problems: Record<string, number> = {};
  for (const s of report.samples ?? []) {
    const key = s.error ?? (s.status < 200 || s.status > 299 ? `HTTP ${s.status}` : undefined);
    if (key !== undefined) problems[`${s.host} ${key}`] = (problems[`${s.host} ${key}`] ?? 0) + 1;
  }
  const controllerTrouble = rf.fleet.controller
    .output()
    .split('\n')
    .filter((l) => /"level":(40|50|60)/.test(l))
    .slice(-8)
    .join('\n');
  return { row, before: run.before, view, versions, served, rolledBack, lost, problems, controllerTrouble };
}

/** Agents publish their outbox in the background and the controller consumes the stream in order: they get this long after the end. */
const EVENT_GRACE_MS = 20_000;

/** What is missing from the audit trail now: see the module comment. */
async function findLostEvents(
  rf: RolloutFleet,
  names: readonly string[],
  run: { id: string; startedAt: Date },
  view: CampaignView,
): Promise<string[]> {
  const lost: string[] = [];
  const audit = await listAuditEvents(rf.database.db, { limit: 100_000 });
  for (const name of names) {
    const target = view.targets.find((t) => t.server === name);
    // The campaign's own trail: its last audited state of this target is the state the target is in.
    const trail = audit
      .filter(
        (e) => e.kind === CAMPAIGN_AUDIT_KIND.target && e.subject === name && (e.data as { campaignId?: string }).campaignId === run.id,
      )
      .sort((a, b) => a.id - b.id)
      .map((e) => (e.data as { state: string }).state);
    if (trail.at(-1) !== target?.state) lost.push(`${name}: audit trail ${trail.join('>') || '(none)'} but the target is ${target?.state}`);
    // The agent's events: what it did to the server must have reached the audit trail through NATS.
    const serverEvents = (await listAuditEvents(rf.database.db, { server: name, limit: 10_000 })).filter((e) => e.at >= run.startedAt);
    const has = (kind: string) => serverEvents.some((e) => e.kind === kind);
    // Each campaign's release is new to every server: a stage that succeeded extracted it and emitted 'staged'.
    if (rf.journalState(name, `c${run.id}-${name}-stage`) === 'SUCCEEDED' && !has('staged'))
      lost.push(`${name}: staged, no 'staged' event`);
    if (rf.updatesSince(name, run.startedAt).some((u) => u.outcome === 'succeeded') && !has('switched'))
      lost.push(`${name}: switched, no 'switched' event`);
    const left = outboxFiles(rf, name);
    if (left.length > 0) lost.push(`${name}: ${left.length} events never left the agent's outbox`);
  }
  return lost;
}

function assertFindings(f: Findings, names: readonly string[], version: string, expected: ChaosExpectation): void {
  const summary = campaignSummary(f.view);
  const targets = expectedTargets(names, expected);
  expect(f.view.state, summary).toBe(expected.campaign);
  expect(Object.fromEntries(f.view.targets.map((t) => [t.server, t.state])), summary).toEqual(targets);
  for (const name of names) {
    const switched = targets[name] === 'succeeded';
    expect(f.row.switches[name], `${name}: switches (agent records)\n${summary}`).toBe(switched ? 1 : 0);
    const on = switched ? version : f.before[name];
    expect(f.versions[name], `${name}: current release`).toBe(on);
    expect(new Set(f.served[name]), `${name}: versions its sites serve`).toEqual(new Set([on]));
  }
  expect(f.rolledBack, `servers rolled back\n${summary}`).toEqual([]);
  expect(f.lost, `events lost (${EVENT_GRACE_MS / 1000} s after the end); ctl-1's last warnings:\n${f.controllerTrouble}`).toEqual([]);
  expect(f.problems, 'failed requests under load').toEqual({});
}

/** Polls the agent's journal (every 10 ms: a stage runs for a second or two) until the operation is in `state`. */
export async function waitForAgentOperation(rf: RolloutFleet, server: string, operationId: string, state: string): Promise<void> {
  for (const deadline = Date.now() + 60_000; rf.journalState(server, operationId) !== state; await sleep(10)) {
    if (Date.now() > deadline)
      throw new Error(`${server}: ${operationId} never ${state} (journal: ${rf.journalState(server, operationId)})`);
  }
}

function outboxFiles(rf: RolloutFleet, server: string): string[] {
  const dir = path.join(rf.stateDir(server), 'outbox');
  return existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.json')) : [];
}

function recordChaosRow(row: ChaosRow): void {
  appendFileSync(CHAOS_TABLE, `${JSON.stringify(row)}\n`);
  process.stdout.write(`chaos | ${formatChaosRow(row)}\n`);
}

export function resetChaosTable(): void {
  writeFileSync(CHAOS_TABLE, '');
}

const HEADER =
  '| fault | campaign outcome | switches per server | rollbacks of healthy servers | events lost | failed requests | servers taken offline | s |';

function formatChaosRow(r: ChaosRow): string {
  const switches = Object.entries(r.switches)
    .map(([server, n]) => `${server} ${n}`)
    .join(', ');
  return `| ${r.fault} | ${r.outcome} | ${switches} | ${r.healthyRollbacks} | ${r.eventsLost} | ${r.failedRequests} | ${r.offline} | ${r.seconds} |`;
}

/** The suite's table, one row per test that got as far as its verdict (markdown). */
export function chaosTable(): string {
  const rows = existsSync(CHAOS_TABLE)
    ? readFileSync(CHAOS_TABLE, 'utf8')
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) => formatChaosRow(JSON.parse(l) as ChaosRow))
    : [];
  return [HEADER, '|---|---|---|---|---|---|---|---|', ...rows].join('\n');
}
