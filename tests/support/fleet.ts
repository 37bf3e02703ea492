import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { AgentConfigInput } from '@wofleet/agent';
import { AGENT_CLI, REPO_ROOT, runAgent, writeAgentConfig, WP645, type AgentHost } from './agent.js';
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

export interface FleetOptions {
  /** Agent (server) names; `servers add` registers each with its gRPC address. */
  agents: readonly string[];
  /** Heartbeat period on both sides (agents publish, the controller times out after 3). Default 10. */
  heartbeatSeconds?: number;
  /** Postgres URL for the controller; undefined: PGlite in its data dir. */
  databaseUrl?: string;
  /** Release every agent starts on (`wofleet-agent init --release`). Default the 6.4.5 fixture. */
  release?: string;
  /** Labels per agent name, passed to `servers add --label`. */
  labels?: Readonly<Record<string, Readonly<Record<string, string>>>>;
  /** Agents flagged canary at `servers add`. */
  canaries?: readonly string[];
  /** A running private stack the agents' sites live on (required when sitesPerAgent > 0). */
  stack?: Stack;
  sitesPerAgent?: number;
  /** Extra environment for the controller process. */
  controllerEnv?: Record<string, string>;
}

export interface FleetProcess {
  running(): boolean;
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
}

export interface Fleet {
  root: string;
  dataDir: string;
  operatorDir: string;
  home: string;
  /** SHA-256 of the fleet CA, as `ca init` printed it. */
  caFingerprint: string;
  nats: NatsServer;
  controller: FleetProcess & { address: string; port: number };
  agents: FleetAgent[];
  agent(name: string): FleetAgent;
  /** `wofleet ARGS` as the operator. */
  wofleet(args: readonly string[], env?: Record<string, string>): Promise<CliResult>;
  /** `wofleet ARGS --json`, parsed; throws on a non-zero exit. */
  wofleetJson<T>(args: readonly string[]): Promise<T>;
  /** Stops every process, then removes the temp files. */
  destroy(): Promise<void>;
}

/** Runs a built CLI with no stdin and only the given WOFLEET_* settings. */
export function runNodeCli(cli: string, args: readonly string[], env: Record<string, string> = {}): Promise<CliResult> {
  return runNodeProgram(cli, args, cleanEnv(env));
}

async function expectOk(what: string, run: Promise<CliResult>): Promise<CliResult> {
  const r = await run;
  if (r.code !== 0) throw new Error(`${what} exited ${r.code}:\n${r.stderr}${r.stdout}`);
  return r;
}

