/**
 * ansible-playbook against real-WordOps test servers (tests/support/realwo.ts), through
 * Ansible's chroot connection (community.general.chroot, Debian package `ansible`).
 *
 * That connection runs `chroot_exe DIR /bin/sh -c CMD` in the host's namespaces; a test
 * server has its own (network, PID, mount, ...) under its own PID 1. Each server's
 * chroot_exe is a small script calling ansible/chroot-exe.sh with that PID 1 (RealWoServer.pid), which
 * nsenters all of its namespaces and its root: a play sees the server's network, its
 * processes and its systemd, as over ssh on a real server.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { REPO_ROOT } from './agent.js';
import type { RealWoServer } from './realwo.js';

export const ANSIBLE_DIR = path.join(REPO_ROOT, 'deploy/ansible');
const CHROOT_EXE = path.join(REPO_ROOT, 'tests/support/ansible/chroot-exe.sh');

/** A host's counts in the play recap. */
export interface HostStats {
  ok: number;
  changed: number;
  failures: number;
  unreachable: number;
  skipped: number;
}

/** One host's result of one task (the json callback's shape, the fields read here). */
export interface TaskResult {
  changed?: boolean;
  skipped?: boolean;
  failed?: boolean;
  msg?: string;
  stderr?: string;
}

export interface PlayRun {
  stats: Record<string, HostStats>;
  /** Per task in run order: its name and each host's result. */
  tasks: Array<{ name: string; hosts: Record<string, TaskResult> }>;
  /** The run's whole JSON report, for failure messages. */
  output: string;
}

interface JsonReport {
  plays: Array<{ tasks: Array<{ task: { name: string }; hosts: Record<string, TaskResult> }> }>;
  stats: Record<string, HostStats>;
}

/**
 * Inventory variables that reach `server` through the chroot connection; writes its
 * chroot_exe into `dir`.
 */
export async function chrootConnection(server: RealWoServer, dir: string): Promise<Record<string, string>> {
  const exe = path.join(dir, `chroot-exe-${server.name}`);
  await writeFile(exe, `#!/bin/sh\nexec ${CHROOT_EXE} ${server.pid} "$@"\n`, { mode: 0o755 });
  return {
    ansible_connection: 'community.general.chroot',
    ansible_host: server.root,
    ansible_chroot_exe: exe,
  };
}

/**
 * `ansible-playbook -i INVENTORY PLAYBOOK` with the json callback; resolves with the
 * recap and the task results whatever the exit code (the test reads the failures).
 */
export async function runPlaybook(playbook: string, inventory: string, options: { tmpDir: string }): Promise<PlayRun> {
  const r = await execa('ansible-playbook', ['-i', inventory, playbook], {
    cwd: path.dirname(playbook),
    reject: false,
    timeout: 600_000,
    env: {
      ANSIBLE_STDOUT_CALLBACK: 'json',
      ANSIBLE_NOCOLOR: '1',
      ANSIBLE_RETRY_FILES_ENABLED: '0',
      ANSIBLE_LOCAL_TEMP: path.join(options.tmpDir, 'ansible-local'),
    },
  });
  if (r.exitCode === undefined) {
    throw new Error(
      `ansible-playbook did not run (${r.message}): apt-get install ansible (ansible-core and community.general's chroot connection)`,
    );
  }
  const start = r.stdout.indexOf('{');
  if (start < 0) throw new Error(`ansible-playbook exited ${r.exitCode} without a report:\n${r.stderr}${r.stdout}`);
  const report = JSON.parse(r.stdout.slice(start)) as JsonReport;
  return {
    stats: report.stats,
    tasks: report.plays.flatMap((play) => play.tasks.map((t) => ({ name: t.task.name, hosts: t.hosts }))),
    output: `${r.stderr}${r.stdout}`,
  };
}

/** Each failed task as `host: task: message`, for an assertion's message. */
export function failuresOf(run: PlayRun): string[] {
  return run.tasks.flatMap((task) =>
    Object.entries(task.hosts)
      .filter(([, result]) => result.failed === true)
      .map(([host, result]) => `${host}: ${task.name}: ${result.msg ?? result.stderr ?? ''}`),
  );
}
