import { spawn, type ChildProcess } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { AgentConfigInput } from '@wofleet/agent';
import { AGENT_CLI, FIXTURES, REPO_ROOT, runAgent, writeAgentConfig, WP645, type AgentHost } from './agent.js';
import { cleanEnv, runNodeProgram, type CliResult } from './cli.js';
import { startNatsServer, type NatsServer } from './nats-server.js';
import { findFreePort } from './net.js';
import type { Stack } from './stack.js';

/**
 * A whole fleet as processes, the way an operator runs it: a private nats-server, the
 * built `wofleet controller serve` (Postgres when given a URL, else embedded PGlite),
 * and N `wofleet-agent serve` daemons on temp roots, each initialised with a release,
 * registered (`servers add`), enrolled (`wofleet-agent enroll`) and serving. The
 * operator's CLI talks to the controller through ~/.config/wofleet/config.yaml under a
 * temp HOME. Every part can be stopped and started again on the same ports and files.
 *
 * Sites need `wo`, which needs a stack: with `stack`, each agent gets its own shared
 * core under the stack's root and `sitesPerAgent` real sites named `s<i>.<agent>.test`.
 * Build first: `pnpm build`.
 */
export const CONTROLLER_CLI = path.join(REPO_ROOT, 'controller/dist/cli/main.js');

export interface ControlPlaneOptions {
  /** Heartbeat period on both sides (agents publish, the controller times out after 3). Default 10. */
  heartbeatSeconds?: number;
  /** Postgres URL for the controller; undefined: PGlite in its data dir. */
  databaseUrl?: string;
  /** Extra environment for the controller process. */
  controllerEnv?: Record<string, string>;
  /**
   * Where the controller and nats-server listen. Default 127.0.0.1; '0.0.0.0' for agents
   * in other network namespaces, which then dial one of `agentFacingIps`.
   */
  listenHost?: string;
  /** Addresses agents dial the controller by besides 127.0.0.1 (IP SANs of its certificate). */
  agentFacingIps?: readonly string[];
  /** NATS user and password, required by nats-server from the controller and every agent. */
  natsAuth?: { user: string; pass: string };
  /**
   * nats-server requires the nkey users `wofleet nats config` writes: the controller's, and
   * one per enrolled server allowed its own subjects only. Needs `databaseUrl` (the config
   * is rewritten from the database while the controller runs; PGlite has one process).
   */
  natsIdentities?: boolean;
  /**
   * A JetStream cluster the test runs itself, instead of a private nats-server: every
   * node's URL is given to the controller and the agents; destroy() leaves it running.
   * Without the fleet's NATS authorization (no natsIdentities, no natsAuth).
   */
  natsCluster?: { nodes: readonly NatsServer[]; urls: readonly string[] };
  /** Serve /metrics on a free loopback port: the controller (WOFLEET_METRICS_LISTEN) and every agent (metrics.listen). */
  metrics?: boolean;
}

export interface FleetOptions extends ControlPlaneOptions {
  /** Agent (server) names; `servers add` registers each with its gRPC address. */
  agents: readonly string[];
  /** Release every agent starts on (`wofleet-agent init --release`). Default the 6.4.5 fixture. */
  release?: string;
  /** Labels per agent name, passed to `servers add --label`. */
  labels?: Readonly<Record<string, Readonly<Record<string, string>>>>;
  /** Agents flagged canary at `servers add`. */
  canaries?: readonly string[];
  /** A running private stack the agents' sites live on (required when sitesPerAgent > 0). */
  stack?: Stack;
  sitesPerAgent?: number;
  /** Every agent's releases.mirrorDir, where StageRelease may name files. Default: the fixtures directory. */
  mirrorDir?: string;
}

export interface FleetProcess {
  running(): boolean;
  /** The running process's pid (for SIGSTOP and SIGCONT), undefined when it is not running. */
  pid(): number | undefined;
  /** Everything it printed so far (pino logs on stderr). */
  output(): string;
  /** SIGTERM (or the given signal) and wait for the exit; resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  /** Start again with the same settings (ports, files, database). */
  start(): Promise<void>;
}

