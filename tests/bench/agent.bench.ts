/**
 * Agent daemon benchmark (`pnpm bench:agent [--json]`): what `wofleet-agent serve` costs
 * on a server that is doing nothing but being watched.
 *
 * Setup: a private stack (nginx + PHP-FPM + MariaDB on a temp root) with `init --release`
 * 6.4.5 and 3 sites, so GetStatus and ListSites do real work; a private nats-server; the
 * daemon with the default heartbeat (10 s) and health-check (60 s) periods. Loopback only.
 * The daemon runs as production runs it: with the environment deploy/systemd/
 * wofleet-agent.service gives it (NODE_OPTIONS for V8's heap, MALLOC_ARENA_MAX, log level);
 * `--daemon-node-options '<flags>'` replaces NODE_OPTIONS ('' = Node's defaults).
 * `--agent-bin PATH` runs the daemon from a package instead of the workspace build: the
 * wrapper of an extracted tarball (`pnpm package`, then `tar -xzf dist/packages/
 * wofleet-agent-V-linux-x64.tar.gz -C DIR`: DIR/wofleet-agent-V-linux-x64/bin/wofleet-agent)
 * or /usr/bin/wofleet-agent; it runs on the package's own Node, with the V8 flags its wrapper
 * passes (`nodeFlags` in deploy/package/programs.ts; shown in the report). Its compile cache
 * goes to a directory under the system's temp dir (the unit's /var/cache one is not made here).
 *
 *  - RSS: VmRSS of the daemon process (/proc/<pid>/status) 5 s after its port accepts,
 *    shown split into anonymous memory (V8 heap, malloc) and file pages (node's own code);
 *    taken at --rss-starts fresh starts (default 3: it varies by a MiB or two between
 *    starts), the target holds only if every one is under it.
 *  - idle CPU: utime+stime (/proc/<pid>/stat) over 60 s with no RPC, as % of one core;
 *    heartbeats on wofleet.agent.<id>.heartbeat counted in that window. The daemon runs
 *    its full health check at start-up and then every 60 s (it spawns `wo site list` and
 *    `nginx -t` and probes every site over HTTP), so the window holds one periodic check:
 *    it is counted, and shown apart: the children it spawns are watched in /proc, and the
 *    daemon's CPU around them is split from the rest; reaped children's CPU is shown too.
 *    RSS is read again at the end of the window (after V8's idle-time heap reduction).
 *  - RPC latency: GetStatus, then ListSites, over mutual TLS, sequential, 50 warm-up calls
 *    then 2,000 measured (p50, p99, max); each phase is capped in time.
 *  - breakdown (in-process, same stack): where one uncached full status spends its time.
 *  - ListSites with 100 sites: 97 more sites made the way WordOps leaves them (a copy of
 *    s1.test's directory, its vhost, its row in WordOps' dbase.db), nginx reloaded, the
 *    daemon restarted and left to finish its start-up passes; then ListSites over mutual
 *    TLS, sequential, with the 1-min load average before and after. Every answer must carry 100 sites with WordOps' facts.
 *
 * Targets (issue): RSS <= 80 MiB, idle CPU <= 1 % of a core, GetStatus p99 <= 20 ms,
 * ListSites p99 <= 50 ms with 100 sites.
 * Exit 1 when one is missed. Flags: --json, --calls N, --warmup N, --idle-seconds N,
 * --phase-cap-seconds N, --breakdown-runs N (0 = skip), --daemon-node-options '<flags>',
 * --list-calls N (ListSites calls with 100 sites, default 1000), --agent-bin PATH,
 * --rss-starts N.
 */
import { readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { connect, type NatsConnection, type Subscription } from 'nats';
import type { AgentServiceClient } from '@wofleet/proto';
import { runCommand } from '@wofleet/shared';
import { engineFor, runAgent, writeAgentConfig, WP645 } from '../support/agent.js';
import { agentClient, call, makeFleetPki, startDaemon, type RunningDaemon } from '../support/agent-daemon.js';
import { resolveProgram } from '../support/daemon.js';
import { startNatsServer, type NatsServer } from '../support/nats-server.js';
import { startStack, type Stack } from '../support/stack.js';
import { statusCommand } from '../../agent/src/commands/status.js';
import { listCommand } from '../../agent/src/commands/list.js';
import { healthCommand } from '../../agent/src/commands/health.js';
import { inspect, probeSites } from '../../agent/src/commands/inspect.js';
import { createDiskCounter, walkTree } from '../../agent/src/disk/disk-usage.js';
import { createWordOpsSiteDb } from '../../agent/src/sites/site-db.js';
import { agentUnitEnvironment } from './agent-unit-env.js';
import { CLK_TCK, loadAverage, type MemoryFigures, percentile, readCpu, readMemory, round, uptimeMs } from './proc.js';
import { countFlag, flagValue, formatTable, mib, numberFlag, progress, seconds, type Cell } from './report.js';

const SERVER_ID = 'bench-01';
const SITES = ['s1.test', 's2.test', 's3.test'] as const;
const VERSION = '6.4.5';
const HEARTBEAT_SECONDS = 10; // the config default
const HEALTH_CHECK_SECONDS = 60; // the config default
const RSS_DELAY_MS = 5_000;
const RSS_STARTS = Math.max(1, Math.floor(numberFlag('--rss-starts', 3)));
const IDLE_MS = numberFlag('--idle-seconds', 60) * 1000;
const WARMUP_CALLS = Math.floor(numberFlag('--warmup', 50));
const CALLS = Math.floor(numberFlag('--calls', 2000));
/** Each RPC phase (warm-up + measured calls) stops here even if unfinished. */
const PHASE_CAP_MS = numberFlag('--phase-cap-seconds', 180) * 1000;
const CALL_TIMEOUT_MS = 30_000;
const BREAKDOWN_RUNS = countFlag('--breakdown-runs', 20);
const CLI_TIMEOUT_MS = 240_000;

/** The daemon's environment: production's, with NODE_OPTIONS replaced when asked (to try other memory settings). */
const PRODUCTION_ENV = agentUnitEnvironment(path.join(os.tmpdir(), 'wofleet-bench-agent-compile-cache'));
const DAEMON_NODE_OPTIONS = flagValue('--daemon-node-options') ?? PRODUCTION_ENV.NODE_OPTIONS ?? '';
const AGENT_BIN = flagValue('--agent-bin');
const DAEMON_ENV = { ...PRODUCTION_ENV, NODE_OPTIONS: DAEMON_NODE_OPTIONS };
/** How a package's sh wrapper starts Node (its last `exec` line: the V8 flags it passes). */
const AGENT_BIN_EXEC =
  AGENT_BIN === undefined
    ? undefined
    : readFileSync(AGENT_BIN, 'utf8')
        .split('\n')
        .findLast((line) => line.startsWith('exec '))
        ?.replace(/"\$here\/([^"]*)"/g, '$1')
        .replace(/\s*"\$@"$/, '');

const TARGETS = { rssBytes: 80 * 1024 * 1024, idleCpuPercent: 1, statusP99Ms: 20, listSitesP99Ms: 50 } as const;
/** Sites on the server for the ListSites-at-scale phase, and its measured calls. */
const MANY_SITES = 100;
const LIST_CALLS = Math.floor(numberFlag('--list-calls', 1000));

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

// ---------------------------------------------------------------- helpers

