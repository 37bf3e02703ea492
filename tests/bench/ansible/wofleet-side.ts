import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { silentLogger } from '@wofleet/shared';
import { isActiveCampaignState, type CampaignPlan, type CampaignView } from '../../../controller/src/campaigns/model.js';
import { insertRelease, listServers, openDatabase, type OpenDatabase } from '../../../controller/src/db/index.js';
import { createScratchDatabase, type ScratchPostgres } from '../../../controller/test/db.fixtures.js';
import { AGENT_CLI, runAgent } from '../../support/agent.js';
import { CONTROLLER_CLI, expectOk, startControlPlane, type ControlPlane } from '../../support/fleet.js';
import { canConnect } from '../../support/net.js';
import { agentUnitEnvironment } from '../agent-unit-env.js';
import { readCpu, readMemory } from '../proc.js';
import { progress } from '../report.js';
import { pool, TO_RELEASE_DB_VERSION, TO_VERSION, type ReleaseArchives, type Sandbox } from './sandboxes.js';
import { slowestMs, type StepTime } from './work.js';

/**
 * The wofleet side: a fresh Postgres database, a private nats-server admitting only the
 * fleet's NATS users, `wofleet controller serve`, and one real `wofleet-agent serve` per
 * sandbox, registered (`servers add`) and enrolled (`wofleet-agent enroll`) as an operator
 * does. The campaign is started and followed by the real CLI (`rollout start --watch --json`).
 */
export interface WofleetRollout {
  waves: string;
  maxParallel: number;
  minHealthySeconds: number;
  heartbeatSeconds: number;
}

export interface WofleetFleet {
  plane: ControlPlane;
  database: OpenDatabase;
  daemons: Map<string, ChildProcess>;
  sandboxes: readonly Sandbox[];
  destroy(): Promise<void>;
}

export interface WofleetRun {
  state: string;
  /** Why the campaign ended as it did (the controller's reason), if it says. */
  reason: string | null;
  /** Each server that did not succeed: its state and the controller's reason. */
  unsuccessful: string[];
  watchExit: number | null;
  wallMs: number;
  /** The controller's CPU plus the `rollout start --watch` CLI's. */
  orchestratorCpuMs: number;
  controllerRssBytes: number;
  steps: StepTime[];
  waves: string[][];
  /** Staging rounds of the slowest stage, then per wave the slowest switch plus the hold. */
  criticalPathMs: number;
  /** With a kill: ms from the SIGKILL to the restarted controller serving. */
  restartMs?: number;
  plan: CampaignPlan;
}

/** Control plane, daemons enrolled and online on the sandboxes (built with the plane's NATS URLs by `build`). */
export async function startWofleetFleet(
  heartbeatSeconds: number,
  releases: ReleaseArchives,
  build: (natsUrls: readonly string[]) => Promise<Sandbox[]>,
): Promise<WofleetFleet> {
  const scratch: ScratchPostgres = await createScratchDatabase();
  let plane: ControlPlane | undefined;
  let database: OpenDatabase | undefined;
  const daemons = new Map<string, ChildProcess>();
  const destroy = async () => {
    await Promise.all([...daemons.values()].map((d) => stopChild(d)));
    await database?.close();
    await plane?.destroy();
    await scratch.drop();
  };
  try {
    plane = await startControlPlane({ databaseUrl: scratch.url, natsIdentities: true, heartbeatSeconds });
    const controlPlane = plane;
    const sandboxes = await build(plane.natsUrls);
    let enrolled = 0;
    await pool(sandboxes, 4, async (s) => {
      const token = await controlPlane.addServer(s.name, s.address);
      const tokenFile = path.join(s.host.root, 'enrollment.token');
      await writeFile(tokenFile, `${token}\n`, { mode: 0o600 });
      await expectOk(
        `wofleet-agent enroll (${s.name})`,
        runAgent(s.host, [
          'enroll',
          '--controller',
          controlPlane.controller.address,
          '--token-file',
          tokenFile,
          '--ca-fingerprint',
          controlPlane.caFingerprint,
        ]),
      );
      if (++enrolled % 50 === 0) progress(`enrolled ${enrolled}/${sandboxes.length}`);
    });
    await plane.admitEnrolled();
    await pool(sandboxes, 4, async (s) => {
      daemons.set(s.name, await startDaemon(s));
    });
    database = await openDatabase({ databaseUrl: scratch.url, dataDir: plane.dataDir, log: silentLogger(), maxConnections: 2 });
    await insertRelease(database.db, {
      version: TO_VERSION,
      url: pathToFileURL(releases.to.file).href,
      digest: { algorithm: 'sha256', hex: releases.to.sha256 },
      dbVersion: TO_RELEASE_DB_VERSION,
    });
    for (const deadline = Date.now() + 120_000; ; await new Promise((r) => setTimeout(r, 500))) {
      // One that exited (its port taken, say) may have left another daemon answering on its address.
      const exited = [...daemons].filter(([, d]) => d.exitCode !== null).map(([name]) => name);
      if (exited.length > 0) throw new Error(`wofleet-agent serve exited on ${exited.join(', ')}: see their daemon.log`);
      const servers = await listServers(database.db);
      if (servers.length === sandboxes.length && servers.every((s) => s.status === 'online')) break;
      if (Date.now() > deadline) throw new Error(`${servers.filter((s) => s.status === 'online').length} of ${sandboxes.length} online`);
    }
    return { plane, database, daemons, sandboxes, destroy };
  } catch (err) {
    await destroy();
    throw err;
  }
}