export interface FleetAgent extends FleetProcess {
  name: string;
  /** host:port of its gRPC endpoint, as registered with the controller. */
  address: string;
  host: AgentHost;
  /** `wofleet-agent ARGS` with this agent's config. */
  cli(args: string[]): Promise<CliResult>;
  /** Site domains created on it (empty without a stack). */
  sites: string[];
  /** host:port of its /metrics, with the metrics option. */
  metricsAddress: string | undefined;
}

/** The controller side of a fleet: CA, operator credentials, nats-server, `controller serve`. */
export interface ControlPlane {
  root: string;
  dataDir: string;
  operatorDir: string;
  home: string;
  /** SHA-256 of the fleet CA, as `ca init` printed it. */
  caFingerprint: string;
  /** The private nats-server (with natsCluster: the cluster's first node). */
  nats: NatsServer;
  /** The NATS URLs the controller and the agents are given. */
  natsUrls: string[];
  /** With natsIdentities: the controller's NATS seed (`--nats-seed`), the one user besides the agents nats-server admits. */
  controllerNatsSeed: string | undefined;
  /** metricsAddress: host:port of its /metrics, with the metrics option (the controllers addController makes serve none). */
  controller: FleetProcess & { address: string; port: number; metricsAddress: string | undefined };
  /** `wofleet ARGS` as the operator. */
  wofleet(args: readonly string[], env?: Record<string, string>): Promise<CliResult>;
  /** `wofleet ARGS --json`, parsed; throws on a non-zero exit. */
  wofleetJson<T>(args: readonly string[]): Promise<T>;
  /** `wofleet servers add NAME --address ADDRESS`: the one-time enrollment token. */
  addServer(name: string, address: string, options?: { labels?: Readonly<Record<string, string>>; canary?: boolean }): Promise<string>;
  /** Stops the controller and nats-server (and every process `track`ed), then removes the temp files. */
  destroy(): Promise<void>;
  /** A process destroy() stops too. */
  track(process: FleetProcess): void;
  /** With natsIdentities: `wofleet nats config` again and reload nats-server, so the servers enrolled since may connect. */
  admitEnrolled(): Promise<void>;
  /**
   * Another `controller serve` of this fleet on the same database and NATS: its own data
   * dir with the certificate `wofleet ca issue-controller --name NAME` made (and the CA key
   * copied, which serve reads), its own port, extra environment. Not started; destroy() stops it.
   */
  addController(name: string, env?: Record<string, string>): Promise<FleetProcess & { dataDir: string }>;
}

export interface Fleet extends ControlPlane {
  agents: FleetAgent[];
  agent(name: string): FleetAgent;
}

/** Runs a built CLI with no stdin and only the given WOFLEET_* settings. */
export function runNodeCli(cli: string, args: readonly string[], env: Record<string, string> = {}): Promise<CliResult> {
  return runNodeProgram(cli, args, cleanEnv(env));
}

/** A CLI run that must succeed: its result, or an error with everything it printed. */
export async function expectOk(what: string, run: Promise<CliResult>): Promise<CliResult> {
  const r = await run;
  if (r.code !== 0) throw new Error(`${what} exited ${r.code}:\n${r.stderr}${r.stdout}`);
  return r;
}

