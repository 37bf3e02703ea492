import { spawn, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { credentials, type ServiceError } from '@grpc/grpc-js';
import { loadAgentService, type AgentServiceClient, type OperationInput } from '@wofleet/proto';
import { createFleetCa, issueCertificate, peerIdentity, type FleetCa } from '@wofleet/shared';
import { AGENT_CLI, writeAgentConfig, type AgentHost } from './agent.js';
import { canConnect, findFreePort } from './net.js';

/** A fleet CA and the certificates the daemon tests need, written to files. */
export interface FleetPki {
  ca: FleetCa;
  dir: string;
  agent: { caFile: string; certFile: string; keyFile: string };
  controller: { certPem: string; keyPem: string };
}

export async function makeFleetPki(dir: string, serverId: string): Promise<FleetPki> {
  const ca = await createFleetCa({ commonName: 'wofleet test CA', validDays: 30 });
  const agent = await issueCertificate({ ca, role: 'agent', name: serverId, ipAddresses: ['127.0.0.1'], validDays: 30 });
  const controller = await issueCertificate({ ca, role: 'controller', name: 'ctl-1', validDays: 30 });
  const files = { caFile: path.join(dir, 'ca.pem'), certFile: path.join(dir, 'agent.pem'), keyFile: path.join(dir, 'agent.key') };
  await writeFile(files.caFile, ca.certPem);
  await writeFile(files.certFile, agent.certPem);
  await writeFile(files.keyFile, agent.keyPem, { mode: 0o600 });
  return { ca, dir, agent: files, controller };
}

export interface RunningDaemon {
  port: number;
  child: ChildProcess;
  output(): string;
  /** Resolves with the exit code/signal. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts `wofleet-agent serve` and waits until its gRPC port accepts connections. */
export async function startDaemon(
  host: AgentHost,
  pki: FleetPki,
  options: {
    natsUrl: string;
    serverId: string;
    port?: number;
    heartbeatSeconds?: number;
    env?: Record<string, string>;
    /** releases.mirrorDir: where StageRelease may name files. */
    mirrorDir?: string;
    /** An executable run instead of Node with the built CLI: a package's bin/wofleet-agent. */
    program?: string;
  },
): Promise<RunningDaemon> {
  const port = options.port ?? (await findFreePort());
  await writeAgentConfig(host, {
    serverId: options.serverId,
    grpc: { listen: `127.0.0.1:${port}`, ...pki.agent },
    nats: { servers: [options.natsUrl], heartbeatSeconds: options.heartbeatSeconds ?? 10 },
    ...(options.mirrorDir ? { releases: { mirrorDir: options.mirrorDir } } : {}),
  });
  const [command, prefix] = options.program ? [options.program, []] : [process.execPath, [AGENT_CLI]];
  const child = spawn(command, [...prefix, '--config', path.join(host.root, 'agent.yaml'), 'serve'], {
    env: { ...process.env, ...host.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`agent daemon exited at start:\n${output}`);
    if (await canConnect({ port })) break;
    if (Date.now() > deadline) throw new Error(`agent daemon did not listen on ${port}:\n${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return { port, child, output: () => output, exited };
}

/** A gRPC client with the given client certificate (or none); the server must be agent <serverId>. */
export function agentClient(
  port: number,
  caPem: string,
  serverId: string,
  client?: { certPem: string; keyPem: string },
): AgentServiceClient {
  const { Client } = loadAgentService();
  const creds = credentials.createSsl(
    Buffer.from(caPem),
    client ? Buffer.from(client.keyPem) : null,
    client ? Buffer.from(client.certPem) : null,
    {
      checkServerIdentity: (_host, cert) => {
        const id = peerIdentity(cert.raw);
        return id?.role === 'agent' && id.name === serverId ? undefined : new Error(`server is not agent ${serverId}`);
      },
    },
  );
  return new Client(`127.0.0.1:${port}`, creds);
}

/** Promisified unary call with a deadline. */
export function call<Req, Res>(client: AgentServiceClient, method: string, request: Req, timeoutMs = 30_000): Promise<Res> {
  return new Promise((resolve, reject) => {
    const fn = (client as unknown as Record<string, (r: Req, o: { deadline: Date }, cb: (e: ServiceError | null, v: Res) => void) => void>)[
      method
    ];
    if (!fn) throw new Error(`no method ${method}`);
    fn.call(client, request, { deadline: new Date(Date.now() + timeoutMs) }, (err, value) => (err ? reject(err) : resolve(value)));
  });
}

/** Follows WatchOperation until the operation is terminal; returns the final operation. */
export async function waitForOperation(
  client: AgentServiceClient,
  operationId: string,
  timeoutMs = 240_000,
): Promise<OperationInput & { state: string }> {
  const messages: string[] = [];
  await new Promise<void>((resolve, reject) => {
    const stream = client.WatchOperation({ operationId }, { deadline: new Date(Date.now() + timeoutMs) });
    stream.on('data', (e: { message: string }) => messages.push(e.message));
    stream.on('end', () => resolve());
    stream.on('error', reject);
  });
  return call(client, 'GetOperation', { operationId });
}
