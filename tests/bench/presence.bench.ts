/**
 * Controller presence benchmark (`pnpm bench:presence [--json]`): what taking the
 * heartbeats of a 1,000-server fleet costs the controller, and how fresh the rows are.
 *
 * Setup: a fresh Postgres database (WOFLEET_TEST_POSTGRES_URL or postgres@127.0.0.1:5432)
 * with 1,000 enrolled servers; a private nats-server; a fleet CA and operator
 * credentials in a temp dir; the real controller, `wofleet controller serve`
 * (controller/dist, built by `pnpm build`, on plain node: presence + ControllerService
 * over gRPC/TLS), as a child process of its own, so its CPU and memory are read from /proc. Simulated agents publish the agent's heartbeat message on
 * `wofleet.agent.<serverId>.heartbeat`, 100 agents per NATS connection, every period
 * (default 10 s) at a random phase each, for the run (default 120 s). Loopback only: the
 * servers' addresses too (a closed port), so the site sync after each comeback fails at once.
 *
 *  - controller CPU: utime+stime of the child over the run, as % of one core; RSS: VmRSS
 *    sampled every second (max) and VmHWM at the end.
 *  - heartbeat-to-row lag: the bench polls `servers` every --poll-ms (default 50 ms) and,
 *    for each new last_seen_at it sees, takes (time seen) - (the beat's `at`, stamped at
 *    publish). This is when the write was visible to a reader: an upper bound, too high
 *    by at most one poll interval plus the poll query. The controller's own stamp
 *    (last_seen_at - at, receive time) is shown as the lower bound.
 *  - list latency: ListServers over gRPC + TLS with operator credentials (the CLI's own
 *    client, one channel kept open) + JSON.stringify, --page-size servers a page (default
 *    500), each call timed: the whole fleet page by page once a second during the run, then
 *    --list-calls sequential pass after it. This is the target (per page); a pass over the
 *    whole fleet is shown beside it.
 *  - event loop delay (perf_hooks monitorEventLoopDelay): the controller's, from its
 *    /metrics (prom-client's nodejs_eventloop_lag_*, over the run), and the bench's own.
 *  - CLI wall time: `wofleet servers list --json` as a process, --cli-runs times after the
 *    run (node start, module loading, TLS handshake, call, print): what an operator waits.
 *    --cli-bin 'COMMAND' runs that command instead of this node on controller/dist (split on
 *    spaces: a packaged `wofleet`, or `/path/to/node24 controller/dist/cli/main.js`). Runs
 *    share the operator's HOME, so the CLI's compile cache is warm after the first run; the
 *    first run is shown apart.
 *
 * Targets (issues 5, 15, 16): lag p99 <= 1 s, list p99 <= 100 ms (a page), controller RSS <= 300 MB.
 * Exit 1 when one is missed. Flags: --json, --agents N, --seconds N, --period N,
 * --agents-per-connection N, --poll-ms N, --list-calls N, --page-size N, --cli-runs N, --cli-bin 'COMMAND',
 * --controller-node-options '<flags>'.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { connect, type NatsConnection } from 'nats';
import { silentLogger } from '@wofleet/shared';
import type { Heartbeat } from '../../agent/src/daemon/nats/heartbeat.js';
import { createScratchDatabase, type ScratchPostgres } from '../../controller/test/db.fixtures.js';
import { cleanEnv, runCliCommand } from '../support/cli.js';
import { CONTROLLER_CLI } from '../support/fleet.js';
import { startNatsServer, type NatsServer } from '../support/nats-server.js';
import { findFreePort } from '../support/net.js';
import { flagValue, formatTable, mib, numberFlag, progress, type Cell } from './report.js';
import { loadAverage, readCpu, readMemory, round, stats } from './proc.js';
import { formatLoopDelay, loopDelayFromMetrics, watchLoopDelay } from './loop-delay.js';

const AGENTS = Math.floor(numberFlag('--agents', 1000));
const RUN_MS = numberFlag('--seconds', 120) * 1000;
const PERIOD_S = numberFlag('--period', 10);
const AGENTS_PER_CONNECTION = Math.floor(numberFlag('--agents-per-connection', 100));
const POLL_MS = numberFlag('--poll-ms', 50);
const LIST_CALLS = Math.floor(numberFlag('--list-calls', 200));
const CLI_RUNS = Math.floor(numberFlag('--cli-runs', 20));
const PAGE_SIZE = Math.floor(numberFlag('--page-size', 500));
const TARGETS = { lagP99Ms: 1000, listP99Ms: 100, rssBytes: 300 * 1024 * 1024 } as const;
/** Extra node flags for the controller child only, e.g. '--cpu-prof --cpu-prof-dir=/tmp/prof'. */
const CONTROLLER_NODE_OPTIONS = flagValue('--controller-node-options')?.split(' ').filter(Boolean) ?? [];
/** The `wofleet` CLI as a command line: --cli-bin, else this node on the workspace build. */
const CLI_COMMAND = flagValue('--cli-bin')?.split(' ').filter(Boolean) ?? [process.execPath, CONTROLLER_CLI];