function withTimeout<T>(promise: Promise<T>, ms: number, label: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${label} did not finish within ${ms / 1000} s`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function cli(stack: Stack, args: string[]): Promise<number> {
  const started = performance.now();
  const r = await withTimeout(runAgent(stack, args), CLI_TIMEOUT_MS, `wofleet-agent ${args.join(' ')}`);
  if (r.code !== 0) throw new Error(`wofleet-agent ${args.join(' ')} exited ${r.code}: ${r.stderr}\n${stack.logs()}`);
  return performance.now() - started;
}

async function stopDaemon(daemon: RunningDaemon | undefined): Promise<void> {
  if (!daemon || daemon.child.exitCode !== null || daemon.child.signalCode !== null) return;
  daemon.child.kill('SIGTERM');
  const gone = await Promise.race([daemon.exited.then(() => true), sleep(15_000).then(() => false)]);
  if (!gone) {
    daemon.child.kill('SIGKILL');
    await Promise.race([daemon.exited, sleep(5_000)]);
  }
}

// ---------------------------------------------------------------- measurements

interface HeartbeatLog {
  times: number[];
  last?: { health?: string; sites?: number; summaryError?: string };
}

function countHeartbeats(sub: Subscription, log: HeartbeatLog): void {
  void (async () => {
    for await (const msg of sub) {
      log.times.push(Date.now());
      try {
        log.last = msg.json<{ health?: string; sites?: number; summaryError?: string }>();
      } catch {
        log.last = { summaryError: 'unparsable heartbeat' };
      }
    }
  })();
}

/** Children of `pid` alive now (pid -> short name); the daemon spawns only in its periodic checks. */
function childrenOf(pid: number): Map<number, string> {
  const found = new Map<number, string>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const raw = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(raw.slice(raw.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid !== pid) continue;
      const argv = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0').filter(Boolean);
      const exe = path.basename(argv[0] ?? '?');
      const shown = exe === 'node' && argv[1] ? path.basename(argv[1]) : exe;
      found.set(Number(name), [shown, ...argv.slice(exe === 'node' ? 2 : 1, exe === 'node' ? 4 : 2)].join(' '));
    } catch {
      // gone already
    }
  }
  return found;
}

interface IdleResult {
  windowMs: number;
  selfCpuMs: number;
  cpuPercent: number;
  childrenCpuMs: number;
  cpuPercentWithChildren: number;
  /** Child processes seen during the window (seconds into it): the periodic health check / status refresh. */
  spawns: { at: number; command: string }[];
  /** Daemon CPU in the bursts around those spawns (1 s before the first, 3 s after the last of a burst). */
  periodicWorkCpuMs: number;
  /** Daemon CPU outside those bursts, as % of a core: heartbeats, timers, NATS pings. */
  quietCpuPercent: number;
  peakSecondPercent: number;
  /** Daemon CPU ms in each second of the window. */
  perSecondCpuMs: number[];
  /** When the next periodic check was due by the clock (start-up check + k * 60 s), seconds into the window. */
  healthCheckDueAt: number[];
  heartbeats: number;
  expectedHeartbeats: number;
  lastHeartbeat?: HeartbeatLog['last'];
}

const SAMPLE_MS = 250;

async function measureIdle(pid: number, heartbeats: HeartbeatLog): Promise<IdleResult> {
  const first = readCpu(pid);
  const t0 = Date.now();
  const up0 = uptimeMs();
  const samples: { at: number; selfMs: number }[] = [{ at: 0, selfMs: first.selfMs }];
  const seen = new Map<number, { at: number; command: string }>();
  for (let i = 1; i * SAMPLE_MS <= IDLE_MS; i++) {
    await sleep(t0 + i * SAMPLE_MS - Date.now());
    const at = Date.now() - t0;
    samples.push({ at, selfMs: readCpu(pid).selfMs });
    for (const [child, command] of childrenOf(pid)) if (!seen.has(child)) seen.set(child, { at: at / 1000, command });
  }
  const last = readCpu(pid);
  const wall = Date.now() - t0;
  const spawns = [...seen.values()].sort((a, b) => a.at - b.at);
  // Bursts: spawns less than 5 s apart belong to one periodic run.
  const bursts: { from: number; to: number }[] = [];
  for (const s of spawns) {
    const open = bursts.at(-1);
    if (open && s.at - open.to < 5) open.to = s.at;
    else bursts.push({ from: s.at, to: s.at });
  }
  const inBurst = (sec: number) => bursts.some((b) => sec >= b.from - 1 && sec <= b.to + 3);
  let periodicMs = 0;
  let quietMs = 0;
  let quietWall = 0;
  let peak = 0;
  const perSecond = new Map<number, number>();
  for (let i = 1; i < samples.length; i++) {
    const prev = samples[i - 1] as { at: number; selfMs: number };
    const cur = samples[i] as { at: number; selfMs: number };
    const used = cur.selfMs - prev.selfMs;
    const second = Math.floor(prev.at / 1000);
    perSecond.set(second, (perSecond.get(second) ?? 0) + used);
    if (inBurst(prev.at / 1000) || inBurst(cur.at / 1000)) periodicMs += used;
    else {
      quietMs += used;
      quietWall += cur.at - prev.at;
    }
  }
  for (const used of perSecond.values()) peak = Math.max(peak, used / 10);
  // The monitor starts with the process: checks at ~start + k * 60 s.
  const sinceStart = (up0 - first.startedMs) / 1000;
  const due: number[] = [];
  for (let k = 1; k * HEALTH_CHECK_SECONDS - sinceStart <= wall / 1000; k++) {
    const at = k * HEALTH_CHECK_SECONDS - sinceStart;
    if (at >= 0) due.push(round(at, 1));
  }
  const selfCpuMs = last.selfMs - first.selfMs;
  const childrenCpuMs = last.childrenMs - first.childrenMs;
  return {
    windowMs: wall,
    selfCpuMs: round(selfCpuMs, 0),
    cpuPercent: round((selfCpuMs / wall) * 100, 3),
    childrenCpuMs: round(childrenCpuMs, 0),
    cpuPercentWithChildren: round(((selfCpuMs + childrenCpuMs) / wall) * 100, 3),
    spawns: spawns.map((s) => ({ at: round(s.at, 1), command: s.command })),
    periodicWorkCpuMs: round(periodicMs, 0),
    quietCpuPercent: round(quietWall > 0 ? (quietMs / quietWall) * 100 : 0, 3),
    peakSecondPercent: round(peak, 1),
    perSecondCpuMs: [...perSecond.entries()].sort((a, b) => a[0] - b[0]).map(([, ms]) => round(ms, 0)),
    healthCheckDueAt: due,
    heartbeats: heartbeats.times.filter((t) => t >= t0 && t <= t0 + wall).length,
    expectedHeartbeats: Math.floor(wall / 1000 / HEARTBEAT_SECONDS),
    lastHeartbeat: heartbeats.last,
  };
}

interface RpcResult {
  method: string;
  warmup: number;
  requested: number;
  completed: number;
  capped: boolean;
  firstCallMs: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  meanMs: number;
  /** Daemon CPU (utime+stime) per measured call. */
  daemonCpuMsPerCall: number;
  /** Reaped children's CPU (spawned `wo` etc.) per measured call. */
  childrenCpuMsPerCall: number;
  wallMs: number;
}

async function measureRpc<Res>(
  client: AgentServiceClient,
  pid: number,
  method: string,
  check: (answer: Res) => void,
  calls = CALLS,
): Promise<RpcResult> {
  const phaseStart = performance.now();
  const deadline = phaseStart + PHASE_CAP_MS;
  const once = async () => {
    const started = performance.now();
    const answer = await call<object, Res>(client, method, {}, CALL_TIMEOUT_MS);
    return { ms: performance.now() - started, answer };
  };
  const first = await once();
  check(first.answer);
  for (let i = 1; i < WARMUP_CALLS && performance.now() < deadline; i++) await once();
  const cpu0 = readCpu(pid);
  const measuredStart = performance.now();
  const times: number[] = [];
  while (times.length < calls && performance.now() < deadline) times.push((await once()).ms);
  const wallMs = performance.now() - measuredStart;
  const cpu1 = readCpu(pid);
  const sorted = [...times].sort((a, b) => a - b);
  const n = Math.max(1, times.length);
  return {
    method,
    warmup: WARMUP_CALLS,
    requested: calls,
    completed: times.length,
    capped: times.length < calls,
    firstCallMs: round(first.ms, 1),
    p50Ms: round(percentile(sorted, 50), 2),
    p99Ms: round(percentile(sorted, 99), 2),
    maxMs: round(sorted.at(-1) ?? Number.NaN, 2),
    meanMs: round(times.reduce((a, b) => a + b, 0) / n, 2),
    daemonCpuMsPerCall: round((cpu1.selfMs - cpu0.selfMs) / n, 2),
    childrenCpuMsPerCall: round((cpu1.childrenMs - cpu0.childrenMs) / n, 2),
    wallMs: round(wallMs, 0),
  };
}

interface BreakdownRow {
  part: string;
  medianMs: number;
  p90Ms: number;
  note: string;
}

/**
 * Where one uncached full status goes: the same code GetStatus runs without a cache,
 * timed piece by piece in this process against the same stack.
 */
async function breakdown(stack: Stack): Promise<{ runs: number; rows: BreakdownRow[]; walkedEntries: number }> {
  const engine = engineFor(stack);
  const snap = await inspect(engine);
  const roots = [
    engine.layout.releasesDir,
    engine.layout.wpContent,
    ...(snap.current ? [snap.current.path] : []),
    ...snap.sites.map((s) => s.paths.root),
    engine.layout.backupsDir,
  ];
  let walkedEntries = 0;
  for (const root of roots) await walkTree(root, () => void walkedEntries++);
  const parts: { part: string; note: string; run: () => Promise<unknown> }[] = [
    { part: 'statusCommand (whole, uncached)', note: 'what GetStatus did per call before any cache', run: () => statusCommand(engine) },
    { part: '  inspect', note: 'releases, links, `wo site list` (spawns wo)', run: () => inspect(engine) },
    {
      part: '  probeSites',
      note: `${snap.sites.length} HTTP probes through nginx + PHP (+ DB), in parallel`,
      run: () => probeSites(engine, snap),
    },
    {
      part: '  disk usage walk',
      note: `lstat of ${walkedEntries} entries (releases, wp-content, current, sites, backups)`,
      run: async () => {
        const shared = createDiskCounter();
        await shared.measure(engine.layout.releasesDir);
        await shared.measure(engine.layout.wpContent);
        if (snap.current) await createDiskCounter().measure(snap.current.path);
        for (const site of snap.sites) await createDiskCounter().measure(site.paths.root);
        await createDiskCounter().measure(engine.layout.backupsDir);
      },
    },
    {
      part: 'listCommand (uncached)',
      note: `inspect + ${snap.sites.length} probes + disk walks + one read of WordOps' dbase.db`,
      run: () => listCommand(engine),
    },
    {
      part: "  WordOps' dbase.db read",
      note: 'one sqlite3 shell (a fresh reader each run: nothing cached); it replaced one `wo site info` spawn per site',
      run: () => createWordOpsSiteDb(engine.config.wordops.siteDb, { sqlite3: engine.config.wordops.sqlite3, run: engine.run }).read(),
    },
    {
      part: '  wo site info x sites',
      note: 'parallel spawns of wo (no longer on the ListSites path)',
      run: () => Promise.all(snap.sites.map((s) => engine.wo.siteInfo(s.domain))),
    },
    {
      part: 'healthCommand (monitor, every 60 s)',
      note: 'inspect + core verify + nginx -t + probes',
      run: () => healthCommand(engine, {}),
    },
  ];
  const rows: BreakdownRow[] = [];
  for (const p of parts) {
    await p.run(); // warm
    const times: number[] = [];
    for (let i = 0; i < BREAKDOWN_RUNS; i++) {
      const started = performance.now();
      await withTimeout(p.run(), 60_000, p.part.trim());
      times.push(performance.now() - started);
    }
    const sorted = times.sort((a, b) => a - b);
    rows.push({ part: p.part, medianMs: round(percentile(sorted, 50), 1), p90Ms: round(percentile(sorted, 90), 1), note: p.note });
  }
  return { runs: BREAKDOWN_RUNS, rows, walkedEntries };
}

