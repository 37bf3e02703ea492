import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initFleetCa } from '../src/ca/init.js';
import { issueOperatorCredentials } from '../src/ca/operator.js';
import { CONTROLLER_CLI, operatorFlags, runCli } from './cli.fixtures.js';
import { startNatsServer, type NatsServer } from '../../tests/support/nats-server.js';
import { createScratchDatabase, type ScratchPostgres } from './db.fixtures.js';

/** `wofleet controller migrate` and `wofleet controller serve` as the processes an operator runs. */
let root: string;
let dataDir: string;
let scratch: ScratchPostgres;
let nats: NatsServer;
beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'wofleet-serve-'));
  dataDir = path.join(root, 'data');
  await initFleetCa({ dataDir, name: 'ctl-1', dnsNames: [], ipAddresses: ['127.0.0.1'], force: false });
  await issueOperatorCredentials({ dataDir, name: 'alice', outDir: path.join(root, 'alice'), validDays: 1, force: false });
  scratch = await createScratchDatabase();
  nats = await startNatsServer();
}, 60_000);
afterAll(async () => {
  await nats?.dispose();
  await scratch?.drop();
  await rm(root, { recursive: true, force: true });
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer().once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** `wofleet controller serve ARGS` as a process, its log collected. */
function spawnServe(args: readonly string[]): { child: ChildProcess; log(): string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [CONTROLLER_CLI, 'controller', 'serve', '--data-dir', dataDir, ...args], {
    env: { ...process.env, DATABASE_URL: scratch.url, WOFLEET_LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  child.stderr?.on('data', (c: Buffer) => (log += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, log: () => log, exited };
}

describe('wofleet controller', () => {
  it('migrate brings a fresh Postgres database up to date', async () => {
    const r = await runCli(CONTROLLER_CLI, ['controller', 'migrate', '--data-dir', dataDir], { DATABASE_URL: scratch.url });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`database schema up to date (Postgres at 127.0.0.1:5432/${scratch.name})\n`);
  });

  it('serve starts presence on NATS, answers the operator CLI over TLS and exits 0 on SIGTERM', async () => {
    const port = await freePort();
    const { child, log, exited } = spawnServe(['--listen', `127.0.0.1:${port}`, '--nats', nats.url, '--heartbeat-seconds', '2']);
    try {
      for (const deadline = Date.now() + 30_000; !log().includes('controller serving'); ) {
        if (child.exitCode !== null || Date.now() > deadline) throw new Error(`controller did not start:\n${log()}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(log()).toContain('presence started');
      const r = await runCli(CONTROLLER_CLI, [
        ...operatorFlags(`127.0.0.1:${port}`, path.join(root, 'alice')),
        'servers',
        'add',
        'web-1',
        '--address',
        '10.0.0.1:7443',
        '--json',
      ]);
      expect(r.stderr).toBe('');
      expect(JSON.parse(r.stdout)).toMatchObject({ server: { name: 'web-1' } });
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  });

  it('serve exits 0 on a SIGTERM that comes while it still waits for NATS', async () => {
    const [port, silentNats] = [await freePort(), await freePort()];
    const { child, log, exited } = spawnServe(['--listen', `127.0.0.1:${port}`, '--nats', `nats://127.0.0.1:${silentNats}`]);
    try {
      for (const deadline = Date.now() + 30_000; !log().includes('database schema up to date'); ) {
        if (child.exitCode !== null || Date.now() > deadline) throw new Error(`controller did not get to NATS:\n${log()}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect(log()).toContain('"started":false');
    expect(log()).not.toContain('controller serving');
  });

  it.each([
    [
      ['--nats', 'http://127.0.0.1:4222'],
      "wofleet: error: invalid --nats 'http://127.0.0.1:4222': expected a NATS URL like nats://HOST:4222",
    ],
    [
      ['--heartbeat-seconds', '0'],
      "wofleet: error: invalid --heartbeat-seconds '0': expected whole seconds from 1 to 3600 (the agents' heartbeat period)",
    ],
    [
      ['--webhook-url', 'https://hooks.example/wofleet'],
      'wofleet: error: webhooks are signed: set --webhook-secret-file or WOFLEET_WEBHOOK_SECRET_FILE (a file holding the secret)',
    ],
    [
      ['--webhook-url', 'https://hooks.example/wofleet', '--webhook-secret-file', '/nonexistent/webhook.secret'],
      "wofleet: error: cannot read the webhook secret file /nonexistent/webhook.secret: ENOENT: no such file or directory, open '/nonexistent/webhook.secret'",
    ],
  ])('serve refuses %j with one line (exit 2) before touching anything', async (flags, message) => {
    const r = await runCli(CONTROLLER_CLI, ['controller', 'serve', '--data-dir', dataDir, '--listen', '127.0.0.1:1', ...flags], {
      DATABASE_URL: scratch.url,
    });
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe(message);
  });

  it('serve refuses to start without a CA in the data dir (exit 1)', async () => {
    const empty = path.join(root, 'no-ca');
    const r = await runCli(CONTROLLER_CLI, ['controller', 'serve', '--data-dir', empty, '--listen', '127.0.0.1:1'], {
      DATABASE_URL: scratch.url,
    });
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe(`wofleet: error: no fleet CA in ${empty} (ca.pem is missing): run 'wofleet ca init' first`);
  });
});