export async function startControlPlane(options: ControlPlaneOptions = {}): Promise<ControlPlane> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'wofleet-fleet-'));
  const dataDir = path.join(root, 'controller');
  const operatorDir = path.join(root, 'alice');
  const home = path.join(root, 'home');
  const heartbeatSeconds = options.heartbeatSeconds ?? 10;
  const listenHost = options.listenHost ?? '127.0.0.1';
  const processes: FleetProcess[] = [];
  // Only the private one: a natsCluster is the test's to stop.
  let nats: NatsServer | undefined;
  const destroy = async () => {
    await Promise.all(processes.map((p) => p.stop()));
    await nats?.dispose();
    await rm(root, { recursive: true, force: true });
  };
  try {
    const ips = ['127.0.0.1', ...(options.agentFacingIps ?? [])].flatMap((ip) => ['--ip', ip]);
    const init = await expectOk(
      'wofleet ca init',
      runNodeCli(CONTROLLER_CLI, ['ca', 'init', '--data-dir', dataDir, '--name', 'ctl-1', ...ips, '--json']),
    );
    const caFingerprint = (JSON.parse(init.stdout) as { caFingerprint: string }).caFingerprint;
    await expectOk(
      'wofleet ca issue-operator',
      runNodeCli(CONTROLLER_CLI, ['ca', 'issue-operator', '--data-dir', dataDir, '--name', 'alice', '--out', operatorDir]),
    );
    const auth = options.natsAuth;
    const cluster = options.natsCluster;
    if (cluster !== undefined && (options.natsIdentities === true || auth !== undefined))
      throw new Error('natsCluster: the test runs NATS itself, without the fleet authorization');
    const identities = options.natsIdentities === true ? natsIdentities(root, dataDir, options.databaseUrl) : undefined;
    await identities?.writeConfig();
    const natsServer =
      cluster?.nodes[0] ??
      (await startNatsServer({
        host: listenHost,
        args: auth ? ['--user', auth.user, '--pass', auth.pass] : [],
        ...(identities ? { include: identities.authFile } : {}),
      }));
    if (cluster === undefined) nats = natsServer;
    const natsUrls = cluster === undefined ? [natsServer.url] : [...cluster.urls];
    const port = await findFreePort();
    const address = `127.0.0.1:${port}`;
    const controllerEnv: Record<string, string> = {
      WOFLEET_LOG_LEVEL: 'info',
      ...(auth ? { WOFLEET_NATS_USER: auth.user, WOFLEET_NATS_PASS: auth.pass } : {}),
      ...(identities ? { WOFLEET_NATS_SEED: identities.controllerSeed } : {}),
      ...options.controllerEnv,
    };
    if (options.databaseUrl !== undefined) controllerEnv.DATABASE_URL = options.databaseUrl;
    const metricsAddress = options.metrics ? `127.0.0.1:${await findFreePort()}` : undefined;
    const serveArgs = (controllerDir: string, listenPort: number) => [
      'controller',
      'serve',
      '--data-dir',
      controllerDir,
      '--listen',
      `${listenHost}:${listenPort}`,
      '--nats',
      natsUrls.join(','),
      '--heartbeat-seconds',
      String(heartbeatSeconds),
    ];
    const controller = {
      ...nodeProcess(
        'controller',
        CONTROLLER_CLI,
        serveArgs(dataDir, port),
        { ...controllerEnv, ...(metricsAddress ? { WOFLEET_METRICS_LISTEN: metricsAddress } : {}) },
        'controller serving',
      ),
      address,
      port,
      metricsAddress,
    };
    processes.push(controller);
    await controller.start();

    await mkdir(path.join(home, '.config/wofleet'), { recursive: true });
    await writeFile(
      path.join(home, '.config/wofleet/config.yaml'),
      `controller: ${address}\nca: ${operatorDir}/ca.pem\ncert: ${operatorDir}/alice.pem\nkey: ${operatorDir}/alice.key\n`,
    );
    const wofleet = (args: readonly string[], env: Record<string, string> = {}) => runNodeCli(CONTROLLER_CLI, args, { HOME: home, ...env });
    return {
      root,
      dataDir,
      operatorDir,
      home,
      caFingerprint,
      nats: natsServer,
      natsUrls,
      controllerNatsSeed: identities?.controllerSeed,
      controller,
      wofleet,
      async wofleetJson<T>(args: readonly string[]): Promise<T> {
        const r = await expectOk(`wofleet ${args.join(' ')}`, wofleet([...args, '--json']));
        return JSON.parse(r.stdout) as T;
      },
      async addServer(name, serverAddress, opts = {}) {
        const labels = Object.entries(opts.labels ?? {}).flatMap(([k, v]) => ['--label', `${k}=${v}`]);
        const added = await expectOk(
          `wofleet servers add ${name}`,
          wofleet(['servers', 'add', name, '--address', serverAddress, ...labels, ...(opts.canary ? ['--canary'] : []), '--json']),
        );
        return (JSON.parse(added.stdout) as { enrollmentToken: string }).enrollmentToken;
      },
      destroy,
      track: (p) => processes.push(p),
      async addController(name, env = {}) {
        const otherDir = path.join(root, name);
        await expectOk(
          'wofleet ca issue-controller',
          runNodeCli(CONTROLLER_CLI, ['ca', 'issue-controller', '--data-dir', dataDir, '--name', name, '--out', otherDir]),
        );
        await copyFile(path.join(dataDir, 'ca.key'), path.join(otherDir, 'ca.key'));
        const other = nodeProcess(
          `controller ${name}`,
          CONTROLLER_CLI,
          serveArgs(otherDir, await findFreePort()),
          { ...controllerEnv, ...env },
          'controller serving',
        );
        processes.push(other);
        return { ...other, dataDir: otherDir };
      },
      async admitEnrolled() {
        if (!identities) return;
        await identities.writeConfig();
        await nats?.reload();
      },
    };
  } catch (err) {
    await destroy();
    throw err;
  }
}

