import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { credentials, type ChannelCredentials } from '@grpc/grpc-js';
import { peerIdentity, silentLogger } from '@wofleet/shared';
import { initFleetCa } from '../src/ca/init.js';
import { issueOperatorCredentials } from '../src/ca/operator.js';
import { addServer } from '../src/servers/registry.js';
import { startController, type RunningController } from '../src/main/start-controller.js';
import type { Clock } from '../src/context/index.js';
import type { WebhookSettings } from '../src/config/webhooks.js';
import type { WebhookDeliveryTuning } from '../src/webhooks/index.js';
import type { Database } from '../src/db/index.js';
import { cleanEnv, runNodeProgram, type CliResult } from '../../tests/support/cli.js';
import { startNatsServer, type NatsServer } from '../../tests/support/nats-server.js';
import { createScratchDatabase } from './db.fixtures.js';
import { systemClock } from '../src/context/index.js';
import { DEFAULT_CAMPAIGN_LEASE_MS } from '../src/config/controller.js';

/**
 * A real fleet for the CLI, enrollment and gRPC tests: a fleet CA and operator alice's
 * certificate in a temp data dir (made by the BUILT CLI or in-process), a
 * controller serves in-process (its clock injected) on a free port over a fresh
 * Postgres database and a private nats-server (presence runs on it), and an operator's ~/.config/wofleet/config.yaml under a temp
 * HOME points the CLI at it. Build first: `pnpm build`.
 */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const CONTROLLER_CLI = path.join(REPO_ROOT, 'controller/dist/cli/main.js');
export const AGENT_CLI = path.join(REPO_ROOT, 'agent/dist/cli/main.js');

export type { CliResult };

/** A server as `wofleet servers ... --json` prints it (state by its friendly name). */
export interface ServerJson {
  name: string;
  address: string;
  labels: Record<string, string>;
  canary: boolean;
  state: string;
}

/** Runs a built CLI with no stdin, as an operator would, with only the given WOFLEET_* settings. */
export function runCli(cli: string, args: readonly string[], env: Record<string, string> = {}, stdin?: string): Promise<CliResult> {
  return runNodeProgram(cli, args, cleanEnv(env), stdin);
}

/** The operator CLI's connection flags: the controller at `address`, as the operator whose files `issue-operator` wrote in `dir`. */
export function operatorFlags(address: string, dir: string, name = 'alice'): string[] {
  return ['--controller', address, '--ca', `${dir}/ca.pem`, '--cert', `${dir}/${name}.pem`, '--key', `${dir}/${name}.key`];
}

/** A clock the test moves forward instead of sleeping. */
export interface TestClock extends Clock {
  advance(ms: number): void;
}

export function testClock(): TestClock {
  let offset = 0;
  return {
    ...systemClock,
    now: () => new Date(Date.now() + offset),
    advance: (ms) => {
      offset += ms;
    },
  };
}

export interface TestFleet {
  root: string;
  dataDir: string;
  /** HOME of the operator whose config.yaml points at this controller. */
  home: string;
  operatorDir: string;
  address: string;
  /** SHA-256 of the fleet CA (AB:CD:...), as `ca init` printed it. */
  caFingerprint: string;
  clock: TestClock;
  controller: RunningController;
  db: Database;
  databaseUrl: string;
  nats: NatsServer;
  /** `wofleet ARGS` as the operator (HOME = home). */
  wofleet(args: readonly string[], env?: Record<string, string>): Promise<CliResult>;
  /** Registers a server in-process (as operator alice) and returns its enrollment token. */
  addServer(name: string, options?: { tokenTtlMs?: number }): Promise<string>;
  /** `wofleet ARGS --json`, parsed; throws on a non-zero exit. */
  wofleetJson<T>(args: readonly string[]): Promise<T>;
  destroy(): Promise<void>;
}

export interface TestFleetOptions {
  /**
   * How the CA and the operator certificate are made: through the built CLI (`ca init`,
   * `ca issue-operator`), or by the same functions in-process (default: faster, for
   * tests about something else).
   */
  pki?: 'cli' | 'in-process';
  /** Whether the controller drives campaigns (default true); off, campaigns stay where the test puts them. */
  runCampaigns?: boolean;
  /** Campaign webhooks the controller sends (none by default), and their delivery timing. */
  webhooks?: { settings: WebhookSettings; delivery?: WebhookDeliveryTuning };
}

