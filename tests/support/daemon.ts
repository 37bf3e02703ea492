import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/**
 * A server process of the test stack (nginx, PHP-FPM) run in the foreground as our
 * child, in its own process group so that stop() reaches its workers too. Output goes
 * to a log file; a failed start throws with that log and the daemon's own error log.
 * Daemons still running when the test process exits are killed (no strays in CI).
 */
export interface Daemon {
  readonly name: string;
  readonly pid: number;
  running(): boolean;
  /** Graceful stop (SIGQUIT), SIGKILL for the whole group after graceMs. */
  stop(graceMs?: number): Promise<void>;
}

export interface DaemonSpec {
  name: string;
  command: string;
  args: readonly string[];
  /** Where the daemon's stdout/stderr go. */
  outputLog: string;
  /** Further logs worth showing when the start fails (the daemon's error_log). */
  errorLogs: readonly string[];
  /** Resolves true once the daemon serves. */
  ready: () => Promise<boolean>;
  timeoutMs?: number;
}

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // group already gone
  }
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const child of live) if (child.pid) killGroup(child.pid, 'SIGKILL');
  });
}

/** Absolute path of a program: PATH first, then the sbin dirs a non-login root shell may lack. */
export function resolveProgram(name: string): string {
  const dirs = [...(process.env.PATH ?? '').split(':'), '/usr/local/sbin', '/usr/sbin', '/sbin', '/usr/bin'];
  for (const dir of dirs) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // keep looking
    }
  }
  throw new Error(`${name} is not installed (run deploy/dev/services.sh)`);
}

export function tailOf(file: string, maxBytes = 4000): string {
  try {
    const text = fs.readFileSync(file, 'utf8');
    return text.length > maxBytes ? `...${text.slice(-maxBytes)}` : text;
  } catch {
    return '';
  }
}

function describeLogs(spec: DaemonSpec): string {
  return [spec.outputLog, ...spec.errorLogs]
    .map((file) => [file, tailOf(file).trim()] as const)
    .filter(([, text]) => text)
    .map(([file, text]) => `--- ${file}\n${text}`)
    .join('\n');
}

function waitForExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

export async function startDaemon(spec: DaemonSpec): Promise<Daemon> {
  installExitHook();
  const out = fs.openSync(spec.outputLog, 'a');
  const child = spawn(spec.command, [...spec.args], { stdio: ['ignore', out, out], detached: true });
  fs.closeSync(out);
  let spawnError: Error | undefined;
  child.once('error', (err) => {
    spawnError = err;
  });
  child.unref();
  live.add(child);
  child.once('exit', () => live.delete(child));

  const exited = () => child.exitCode !== null || child.signalCode !== null || spawnError !== undefined;
  const daemon: Daemon = {
    name: spec.name,
    get pid() {
      return child.pid ?? -1;
    },
    running: () => !exited(),
    async stop(graceMs = 5000) {
      const pid = child.pid;
      if (pid === undefined) return;
      if (!exited()) {
        killGroup(pid, 'SIGQUIT');
        if (!(await waitForExit(child, graceMs))) {
          killGroup(pid, 'SIGKILL');
          await waitForExit(child, 2000);
        }
      }
      killGroup(pid, 'SIGKILL'); // workers that outlived their master
      live.delete(child);
    },
  };

  const deadline = Date.now() + (spec.timeoutMs ?? 10_000);
  for (;;) {
    if (exited()) {
      await daemon.stop();
      const why = spawnError ? spawnError.message : `exited with ${child.exitCode ?? child.signalCode}`;
      throw new Error(`${spec.name} failed to start (${why})\n${describeLogs(spec)}`);
    }
    if (await spec.ready()) return daemon;
    if (Date.now() > deadline) {
      await daemon.stop();
      throw new Error(`${spec.name} did not become ready within ${spec.timeoutMs ?? 10_000} ms\n${describeLogs(spec)}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}
