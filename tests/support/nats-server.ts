import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { resolveProgram, tailOf } from './daemon.js';
import { canConnect, findFreePort } from './net.js';

/**
 * A private nats-server with JetStream for one test file: its own free port and a
 * temp store dir that survives stop()/restart(), so streams and stored messages
 * come back like on a real server restart. Servers still running when the test
 * process exits are killed.
 */
export interface NatsServer {
  readonly url: string;
  readonly port: number;
  readonly storeDir: string;
  /** The server's output (truncated at each start). */
  readonly logFile: string;
  running(): boolean;
  /** Graceful stop (SIGTERM), SIGKILL after graceMs; resolves once the process is gone. */
  stop(graceMs?: number): Promise<void>;
  /** Start again on the same port and store. */
  restart(): Promise<void>;
  /** Re-reads the config (SIGHUP), e.g. a rewritten authorization file; resolves once the server says it did. */
  reload(): Promise<void>;
  /** stop() and remove the temp dirs. */
  dispose(): Promise<void>;
}

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const child of live) child.kill('SIGKILL');
  });
}

function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

function waitForExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (exited(child)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

async function stopChild(child: ChildProcess, graceMs: number): Promise<void> {
  if (!exited(child)) {
    child.kill('SIGTERM');
    if (!(await waitForExit(child, graceMs))) {
      child.kill('SIGKILL');
      await waitForExit(child, 5000);
    }
  }
  live.delete(child);
}

/** Spawns the server and waits until it accepts clients with JetStream up ("Server is ready" follows JetStream start). */
async function spawnServer(
  host: string,
  port: number,
  storeDir: string,
  logFile: string,
  extraArgs: readonly string[],
  timeoutMs: number,
  configFile: string | undefined,
): Promise<ChildProcess> {
  installExitHook();
  fs.writeFileSync(logFile, '');
  const out = fs.openSync(logFile, 'a');
  const args = configFile
    ? ['-c', configFile, ...extraArgs]
    : ['-a', host, '-p', String(port), '-js', '-sd', storeDir, '--server_name', `test-${port}`, ...extraArgs];
  const child = spawn(resolveProgram('nats-server'), args, { stdio: ['ignore', out, out] });
  fs.closeSync(out);
  let spawnError: Error | undefined;
  child.once('error', (err) => {
    spawnError = err;
  });
  live.add(child);
  child.once('exit', () => live.delete(child));

  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (exited(child) || spawnError) {
      await stopChild(child, 0);
      throw new Error(
        `nats-server failed to start (${spawnError?.message ?? `exit ${child.exitCode ?? child.signalCode}`})\n${tailOf(logFile)}`,
      );
    }
    if (tailOf(logFile).includes('Server is ready') && (await canConnect({ port }))) return child;
    if (Date.now() > deadline) {
      await stopChild(child, 1000);
      throw new Error(`nats-server not ready within ${timeoutMs} ms\n${tailOf(logFile)}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

export interface NatsServerOptions {
  /** Address to listen on (default 127.0.0.1; url always dials 127.0.0.1). */
  host?: string;
  /** A file of nats-server config (`wofleet nats config` output) the server includes; reload() re-reads it. */
  include?: string;
  /** More nats-server flags, e.g. ['--user', 'a', '--pass', 'b']. */
  args?: readonly string[];
  /** Client port (default: a free one); a cluster's nodes must know each other's ports before they start. */
  port?: number;
  /** More config file lines, e.g. a `cluster { ... }` block (the server then runs from a config file). */
  config?: readonly string[];
  timeoutMs?: number;
}

export async function startNatsServer(options: NatsServerOptions = {}): Promise<NatsServer> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'wofleet-nats-'));
  const storeDir = path.join(root, 'store');
  const logFile = path.join(root, 'nats-server.log');
  const port = options.port ?? (await findFreePort());
  const timeoutMs = options.timeoutMs ?? 15_000;
  const args = options.args ?? [];
  const host = options.host ?? '127.0.0.1';
  const inFile = options.include !== undefined || options.config !== undefined;
  const configFile = inFile ? path.join(root, 'nats-server.conf') : undefined;
  if (configFile !== undefined) {
    // All in the file, no flags: a reload re-reads the file only and refuses to change what flags set.
    // nats-server resolves an include relative to the including file, even an absolute path.
    const config = [
      `listen: "${host}:${port}"`,
      `server_name: "test-${port}"`,
      `jetstream { store_dir: ${JSON.stringify(storeDir)} }`,
      ...(options.include === undefined ? [] : [`include ${path.relative(root, options.include)}`]),
      ...(options.config ?? []),
    ];
    fs.writeFileSync(configFile, `${config.join('\n')}\n`);
  }
  let child: ChildProcess | undefined = await spawnServer(host, port, storeDir, logFile, args, timeoutMs, configFile);

  const server: NatsServer = {
    url: `nats://127.0.0.1:${port}`,
    port,
    storeDir,
    logFile,
    running: () => child !== undefined && !exited(child),
    async stop(graceMs = 5000) {
      if (child) await stopChild(child, graceMs);
      child = undefined;
    },
    async restart() {
      await server.stop();
      child = await spawnServer(host, port, storeDir, logFile, args, timeoutMs, configFile);
    },
    async reload() {
      if (!child || exited(child)) throw new Error('nats-server is not running');
      const reloads = () => fs.readFileSync(logFile, 'utf8').split('Reloaded server configuration').length;
      const before = reloads();
      child.kill('SIGHUP');
      for (const deadline = Date.now() + timeoutMs; reloads() === before; await new Promise((r) => setTimeout(r, 20))) {
        if (Date.now() > deadline) throw new Error(`nats-server did not reload within ${timeoutMs} ms\n${tailOf(logFile)}`);
      }
    },
    async dispose() {
      await server.stop();
      await rm(root, { recursive: true, force: true });
    },
  };
  return server;
}
