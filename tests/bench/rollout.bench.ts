/**
 * Rollout benchmark (`pnpm bench:rollout [--json] [--agents N]`): what driving one
 * campaign across a fleet (1,000 servers by default, 10,000 with --agents) costs the
 * controller, beyond the work the agents do.
 *
 * Setup: a fresh Postgres database, a private nats-server, and `wofleet controller
 * serve` (controller/dist) in a child process of its own, so its CPU and memory are read
 * from /proc, on the Node.js the controller's package carries and with its flags
 * (deploy/package/programs.ts), not on whatever Node runs the benchmark. The servers are registered with `addServer` and every
 * one enrolls for real (Enroll RPC with a CSR, as `wofleet-agent enroll` does). The
 * agents are SIMULATED (tests/support/sim-agents.ts): real AgentService over mutual
 * TLS (each its own certificate and address; one process and listener for all), the
 * agent's idempotent operation registry, real NATS heartbeats; staging,
 * switching and rollback are fixed delays (default 2 s, 3 s, 2 s). All of them start
 * on 6.4.5; the campaign takes them to 6.5.5 with `--waves 1,10%,25% --max-parallel
 * 100`, started and followed through the real CLI (`rollout start`, `rollout watch
 * --json --changes`), once every server is online and the controller has read its
 * sites (the sync each server's first heartbeat asks for, part of enrolling it).
 *
 *  - wall time: from `rollout start` to `rollout watch` ending with the campaign
 *    succeeded.
 *  - critical path: the simulated work and policy waits nothing can shorten, from the
 *    plan: pre-staging (ceil(targets / max parallel) rounds of the stage delay) plus,
 *    per wave, ceil(wave size / max parallel) rounds of (switch delay + min healthy).
 *  - controller overhead = wall time - critical path. Target (issue 16): <= 15 s at
 *    1,000 servers, <= 60 s beyond (10,000); controller peak RSS <= 1 GiB.
 *  - Postgres writes: pg_stat_database of the campaign's database over the campaign
 *    (transactions committed; rows inserted + updated + deleted), and the rows per
 *    table from pg_stat_user_tables, so the campaign's writes (campaign_*, audit) show
 *    apart from presence (heartbeats update `servers`); read after the statistics
 *    collector has caught up.
 *  - NATS messages the server received and delivered over the campaign (its /varz; all
 *    subjects: heartbeats, campaign events), and each figure per server.
 *  - controller CPU (utime+stime over the campaign, % of one core) and RSS (max of a
 *    1 s sample, and VmHWM).
 *  - event loop delay over the campaign (how long a ready callback waited): the
 *    controller's, from its /metrics, and the simulated agents' (this process): a busy
 *    loop is latency in every hand-over even when the machine has CPU to spare.
 *  - where the time went (rollout-timeline.ts): the campaign cut into phases, each
 *    against its share of the critical path, and the per-server delays between a
 *    recorded transition and the agent's work (audit table vs the simulated agents).
 *  - machine speed: a fixed piece of CPU work (calibration.ts) timed before the campaign,
 *    so that runs of different days can be compared.
 *  - checks: every server switched exactly once (the simulated agents count their
 *    activations) and runs 6.5.5 at the end; exit 1 otherwise or when the target is missed.
 *
 * Flags: --json, --agents N, --max-parallel N, --waves SPEC, --stage-seconds N,
 * --activate-seconds N, --min-healthy-seconds N, --enroll-concurrency N, --controller-log FILE
 * (the controller's warnings and errors, pino JSON, written as they come), --cpu-prof DIR
 * (the controller's V8 CPU profile, written when it exits; sampled every 2 ms, not every 1:
 * the sampling itself slows the loop it measures).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createLogger } from '@wofleet/shared';
import { enrollCommand } from '../../agent/src/commands/enroll.js';
import { SHIPPED_NODE, shippedFlags } from '../../deploy/package/programs.js';
import { initFleetCa } from '../../controller/src/ca/init.js';
import { readFleetCa } from '../../controller/src/ca/files.js';
import { issueOperatorCredentials } from '../../controller/src/ca/operator.js';
import { systemClock, type ControllerContext } from '../../controller/src/context/index.js';
import { addServer } from '../../controller/src/servers/registry.js';
import { addRelease } from '../../controller/src/releases/catalog.js';
import { AUDIT_SITES_SYNCED } from '../../controller/src/sites/sync.js';
import { openDatabase, type OpenDatabase } from '../../controller/src/db/index.js';
import type { CampaignPlan, CampaignView } from '../../controller/src/campaigns/model.js';
import { createScratchDatabase, type ScratchPostgres } from '../../controller/test/db.fixtures.js';
import { runCli, type CliResult } from '../../controller/test/cli.fixtures.js';
import { startNatsServer, type NatsServer } from '../support/nats-server.js';
import { canConnect, findFreePort } from '../support/net.js';
import { simAgentHost, startSimFleet, type SimAgentSpec, type SimFleet } from '../support/sim-agents.js';
import { calibrate, CALIBRATION_WORK } from './calibration.js';
import { campaignTimeline, type Transition } from './rollout-timeline.js';
import { flagValue, formatTable, mib, numberFlag, progress, seconds, type Cell } from './report.js';
import { cpuOfCommand, loadAverage, machineCpu, readCpu, readMemory, round } from './proc.js';
import { formatLoopDelay, loopDelayFromMetrics, watchLoopDelay } from './loop-delay.js';

const AGENTS = Math.floor(numberFlag('--agents', 1000));
const MAX_PARALLEL = Math.floor(numberFlag('--max-parallel', 100));
const WAVES = flagValue('--waves') ?? '1,10%,25%';
const DELAYS = {
  stageMs: numberFlag('--stage-seconds', 2) * 1000,
  activateMs: numberFlag('--activate-seconds', 3) * 1000,
  rollbackMs: 2000,
};
const MIN_HEALTHY_S = numberFlag('--min-healthy-seconds', 10);
const ENROLL_CONCURRENCY = Math.floor(numberFlag('--enroll-concurrency', 20));
/** Where the controller writes a V8 CPU profile when it exits (none without the flag). */
const CPU_PROFILE_DIR = flagValue('--cpu-prof');
const CONTROLLER_LOG = flagValue('--controller-log');
const HEARTBEAT_SECONDS = 10;
const FROM = '6.4.5';
const TO = '6.5.5';
/** Issue 16: at 1,000 servers half of issue 6's 30 s; at 10,000 a minute and a GiB. */
const TARGETS = { overheadMs: AGENTS <= 1000 ? 15_000 : 60_000, rssBytes: 1024 ** 3 } as const;

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CONTROLLER_CLI = path.join(REPO, 'controller/dist/cli/main.js');
const CONTROLLER_NODE_FLAGS = shippedFlags('wofleet');
const CONTROLLER_RUNTIME = execFileSync(SHIPPED_NODE, ['--version'], { encoding: 'utf8' }).trim();
const FIXTURES = path.resolve(REPO, '../shared/fixtures/wordpress');
const serverName = (i: number) => `sim-${String(i).padStart(5, '0')}`;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Ports held open together so no two are the same, then released for the agents to bind
 * (after enrollment, minutes later). Taken below the kernel's ephemeral range
 * (32768-60999 by default): ports from there are handed to every outgoing connection
 * meanwhile, and on a machine busy with other test runs one of a thousand was often
 * taken again before the agents bound it (EADDRINUSE).
 */
