import { spawn, type ChildProcess } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import tls from 'node:tls';
import { Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  loadControllerService,
  loadRolloutService,
  type AgentServiceHandlers,
  type ControllerServiceClient,
  type RolloutServiceClient,
} from '@wofleet/proto';
import { certificateSerial, issueCertificate, peerIdentity, type FleetCa } from '@wofleet/shared';
import { startAgentServer } from '../agent/src/daemon/grpc/server.js';
import { readControllerTls, readFleetCa } from '../controller/src/ca/files.js';
import { certificateRecord } from '../controller/src/ca/certificate-record.js';
import { issueOperatorCredentials } from '../controller/src/ca/operator.js';
import { findServerByName, listAuditEvents, markServerEnrolled, recordIssuedCertificate } from '../controller/src/db/index.js';
import { channelOptions } from '../controller/src/grpc/channel-options.js';
import { addServer } from '../controller/src/servers/registry.js';
import {
  AGENT_CLI,
  createTestAgent,
  runCli,
  createTestFleet,
  rawClientCredentials,
  type Identity,
  type TestFleet,
} from '../controller/test/cli.fixtures.js';
import { canConnect, findFreePort } from './support/net.js';

/**
 * The certificate lifecycle on a real controller (Postgres, NATS) and real agent
 * daemons: renewal before expiry while serving, re-enrollment of a registered server,
 * revocation (operators, agents, controllers), pinning of the enrolled agent
 * certificate, a second controller's certificate, operator access levels.
 * Build first: `pnpm build` (the agent daemon and the CLIs run from dist).
 */
const DAY_MS = 24 * 60 * 60 * 1000;

let fleet: TestFleet;
let ca: FleetCa;
const daemons: ChildProcess[] = [];

beforeAll(async () => {
  fleet = await createTestFleet({ runCampaigns: false });
  ca = await readFleetCa(fleet.dataDir);
}, 60_000);
afterAll(async () => {
  for (const child of daemons) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await fleet?.destroy();
});

interface Agent {
  name: string;
  port: number;
  dir: string;
  configFile: string;
  files: { caFile: string; certFile: string; keyFile: string };
}

/** A server in the inventory at 127.0.0.1:<free port>, and its agent's directory and config. */
async function registerAgent(name: string, options: { checkSeconds?: number } = {}): Promise<Agent & { token: string }> {
  const port = await findFreePort();
  const added = await addServer(fleet.controller.context, { name, address: `127.0.0.1:${port}` }, 'operator:alice');
  const dir = path.join(fleet.root, `agent-${name}`);
  const files = {
    caFile: path.join(dir, 'tls/ca.pem'),
    certFile: path.join(dir, 'tls/agent.pem'),
    keyFile: path.join(dir, 'tls/agent.key'),
  };
  await mkdir(path.join(dir, 'tls'), { recursive: true });
  const configFile = path.join(dir, 'agent.yaml');
  const config = {
    serverId: name,
    stateDir: path.join(dir, 'state'),
    grpc: { listen: `127.0.0.1:${port}`, ...files },
    nats: { servers: [fleet.nats.url], heartbeatSeconds: 1 },
    controller: { certificateCheckSeconds: options.checkSeconds ?? 3600 },
  };
  await writeFile(configFile, JSON.stringify(config, null, 2));
  return { name, port, dir, configFile, files, token: added.enrollmentToken };
}

/** As if the agent had enrolled `ageDays` ago: a 365-day certificate from then, pinned by the controller. */
async function enrolledLongAgo(agent: Agent, ageDays: number): Promise<string> {
  const issued = await issueCertificate({
    ca,
    role: 'agent',
    name: agent.name,
    ipAddresses: ['127.0.0.1'],
    validDays: 365,
    notBefore: new Date(Date.now() - ageDays * DAY_MS),
  });
  await writeFile(agent.files.caFile, ca.certPem);
  await writeFile(agent.files.keyFile, issued.keyPem, { mode: 0o600 });
  await writeFile(agent.files.certFile, issued.certPem);
  await mkdir(path.join(agent.dir, 'state'), { recursive: true });
  await writeFile(path.join(agent.dir, 'state/enrollment.json'), JSON.stringify({ controller: fleet.address }));
  await pin(agent.name, issued.certPem);
  return issued.certPem;
}