/** `wofleet-agent serve` on the sandbox's config, its logs in a file beside it; ready once gRPC accepts. */
async function startDaemon(s: Sandbox): Promise<ChildProcess> {
  const log = openSync(path.join(s.host.root, 'daemon.log'), 'a');
  const child = spawn(process.execPath, [AGENT_CLI, '--config', s.config, 'serve'], {
    // As the systemd unit runs it (heap limits, malloc arenas): 200 daemons must fit in memory.
    env: { ...process.env, ...agentUnitEnvironment(), ...s.host.env, WOFLEET_LOG_LEVEL: 'warn' },
    stdio: ['ignore', log, log],
  });
  closeSync(log);
  const port = Number(s.address.split(':')[1]);
  // Generous: 200 daemons starting on 2 cores, beside the ones already running their health checks.
  for (const deadline = Date.now() + 180_000; !(await canConnect({ port })); await new Promise((r) => setTimeout(r, 100))) {
    if (child.exitCode !== null) throw new Error(`wofleet-agent serve (${s.name}) exited ${child.exitCode}: see ${s.host.root}/daemon.log`);
    if (Date.now() > deadline) throw new Error(`wofleet-agent serve (${s.name}) does not listen on ${port}`);
  }
  return child;
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(killer);
}

/** RSS of every agent daemon now, bytes. */
export function daemonRss(fleet: WofleetFleet): number[] {
  return [...fleet.daemons.values()].flatMap((d) => (d.pid && d.exitCode === null ? [readMemory(d.pid).rssBytes] : []));
}

/** Every operation the daemons journaled for campaign `id` (`c<id>-<server>-<step>.json`). */
async function journaledSteps(sandboxes: readonly Sandbox[], campaignId: string): Promise<StepTime[]> {
  const steps: StepTime[] = [];
  for (const s of sandboxes) {
    const dir = path.join(s.host.agentConfig.stateDir as string, 'operations');
    for (const file of await readdir(dir).catch(() => [] as string[])) {
      if (!file.startsWith(`c${campaignId}-`) || !file.endsWith('.json')) continue;
      const op = JSON.parse(await readFile(path.join(dir, file), 'utf8')) as {
        kind: string;
        state: string;
        startedAt: string;
        finishedAt?: string;
      };
      if (op.finishedAt === undefined) continue;
      steps.push({
        host: s.name,
        step: op.kind.replace('OPERATION_KIND_', '').toLowerCase(),
        startMs: Date.parse(op.startedAt),
        endMs: Date.parse(op.finishedAt),
        cpuMs: Number.NaN,
        exitCode: op.state === 'OPERATION_STATE_SUCCEEDED' ? 0 : 1,
      });
    }
  }
  return steps;
}

/**
 * The campaign, followed by `rollout start --watch --json` to its end. With `killWhen`
 * (polled every 100 ms): SIGKILL the controller, start it again, and follow the campaign
 * with `rollout status` to its end.
 */