// ---------------------------------------------------------------- 100 sites

/**
 * Makes `count` more sites the way WordOps leaves a site on disk: a copy of `from`'s
 * directory (its own wp-config and `wp` link to the shared core), its vhost with the
 * domain replaced, and its row in WordOps' dbase.db; then reloads nginx and waits until
 * the last one serves. They share `from`'s database: health reads the same WordPress.
 */
async function addSites(stack: Stack, from: string, count: number): Promise<string[]> {
  const domains = Array.from({ length: count }, (_, i) => `m${String(i + 1).padStart(3, '0')}.test`);
  const vhost = readFileSync(path.join(stack.sitesAvailable, from), 'utf8');
  const rows: string[] = [];
  const columns =
    'site_type, cache_type, created_on, is_enabled, is_ssl, storage_fs, storage_db, db_name, db_user, db_password, db_host, is_hhvm, php_version';
  for (const domain of domains) {
    const root = path.join(stack.sitesRoot, domain);
    await runCommand('cp', ['-a', path.join(stack.sitesRoot, from), root]);
    const available = path.join(stack.sitesAvailable, domain);
    writeFileSync(available, vhost.replaceAll(from, domain), { mode: 0o644 });
    symlinkSync(available, path.join(stack.sitesEnabled, domain));
    rows.push(
      `INSERT INTO sites (sitename, site_path, ${columns}) SELECT '${domain}', '${root}', ${columns} FROM sites WHERE sitename = '${from}';`,
    );
  }
  await runCommand('sqlite3', [stack.woDatabase], { input: `BEGIN;\n${rows.join('\n')}\nCOMMIT;\n` });
  await runCommand(resolveProgram('nginx'), ['-c', stack.nginxConf, '-s', 'reload']);
  const last = domains.at(-1) as string;
  const probe = engineFor(stack).probe;
  for (const deadline = Date.now() + 30_000; ; await sleep(200)) {
    const served = await probe.report(last).then(
      () => true,
      () => false,
    );
    if (served) break;
    if (Date.now() > deadline) throw new Error(`${last} does not serve after the nginx reload:\n${stack.logs()}`);
  }
  return domains;
}