/** The enrollment token in a 0600 file, for `wofleet-agent enroll --token-file`: its path. */
async function writeTokenFile(dir: string, token: string): Promise<string> {
  const file = path.join(dir, 'enrollment.token');
  await writeFile(file, `${token}\n`, { mode: 0o600 });
  return file;
}

export async function startFleet(options: FleetOptions): Promise<Fleet> {
  if ((options.sitesPerAgent ?? 0) > 0 && options.stack === undefined) throw new Error('sites need a stack (the wo stand-in runs on it)');
  const plane = await startControlPlane(options);
  const heartbeatSeconds = options.heartbeatSeconds ?? 10;
  try {
    const agents: FleetAgent[] = [];
    for (const name of options.agents) {
      const agent = await makeAgent(plane.root, name, { ...options, heartbeatSeconds, natsUrls: plane.natsUrls });
      const enrollmentToken = await plane.addServer(name, agent.address, {
        labels: options.labels?.[name],
        canary: options.canaries?.includes(name),
      });
      await expectOk(
        `wofleet-agent enroll (${name})`,
        agent.cli([
          'enroll',
          '--controller',
          plane.controller.address,
          '--token-file',
          await writeTokenFile(agent.host.root, enrollmentToken),
          '--ca-fingerprint',
          plane.caFingerprint,
        ]),
      );
      plane.track(agent);
      agents.push(agent);
    }
    await plane.admitEnrolled();
    for (const agent of agents) await agent.start();
    return {
      ...plane,
      agents,
      agent(name) {
        const found = agents.find((a) => a.name === name);
        if (!found) throw new Error(`no agent ${name} in this fleet`);
        return found;
      },
    };
  } catch (err) {
    await plane.destroy();
    throw err;
  }
}

/** The authorization file `wofleet nats config` writes for the fleet's nats-server, and the controller's seed. */
function natsIdentities(root: string, dataDir: string, databaseUrl: string | undefined) {
  if (databaseUrl === undefined) throw new Error('natsIdentities needs databaseUrl: `wofleet nats config` runs while the controller does');
  const authFile = path.join(root, 'nats', 'wofleet-auth.conf');
  return {
    authFile,
    controllerSeed: path.join(dataDir, 'nats-controller.nk'),
    async writeConfig() {
      await expectOk(
        'wofleet nats config',
        runNodeCli(CONTROLLER_CLI, ['nats', 'config', '--out', authFile, '--data-dir', dataDir], { DATABASE_URL: databaseUrl }),
      );
    },
  };
}

interface AgentSetup extends FleetOptions {
  heartbeatSeconds: number;
  natsUrls: readonly string[];
}

