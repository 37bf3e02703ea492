import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { silentLogger } from '@wofleet/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initFleetCa } from '../src/ca/init.js';
import { issueOperatorCredentials } from '../src/ca/operator.js';
import { listServers, openDatabase } from '../src/db/index.js';
import { findFreePort } from '../../tests/support/net.js';
import { startNatsServer, type NatsServer } from '../../tests/support/nats-server.js';
import { CONTROLLER_CLI, operatorFlags, runCli } from './cli.fixtures.js';

/**
 * Issue 14: the embedded PGlite database belongs to one process. While `controller
 * serve` has it open, every other command that would open it is refused with one line
 * naming the dir and the holder's pid, and what serve wrote stays there; once serve is
 * SIGKILLed (its lock left behind), the next command takes the dir over.
 */
let root: string;
let dataDir: string;
let nats: NatsServer;
const SERVERS = ['web-1', 'web-2', 'web-3'];
/** The CLI without DATABASE_URL: PGlite in the data dir. */
const cli = (args: readonly string[]) => runCli(CONTROLLER_CLI, args, { DATABASE_URL: '' });

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'wofleet-pglite-lock-'));
  dataDir = path.join(root, 'data');
  await initFleetCa({ dataDir, name: 'ctl-1', dnsNames: [], ipAddresses: ['127.0.0.1'], force: false });
  await issueOperatorCredentials({ dataDir, name: 'alice', outDir: path.join(root, 'alice'), validDays: 1, force: false });
  nats = await startNatsServer();
}, 60_000);
afterAll(async () => {
  await nats?.dispose();
  await rm(root, { recursive: true, force: true });
});

describe('the PGlite data dir lock', () => {
  it('refuses migrate and nats config while serve runs, keeps its data, and is taken over after serve is SIGKILLed', async () => {
    const port = await findFreePort();
    const env: NodeJS.ProcessEnv = { ...process.env, WOFLEET_LOG_LEVEL: 'info' };
    delete env.DATABASE_URL;
    const serve = spawn(
      process.execPath,
      [CONTROLLER_CLI, 'controller', 'serve', '--data-dir', dataDir, '--listen', `127.0.0.1:${port}`, '--nats', nats.url],
      { env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let log = '';
    serve.stdout.on('data', (c: Buffer) => (log += c.toString()));
    serve.stderr.on('data', (c: Buffer) => (log += c.toString()));
    const exited = new Promise<NodeJS.Signals | null>((resolve) => serve.once('exit', (_code, signal) => resolve(signal)));
    try {
      for (const deadline = Date.now() + 30_000; !log.includes('controller serving'); await new Promise((r) => setTimeout(r, 100))) {
        if (serve.exitCode !== null || Date.now() > deadline) throw new Error(`controller did not start:\n${log}`);
      }
      const asAlice = operatorFlags(`127.0.0.1:${port}`, path.join(root, 'alice'));
      for (const [i, name] of SERVERS.entries()) {
        const added = await cli([...asAlice, 'servers', 'add', name, '--address', `10.0.0.${i + 1}:7443`, '--json']);
        expect(added.stderr).toBe('');
      }

      const held = `wofleet: error: the embedded database in ${dataDir}/pglite is in use by process ${serve.pid} (wofleet controller serve): stop it first; several controllers need Postgres (DATABASE_URL)\n`;
      const migrate = await cli(['controller', 'migrate', '--data-dir', dataDir]);
      expect(migrate).toMatchObject({ code: 1, stdout: '', stderr: held });
      const natsConfig = await cli(['nats', 'config', '--data-dir', dataDir, '--out', path.join(root, 'auth.conf')]);
      expect(natsConfig).toMatchObject({ code: 1, stdout: '', stderr: held });

      const listed = await cli([...asAlice, 'servers', 'list', '--json']);
      expect((JSON.parse(listed.stdout) as Array<{ name: string }>).map((s) => s.name).sort()).toEqual(SERVERS);
    } finally {
      serve.kill('SIGKILL');
    }
    expect(await exited).toBe('SIGKILL');

    const migrate = await cli(['controller', 'migrate', '--data-dir', dataDir]);
    expect(migrate).toMatchObject({ code: 0, stderr: '', stdout: `database schema up to date (PGlite in ${dataDir}/pglite)\n` });
    const database = await openDatabase({ dataDir, log: silentLogger() });
    try {
      expect((await listServers(database.db)).map((s) => s.name).sort()).toEqual(SERVERS);
    } finally {
      await database.close();
    }
  }, 120_000);
});