async function freePorts(count: number): Promise<number[]> {
  const servers: Array<ReturnType<typeof createServer>> = [];
  for (let port = 10_000 + Math.floor(Math.random() * 8_000); servers.length < count && port < 32_768; port++) {
    const s = createServer();
    const bound = await new Promise<boolean>((resolve) => {
      s.once('error', () => resolve(false));
      s.listen(port, '127.0.0.1', () => resolve(true));
    });
    if (bound) servers.push(s);
  }
  if (servers.length < count) throw new Error(`only ${servers.length} of ${count} ports free below 32768`);
  const ports = servers.map((s) => {
    const address = s.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    return address.port;
  });
  await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
  return ports;
}

async function pool<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await work(items[next++] as T);
    }),
  );
}

interface ControllerChild {
  child: ChildProcess;
  stderr: string[];
}

async function spawnController(args: readonly string[], env: Record<string, string>, port: number): Promise<ControllerChild> {
  const profile = CPU_PROFILE_DIR ? ['--cpu-prof', '--cpu-prof-interval', '2000', '--cpu-prof-dir', path.resolve(CPU_PROFILE_DIR)] : [];
  const child = spawn(SHIPPED_NODE, [...CONTROLLER_NODE_FLAGS, ...profile, CONTROLLER_CLI, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const stderr: string[] = [];
  const log = CONTROLLER_LOG ? createWriteStream(CONTROLLER_LOG) : undefined;
  createInterface({ input: child.stderr! }).on('line', (line) => {
    stderr.push(line);
    log?.write(`${line}\n`);
  });
  const deadline = Date.now() + 30_000;
  while (!(await canConnect({ port }))) {
    if (child.exitCode !== null) throw new Error(`controller exited (${child.exitCode}):\n${stderr.join('\n')}`);
    if (Date.now() > deadline) throw new Error(`controller does not listen on ${port}:\n${stderr.join('\n')}`);
    await sleep(100);
  }
  return { child, stderr };
}

type Sql = Extract<OpenDatabase, { kind: 'postgres' }>['client'];

interface PgWrites {
  commits: number;
  rows: number;
  /** Rows inserted + updated + deleted, per table of the database. */
  rowsByTable: Record<string, number>;
}

async function pgWrites(sql: Sql, database: string): Promise<PgWrites> {
  const [row] = await sql<{ commits: string; rows: string }[]>`
    select xact_commit::text as commits, (tup_inserted + tup_updated + tup_deleted)::text as rows
    from pg_stat_database where datname = ${database}`;
  const tables = await sql<{ name: string; rows: string }[]>`
    select relname as name, (n_tup_ins + n_tup_upd + n_tup_del)::text as rows from pg_stat_user_tables`;
  return {
    commits: Number(row?.commits ?? Number.NaN),
    rows: Number(row?.rows ?? Number.NaN),
    rowsByTable: Object.fromEntries(tables.map((t) => [t.name, Number(t.rows)])),
  };
}

/** Rows written per table between two readings, most written first; tables with none left out. */
function rowsWrittenByTable(before: PgWrites, after: PgWrites): Record<string, number> {
  const delta = Object.entries(after.rowsByTable).map(([name, rows]) => [name, rows - (before.rowsByTable[name] ?? 0)] as const);
  return Object.fromEntries(delta.filter(([, rows]) => rows > 0).sort((x, y) => y[1] - x[1]));
}

/** The work and waits of the plan that no controller could shorten (see the header). */
function criticalPathMs(plan: CampaignPlan): number {
  const rounds = (n: number) => Math.ceil(n / MAX_PARALLEL);
  const targets = plan.waves.reduce((sum, w) => sum + w.servers.length, 0);
  const waves = plan.waves.reduce((sum, w) => sum + rounds(w.servers.length) * (DELAYS.activateMs + MIN_HEALTHY_S * 1000), 0);
  return rounds(targets) * DELAYS.stageMs + waves;
}

/** Messages the NATS server received and delivered so far (its /varz), heartbeats included. */
async function natsMessages(monitorPort: number): Promise<{ in: number; out: number }> {
  const varz = (await (await fetch(`http://127.0.0.1:${monitorPort}/varz`)).json()) as { in_msgs: number; out_msgs: number };
  return { in: varz.in_msgs, out: varz.out_msgs };
}

const perServer = (n: number) => round(n / AGENTS, 2);

async function cliJson<T>(wofleet: (args: readonly string[]) => Promise<CliResult>, args: readonly string[]): Promise<T> {
  const r = await wofleet([...args, '--json']);
  if (r.code !== 0) throw new Error(`wofleet ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

async function main(): Promise<void> {
  const json = process.argv.includes('--json');
  const log = createLogger('bench-rollout', 'warn');
  const root = await mkdtemp(path.join(os.tmpdir(), 'wofleet-bench-rollout-'));
  let nats: NatsServer | undefined;
  let scratch: ScratchPostgres | undefined;
  let controller: ControllerChild | undefined;
  let fleet: SimFleet | undefined;
  let closeDb = async () => {};
  try {
    progress(`fresh Postgres database, nats-server, controller; ${AGENTS} simulated agents`);
    const natsMonitorPort = await findFreePort();
    [nats, scratch] = await Promise.all([startNatsServer({ args: ['-m', String(natsMonitorPort)] }), createScratchDatabase()]);
    const dataDir = path.join(root, 'controller');
    const operatorDir = path.join(root, 'operator');
    const home = path.join(root, 'home');
    const init = await initFleetCa({ dataDir, name: 'ctl-1', dnsNames: [], ipAddresses: ['127.0.0.1'], force: false });
    await issueOperatorCredentials({ dataDir, name: 'bench', outDir: operatorDir, validDays: 2, force: false });
    const [controllerPort = 0, agentPort = 0, metricsPort = 0] = await freePorts(3);
    const address = `127.0.0.1:${controllerPort}`;
    const metricsAddress = `127.0.0.1:${metricsPort}`;
    const metricsUrl = `http://${metricsAddress}/metrics`;
    await mkdir(path.join(home, '.config/wofleet'), { recursive: true });
    await writeFile(
      path.join(home, '.config/wofleet/config.yaml'),
      `controller: ${address}\nca: ${operatorDir}/ca.pem\ncert: ${operatorDir}/bench.pem\nkey: ${operatorDir}/bench.key\n`,
    );
    const wofleet = (args: readonly string[]) => runCli(CONTROLLER_CLI, args, { HOME: home });
    controller = await spawnController(
      [
        'controller',
        'serve',
        '--data-dir',
        dataDir,
        '--listen',
        address,
        '--nats',
        nats.url,
        '--heartbeat-seconds',
        String(HEARTBEAT_SECONDS),
        '--metrics-listen',
        metricsAddress,
      ],
      { DATABASE_URL: scratch.url, WOFLEET_LOG_LEVEL: 'warn' },
      controllerPort,
    );
    const pid = controller.child.pid ?? 0;

    // Registration and enrollment: the operator's and the agents' real paths.
    const handle = await openDatabase({ databaseUrl: scratch.url, dataDir, log });
    closeDb = () => handle.close();
    if (handle.kind !== 'postgres') throw new Error('the bench needs Postgres');
    const stats = handle.client;
    const ctx: ControllerContext = { db: handle.db, ca: await readFleetCa(dataDir), clock: systemClock, log };
    const sha1 = (await readFile(path.join(FIXTURES, `wordpress-${TO}.tar.gz.sha1`), 'utf8')).trim().split(/\s+/)[0] ?? '';
    await addRelease(
      ctx,
      { version: TO, url: `https://wordpress.org/wordpress-${TO}.tar.gz`, digest: { algorithm: 'sha1', hex: sha1 } },
      'operator:bench',
    );
    const specs: SimAgentSpec[] = [];
    const enrollStarted = Date.now();
    await pool(
      Array.from({ length: AGENTS }, (_, i) => i),
      ENROLL_CONCURRENCY,
      async (i) => {
        const name = serverName(i);
        const host = simAgentHost(i);
        const added = await addServer(ctx, { name, address: `${host}:${agentPort}` }, 'operator:bench');
        const dir = path.join(root, 'agents', name);
        const files = { caFile: path.join(dir, 'ca.pem'), certFile: path.join(dir, 'agent.pem'), keyFile: path.join(dir, 'agent.key') };
        await mkdir(dir, { recursive: true });
        await enrollCommand(
          { serverId: name, stateDir: dir, grpc: { listen: `${host}:${agentPort}`, ...files } },
          { controller: address, token: added.enrollmentToken, caFingerprint: init.caFingerprint },
        );
        specs.push({ name, host, certPem: await readFile(files.certFile, 'utf8'), keyPem: await readFile(files.keyFile, 'utf8') });
        if (specs.length % 100 === 0) progress(`enrolled ${specs.length}/${AGENTS}`);
      },
    );
    const enrollMs = Date.now() - enrollStarted;

    const caPem = await readFile(path.join(operatorDir, 'ca.pem'), 'utf8');
    fleet = await startSimFleet({
      agents: specs,
      port: agentPort,
      caPem,
      natsUrl: nats.url,
      stateDir: path.join(root, 'sim-state'),
      initialVersion: FROM,
      delays: DELAYS,
      heartbeatSeconds: HEARTBEAT_SECONDS,
    });
    for (const deadline = Date.now() + 60_000; ; ) {
      const [row] = await stats<
        { n: number }[]
      >`select count(*)::int as n from servers where status = 'online' and current_version = ${FROM}`;
      if ((row?.n ?? 0) === AGENTS) break;
      if (Date.now() > deadline) throw new Error(`only ${row?.n} of ${AGENTS} servers online after 60 s`);
      await sleep(500);
    }
    progress(`${AGENTS} servers enrolled (${seconds(enrollMs)}) and online on ${FROM}`);
    // Each server's first heartbeat has the controller read its sites (a few at a time):
    // enrollment's work, not the campaign's, so the campaign starts once it is done.
    const syncStarted = Date.now();
    for (const deadline = syncStarted + Math.max(60_000, AGENTS * 100); ; ) {
      const [row] = await stats<
        { n: number }[]
      >`select count(distinct subject)::int as n from audit_events where kind = ${AUDIT_SITES_SYNCED}`;
      if ((row?.n ?? 0) >= AGENTS) break;
      if (Date.now() > deadline) throw new Error(`the sites of only ${row?.n} of ${AGENTS} servers synced after enrollment`);
      await sleep(500);
    }
    progress(`every server's sites synced into the inventory ${seconds(Date.now() - syncStarted)} later`);

    const flags = ['--release', TO, '--waves', WAVES, '--max-parallel', String(MAX_PARALLEL), '--min-healthy', `${MIN_HEALTHY_S}s`];
    const plan = await cliJson<CampaignPlan>(wofleet, ['rollout', 'plan', ...flags]);
    const critical = criticalPathMs(plan);
    progress(`plan: ${plan.waves.map((w) => w.servers.length).join(', ')} servers per wave; critical path ${seconds(critical)}`);

    const calibration = calibrate();
    progress(`machine speed: ${calibration.medianMs} ms for ${CALIBRATION_WORK} (rounds: ${calibration.rounds.join(', ')} ms)`);

    await sleep(1000);
    const writesBefore = await pgWrites(stats, scratch.name);
    const natsBefore = await natsMessages(natsMonitorPort);
    const cpuBefore = readCpu(pid).selfMs;
    const othersBefore = otherCpu();
    // Both event loops over the campaign: the controller's histogram starts again at each scrape.
    await fetch(metricsUrl);
    const benchLoop = watchLoopDelay();
    const started = Date.now();
    const campaign = await cliJson<CampaignView>(wofleet, ['rollout', 'start', ...flags]);
    let rssMax = 0;
    const sampler = setInterval(() => (rssMax = Math.max(rssMax, readMemory(pid).rssBytes)), 1000);
    const watch = spawn(SHIPPED_NODE, [...CONTROLLER_NODE_FLAGS, CONTROLLER_CLI, 'rollout', 'watch', campaign.id, '--json', '--changes'], {
      env: { ...process.env, HOME: home, WOFLEET_LOG_LEVEL: 'silent' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    // Lines counted on the bytes: decoding them here would take the event loop the
    // simulated agents run on.
    let lines = 0;
    watch.stdout!.on('data', (chunk: Buffer) => {
      for (let at = chunk.indexOf(0x0a); at !== -1; at = chunk.indexOf(0x0a, at + 1)) {
        lines++;
        if (lines % 200 === 0) progress(`watch: ${lines} updates, ${seconds(Date.now() - started)}`);
      }
    });
    let watchErr = '';
    watch.stderr!.on('data', (c: Buffer) => (watchErr += c.toString()));
    const watchCode = await new Promise<number | null>((resolve) => watch.on('close', resolve));
    const wallMs = Date.now() - started;
    const cpu = readCpu(pid).selfMs - cpuBefore;
    const others = otherCpu();
    const controllerLoop = loopDelayFromMetrics(await (await fetch(metricsUrl)).text());
    const simLoop = benchLoop.stop();
    clearInterval(sampler);
    await sleep(1500); // pg_stat_database is updated by backends at most every 500 ms (PGSTAT_MIN_INTERVAL) and on idle
    const writesAfter = await pgWrites(stats, scratch.name);
    const natsAfter = await natsMessages(natsMonitorPort);
    const final = await cliJson<CampaignView>(wofleet, ['rollout', 'status', campaign.id]);
    const transitions = await stats<Transition[]>`
      select data->>'scope' as scope, coalesce(data->>'server', data->>'wave', data->>'campaignId') as subject, data->>'state' as state,
        (extract(epoch from at) * 1000)::float8 as "atMs"
      from audit_events where kind like 'campaign.%' and data->>'campaignId' = ${campaign.id} order by id`;

    const names = specs.map((s) => s.name);
    const notOnce = names.filter((n) => fleet?.activationsOf(n) !== 1);
    const notUpgraded = names.filter((n) => fleet?.currentVersionOf(n) !== TO);
    const overheadMs = wallMs - critical;
    const timeline = campaignTimeline({
      transitions,
      servers: names,
      stepTimesOf: (name) => fleet?.stepTimesOf(name) ?? {},
      waveSizes: plan.waves.map((w) => w.servers.length),
      maxParallel: MAX_PARALLEL,
      delays: DELAYS,
      minHealthyMs: MIN_HEALTHY_S * 1000,
      startedMs: started,
      endedMs: started + wallMs,
    });
    const result = {
      agents: AGENTS,
      waves: plan.waves.map((w) => w.servers.length),
      maxParallel: MAX_PARALLEL,
      delays: DELAYS,
      minHealthySeconds: MIN_HEALTHY_S,
      campaign: { id: campaign.id, state: final.state, watchExit: watchCode, watchUpdates: lines },
      wallMs,
      criticalPathMs: critical,
      overheadMs,
      postgres: {
        commits: writesAfter.commits - writesBefore.commits,
        rowsWritten: writesAfter.rows - writesBefore.rows,
        rowsWrittenByTable: rowsWrittenByTable(writesBefore, writesAfter),
      },
      nats: { messagesIn: natsAfter.in - natsBefore.in, messagesOut: natsAfter.out - natsBefore.out },
      controller: {
        runtime: `node ${CONTROLLER_RUNTIME}${CONTROLLER_NODE_FLAGS.length > 0 ? ` ${CONTROLLER_NODE_FLAGS.join(' ')}` : ''}`,
        cpuPercent: round((cpu / wallMs) * 100),
        cpuSeconds: round(cpu / 1000),
        rssMaxBytes: rssMax,
        hwmBytes: readMemory(pid).hwmBytes,
        eventLoopDelayMs: controllerLoop,
      },
      // Where the rest of the machine's CPU went over the campaign: on 2 cores the controller shares it.
      machine: {
        busyPercentOfAll: round(
          ((others.machine.busyMs - othersBefore.machine.busyMs) / (others.machine.totalMs - othersBefore.machine.totalMs)) * 100,
        ),
        postgresSeconds: round((others.postgresMs - othersBefore.postgresMs) / 1000),
        natsSeconds: round((others.natsMs - othersBefore.natsMs) / 1000),
        simulatedAgentsSeconds: round((others.benchMs - othersBefore.benchMs) / 1000),
        simulatedAgentsEventLoopDelayMs: simLoop,
      },
      agentWorkMs: fleet.counters.workMs,
      checks: { switchedNotOnce: notOnce.length, notOn655: notUpgraded.length },
      timeline,
      loadAverage: loadAverage(),
      calibrationMs: calibration.medianMs,
      enrollMs,
    };
    const ok =
      final.state === 'succeeded' &&
      watchCode === 0 &&
      notOnce.length === 0 &&
      notUpgraded.length === 0 &&
      overheadMs <= TARGETS.overheadMs &&
      result.controller.hwmBytes <= TARGETS.rssBytes;
    if (json) {
      process.stdout.write(`${JSON.stringify({ ...result, ok })}\n`);
    } else {
      const rows: Cell[][] = [
        ['campaign', `${final.state} (watch exit ${watchCode}, ${lines} updates)`, 'succeeded'],
        ['waves', result.waves.join(', '), ''],
        ['wall time', seconds(wallMs), ''],
        ['critical path (simulated work + min healthy)', seconds(critical), ''],
        ['controller overhead', seconds(overheadMs), `<= ${seconds(TARGETS.overheadMs)}`],
        ['Postgres commits / rows written', `${result.postgres.commits} / ${result.postgres.rowsWritten}`, ''],
        ['  per server', `${perServer(result.postgres.commits)} / ${perServer(result.postgres.rowsWritten)}`, ''],
        ...Object.entries(result.postgres.rowsWrittenByTable).map(([table, rows]): Cell[] => [
          `  rows written to ${table}${table === 'servers' ? ' (presence: heartbeats)' : ''}`,
          rows,
          '',
        ]),
        ['NATS messages in / out (all subjects)', `${result.nats.messagesIn} / ${result.nats.messagesOut}`, ''],
        ['  per server', `${perServer(result.nats.messagesIn)} / ${perServer(result.nats.messagesOut)}`, ''],
        ['controller runtime (as packaged)', result.controller.runtime, ''],
        ['controller CPU', `${result.controller.cpuPercent}% of a core (${result.controller.cpuSeconds} s)`, ''],
        ['controller event loop delay p50 / p99 / max', formatLoopDelay(controllerLoop), ''],
        ['simulated agents event loop delay p50 / p99 / max', formatLoopDelay(simLoop), ''],
        ['machine CPU busy (all cores)', `${result.machine.busyPercentOfAll}%`, ''],
        [
          '  Postgres / nats-server / simulated agents (bench process)',
          `${result.machine.postgresSeconds} s / ${result.machine.natsSeconds} s / ${result.machine.simulatedAgentsSeconds} s`,
          '',
        ],
        ['controller RSS max / peak', `${mib(rssMax)} / ${mib(result.controller.hwmBytes)}`, `peak <= ${mib(TARGETS.rssBytes)}`],
        ['servers switched exactly once', `${AGENTS - notOnce.length}/${AGENTS}`, `${AGENTS}/${AGENTS}`],
        ['servers on 6.5.5', `${AGENTS - notUpgraded.length}/${AGENTS}`, `${AGENTS}/${AGENTS}`],
        ['load average (1 min)', result.loadAverage, ''],
        ['machine speed: fixed work before the campaign (lower: faster)', `${result.calibrationMs} ms`, ''],
      ];
      process.stdout.write(`${formatTable(['measure', 'value', 'target'], rows)}\n\n`);
      const phases = timeline.phases.map((p): Cell[] => [p.name, seconds(p.ms), seconds(p.idealMs), seconds(p.ms - p.idealMs)]);
      process.stdout.write(`${formatTable(['campaign phase', 'took', 'inevitable', 'overhead'], phases)}\n\n`);
      const handOvers = timeline.handOvers.map((h): Cell[] => [h.name, seconds(h.p50Ms), seconds(h.p90Ms), seconds(h.maxMs)]);
      process.stdout.write(`${formatTable(['hand-over (per server)', 'median', 'p90', 'max'], handOvers)}\n`);
      if (watchErr.trim()) process.stdout.write(`watch stderr: ${watchErr.trim()}\n`);
    }
    process.exitCode = ok ? 0 : 1;
  } finally {
    await fleet?.stop();
    await closeDb();
    if (controller) {
      controller.child.kill('SIGTERM');
      await new Promise((r) => controller?.child.once('exit', r));
    }
    await nats?.dispose();
    await scratch?.drop();
    await rm(root, { recursive: true, force: true });
  }
}

await main();

/** CPU spent so far by the machine, Postgres, nats-server and this process (the simulated agents), ms. */
function otherCpu(): { machine: { busyMs: number; totalMs: number }; postgresMs: number; natsMs: number; benchMs: number } {
  const own = process.cpuUsage();
  return {
    machine: machineCpu(),
    postgresMs: cpuOfCommand('postgres'),
    natsMs: cpuOfCommand('nats-server'),
    benchMs: (own.user + own.system) / 1000,
  };
}