/** One agent's temp root (or its corner of the shared stack), config, release and sites. */
async function makeAgent(fleetRoot: string, name: string, setup: AgentSetup): Promise<FleetAgent> {
  const root = path.join(setup.stack?.root ?? fleetRoot, `agent-${name}`);
  await mkdir(root, { recursive: true, mode: 0o755 });
  const port = await findFreePort();
  const address = `127.0.0.1:${port}`;
  const metricsAddress = setup.metrics ? `127.0.0.1:${await findFreePort()}` : undefined;
  const tls = path.join(root, 'tls');
  const base: AgentConfigInput = setup.stack
    ? // The shared core must live under the sites root: PHP-FPM's open_basedir allows only that (DESIGN §4).
      { ...setup.stack.agentConfig, sharedRoot: path.join(setup.stack.sitesRoot, `shared-${name}`), stateDir: path.join(root, 'state') }
    : { sharedRoot: path.join(root, 'shared'), sitesRoot: path.join(root, 'www'), stateDir: path.join(root, 'state') };
  const host: AgentHost = { root, agentConfig: base, env: setup.stack?.env ?? {} };
  await writeAgentConfig(host, {
    serverId: name,
    grpc: agentGrpcConfig(address, tls),
    nats: { servers: [...setup.natsUrls], heartbeatSeconds: setup.heartbeatSeconds },
    releases: { mirrorDir: setup.mirrorDir ?? FIXTURES },
    ...(metricsAddress ? { metrics: { listen: metricsAddress } } : {}),
  });
  const cli = (args: string[]) => runAgent(host, args);
  await expectOk(`wofleet-agent init (${name})`, cli(['init', '--release', setup.release ?? WP645]));
  const sites: string[] = [];
  for (let i = 1; i <= (setup.sitesPerAgent ?? 0); i++) {
    const domain = `s${i}.${name}.test`;
    await expectOk(`wofleet-agent create ${domain}`, cli(['create', domain]));
    sites.push(domain);
  }
  const daemon = nodeProcess(
    `agent ${name}`,
    AGENT_CLI,
    ['--config', path.join(root, 'agent.yaml'), 'serve'],
    { ...host.env, WOFLEET_LOG_LEVEL: 'info' },
    'agent serving',
  );
  return { ...daemon, name, address, host, cli, sites, metricsAddress };
}

/**
 * A long-running node process started from a built CLI; start() resolves once its log
 * shows `readyText`, stop() sends SIGTERM and waits (SIGKILL after 15 s).
 */
function nodeProcess(what: string, cli: string, args: readonly string[], env: Record<string, string>, readyText: string): FleetProcess {
  let child: ChildProcess | undefined;
  let output = '';
  let exited: Promise<number | null> = Promise.resolve(null);
  const isRunning = () => child !== undefined && child.exitCode === null && child.signalCode === null;
  return {
    running: isRunning,
    pid: () => (isRunning() ? child?.pid : undefined),
    output: () => output,
    async start() {
      if (isRunning()) throw new Error(`${what} is already running`);
      output = '';
      const started = spawn(process.execPath, [cli, ...args], { env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
      child = started;
      started.stdout?.on('data', (c: Buffer) => (output += c.toString()));
      started.stderr?.on('data', (c: Buffer) => (output += c.toString()));
      exited = new Promise((resolve) => started.once('exit', (code) => resolve(code)));
      for (const deadline = Date.now() + 30_000; !output.includes(readyText); ) {
        if (!isRunning()) throw new Error(`${what} exited at start:\n${output}`);
        if (Date.now() > deadline) throw new Error(`${what} not ready within 30 s:\n${output}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async stop(signal = 'SIGTERM') {
      if (!isRunning()) return child?.exitCode ?? null;
      const running = child as ChildProcess;
      running.kill(signal);
      const killer = setTimeout(() => running.kill('SIGKILL'), 15_000);
      try {
        return await exited;
      } finally {
        clearTimeout(killer);
      }
    },
  };
}

/** An agent's gRPC section: listening on `listen`, with the TLS files enrollment writes into `tlsDir`. */
export function agentGrpcConfig(listen: string, tlsDir: string): { listen: string; caFile: string; certFile: string; keyFile: string } {
  return {
    listen,
    caFile: path.join(tlsDir, 'ca.pem'),
    certFile: path.join(tlsDir, 'agent.pem'),
    keyFile: path.join(tlsDir, 'agent.key'),
  };
}