/**
 * Waits until the daemon's start-up work is over (its first status of every site and the
 * health monitor's start-up check, each probing all sites): less than 2 % of a core over
 * a second, at most `maxMs`. Returns how long that took.
 */
async function waitUntilQuiet(pid: number, maxMs: number): Promise<number> {
  const started = Date.now();
  for (let before = readCpu(pid).selfMs; Date.now() - started < maxMs; ) {
    await sleep(1_000);
    const now = readCpu(pid).selfMs;
    if (now - before < 20) break;
    before = now;
  }
  return Date.now() - started;
}

// ---------------------------------------------------------------- main

interface Check {
  name: string;
  value: string;
  target: string;
  ok: boolean;
}

async function main(): Promise<void> {
  const json = process.argv.includes('--json');
  const started = Date.now();
  const loadAtStart = loadAverage();
  let stack: Stack | undefined;
  let nats: NatsServer | undefined;
  let daemon: RunningDaemon | undefined;
  let client: AgentServiceClient | undefined;
  let nc: NatsConnection | undefined;
  try {
    progress(`stack: init ${VERSION} + ${SITES.length} sites`);
    stack = await startStack();
    await writeAgentConfig(stack);
    const setupMs: Record<string, number> = { init: round(await cli(stack, ['init', '--release', WP645]), 0) };
    for (const site of SITES) setupMs[`create ${site}`] = round(await cli(stack, ['create', site]), 0);
    nats = await startNatsServer();
    await mkdir(path.join(stack.root, 'pki'));
    const pki = await makeFleetPki(path.join(stack.root, 'pki'), SERVER_ID);
    nc = await connect({ servers: nats.url });
    const heartbeats: HeartbeatLog = { times: [] };
    countHeartbeats(nc.subscribe(`wofleet.agent.${SERVER_ID}.heartbeat`), heartbeats);
    await nc.flush();

    const daemonOptions = {
      natsUrl: nats.url,
      serverId: SERVER_ID,
      heartbeatSeconds: HEARTBEAT_SECONDS,
      env: DAEMON_ENV,
      ...(AGENT_BIN !== undefined && { program: path.resolve(AGENT_BIN) }),
    };
    progress(`daemon: heartbeat ${HEARTBEAT_SECONDS} s, health check ${HEALTH_CHECK_SECONDS} s (defaults)`);
    daemon = await startDaemon(stack, pki, daemonOptions);
    const pid = daemon.child.pid;
    if (pid === undefined) throw new Error('daemon has no pid');
    await sleep(RSS_DELAY_MS);
    const rss = readMemory(pid);
    progress(`RSS 5 s after listening: ${mib(rss.rssBytes)}; idle for ${seconds(IDLE_MS)} (no RPC)`);
    const idle = await measureIdle(pid, heartbeats);
    const afterIdle = readMemory(pid);
    if (idle.heartbeats === 0) throw new Error(`no heartbeat in the idle window:\n${daemon.output()}`);

    client = agentClient(daemon.port, pki.ca.certPem, SERVER_ID, pki.controller);
    progress(`GetStatus: ${WARMUP_CALLS} warm-up + ${CALLS} calls (cap ${seconds(PHASE_CAP_MS)})`);
    const status = await measureRpc<{ sites: number; health?: { healthy: number } }>(client, pid, 'GetStatus', (s) => {
      if (s.sites !== SITES.length || s.health?.healthy !== SITES.length) {
        throw new Error(
          `GetStatus says ${s.sites} sites, ${s.health?.healthy ?? 0} healthy; expected ${SITES.length}: ${JSON.stringify(s)}`,
        );
      }
    });
    progress(`ListSites: ${WARMUP_CALLS} warm-up + ${CALLS} calls (cap ${seconds(PHASE_CAP_MS)})`);
    const sites = await measureRpc<{ sites: { health: string }[] }>(client, pid, 'ListSites', (s) => {
      const ok = s.sites.filter((x) => x.health === 'HEALTH_LEVEL_OK').length;
      if (s.sites.length !== SITES.length || ok !== SITES.length) throw new Error(`ListSites: ${JSON.stringify(s)}`);
    });
    const after = readMemory(pid);
    client.close();
    client = undefined;
    await stopDaemon(daemon);

    const rssStarts: MemoryFigures[] = [rss];
    while (rssStarts.length < RSS_STARTS) {
      progress(`RSS: start ${rssStarts.length + 1} of ${RSS_STARTS}`);
      daemon = await startDaemon(stack, pki, daemonOptions);
      if (daemon.child.pid === undefined) throw new Error('daemon has no pid');
      await sleep(RSS_DELAY_MS);
      rssStarts.push(readMemory(daemon.child.pid));
      await stopDaemon(daemon);
    }
    const rssMax = Math.max(...rssStarts.map((m) => m.rssBytes));
    const rssRange = `${(Math.min(...rssStarts.map((m) => m.rssBytes)) / 2 ** 20).toFixed(1)}-${mib(rssMax)}`;

    let parts: Awaited<ReturnType<typeof breakdown>> | undefined;
    if (BREAKDOWN_RUNS > 0) {
      progress(`breakdown: ${BREAKDOWN_RUNS} in-process runs of each part of an uncached status`);
      parts = await breakdown(stack);
    }

    progress(`ListSites with ${MANY_SITES} sites: ${MANY_SITES - SITES.length} more sites, daemon restarted`);
    await addSites(stack, SITES[0], MANY_SITES - SITES.length);
    daemon = await startDaemon(stack, pki, daemonOptions);
    const manyPid = daemon.child.pid;
    if (manyPid === undefined) throw new Error('daemon has no pid');
    client = agentClient(daemon.port, pki.ca.certPem, SERVER_ID, pki.controller);
    // Steady state, as for the 3-site phase (which runs after the idle minute): not the start-up passes over 100 sites.
    await call<object, unknown>(client, 'ListSites', {}, CALL_TIMEOUT_MS);
    const settledMs = await waitUntilQuiet(manyPid, 60_000);
    const manyLoadBefore = loadAverage();
    let manyHealthy = 0;
    const manySites = await measureRpc<{ sites: { domain: string; php: string; cache: string; health: string; diskBytes: number }[] }>(
      client,
      manyPid,
      'ListSites',
      (s) => {
        const withFacts = s.sites.filter((x) => x.php === '8.2' && x.cache === 'basic' && x.diskBytes > 0);
        if (s.sites.length !== MANY_SITES || withFacts.length !== MANY_SITES)
          throw new Error(`ListSites: ${s.sites.length} sites, ${withFacts.length} with WordOps' facts; expected ${MANY_SITES}`);
        manyHealthy = s.sites.filter((x) => x.health === 'HEALTH_LEVEL_OK').length;
      },
      LIST_CALLS,
    );
    const manyLoadAfter = loadAverage();
    client.close();
    client = undefined;
    await stopDaemon(daemon);

    const statusComplete = !status.capped;
    const checks: Check[] = [
      {
        name: `RSS 5 s after listen (${rssStarts.length} starts)`,
        value: rssStarts.length > 1 ? rssRange : mib(rssMax),
        target: `<= ${mib(TARGETS.rssBytes)}`,
        ok: rssMax <= TARGETS.rssBytes,
      },
      {
        name: `idle CPU over ${seconds(idle.windowMs)}`,
        value: `${idle.cpuPercent.toFixed(2)} %`,
        target: `<= ${TARGETS.idleCpuPercent} % of a core`,
        ok: idle.cpuPercent <= TARGETS.idleCpuPercent,
      },
      {
        name: `GetStatus p99 (${status.completed} calls)`,
        value: `${status.p99Ms.toFixed(2)} ms`,
        target: `<= ${TARGETS.statusP99Ms} ms${statusComplete ? '' : `, ${CALLS} calls`}`,
        ok: statusComplete && status.p99Ms <= TARGETS.statusP99Ms,
      },
      {
        name: `ListSites p99, ${MANY_SITES} sites (${manySites.completed} calls)`,
        value: `${manySites.p99Ms.toFixed(2)} ms`,
        target: `<= ${TARGETS.listSitesP99Ms} ms${manySites.capped ? `, ${LIST_CALLS} calls` : ''}`,
        ok: !manySites.capped && manySites.p99Ms <= TARGETS.listSitesP99Ms,
      },
    ];
    const ok = checks.every((c) => c.ok);
    const result = {
      serverId: SERVER_ID,
      daemon: AGENT_BIN === undefined ? 'workspace build' : path.resolve(AGENT_BIN),
      ...(AGENT_BIN_EXEC !== undefined && { daemonWrapperExec: AGENT_BIN_EXEC }),
      daemonEnv: DAEMON_ENV,
      sites: SITES.length,
      release: VERSION,
      heartbeatSeconds: HEARTBEAT_SECONDS,
      healthCheckSeconds: HEALTH_CHECK_SECONDS,
      clockTicks: CLK_TCK,
      setupMs,
      memory: {
        rssBytes: rss.rssBytes,
        hwmBytes: rss.hwmBytes,
        anonBytes: rss.anonBytes,
        fileBytes: rss.fileBytes,
        afterIdleRssBytes: afterIdle.rssBytes,
        afterRpcRssBytes: after.rssBytes,
        afterRpcHwmBytes: after.hwmBytes,
        starts: rssStarts,
      },
      idle,
      rpc: { GetStatus: status, ListSites: sites },
      listSitesMany: {
        sites: MANY_SITES,
        healthy: manyHealthy,
        settledMs,
        rpc: manySites,
        loadAverage: { before: manyLoadBefore, after: manyLoadAfter },
      },
      breakdown: parts,
      targets: TARGETS,
      loadAverage: { start: loadAtStart, end: loadAverage() },
      checks,
      ok,
      totalMs: Date.now() - started,
    };
    if (json) {
      console.log(JSON.stringify(result));
    } else {
      console.log(
        `wofleet-agent serve, idle: ${SITES.length} sites on WordPress ${VERSION}, heartbeat ${HEARTBEAT_SECONDS} s, health check ${HEALTH_CHECK_SECONDS} s, mutual TLS + NATS on loopback`,
      );
      console.log(
        `daemon: ${AGENT_BIN === undefined ? `${process.execPath} (${process.version}) agent/dist/cli/main.js` : `${path.resolve(AGENT_BIN)} (${AGENT_BIN_EXEC ?? 'no exec line'})`}`,
      );
      console.log(
        `daemon environment: ${Object.entries(DAEMON_ENV)
          .map(([k, v]) => `${k}=${v === '' ? "''" : v}`)
          .join(' ')}`,
      );
      console.log(
        `\n${formatTable(
          ['figure', 'value', 'target', 'result'],
          checks.map((c) => [c.name, c.value, c.target, c.ok ? 'ok' : 'MISSED']),
        )}`,
      );
      console.log(
        `\nmemory: starts ${rssStarts.map((m) => `${mib(m.rssBytes)} (anonymous ${mib(m.anonBytes)}, file ${mib(m.fileBytes)})`).join(', ')};\nfirst start: VmRSS ${mib(rss.rssBytes)} (peak ${mib(rss.hwmBytes)}; anonymous ${mib(rss.anonBytes)}, file pages ${mib(rss.fileBytes)}) 5 s after listen; ${mib(afterIdle.rssBytes)} after the idle minute; after the RPC phases ${mib(after.rssBytes)} (peak ${mib(after.hwmBytes)})`,
      );
      const due = idle.healthCheckDueAt.length ? idle.healthCheckDueAt.map((s) => `~${s} s`).join(', ') : 'none';
      const spawned = idle.spawns.length ? idle.spawns.map((s) => `${s.at} s ${s.command}`).join('; ') : 'none';
      console.log(
        `idle: ${idle.selfCpuMs} ms daemon CPU in ${seconds(idle.windowMs)}, periodic health check due at ${due} into the window (included).`,
      );
      console.log(`  children spawned in the window (periodic work): ${spawned}`);
      console.log(
        `  daemon CPU around those spawns ${idle.periodicWorkCpuMs} ms; outside them ${idle.quietCpuPercent.toFixed(3)} % (heartbeats, timers);` +
          ` busiest second ${idle.peakSecondPercent} %; reaped children ${idle.childrenCpuMs} ms -> ${idle.cpuPercentWithChildren.toFixed(2)} % with them`,
      );
      console.log(
        `heartbeats in the window: ${idle.heartbeats} (expected ~${idle.expectedHeartbeats}); last says health=${idle.lastHeartbeat?.health ?? '?'}, sites=${idle.lastHeartbeat?.sites ?? '?'}`,
      );
      const rpcRows: Cell[][] = [status, sites, manySites].map((r) => [
        r === manySites ? `ListSites, ${MANY_SITES} sites` : r.method,
        `${r.completed}/${r.requested}${r.capped ? ' (cap)' : ''}`,
        r.firstCallMs,
        r.p50Ms,
        r.p99Ms,
        r.maxMs,
        r.meanMs,
        r.daemonCpuMsPerCall,
        r.childrenCpuMsPerCall,
      ]);
      console.log(
        `\n${formatTable(['RPC (sequential)', 'calls', 'first ms', 'p50 ms', 'p99 ms', 'max ms', 'mean ms', 'daemon CPU ms/call', 'children CPU ms/call'], rpcRows)}`,
      );
      console.log(
        `ListSites with ${MANY_SITES} sites: p50 ${manySites.p50Ms} ms, p99 ${manySites.p99Ms} ms over ${manySites.completed} calls (after ${seconds(settledMs)} for the daemon's start-up passes); ${manyHealthy} of ${MANY_SITES} healthy; 1-min load average ${manyLoadBefore} before, ${manyLoadAfter} after`,
      );
      if (parts) {
        console.log(`\nuncached status, in-process, ${parts.runs} runs each (the code path GetStatus used to run per call):`);
        console.log(
          formatTable(
            ['part', 'median ms', 'p90 ms', 'what'],
            parts.rows.map((r) => [r.part, r.medianMs, r.p90Ms, r.note]),
          ),
        );
      }
      console.log(
        `\ntargets: ${ok ? 'all met' : 'MISSED'}  (total ${seconds(result.totalMs)}; 1-min load average ${result.loadAverage.start} at start, ${result.loadAverage.end} at the end)`,
      );
    }
    process.exitCode = ok ? 0 : 1;
  } finally {
    client?.close();
    await stopDaemon(daemon);
    await nc?.close().catch(() => undefined);
    await nats?.dispose().catch(() => undefined);
    await stack?.stop();
  }
}

await main();
