import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { AGENT_CLI, FIXTURES, WP645 } from './agent.js';
import { startControlPlane, type ControlPlane } from './fleet.js';
import {
  cleanStaleServers,
  REALWO_AGENT_CONFIG,
  startRealWoServer,
  type ExecResult,
  type RealWoServer,
  type ServerProcess,
} from './realwo.js';
import type { Teardown } from './teardown.js';

/**
 * A fleet of real-WordOps servers (tests/support/realwo.ts) run by a controller: the
 * controller and nats-server on the host, listening on every address (the controller
 * with mutual TLS, NATS with a password made for the run); in each server
 * `wofleet-agent serve` listens on the server's own veth address, and dials the
 * controller and NATS at the host's end of its veth, which the controller's certificate
 * names. Sites are made by `wofleet-agent create` through the real `wo`: one server at a
 * time per server, the servers in parallel (a create takes 15-35 s).
 *
 * Everything started is registered with `teardown` as it starts.
 */
export interface RealWoFleetOptions {
  servers: readonly string[];
  canaries?: readonly string[];
  /** Each server's sites in creation order: `wofleet-agent create DOMAIN ...FLAGS`. */
  sites(server: string): ReadonlyArray<{ domain: string; flags: readonly string[] }>;
  heartbeatSeconds?: number;
  /** Release every server starts on. Default the 6.4.5 fixture. */
  release?: string;
  /** One line per step done, as it happens. */
  progress?(line: string): void;
}

export interface RealWoFleetServer {
  name: string;
  server: RealWoServer;
  /** `wofleet-agent serve` inside the server. */
  daemon: ServerProcess;
  /** host:port of its gRPC endpoint, as registered with the controller. */
  grpcAddress: string;
  sites: string[];
}

export interface RealWoFleet {
  plane: ControlPlane;
  servers: RealWoFleetServer[];
}

const AGENT_GRPC_PORT = 7443;
const TLS_DIR = '/etc/wofleet/tls';

export async function startRealWoFleet(options: RealWoFleetOptions, teardown: Teardown): Promise<RealWoFleet> {
  const progress = options.progress ?? (() => undefined);
  await cleanStaleServers();
  const servers = await Promise.all(
    options.servers.map((name) =>
      teardown.adopt(
        startRealWoServer({ name }).then((server) => {
          progress(`${name}: real-WordOps server up, ${server.address} (host end ${server.hostAddress})`);
          return server;
        }),
        (server) => server.stop(),
      ),
    ),
  );
  const natsAuth = { user: 'wofleet', pass: randomBytes(18).toString('base64url') };
  const plane = await teardown.adopt(
    startControlPlane({
      listenHost: '0.0.0.0',
      agentFacingIps: servers.map((s) => s.hostAddress),
      natsAuth,
      heartbeatSeconds: options.heartbeatSeconds,
    }),
    (p) => p.destroy(),
  );
  progress(`controller and nats-server on the host, ports ${plane.controller.port} and ${plane.nats.port}`);
  const members = await Promise.all(servers.map((server) => joinFleet(server, plane, { ...options, natsAuth, progress })));
  return { plane, servers: members };
}

async function joinFleet(
  server: RealWoServer,
  plane: ControlPlane,
  options: RealWoFleetOptions & { natsAuth: { user: string; pass: string }; progress(line: string): void },
): Promise<RealWoFleetServer> {
  const name = server.name;
  const grpcAddress = `${server.address}:${AGENT_GRPC_PORT}`;
  const configFile = server.file(REALWO_AGENT_CONFIG);
  const config = JSON.parse(await readFile(configFile, 'utf8')) as Record<string, unknown>;
  const fleetConfig = {
    // The fixtures are mounted read-only at the same path inside every server.
    releases: { mirrorDir: FIXTURES },
    grpc: { listen: grpcAddress, caFile: `${TLS_DIR}/ca.pem`, certFile: `${TLS_DIR}/agent.pem`, keyFile: `${TLS_DIR}/agent.key` },
    nats: {
      servers: [`nats://${server.hostAddress}:${plane.nats.port}`],
      ...options.natsAuth,
      ...(options.heartbeatSeconds ? { heartbeatSeconds: options.heartbeatSeconds } : {}),
    },
  };
  await writeFile(configFile, `${JSON.stringify({ ...config, ...fleetConfig }, null, 2)}\n`);

  await agentOk(server, ['init', '--release', options.release ?? WP645]);
  const sites: string[] = [];
  for (const { domain, flags } of options.sites(name)) {
    const started = Date.now();
    await agentOk(server, ['create', domain, ...flags]);
    options.progress(
      `${name}: wofleet-agent create ${[domain, ...flags].join(' ')} (real wo) in ${((Date.now() - started) / 1000).toFixed(0)} s`,
    );
    sites.push(domain);
  }

  const token = await plane.addServer(name, grpcAddress, { canary: options.canaries?.includes(name) });
  const controller = `${server.hostAddress}:${plane.controller.port}`;
  // The token goes in a root-only file inside the server, never on a command line.
  await writeFile(server.file('/root/enrollment.token'), `${token}\n`, { mode: 0o600 });
  await agentOk(server, [
    'enroll',
    '--controller',
    controller,
    '--token-file',
    '/root/enrollment.token',
    '--ca-fingerprint',
    plane.caFingerprint,
  ]);
  const daemon = server.spawn(['node', AGENT_CLI, '--config', REALWO_AGENT_CONFIG, 'serve'], { env: { WOFLEET_LOG_LEVEL: 'info' } });
  await waitServing(name, daemon);
  options.progress(`${name}: enrolled with the controller at ${controller}, wofleet-agent serve on ${grpcAddress}`);
  return { name, server, daemon, grpcAddress, sites };
}

async function agentOk(server: RealWoServer, args: readonly string[]): Promise<ExecResult> {
  const r = await server.agent(args);
  if (r.exitCode !== 0) throw new Error(`${server.name}: wofleet-agent ${args.join(' ')} exited ${r.exitCode}:\n${r.stderr}${r.stdout}`);
  return r;
}

async function waitServing(name: string, daemon: ServerProcess): Promise<void> {
  for (const deadline = Date.now() + 30_000; !daemon.output().includes('agent serving'); ) {
    if (!daemon.running()) throw new Error(`${name}: wofleet-agent serve exited at start:\n${daemon.output()}`);
    if (Date.now() > deadline) throw new Error(`${name}: wofleet-agent serve not ready within 30 s:\n${daemon.output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