async function pin(name: string, certPem: string): Promise<void> {
  const server = await findServerByName(fleet.db, name);
  const record = certificateRecord(certPem, server?.id ?? null);
  await markServerEnrolled(fleet.db, name, record.fingerprint, new Date(), record.notAfter);
  await recordIssuedCertificate(fleet.db, record, new Date());
}

async function serve(agent: Agent): Promise<ChildProcess & { output(): string }> {
  const child = spawn(process.execPath, [AGENT_CLI, '--config', agent.configFile, 'serve'], { stdio: ['ignore', 'pipe', 'pipe'] });
  daemons.push(child);
  let output = '';
  child.stdout?.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (output += c.toString()));
  await waitFor(`agent ${agent.name} listening`, async () => {
    if (child.exitCode !== null) throw new Error(`agent daemon exited at start:\n${output}`);
    return canConnect({ port: agent.port });
  });
  return Object.assign(child, { output: () => output });
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; !(await check()); ) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** A TCP connection to 127.0.0.1:`port` is established (/proc/net/tcp: remote address, state 01). */
async function connectedTo(port: number): Promise<boolean> {
  const remote = `0100007F:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  return (await readFile('/proc/net/tcp', 'utf8')).split('\n').some((line) => {
    const fields = line.trim().split(/\s+/);
    return fields[2] === remote && fields[3] === '01';
  });
}

const hex = (pem: string) => new X509Certificate(pem).fingerprint256.replaceAll(':', '').toLowerCase();

/** The certificate the agent presents in a TLS handshake now (the controller's certificate as client). */
async function servedFingerprint(port: number): Promise<string> {
  const controller = await readControllerTls(fleet.dataDir);
  return new Promise((resolve, reject) => {
    const socket = tls.connect({
      host: '127.0.0.1',
      port,
      ca: controller.caPem,
      cert: controller.certPem,
      key: controller.keyPem,
      ALPNProtocols: ['h2'],
      checkServerIdentity: () => undefined,
    });
    socket.once('error', reject);
    socket.once('secureConnect', () => {
      const raw = socket.getPeerCertificate().raw;
      socket.end();
      resolve(new X509Certificate(raw).fingerprint256.replaceAll(':', '').toLowerCase());
    });
  });
}

function controllerClient(identity?: Identity): ControllerServiceClient {
  const { Client } = loadControllerService();
  return new Client(fleet.address, rawClientCredentials(ca.certPem, identity), channelOptions(fleet.address));
}

function rolloutClient(identity?: Identity): RolloutServiceClient {
  const { Client } = loadRolloutService();
  return new Client(fleet.address, rawClientCredentials(ca.certPem, identity), channelOptions(fleet.address));
}

function unary<Res>(start: (metadata: Metadata, callback: (err: ServiceError | null, value?: Res) => void) => void): Promise<Res> {
  return new Promise((resolve, reject) => start(new Metadata(), (err, value) => (err ? reject(err) : resolve(value as Res))));
}

async function rejection(promise: Promise<unknown>): Promise<ServiceError> {
  return promise.then(
    () => {
      throw new Error('the call succeeded');
    },
    (err: ServiceError) => err,
  );
}

async function operatorIdentity(name: string, access: 'viewer' | 'operator'): Promise<Identity & { serial: string }> {
  const issued = await issueOperatorCredentials({
    dataDir: fleet.dataDir,
    name,
    outDir: path.join(fleet.root, name),
    validDays: 30,
    access,
    force: false,
  });
  return { certPem: await readFile(issued.certFile, 'utf8'), keyPem: await readFile(issued.keyFile, 'utf8'), serial: issued.serial };
}

/**
 * Whether `servers show NAME --live` got an answer from the agent over mutual TLS: the
 * test agents have no WordOps host, so GetStatus answers "not initialised"; a refused
 * handshake or pin says "cannot reach" instead.
 */
async function answers(name: string): Promise<boolean> {
  const r = await fleet.wofleet(['servers', 'show', name, '--live']);
  if (r.stderr.includes('answered with an error') && r.stderr.includes("not initialised: run 'wofleet-agent init' first")) return true;
  throw new Error(`the controller did not reach agent ${name}: ${r.stderr}`);
}

interface LiveServer {
  status: { serverId: string } | null;
  liveError: string | null;
}

describe('agent certificate renewal', () => {
  it('an agent whose certificate has less than a third of its life left renews it at start, keeps serving and serves the new one', async () => {
    const agent = await registerAgent('web-1');
    const oldPem = await enrolledLongAgo(agent, 300);
    const daemon = await serve(agent);

    await waitFor('renewed certificate on disk', async () => hex(await readFile(agent.files.certFile, 'utf8')) !== hex(oldPem));

    const renewed = new X509Certificate(await readFile(agent.files.certFile, 'utf8'));
    expect(peerIdentity(renewed)).toEqual({ role: 'agent', name: 'web-1' });
    expect(new Date(renewed.validTo).getTime()).toBeGreaterThan(Date.now() + 360 * DAY_MS);
    expect(renewed.subjectAltName).toContain('IP Address:127.0.0.1');
    expect((await stat(agent.files.keyFile)).mode & 0o777).toBe(0o600);
    expect(renewed.publicKey.export({ format: 'pem', type: 'spki' })).not.toBe(
      new X509Certificate(oldPem).publicKey.export({ format: 'pem', type: 'spki' }),
    );
    const row = await findServerByName(fleet.db, 'web-1');
    expect(row?.certFingerprint).toBe(hex(renewed.toString()));
    expect(row?.previousCertFingerprint).toBe(hex(oldPem));
    expect(row?.certNotAfter?.toISOString()).toBe(new Date(renewed.validTo).toISOString());
    const events = await listAuditEvents(fleet.db, { server: 'web-1', limit: 10 });
    expect(events.map((e) => [e.kind, e.actor])).toContainEqual(['certificate-renewed', 'agent:web-1']);

    // The same daemon (never restarted) now presents the new certificate, and the controller reaches it.
    await waitFor('new certificate served', async () => (await servedFingerprint(agent.port)) === hex(renewed.toString()));
    expect(daemon.exitCode).toBeNull();
    expect(await answers('web-1')).toBe(true);
    expect(daemon.output()).toContain('agent certificate renewed');
  }, 60_000);

  it('an agent far from expiry keeps its certificate', async () => {
    const agent = await registerAgent('web-fresh');
    const pem = await enrolledLongAgo(agent, 10);
    const daemon = await serve(agent);
    await waitFor('revocation list fetched', async () =>
      readFile(path.join(agent.dir, 'state/revoked-serials.json')).then(
        () => true,
        () => false,
      ),
    );
    expect(hex(await readFile(agent.files.certFile, 'utf8'))).toBe(hex(pem));
    daemon.kill('SIGTERM');
  }, 60_000);

  it('an agent whose certificate has expired refuses to start and says how to re-enroll', async () => {
    const agent = await registerAgent('web-expired');
    await enrolledLongAgo(agent, 400);

    const started = await serve(agent).then(
      () => 'started',
      (err: Error) => err.message,
    );

    expect(started).toContain('certificate expired on');
    expect(started).toContain("re-enroll: 'wofleet servers token web-expired' on the controller, then 'wofleet-agent enroll --force' here");
  }, 30_000);

  it('a certificate the controller did not pin for the server cannot renew', async () => {
    const agent = await registerAgent('web-unpinned');
    await enrolledLongAgo(agent, 300);
    const other = await issueCertificate({ ca, role: 'agent', name: 'web-unpinned', validDays: 30 });
    const c = controllerClient(other);

    const err = await rejection(unary((m, cb) => c.RenewCertificate({ csrPem: 'x' }, m, cb)));

    expect(err.code).toBe(status.FAILED_PRECONDITION);
    expect(err.details).toContain('not the one enrolled for web-unpinned');
  });
});

describe('re-enrollment', () => {
  it('servers token NAME issues a fresh token; enroll --force replaces the certificate and the server keeps its row and history', async () => {
    const agent = await createTestAgent(fleet.root, 'web-2');
    const port = await findFreePort();
    await addServer(fleet.controller.context, { name: 'web-2', address: `127.0.0.1:${port}` }, 'operator:alice');
    // The human output shows the command to run, with the token pasted, never on the command line.
    const shown = await fleet.wofleet(['servers', 'token', 'web-2']);
    expect(shown.stdout).toContain(
      `wofleet-agent enroll --force --controller ${fleet.address} --ca-fingerprint ${fleet.caFingerprint} --token-file -`,
    );
    const first = await fleet.wofleetJson<{ enrollmentToken: string }>(['servers', 'token', 'web-2']);
    const enrollArgs = (token: string) => agent.enrollArgs(fleet.address, token, fleet.caFingerprint);
    expect((await agent.enroll(await enrollArgs(first.enrollmentToken))).code).toBe(0);
    const before = await findServerByName(fleet.db, 'web-2');
    const firstCert = await readFile(agent.files.certFile, 'utf8');

    const again = await fleet.wofleetJson<{ enrollmentToken: string }>(['servers', 'reenroll', 'web-2']);
    const r = await agent.enroll(['--force', ...(await enrollArgs(again.enrollmentToken))]);

    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const after = await findServerByName(fleet.db, 'web-2');
    const secondCert = await readFile(agent.files.certFile, 'utf8');
    expect(after?.id).toBe(before?.id);
    expect(after?.createdAt).toEqual(before?.createdAt);
    expect(hex(secondCert)).not.toBe(hex(firstCert));
    expect(after?.certFingerprint).toBe(hex(secondCert));
    const events = await listAuditEvents(fleet.db, { server: 'web-2', limit: 10 });
    expect(events.map((e) => e.kind).reverse()).toEqual([
      'server-added',
      'enrollment-token-issued',
      'enrollment-token-issued',
      'server-enrolled',
      'enrollment-token-issued',
      'server-enrolled',
    ]);
  }, 60_000);

  it('a running daemon serves the certificate `enroll --force` wrote, and the controller reaches it', async () => {
    const agent = await registerAgent('web-6', { checkSeconds: 10 });
    await enrolledLongAgo(agent, 10);
    await serve(agent);
    const { enrollmentToken } = await fleet.wofleetJson<{ enrollmentToken: string }>(['servers', 'token', 'web-6']);

    const r = await runCli(
      AGENT_CLI,
      [
        '--config',
        agent.configFile,
        'enroll',
        '--force',
        '--controller',
        fleet.address,
        '--token-file',
        '-',
        '--ca-fingerprint',
        fleet.caFingerprint,
      ],
      {},
      `${enrollmentToken}\n`,
    );

    expect(r.code, r.stderr).toBe(0);
    const enrolled = hex(await readFile(agent.files.certFile, 'utf8'));
    expect((await findServerByName(fleet.db, 'web-6'))?.certFingerprint).toBe(enrolled);
    await waitFor('re-enrolled certificate served', async () => (await servedFingerprint(agent.port)) === enrolled, 30_000);
    expect(await answers('web-6')).toBe(true);
  }, 60_000);
});

describe('revocation', () => {
  it('a revoked operator certificate can no longer call; certs list shows it revoked', async () => {
    const bob = await operatorIdentity('bob', 'operator');
    const c = controllerClient(bob);
    await unary((m, cb) => c.ListServers({}, m, cb));

    const r = await fleet.wofleet(['certs', 'revoke', bob.serial.toUpperCase(), '--reason', 'keyCompromise']);

    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe(`revoked ${bob.serial}`);
    const err = await rejection(unary((m, cb) => c.ListServers({}, m, cb)));
    expect(err.code).toBe(status.PERMISSION_DENIED);
    expect(err.details).toContain(`(serial ${bob.serial}) has been revoked`);
    const certs = await fleet.wofleetJson<{ serial: string; kind: string; subject: string; revokeReason: string }[]>(['certs', 'list']);
    expect(certs.find((cert) => cert.serial === bob.serial)).toMatchObject({
      kind: 'operator',
      subject: 'bob',
      revokeReason: 'keyCompromise',
    });
  });

  it('a revoked agent certificate is refused by the controller and no longer pinned', async () => {
    const agent = await registerAgent('web-4');
    const pem = await enrolledLongAgo(agent, 10);
    const key = await readFile(agent.files.keyFile, 'utf8');
    const c = controllerClient({ certPem: pem, keyPem: key });
    expect((await unary<{ revokedSerials: string[] }>((m, cb) => c.ListRevocations({}, m, cb))).revokedSerials).not.toContain(
      certificateSerial(pem),
    );

    const r = await fleet.wofleet(['certs', 'revoke', '--server', 'web-4']);

    expect(r.code).toBe(0);
    for (const attempt of [
      rejection(unary((m, cb) => c.ListRevocations({}, m, cb))),
      rejection(unary((m, cb) => c.RenewCertificate({ csrPem: 'x' }, m, cb))),
    ]) {
      const err = await attempt;
      expect(err.code).toBe(status.PERMISSION_DENIED);
      expect(err.details).toContain('has been revoked');
    }
    expect((await findServerByName(fleet.db, 'web-4'))?.certFingerprint).toBeNull();
  });

  it("an agent refuses a second controller's certificate once it is revoked (issue-controller, the list fetched by the agent)", async () => {
    const agent = await registerAgent('web-5', { checkSeconds: 10 });
    await enrolledLongAgo(agent, 10);
    await serve(agent);
    const issued = await fleet.wofleetJson<{ serial: string; outDir: string }>([
      'ca',
      'issue-controller',
      '--data-dir',
      fleet.dataDir,
      '--name',
      'ctl-2',
      '--ip',
      '127.0.0.1',
      '--out',
      path.join(fleet.root, 'ctl-2'),
    ]);
    const ctl2 = await readControllerTls(issued.outDir);
    expect(ctl2.identity).toMatchObject({ role: 'controller', name: 'ctl-2' });
    const asCtl2 = () => servedStatus(agent.port, 'web-5', ctl2);
    expect(await asCtl2()).toBe('ok');

    await fleet.wofleet(['certs', 'revoke', issued.serial]);

    await waitFor('agent refusing the revoked controller', async () => (await asCtl2()).includes('has been revoked'), 30_000);
  }, 60_000);
});

/** GetStatus on an agent with the given controller identity: 'ok' (answered) or the refusal. */
async function servedStatus(port: number, server: string, identity: { caPem: string; certPem: string; keyPem: string }): Promise<string> {
  const { connectAgent } = await import('../controller/src/agents/client.js');
  const pins = async () => [await servedFingerprint(port)];
  const agent = connectAgent({ server, address: `127.0.0.1:${port}` }, identity, pins);
  try {
    await agent.getStatus();
    return 'ok';
  } catch (err) {
    // The test agents have no WordOps host: "not initialised" means the call got through.
    const message = (err as Error).message;
    return message.includes("not initialised: run 'wofleet-agent init' first") ? 'ok' : message;
  } finally {
    agent.close();
  }
}

describe('pinning', () => {
  it('the controller refuses an agent presenting another certificate of the fleet CA for the same name', async () => {
    const port = await findFreePort();
    await addServer(fleet.controller.context, { name: 'web-3', address: `127.0.0.1:${port}` }, 'operator:alice');
    const enrolled = await issueCertificate({ ca, role: 'agent', name: 'web-3', ipAddresses: ['127.0.0.1'], validDays: 30 });
    const impostor = await issueCertificate({ ca, role: 'agent', name: 'web-3', ipAddresses: ['127.0.0.1'], validDays: 30 });
    await pin('web-3', enrolled.certPem);
    const handlers = {
      GetStatus: (_call: unknown, done: (err: null, value: { serverId: string }) => void) => done(null, { serverId: 'web-3' }),
    };
    const running = await startAgentServer(
      `127.0.0.1:${port}`,
      { caPem: ca.certPem, ...impostor },
      handlers as unknown as AgentServiceHandlers,
    );
    try {
      const refused = await fleet.wofleetJson<LiveServer>(['servers', 'show', 'web-3', '--live']).catch((err: Error) => err);
      expect(String((refused as Error).message)).toContain('not the one enrolled');

      // The same server with its enrolled certificate is reached: only the pin made the difference.
      running.reloadTls({ caPem: ca.certPem, ...enrolled });
      const live = await fleet.wofleetJson<LiveServer>(['servers', 'show', 'web-3', '--live']);
      expect(live.status?.serverId).toBe('web-3');
    } finally {
      running.server.forceShutdown();
    }
  }, 30_000);
});

describe('connecting ahead (AgentApi.connect)', () => {
  it('opens the channel with the pins read for it: the call after reads none again; an impostor is refused at that handshake', async () => {
    const { connectAgent } = await import('../controller/src/agents/client.js');
    const controllerTls = await readControllerTls(fleet.dataDir);
    const port = await findFreePort();
    const enrolled = await issueCertificate({ ca, role: 'agent', name: 'web-8', ipAddresses: ['127.0.0.1'], validDays: 30 });
    const impostor = await issueCertificate({ ca, role: 'agent', name: 'web-8', ipAddresses: ['127.0.0.1'], validDays: 30 });
    const handlers = {
      GetStatus: (_call: unknown, done: (err: null, value: { serverId: string }) => void) => done(null, { serverId: 'web-8' }),
    };
    const running = await startAgentServer(
      `127.0.0.1:${port}`,
      { caPem: ca.certPem, ...enrolled },
      handlers as unknown as AgentServiceHandlers,
    );
    let reads = 0;
    const pins = async () => {
      reads++;
      return [hex(enrolled.certPem)];
    };
    const agent = connectAgent({ server: 'web-8', address: `127.0.0.1:${port}` }, controllerTls, pins);
    try {
      agent.connect();
      agent.connect();
      // No call yet: the connection is there all the same (then a moment for its TLS handshake to finish).
      await waitFor('the connection opened ahead', () => connectedTo(port), 10_000);
      await new Promise((r) => setTimeout(r, 500));
      expect((await agent.getStatus()).serverId).toBe('web-8');
      expect(reads).toBe(1);

      const other = connectAgent({ server: 'web-8', address: `127.0.0.1:${port}` }, controllerTls, async () => [hex(impostor.certPem)]);
      try {
        other.connect();
        await expect(other.getStatus()).rejects.toThrow('not the one enrolled');
      } finally {
        other.close();
      }
    } finally {
      agent.close();
      running.server.forceShutdown();
    }
  }, 30_000);
});

describe('operator access levels', () => {
  it('a viewer can list servers and rollouts but cannot start a rollout or change the inventory', async () => {
    const vera = await operatorIdentity('vera', 'viewer');
    const c = controllerClient(vera);
    const r = rolloutClient(vera);

    await unary((m, cb) => c.ListServers({}, m, cb));
    await unary((m, cb) => r.ListRollouts({}, m, cb));
    const started = await rejection(
      unary((m, cb) => r.StartRollout({ release: '6.5.5', servers: ['web-1'], canary: 'web-1', waves: '1' }, m, cb)),
    );
    const added = await rejection(unary((m, cb) => c.AddServer({ name: 'sneaky', address: '127.0.0.1:7443' }, m, cb)));

    expect(started.code).toBe(status.PERMISSION_DENIED);
    expect(started.details).toContain('operator vera has viewer access; StartRollout needs operator');
    expect(added.code).toBe(status.PERMISSION_DENIED);
    expect(await findServerByName(fleet.db, 'sneaky')).toBeUndefined();
  });

  it('ca issue-operator defaults to 90 days and takes --access', async () => {
    const out = path.join(fleet.root, 'olga');
    const issued = await fleet.wofleetJson<{ access: string; notAfter: string; certFile: string }>([
      'ca',
      'issue-operator',
      '--data-dir',
      fleet.dataDir,
      '--name',
      'olga',
      '--access',
      'viewer',
      '--out',
      out,
    ]);
    expect(issued.access).toBe('viewer');
    const days = (Date.parse(issued.notAfter) - Date.now()) / DAY_MS;
    expect(days).toBeGreaterThan(89);
    expect(days).toBeLessThan(91);
    expect(new X509Certificate(await readFile(issued.certFile)).subject).toContain('OU=access=viewer');
  });
});

describe('expiry warnings', () => {
  it('servers list warns about a certificate expiring in under 30 days', async () => {
    const agent = await registerAgent('web-old');
    await enrolledLongAgo(agent, 350);

    const r = await fleet.wofleet(['servers', 'list']);

    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/wofleet: warning: the certificate of web-old expires in 1[45] day\(s\)/);
  });
});