export async function runWofleetRollout(
  fleet: WofleetFleet,
  rollout: WofleetRollout,
  killWhen?: () => Promise<boolean>,
): Promise<WofleetRun> {
  const { plane } = fleet;
  const flags = [
    '--release',
    TO_VERSION,
    '--waves',
    rollout.waves,
    '--max-parallel',
    String(rollout.maxParallel),
    '--min-healthy',
    `${rollout.minHealthySeconds}s`,
    '--max-failures',
    '0',
    // The default (5m) waits that long for a failing server to turn healthy; the playbook fails it at once.
    '--healthy-deadline',
    `${rollout.minHealthySeconds * 3}s`,
  ];
  const plan = await plane.wofleetJson<CampaignPlan>(['rollout', 'plan', ...flags]);
  const controllerPid = () => plane.controller.pid() ?? 0;
  let controllerCpuMs = -readCpu(controllerPid()).selfMs;
  const childrenBefore = readCpu(process.pid).childrenMs;
  let rssMax = 0;
  const sampler = setInterval(() => {
    try {
      if (plane.controller.running()) rssMax = Math.max(rssMax, readMemory(controllerPid()).rssBytes);
    } catch {
      // A killed controller is a zombie until reaped: it has no memory to read.
    }
  }, 1000);
  const started = Date.now();
  const watch = spawn(process.execPath, [CONTROLLER_CLI, 'rollout', 'start', ...flags, '--watch', '--json'], {
    env: { ...process.env, HOME: plane.home, WOFLEET_LOG_LEVEL: 'silent' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let firstLine = '';
  let lastLine = '';
  let pending = '';
  watch.stdout.on('data', (c: Buffer) => {
    pending += c.toString();
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines.filter((l) => l.trim())) {
      if (!firstLine) firstLine = line;
      lastLine = line;
    }
  });
  const watchExit = new Promise<number | null>((resolve) => watch.once('close', (code) => resolve(code)));
  let watchCode: number | null = null;
  let watchDone = false;
  void watchExit.then((code) => {
    watchCode = code;
    watchDone = true;
  });
  let restartMs: number | undefined;
  if (killWhen) {
    while (!watchDone && !(await killWhen())) await new Promise((r) => setTimeout(r, 100));
    if (!watchDone) {
      controllerCpuMs += readCpu(controllerPid()).selfMs;
      const killedAt = Date.now();
      await plane.controller.stop('SIGKILL');
      await plane.controller.start();
      restartMs = Date.now() - killedAt;
      controllerCpuMs -= readCpu(controllerPid()).selfMs;
    }
  }
  await watchExit;
  const campaignId = (JSON.parse(firstLine) as { campaign: CampaignView }).campaign.id;
  let final = (JSON.parse(lastLine) as { campaign: CampaignView }).campaign;
  // A watch cut short by the kill: the campaign goes on; follow it by status.
  while (isActiveCampaignState(final.state)) {
    await new Promise((r) => setTimeout(r, 250));
    final = await plane.wofleetJson<CampaignView>(['rollout', 'status', campaignId]);
  }
  const wallMs = Date.now() - started;
  clearInterval(sampler);
  controllerCpuMs += readCpu(controllerPid()).selfMs;
  const cliCpuMs = readCpu(process.pid).childrenMs - childrenBefore;
  const steps = await journaledSteps(fleet.sandboxes, campaignId);
  const waves = plan.waves.map((w) => [...w.servers]);
  const all = new Set(waves.flat());
  const stageRounds = Math.ceil(all.size / rollout.maxParallel);
  const criticalPathMs =
    stageRounds * slowestMs(steps, all, 'stage_release') +
    waves.reduce((sum, wave) => {
      const switchMs = slowestMs(steps, new Set(wave), 'activate');
      // A wave the campaign never started (it halted before) has no work and no hold.
      return switchMs === 0 ? sum : sum + Math.ceil(wave.length / rollout.maxParallel) * (switchMs + rollout.minHealthySeconds * 1000);
    }, 0);
  return {
    state: final.state,
    reason: final.reason,
    // Failed and rolled-back servers first: the skipped ones only follow from them.
    unsuccessful: final.targets
      .filter((t) => t.state !== 'succeeded')
      .sort((a, b) => Number(a.state === 'skipped') - Number(b.state === 'skipped'))
      .map((t) => `${t.server} ${t.state}${t.reason ? `: ${t.reason}` : ''}`),
    watchExit: watchCode,
    wallMs,
    orchestratorCpuMs: controllerCpuMs + cliCpuMs,
    controllerRssBytes: rssMax,
    steps,
    waves,
    criticalPathMs,
    ...(restartMs === undefined ? {} : { restartMs }),
    plan,
  };
}