/** prom-client's default metrics of one process, read from a /metrics text: event loop delay (over the time since the last scrape) and GC. */
async function scrapeRuntime(metricsUrl: string) {
  const text = await (await fetch(metricsUrl)).text();
  const sum = (name: string) =>
    text
      .split('\n')
      .filter((line) => line.startsWith(name))
      .reduce((total, line) => total + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
  // The controller's own heartbeat lag (beat `at` to its commit): cumulative buckets, since start.
  const buckets = [...text.matchAll(/^wofleet_controller_heartbeat_lag_seconds_bucket\{le="([^"]+)"\} (\S+)$/gm)].map((m) => ({
    le: Number(m[1]),
    count: Number(m[2]),
  }));
  const total = buckets.at(-1)?.count ?? 0;
  const p99Bucket = buckets.find((b) => b.count >= total * 0.99)?.le;
  return {
    heartbeatLag: {
      recorded: total,
      withinOneSecond: total === 0 ? 0 : round((100 * (buckets.find((b) => b.le === 1)?.count ?? 0)) / total, 2),
      p99AtMostSeconds: p99Bucket,
    },
    eventLoopDelayMs: loopDelayFromMetrics(text),
    gc: { count: sum('nodejs_gc_duration_seconds_count'), seconds: round(sum('nodejs_gc_duration_seconds_sum'), 2) },
  };
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const serverName = (i: number) => `bench-${String(i).padStart(4, '0')}`;

// ---------------------------------------------------------------- the controller child

/**
 * `wofleet controller serve` from controller/dist on plain node (tsx would add ~80 MiB
 * of its own to the RSS measured); ready once it logs "controller serving".
 */
interface Controller {
  child: ChildProcess;
  stderr: string[];
  exited: Promise<void>;
}