export async function createTestFleet(options: TestFleetOptions = {}): Promise<TestFleet> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'wofleet-ctl-'));
  const dataDir = path.join(root, 'data');
  const home = path.join(root, 'home');
  const operatorDir = path.join(root, 'alice');
  const caFingerprint = options.pki === 'cli' ? await makePkiWithCli(dataDir, operatorDir) : await makePkiInProcess(dataDir, operatorDir);
  const scratch = await createScratchDatabase();
  const nats = await startNatsServer();
  const clock = testClock();
  let controller: RunningController;
  try {
    controller = await startController({
      settings: {
        dataDir,
        listen: '127.0.0.1:0',
        databaseUrl: scratch.url,
        nats: { servers: [nats.url] },
        heartbeatSeconds: 10,
        webhooks: options.webhooks?.settings,
        campaignLeaseMs: DEFAULT_CAMPAIGN_LEASE_MS,
      },
      log: silentLogger(),
      clock,
      runCampaigns: options.runCampaigns,
      ...(options.webhooks?.delivery ? { webhookDelivery: options.webhooks.delivery } : {}),
    });
  } catch (err) {
    await nats.dispose();
    await scratch.drop();
    throw err;
  }
  const address = `127.0.0.1:${controller.port}`;
  await mkdir(path.join(home, '.config/wofleet'), { recursive: true });
  await writeFile(
    path.join(home, '.config/wofleet/config.yaml'),
    `controller: ${address}\nca: ${operatorDir}/ca.pem\ncert: ${operatorDir}/alice.pem\nkey: ${operatorDir}/alice.key\n`,
  );
  const wofleet = (args: readonly string[], env: Record<string, string> = {}) => runCli(CONTROLLER_CLI, args, { HOME: home, ...env });
  return {
    root,
    dataDir,
    home,
    operatorDir,
    address,
    caFingerprint,
    clock,
    controller,
    db: controller.context.db,
    databaseUrl: scratch.url,
    nats,
    wofleet,
    async addServer(name, addOptions = {}) {
      const added = await addServer(
        controller.context,
        { name, address: `${name}.example.com:7443`, tokenTtlMs: addOptions.tokenTtlMs },
        'operator:alice',
      );
      return added.enrollmentToken;
    },
    async wofleetJson<T>(args: readonly string[]): Promise<T> {
      const r = await wofleet([...args, '--json']);
      if (r.code !== 0) throw new Error(`wofleet ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
      return JSON.parse(r.stdout) as T;
    },
    async destroy() {
      await controller.stop();
      await nats.dispose();
      await scratch.drop();
      await rm(root, { recursive: true, force: true });
    },
  };
}

async function makePkiWithCli(dataDir: string, operatorDir: string): Promise<string> {
  const init = await runCli(CONTROLLER_CLI, ['ca', 'init', '--data-dir', dataDir, '--name', 'ctl-1', '--ip', '127.0.0.1', '--json']);
  if (init.code !== 0) throw new Error(`wofleet ca init failed: ${init.stderr}`);
  const issued = await runCli(CONTROLLER_CLI, ['ca', 'issue-operator', '--data-dir', dataDir, '--name', 'alice', '--out', operatorDir]);
  if (issued.code !== 0) throw new Error(`wofleet ca issue-operator failed: ${issued.stderr}`);
  return (JSON.parse(init.stdout) as { caFingerprint: string }).caFingerprint;
}

async function makePkiInProcess(dataDir: string, operatorDir: string): Promise<string> {
  const init = await initFleetCa({ dataDir, name: 'ctl-1', dnsNames: [], ipAddresses: ['127.0.0.1'], force: false });
  await issueOperatorCredentials({ dataDir, name: 'alice', outDir: operatorDir, validDays: 30, force: false });
  return init.caFingerprint;
}

/** A server's agent side: a temp config with its serverId and where enroll writes the TLS files. */
export interface TestAgent {
  configFile: string;
  files: { caFile: string; certFile: string; keyFile: string };
  /** `wofleet-agent enroll ARGS`, with `stdin` piped in (for `--token-file -`). */
  enroll(args: readonly string[], stdin?: string): Promise<CliResult>;
  /** Writes `token` to a file of its own (0600), for `--token-file`: its path. */
  tokenFile(token: string): Promise<string>;
  /** The enroll flags: `--controller`, `--token-file` (holding `token`), `--ca-fingerprint`. */
  enrollArgs(controller: string, token: string, caFingerprint: string): Promise<string[]>;
}

export async function createTestAgent(root: string, serverId: string): Promise<TestAgent> {
  const dir = path.join(root, `agent-${serverId}-${Math.random().toString(36).slice(2, 8)}`);
  await mkdir(dir, { recursive: true });
  const files = {
    caFile: path.join(dir, 'tls/ca.pem'),
    certFile: path.join(dir, 'tls/agent.pem'),
    keyFile: path.join(dir, 'tls/agent.key'),
  };
  const tokenFile = async (token: string) => {
    const file = path.join(dir, `token-${Math.random().toString(36).slice(2, 8)}`);
    await writeFile(file, `${token}\n`, { mode: 0o600 });
    return file;
  };
  const configFile = path.join(dir, 'agent.yaml');
  await writeFile(configFile, JSON.stringify({ serverId, stateDir: path.join(dir, 'state'), grpc: files }, null, 2));
  return {
    configFile,
    files,
    enroll: (args, stdin) => runCli(AGENT_CLI, ['--config', configFile, 'enroll', ...args], {}, stdin),
    tokenFile,
    enrollArgs: async (controller, token, caFingerprint) => [
      '--controller',
      controller,
      '--token-file',
      await tokenFile(token),
      '--ca-fingerprint',
      caFingerprint,
    ],
  };
}

export interface Identity {
  certPem: string;
  keyPem: string;
}

/** Operator alice's certificate and key, as `ca issue-operator` wrote them. */
export async function readOperatorIdentity(fleet: Pick<TestFleet, 'operatorDir'>): Promise<Identity> {
  return {
    certPem: await readFile(path.join(fleet.operatorDir, 'alice.pem'), 'utf8'),
    keyPem: await readFile(path.join(fleet.operatorDir, 'alice.key'), 'utf8'),
  };
}

/** What any gRPC client of the controller could use: trust the fleet CA, present `identity` (or nothing), accept only a controller. */
export function rawClientCredentials(caPem: string, identity?: Identity): ChannelCredentials {
  return credentials.createSsl(
    Buffer.from(caPem),
    identity ? Buffer.from(identity.keyPem) : null,
    identity ? Buffer.from(identity.certPem) : null,
    {
      checkServerIdentity: (_host, cert) => (peerIdentity(cert.raw)?.role === 'controller' ? undefined : new Error('not the controller')),
    },
  );
}
