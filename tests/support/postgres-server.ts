import { execFile } from 'node:child_process';
import { chownSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { tailOf } from './daemon.js';
import { canConnect, findFreePort } from './net.js';

/**
 * A private Postgres for one test file (the chaos suite restarts it): `initdb` in a temp
 * dir, its own port on 127.0.0.1, trust auth, run as the postgres user (Postgres refuses
 * root) through `pg_ctl`. The shared server on 5432 is never touched.
 */
export interface PostgresServer {
  /** The `postgres` database of this server. */
  url: string;
  port: number;
  running(): Promise<boolean>;
  /** `pg_ctl stop -m fast`: clients are disconnected at once. */
  stop(): Promise<void>;
  start(): Promise<void>;
  dispose(): Promise<void>;
}

const BIN = '/usr/lib/postgresql/15/bin';
const OS_USER = 'postgres';
const run = promisify(execFile);

function asPostgres(program: string, args: readonly string[]): Promise<{ stdout: string }> {
  return run('runuser', ['-u', OS_USER, '--', path.join(BIN, program), ...args], { timeout: 60_000 });
}

export async function startPostgresServer(): Promise<PostgresServer> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'wofleet-pg-'));
  const dataDir = path.join(root, 'data');
  const logFile = path.join(root, 'postgres.log');
  const { uid, gid } = await userIds(OS_USER);
  chownSync(root, uid, gid);
  const port = await findFreePort();
  await asPostgres('initdb', ['-D', dataDir, '-A', 'trust', '-U', 'postgres', '--no-sync']);
  const options = `-p ${port} -k ${root} -c listen_addresses=127.0.0.1 -c fsync=off`;
  const server: PostgresServer = {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    running: () => canConnect({ port }),
    async stop() {
      await asPostgres('pg_ctl', ['-D', dataDir, '-m', 'fast', '-w', 'stop']);
    },
    async start() {
      try {
        await asPostgres('pg_ctl', ['-D', dataDir, '-o', options, '-l', logFile, '-w', 'start']);
      } catch (err) {
        throw new Error(`private Postgres did not start: ${String(err)}\n${tailOf(logFile)}`);
      }
    },
    async dispose() {
      await asPostgres('pg_ctl', ['-D', dataDir, '-m', 'immediate', '-w', 'stop']).catch(() => undefined);
      await rm(root, { recursive: true, force: true });
    },
  };
  await server.start();
  return server;
}

async function userIds(user: string): Promise<{ uid: number; gid: number }> {
  const [uid, gid] = await Promise.all([run('id', ['-u', user]), run('id', ['-g', user])]);
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}