async function spawnController(args: readonly string[], env: Record<string, string>): Promise<Controller> {
  const child = spawn(process.execPath, [...CONTROLLER_NODE_OPTIONS, CONTROLLER_CLI, 'controller', 'serve', ...args], {
    env: { ...process.env, WOFLEET_LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stderr: string[] = [];
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const ready = new Promise<void>((resolve, reject) => {
    createInterface({ input: child.stderr! }).on('line', (line) => {
      stderr.push(line);
      if (line.includes('"controller serving"')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`controller exited (${code}) before ready:\n${stderr.join('\n')}`)));
  });
  await ready;
  return { child, stderr, exited };
}

// ---------------------------------------------------------------- the fleet

/** Each agent beats every period at its own phase; `sent` keeps the `at` of each one's last beat. */
function startFleet(connections: NatsConnection[], sent: Map<string, number[]>): () => void {
  const timers: NodeJS.Timeout[] = [];
  const encoder = new TextEncoder();
  const startedAt = Date.now();
  for (let i = 0; i < AGENTS; i++) {
    const name = serverName(i);
    const nc = connections[Math.floor(i / AGENTS_PER_CONNECTION)] as NatsConnection;
    const subject = `wofleet.agent.${name}.heartbeat`;
    const beat = () => {
      const now = Date.now();
      const message: Heartbeat = {
        serverId: name,
        agentVersion: '0.1.0',
        uptimeSeconds: Math.round((now - startedAt) / 1000),
        at: new Date(now).toISOString(),
        current: { release: 'wp-6.5.5-3f2a9c', version: '6.5.5' },
        canary: null,
        sites: 12,
        health: 'ok',
        diskFreeBytes: 40_000_000_000,
      };
      nc.publish(subject, encoder.encode(JSON.stringify(message)));
      sent.get(name)?.push(now);
    };
    const phase = Math.random() * PERIOD_S * 1000;
    timers.push(
      setTimeout(() => {
        beat();
        timers.push(setInterval(beat, PERIOD_S * 1000));
      }, phase),
    );
  }
  return () => {
    for (const t of timers) clearTimeout(t);
  };
}

// ---------------------------------------------------------------- main

async function main(): Promise<void> {
  const json = process.argv.includes('--json');
  const { openDatabase, migrate, insertServer, markServerEnrolled, listServers } = await import('../../controller/dist/db/index.js');
  const { initFleetCa } = await import('../../controller/dist/ca/init.js');
  const { issueOperatorCredentials } = await import('../../controller/dist/ca/operator.js');
  const { connectController } = await import('../../controller/dist/client/controller-client.js');
  const root = await mkdtemp(path.join(os.tmpdir(), 'wofleet-bench-presence-'));
  let nats: NatsServer | undefined;
  let scratch: ScratchPostgres | undefined;
  let controller: Controller | undefined;
  const connections: NatsConnection[] = [];
  let stopFleet = () => {};
  const log = silentLogger();
  try {
    progress(`fresh Postgres database and nats-server; ${AGENTS} enrolled servers`);
    [nats, scratch] = await Promise.all([startNatsServer(), createScratchDatabase()]);
    const handle = await openDatabase({ databaseUrl: scratch.url, dataDir: '/nonexistent', log, maxConnections: 4 });
    if (handle.kind !== 'postgres') throw new Error('expected Postgres');
    await migrate(handle, log);
    const db = handle.db;
    // The simulated agents serve no gRPC: their addresses are loopback ones on a port nothing
    // listens on, so the controller's site sync after each comeback is refused at once. (A
    // routable address may be answered by whatever the network runs: a sandbox's egress proxy
    // answered 10.0.x.x with TLS, and the controller spent the run in handshakes with it.)
    const closedPort = await findFreePort();
    for (let i = 0; i < AGENTS; i += 50) {
      await Promise.all(
        Array.from({ length: Math.min(50, AGENTS - i) }, async (_, k) => {
          const name = serverName(i + k);
          await insertServer(db, {
            name,
            address: `127.0.${Math.floor((i + k) / 250)}.${1 + ((i + k) % 250)}:${closedPort}`,
            labels: { region: 'eu', tier: String((i + k) % 3) },
          });
          await markServerEnrolled(db, name, 'f'.repeat(64), new Date());
        }),
      );
    }

    progress('fleet CA, operator credentials; starting `wofleet controller serve` as a child process');
    const dataDir = path.join(root, 'controller');
    const operatorDir = path.join(root, 'alice');
    await initFleetCa({ dataDir, name: 'ctl-1', dnsNames: [], ipAddresses: ['127.0.0.1'], force: false });
    await issueOperatorCredentials({ dataDir, name: 'alice', outDir: operatorDir, validDays: 1, force: false });
    const address = `127.0.0.1:${await findFreePort()}`;
    const metricsAddress = `127.0.0.1:${await findFreePort()}`;
    const serveArgs = [
      ...['--data-dir', dataDir, '--listen', address, '--nats', nats.url],
      ...['--heartbeat-seconds', String(PERIOD_S), '--metrics-listen', metricsAddress],
    ];
    controller = await spawnController(serveArgs, { DATABASE_URL: scratch.url });
    const pid = controller.child.pid as number;
    const readyMem = readMemory(pid);
    const operator = {
      controller: address,
      caFile: `${operatorDir}/ca.pem`,
      certFile: `${operatorDir}/alice.pem`,
      keyFile: `${operatorDir}/alice.key`,
    };
    const api = await connectController(operator);
    /**
     * The whole fleet over gRPC + TLS, PAGE_SIZE servers a ListServers call, with the JSON the
     * CLI would print: each call's ms goes to `pages`; returns the whole pass's ms.
     */
    const timedList = async (pages: number[]) => {
      const started = performance.now();
      let listed = 0;
      let pageToken = '';
      do {
        const pageStarted = performance.now();
        const answer = await api.listServers({ labels: {}, pageSize: PAGE_SIZE, pageToken });
        JSON.stringify(answer.servers, null, 2);
        pages.push(performance.now() - pageStarted);
        listed += answer.servers.length;
        pageToken = answer.nextPageToken;
      } while (pageToken !== '');
      if (listed !== AGENTS) throw new Error(`ListServers returned ${listed} servers, expected ${AGENTS}`);
      return performance.now() - started;
    };

    for (let c = 0; c < Math.ceil(AGENTS / AGENTS_PER_CONNECTION); c++)
      connections.push(await connect({ servers: nats.url, name: `sim-agents-${c}` }));
    const sent = new Map<string, number[]>(Array.from({ length: AGENTS }, (_, i) => [serverName(i), []]));
    const lastSeen = new Map<string, number>();
    const observedLag: number[] = [];
    const stampedLag: number[] = [];
    /** Lag of the beats after the first two periods, once each server's first beat (a comeback: audit, site sync) is behind. */
    const steadyLag: number[] = [];
    let steadyFrom = Number.POSITIVE_INFINITY;
    const listUnderLoad: number[] = [];
    const passUnderLoad: number[] = [];
    let rssMax = readyMem.rssBytes;
    let unmatched = 0;

    /** Every transaction older than this had ended at the last poll, which saw what it wrote. */
    let settledXid = '0';
    /**
     * New last_seen_at values since the last poll, each matched to the beat that caused it.
     * Only rows written by transactions not yet ended at the last poll (their xmin), so a
     * poll reads the few rows written since, not the fleet, however late a write commits.
     */
    const poll = async () => {
      const rows = await handle.client<{ name: string | null; seen_ms: string | number | null; settled: string }[]>`
        with snap as (select pg_snapshot_xmin(pg_current_snapshot())::text as settled)
        select s.name, (extract(epoch from s.last_seen_at) * 1000)::float8 as seen_ms, snap.settled
        from snap left join servers s on s.xmin::text::bigint >= ${settledXid}::bigint`;
      const seenAt = Date.now();
      settledXid = rows[0]?.settled ?? settledXid;
      for (const row of rows) {
        if (row.name === null || row.seen_ms === null) continue;
        const written = Math.round(Number(row.seen_ms));
        if (lastSeen.get(row.name) === written) continue;
        lastSeen.set(row.name, written);
        // The latest beat published before the row showed it; beats are a period apart.
        const beats = sent.get(row.name) ?? [];
        const at = beats.findLast((b) => b <= seenAt);
        if (at === undefined) {
          unmatched++;
          continue;
        }
        observedLag.push(seenAt - at);
        stampedLag.push(written - at);
        if (at >= steadyFrom) steadyLag.push(seenAt - at);
      }
    };

    progress(`${AGENTS} agents on ${connections.length} connections, heartbeat every ${PERIOD_S} s, for ${RUN_MS / 1000} s`);
    const loadAtStart = loadAverage();
    // Both event loops from here on: the controller's histogram starts again at each scrape.
    await scrapeRuntime(`http://${metricsAddress}/metrics`);
    const benchLoop = watchLoopDelay();
    const cpuStart = readCpu(pid).selfMs;
    const wallStart = performance.now();
    stopFleet = startFleet(connections, sent);
    steadyFrom = Date.now() + 2 * PERIOD_S * 1000;
    const runEnd = Date.now() + RUN_MS;
    let nextList = Date.now() + 1000;
    let nextMem = Date.now() + 1000;
    let nextProgress = Date.now() + 30_000;
    while (Date.now() < runEnd) {
      await poll();
      if (Date.now() >= nextMem) {
        rssMax = Math.max(rssMax, readMemory(pid).rssBytes);
        nextMem += 1000;
      }
      if (Date.now() >= nextList) {
        passUnderLoad.push(await timedList(listUnderLoad));
        nextList += 1000;
      }
      if (Date.now() >= nextProgress) {
        progress(`${Math.round((RUN_MS - (runEnd - Date.now())) / 1000)} s: ${observedLag.length} heartbeats seen in rows`);
        nextProgress += 30_000;
      }
      await sleep(POLL_MS);
    }
    stopFleet();
    await Promise.all(connections.map((nc) => nc.flush()));
    // The last beats land: keep polling at the same pace (a single late poll would inflate their lag).
    for (const drainEnd = Date.now() + 1000; Date.now() < drainEnd; await sleep(POLL_MS)) await poll();
    const cpuUsedMs = readCpu(pid).selfMs - cpuStart;
    const benchLoopDelay = benchLoop.stop();
    const controllerRuntime = await scrapeRuntime(`http://${metricsAddress}/metrics`);
    const wallMs = performance.now() - wallStart;
    const endMem = readMemory(pid);
    const loadAtEnd = loadAverage();
    rssMax = Math.max(rssMax, endMem.rssBytes);
    // Taken now: the simulated agents have stopped, so servers go offline from here on.
    const statuses = new Map<string, number>();
    for (const row of await listServers(db)) statuses.set(row.status, (statuses.get(row.status) ?? 0) + 1);
    const warningLines = controller.stderr.filter((l) => /"level":(40|50|60)/.test(l));
    const warnings = warningLines.length;
    // What was logged, by message, so a count here says why.
    const byMessage = new Map<string, number>();
    for (const line of warningLines) {
      const msg = /"msg":"([^"]*)"/.exec(line)?.[1] ?? line.slice(0, 120);
      byMessage.set(msg, (byMessage.get(msg) ?? 0) + 1);
    }
    for (const [msg, count] of [...byMessage].sort((a, b) => b[1] - a[1]).slice(0, 5)) progress(`controller logged ${count} x "${msg}"`);
    if (warningLines[0]) progress(`first: ${warningLines[0].slice(0, 400)}`);

    progress(`${LIST_CALLS} ListServers calls (${PAGE_SIZE} a page) over gRPC after the run`);
    const listIdle: number[] = [];
    const passIdle: number[] = [];
    while (listIdle.length < LIST_CALLS) passIdle.push(await timedList(listIdle));
    api.close();
    progress(`${CLI_RUNS} runs of \`wofleet servers list --json\` (${CLI_COMMAND.join(' ')})`);
    const cliWall: number[] = [];
    const cliEnv = cleanEnv({
      // Its own HOME: no operator config.yaml of this machine, and a compile cache of its own.
      HOME: path.join(root, 'home'),
      WOFLEET_CONTROLLER: operator.controller,
      WOFLEET_CA: operator.caFile,
      WOFLEET_CERT: operator.certFile,
      WOFLEET_KEY: operator.keyFile,
    });
    for (let i = 0; i < CLI_RUNS; i++) {
      const started = performance.now();
      const r = await runCliCommand(CLI_COMMAND, ['servers', 'list', '--json'], cliEnv);
      cliWall.push(performance.now() - started);
      if (r.code !== 0) throw new Error(`wofleet servers list --json exited ${r.code}: ${r.stderr}`);
      const listed = (JSON.parse(r.stdout) as unknown[]).length;
      if (listed !== AGENTS) throw new Error(`wofleet servers list --json printed ${listed} servers, expected ${AGENTS}`);
    }
    progress(`${LIST_CALLS} listServers(db) pages in the bench process (the database part of ListServers)`);
    const listDb: number[] = [];
    for (let after: string | undefined; listDb.length < LIST_CALLS; ) {
      const started = performance.now();
      const page = await listServers(db, {}, { after, limit: PAGE_SIZE });
      JSON.stringify(page);
      listDb.push(performance.now() - started);
      after = page.length === PAGE_SIZE ? page.at(-1)?.name : undefined;
    }
    const beatsSent = [...sent.values()].reduce((n, beats) => n + beats.length, 0);
    await handle.close();

    const lag = stats(observedLag);
    const lagStamp = stats(stampedLag);
    const lagSteady = stats(steadyLag);
    const listLoad = stats(listUnderLoad);
    const listAfter = stats(listIdle);
    const passLoad = stats(passUnderLoad);
    const passAfter = stats(passIdle);
    const cli = stats(cliWall);
    const dbList = stats(listDb);
    const listP99 = Math.max(listLoad.p99, listAfter.p99);
    const ok = {
      lag: lag.p99 <= TARGETS.lagP99Ms && observedLag.length > 0,
      list: listP99 <= TARGETS.listP99Ms,
      rss: Math.max(rssMax, endMem.hwmBytes) <= TARGETS.rssBytes,
    };
    const result = {
      setup: {
        agents: AGENTS,
        heartbeatSeconds: PERIOD_S,
        runSeconds: RUN_MS / 1000,
        natsConnections: connections.length,
        pollMs: POLL_MS,
        pageSize: PAGE_SIZE,
        cpus: Number(execFileSync('nproc', { encoding: 'utf8' }).trim()),
        loadAverage1m: { start: loadAtStart, end: loadAtEnd },
        list: 'ListServers over gRPC + TLS (one open channel) + JSON.stringify; CLI = `wofleet servers list --json` process wall time',
        cli: CLI_COMMAND.join(' '),
      },
      heartbeats: { sent: beatsSent, seenInRows: observedLag.length, unmatched, finalStatus: Object.fromEntries(statuses) },
      controller: {
        cpuPercentOfCore: round((cpuUsedMs / wallMs) * 100, 2),
        cpuSeconds: round(cpuUsedMs / 1000, 2),
        rssReadyBytes: readyMem.rssBytes,
        rssMaxBytes: rssMax,
        rssEndBytes: endMem.rssBytes,
        hwmBytes: endMem.hwmBytes,
        warningsLogged: warnings,
        ...controllerRuntime,
      },
      benchEventLoopDelayMs: benchLoopDelay,
      lagMs: { visibleInRow: lag, controllerStamp: lagStamp, visibleInRowAfterTwoPeriods: lagSteady },
      listServersMs: { duringRun: listLoad, afterRun: listAfter },
      wholeFleetListMs: { duringRun: passLoad, afterRun: passAfter },
      cliServersListWallMs: { ...cli, first: round(cliWall[0] ?? 0, 1) },
      listServersDbOnlyMs: dbList,
      targets: { lagP99Ms: TARGETS.lagP99Ms, listP99Ms: TARGETS.listP99Ms, rssBytes: TARGETS.rssBytes },
      ok,
    };

    if (json) {
      process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    } else {
      const verdict = (pass: boolean) => (pass ? 'ok' : 'MISSED');
      const rows: Cell[][] = [
        ['heartbeats sent / seen in rows', `${beatsSent} / ${observedLag.length}`, '', ''],
        ['final status', [...statuses].map(([s, n]) => `${s} ${n}`).join(', '), '', ''],
        ['controller CPU (% of one core)', `${result.controller.cpuPercentOfCore} %`, '', ''],
        [
          'controller RSS ready / max / HWM',
          `${mib(readyMem.rssBytes)} / ${mib(rssMax)} / ${mib(endMem.hwmBytes)}`,
          '<= 300 MiB',
          verdict(ok.rss),
        ],
        ['lag visible in row p50 / p99 / max', `${lag.p50} / ${lag.p99} / ${lag.max} ms`, '<= 1000 ms', verdict(ok.lag)],
        ['lag visible, beats after 2 periods p50 / p99 / max', `${lagSteady.p50} / ${lagSteady.p99} / ${lagSteady.max} ms`, '', ''],
        [
          "controller's heartbeat lag metric: p99 <= / within 1 s",
          `${controllerRuntime.heartbeatLag.p99AtMostSeconds} s / ${controllerRuntime.heartbeatLag.withinOneSecond} % of ${controllerRuntime.heartbeatLag.recorded}`,
          '',
          '',
        ],
        ['lag controller stamp p50 / p99 / max', `${lagStamp.p50} / ${lagStamp.p99} / ${lagStamp.max} ms`, '', ''],
        ['controller event loop delay p50 / p99 / max', formatLoopDelay(controllerRuntime.eventLoopDelayMs), '', ''],
        ['controller GC during run', `${controllerRuntime.gc.count} pauses, ${controllerRuntime.gc.seconds} s`, '', ''],
        ['bench event loop delay p50 / p99 / max', formatLoopDelay(benchLoopDelay), '', ''],
        [
          `ListServers gRPC (${PAGE_SIZE} a page) during run p50 / p99 / max`,
          `${listLoad.p50} / ${listLoad.p99} / ${listLoad.max} ms (${listLoad.count})`,
          '<= 100 ms',
          verdict(listLoad.p99 <= TARGETS.listP99Ms),
        ],
        [
          `ListServers gRPC (${PAGE_SIZE} a page) after run p50 / p99 / max`,
          `${listAfter.p50} / ${listAfter.p99} / ${listAfter.max} ms (${listAfter.count})`,
          '<= 100 ms',
          verdict(listAfter.p99 <= TARGETS.listP99Ms),
        ],
        [
          'whole fleet, page by page, during / after run p99',
          `${passLoad.p99} / ${passAfter.p99} ms (${passLoad.count} / ${passAfter.count})`,
          '',
          '',
        ],
        ['listServers(db) page alone p50 / p99 / max', `${dbList.p50} / ${dbList.p99} / ${dbList.max} ms (${dbList.count})`, '', ''],
        [
          '`wofleet servers list --json` wall p50 / p99 / first',
          `${cli.p50} / ${cli.p99} / ${round(cliWall[0] ?? 0, 1)} ms (${cli.count})`,
          '',
          '',
        ],
        ['controller warnings/errors logged during the run', warnings, '', ''],
      ];
      process.stdout.write(
        `\npresence: ${AGENTS} agents x ${PERIOD_S} s heartbeats for ${RUN_MS / 1000} s; ${result.setup.cpus} CPUs, load average ${loadAtStart} -> ${loadAtEnd}\n\n`,
      );
      process.stdout.write(`${formatTable(['measure', 'value', 'target', ''], rows)}\n\n`);
      process.stdout.write(
        `lag = (row seen by a ${POLL_MS} ms poll) - (beat \`at\`); ListServers = gRPC + TLS to the running controller on an open channel, each page call;\n` +
          'CLI wall = a whole `wofleet servers list --json` process (node start, TLS handshake, call, print): ' +
          `${CLI_COMMAND.join(' ')}\n`,
      );
    }
    process.exitCode = ok.lag && ok.list && ok.rss ? 0 : 1;
  } finally {
    stopFleet();
    await Promise.all(connections.map((nc) => nc.close()));
    if (controller && controller.child.exitCode === null) {
      controller.child.kill('SIGTERM');
      await Promise.race([controller.exited, sleep(15_000)]);
      if (controller.child.exitCode === null && controller.child.signalCode === null) controller.child.kill('SIGKILL');
    }
    await nats?.dispose();
    await scratch?.drop();
    await rm(root, { recursive: true, force: true });
  }
}

await main();