export async function startFleet(options: FleetOptions): Promise<Fleet> {
  if ((options.sitesPerAgent ?? 0) > 0 && options.stack === undefined) throw new Error('sites need a stack (the wo stand-in runs on it)');
  const root = await mkdtemp(path.join(os.tmpdir(), 'wofleet-fleet-'));
  const dataDir = path.join(root, 'controller');
  const operatorDir = path.join(root, 'alice');
  const home = path.join(root, 'home');
  const heartbeatSeconds = options.heartbeatSeconds ?? 10;
  const processes: FleetProcess[] = [];
  let nats: NatsServer | undefined;
  const teardown = async () => {
    await Promise.all(processes.map((p) => p.stop()));
    await nats?.dispose();
    await rm(root, { recursive: true, force: true });
  };
  try {
    const init = await expectOk(
      'wofleet ca init',
      runNodeCli(CONTROLLER_CLI, ['ca', 'init', '--data-dir', dataDir, '--name', 'ctl-1', '--ip', '127.0.0.1', '--json']),
    );
    const caFingerprint = (JSON.parse(init.stdout) as { caFingerprint: string }).caFingerprint;
    await expectOk(
      'wofleet ca issue-operator',
      runNodeCli(CONTROLLER_CLI, ['ca', 'issue-operator', '--data-dir', dataDir, '--name', 'alice', '--out', operatorDir]),
    );
    nats = await startNatsServer();
    const port = await findFreePort();
    const address = `127.0.0.1:${port}`;
    const controllerEnv: Record<string, string> = { WOFLEET_LOG_LEVEL: 'info', ...options.controllerEnv };
    if (options.databaseUrl !== undefined) controllerEnv.DATABASE_URL = options.databaseUrl;
    const serveArgs = [
      'controller',
      'serve',
      '--data-dir',
      dataDir,
      '--listen',
      address,
      '--nats',
      nats.url,
      '--heartbeat-seconds',
      String(heartbeatSeconds),
    ];
    const controller = { ...nodeProcess('controller', CONTROLLER_CLI, serveArgs, controllerEnv, 'controller serving'), address, port };
    processes.push(controller);
    await controller.start();

    await mkdir(path.join(home, '.config/wofleet'), { recursive: true });
    await writeFile(
      path.join(home, '.config/wofleet/config.yaml'),
      `controller: ${address}\nca: ${operatorDir}/ca.pem\ncert: ${operatorDir}/alice.pem\nkey: ${operatorDir}/alice.key\n`,
    );
    const wofleet = (args: readonly string[], env: Record<string, string> = {}) => runNodeCli(CONTROLLER_CLI, args, { HOME: home, ...env });

    const agents: FleetAgent[] = [];
    for (const name of options.agents) {
      const agent = await makeAgent(root, name, { ...options, heartbeatSeconds, natsUrl: nats.url });
      const labels = Object.entries(options.labels?.[name] ?? {}).flatMap(([k, v]) => ['--label', `${k}=${v}`]);
      const canary = options.canaries?.includes(name) ? ['--canary'] : [];
      const added = await expectOk(
        `wofleet servers add ${name}`,
        wofleet(['servers', 'add', name, '--address', agent.address, ...labels, ...canary, '--json']),
      );
      const { enrollmentToken } = JSON.parse(added.stdout) as { enrollmentToken: string };
      await expectOk(
        `wofleet-agent enroll (${name})`,
        agent.cli(['enroll', '--controller', address, '--token', enrollmentToken, '--ca-fingerprint', caFingerprint]),
      );
      processes.push(agent);
      await agent.start();
      agents.push(agent);
    }

    const fleet: Fleet = {
      root,
      dataDir,
      operatorDir,
      home,
      caFingerprint,
      nats,
      controller,
      agents,
      agent(name) {
        const found = agents.find((a) => a.name === name);
        if (!found) throw new Error(`no agent ${name} in this fleet`);
        return found;
      },
      wofleet,
      async wofleetJson<T>(args: readonly string[]): Promise<T> {
        const r = await expectOk(`wofleet ${args.join(' ')}`, wofleet([...args, '--json']));
        return JSON.parse(r.stdout) as T;
      },
      destroy: teardown,
    };
    return fleet;
  } catch (err) {
    await teardown();
    throw err;
  }
}

interface AgentSetup extends FleetOptions {
  heartbeatSeconds: number;
  natsUrl: string;
}

/** One agent's temp root (or its corner of the shared stack), config, release and sites. */
async function makeAgent(fleetRoot: string, name: string, setup: AgentSetup): Promise<FleetAgent> {
  const root = path.join(setup.stack?.root ?? fleetRoot, `agent-${name}`);
  await mkdir(root, { recursive: true, mode: 0o755 });
  const port = await findFreePort();
  const address = `127.0.0.1:${port}`;
  const tls = path.join(root, 'tls');
  const base: AgentConfigInput = setup.stack
    ? // The shared core must live under the sites root: PHP-FPM's open_basedir allows only that (DESIGN §4).
      { ...setup.stack.agentConfig, sharedRoot: path.join(setup.stack.sitesRoot, `shared-${name}`), stateDir: path.join(root, 'state') }
    : { sharedRoot: path.join(root, 'shared'), sitesRoot: path.join(root, 'www'), stateDir: path.join(root, 'state') };
  const host: AgentHost = { root, agentConfig: base, env: setup.stack?.env ?? {} };
  await writeAgentConfig(host, {
    serverId: name,
    grpc: {
      listen: address,
      caFile: path.join(tls, 'ca.pem'),
      certFile: path.join(tls, 'agent.pem'),
      keyFile: path.join(tls, 'agent.key'),
    },
    nats: { servers: [setup.natsUrl], heartbeatSeconds: setup.heartbeatSeconds },
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
  return { ...daemon, name, address, host, cli, sites };
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
