import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { open } from 'node:fs/promises';
import path from 'node:path';
import { CommandFailedError } from '@wofleet/shared';

/**
 * Starts the configured installer (`packages.install`, default `dpkg -i`) on a kept
 * package, detached from the agent: the package's postinst restarts the agent, and the
 * install must outlive that. Under systemd it runs in a transient unit of its own
 * (`systemd-run --collect`), since stopping the agent's unit kills every process in its
 * cgroup; elsewhere in a session of its own (setsid). Its output goes to
 * `<file>.install.log` (under systemd by the unit's StandardOutput: systemd-run's own
 * output is only that it queued the unit). This is the agent's one program it does not
 * wait for, which is why it is spawned here rather than through the program runner.
 */
export interface InstallerOptions {
  /** Program and leading arguments; the package path is appended. */
  install: readonly string[];
  /** Present when systemd is the init (default /run/systemd/system). */
  systemdMarker?: string;
  /** Names the transient unit: one per install. */
  unitSuffix: string;
}

export function installLogOf(file: string): string {
  return `${file}.install.log`;
}

/** The argv that starts the installer detached, systemd or not. */
export function installerArgv(file: string, options: InstallerOptions, systemd: boolean): string[] {
  const install = [...options.install, file];
  const log = installLogOf(file);
  return systemd
    ? [
        'systemd-run',
        '--collect',
        '--quiet',
        `--unit=wofleet-agent-install-${options.unitSuffix}`,
        `--property=StandardOutput=append:${log}`,
        `--property=StandardError=append:${log}`,
        '--',
        ...install,
      ]
    : install;
}

export interface StartedInstaller {
  argv: string[];
  log: string;
  /** The installer's exit code (null: killed by a signal), should this process live to see it. */
  exited: Promise<number | null>;
}

/** Starts the installer and resolves once it runs (rejects when it cannot be started); never waits for it to end. */
export async function startInstaller(file: string, options: InstallerOptions): Promise<StartedInstaller> {
  const systemd = existsSync(options.systemdMarker ?? '/run/systemd/system');
  const argv = installerArgv(file, options, systemd);
  const [command = '', ...args] = argv;
  const log = installLogOf(file);
  const out = await open(log, 'a', 0o600);
  let exited: Promise<number | null>;
  try {
    const child = spawn(command, args, { detached: true, stdio: ['ignore', out.fd, out.fd], cwd: path.dirname(file) });
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', (err) =>
        reject(
          new CommandFailedError(command, args, undefined, '', '', `cannot start the installer '${command}': ${err.message}`, {
            cause: err,
          }),
        ),
      );
    });
    exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    child.unref();
  } finally {
    await out.close();
  }
  return { argv, log, exited };
}
