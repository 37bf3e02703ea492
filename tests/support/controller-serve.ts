import { spawn } from 'node:child_process';
import { CONTROLLER_CLI } from './fleet.js';

export interface ServeOptions {
  dataDir: string;
  listen: string;
  natsUrl: string;
  natsSeed: string | undefined;
  /** DATABASE_URL; unset: the data dir's PGlite. */
  databaseUrl?: string;
  /** More environment (WOFLEET_CONTROLLER_KILL_AT=...). */
  env?: Record<string, string>;
}

export interface ServedController {
  pid: number;
  exited: Promise<{ signal: NodeJS.Signals | null; code: number | null }>;
  output: () => string;
  /** SIGTERM (or `signal`), then waits for the exit. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** The built `wofleet controller serve` as a child process, with none of the test runner's WOFLEET_ or DATABASE_URL settings. */
export function serveController(options: ServeOptions): ServedController {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('WOFLEET_') && key !== 'DATABASE_URL') env[key] = value;
  Object.assign(env, {
    ...(options.databaseUrl ? { DATABASE_URL: options.databaseUrl } : {}),
    WOFLEET_LOG_LEVEL: 'info',
    ...options.env,
  });
  const child = spawn(
    process.execPath,
    [
      CONTROLLER_CLI,
      'controller',
      'serve',
      '--data-dir',
      options.dataDir,
      '--listen',
      options.listen,
      '--nats',
      options.natsUrl,
      ...(options.natsSeed ? ['--nats-seed', options.natsSeed] : []),
      '--heartbeat-seconds',
      '1',
    ],
    { env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<{ signal: NodeJS.Signals | null; code: number | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return {
    pid: child.pid ?? 0,
    exited,
    output: () => output,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}
