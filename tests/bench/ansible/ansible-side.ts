import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { AGENT_CLI } from '../../support/agent.js';
import { childPids, signalIfAlive } from '../../support/process-tree.js';
import { readCpu } from '../proc.js';
import type { ReleaseArchives, Sandbox } from './sandboxes.js';
import { batchCriticalPathMs, type StepTime } from './work.js';

/**
 * The Ansible side: rollout.yml run by the Debian `ansible-playbook` over the sandboxes,
 * connection local, forks = the largest batch (every host of a batch at once, as
 * --max-parallel does for the campaign), the json callback (one report at the end).
 */
const HERE = path.dirname(fileURLToPath(import.meta.url));
const PLAYBOOK = path.join(HERE, 'rollout.yml');
const STEP_SCRIPT = path.join(HERE, 'agent-step.sh');

export interface AnsibleRollout {
  waves: readonly (number | string)[];
  minHealthySeconds: number;
  /** max_fail_percentage (0: the first failed host stops the play, as --max-failures 0). */
  maxFailPercentage: number;
}

export interface AnsibleRun {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  wallMs: number;
  /** CPU of ansible-playbook and everything it ran, less the agents' own (the step log's). */
  orchestratorCpuMs: number;
  agentCpuMs: number;
  steps: StepTime[];
  batches: string[][];
  /** Per batch, the agents' work nothing could shorten: each task's slowest host, plus the hold. */
  criticalPathMs: number;
  /** PLAY RECAP per host (absent when the run was killed). */
  recap: Record<string, { failures: number; ok: number }> | undefined;
  /** Each failed task as `host: task: message`. */
  failures: string[];
}

interface JsonReport {
  plays: Array<{ tasks: Array<{ task: { name: string }; hosts: Record<string, { failed?: boolean; msg?: string; stderr?: string }> }> }>;
  stats: Record<string, { failures: number; ok: number }>;
}

/** Ansible's own cut of `hosts` into serial batches: a percent is of all hosts, rounded down, at least 1; the last size repeats. */
export function serialBatches(hosts: readonly string[], waves: readonly (number | string)[]): string[][] {
  const sizes = waves.map((w) =>
    typeof w === 'string' && w.endsWith('%') ? Math.max(1, Math.floor((hosts.length * Number(w.slice(0, -1))) / 100)) : Number(w),
  );
  const batches: string[][] = [];
  for (let at = 0, i = 0; at < hosts.length; i++) {
    const size = sizes[Math.min(i, sizes.length - 1)] ?? 1;
    batches.push(hosts.slice(at, at + size));
    at += size;
  }
  return batches;
}

async function writeInventory(dir: string, sandboxes: readonly Sandbox[]): Promise<string> {
  const file = path.join(dir, 'inventory.yml');
  const hosts = Object.fromEntries(sandboxes.map((s) => [s.name, { agent_config: s.config }]));
  // JSON is YAML; the python Ansible runs the command module with is this one.
  const inventory = {
    sandboxes: { hosts, vars: { ansible_connection: 'local', ansible_python_interpreter: '/usr/bin/python3' } },
  };
  await writeFile(file, JSON.stringify(inventory, null, 2));
  return file;
}

export async function readStepLog(file: string): Promise<StepTime[]> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const [host = '', step = '', start, end, cpu, code] = line.split(' ');
      return { host, step, startMs: Number(start), endMs: Number(end), cpuMs: Number(cpu), exitCode: Number(code) };
    });
}

/**
 * Runs the playbook to its end, or until `killWhen` (polled every 100 ms) says to SIGKILL
 * ansible-playbook: the operator's process gone mid-run.
 */
export async function runAnsibleRollout(options: {
  dir: string;
  sandboxes: readonly Sandbox[];
  releases: ReleaseArchives;
  rollout: AnsibleRollout;
  killWhen?: () => Promise<boolean>;
}): Promise<AnsibleRun> {
  const { dir, sandboxes, rollout } = options;
  const inventory = await writeInventory(dir, sandboxes);
  const stepLog = path.join(dir, 'steps.log');
  const batches = serialBatches(
    sandboxes.map((s) => s.name),
    rollout.waves,
  );
  const forks = Math.max(...batches.map((b) => b.length));
  const extraVars = {
    waves: rollout.waves,
    max_fail_percentage: rollout.maxFailPercentage,
    min_healthy_seconds: rollout.minHealthySeconds,
    step_script: STEP_SCRIPT,
    step_log: stepLog,
    release_file: options.releases.to.file,
    release_sha256: options.releases.to.sha256,
  };
  const childrenBefore = readCpu(process.pid).childrenMs;
  const started = Date.now();
  const child = spawn('ansible-playbook', ['-i', inventory, '-f', String(forks), '-e', JSON.stringify(extraVars), PLAYBOOK], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      ANSIBLE_STDOUT_CALLBACK: 'json',
      ANSIBLE_NOCOLOR: '1',
      ANSIBLE_RETRY_FILES_ENABLED: '0',
      ANSIBLE_HOST_KEY_CHECKING: '0',
      ANSIBLE_LOCAL_TEMP: path.join(dir, 'ansible-local'),
      ANSIBLE_REMOTE_TEMP: path.join(dir, 'ansible-remote'),
      // The sandboxes' environment (the wo stand-in's config and PATH), as runAgent gives it.
      ...sandboxes[0]?.host.env,
      WOFLEET_BENCH_NODE: process.execPath,
      WOFLEET_BENCH_AGENT_CLI: AGENT_CLI,
      WOFLEET_LOG_LEVEL: 'warn',
    },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  let done = false;
  void exited.then(() => (done = true));
  /** ansible-playbook's workers when it was killed: they outlive it. */
  let workers: number[] = [];
  if (options.killWhen) {
    while (!done) {
      if (await options.killWhen()) {
        workers = await childPids(child.pid as number);
        child.kill('SIGKILL');
        break;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  const { code, signal } = await exited;
  const wallMs = Date.now() - started;
  // A killed ansible-playbook leaves its workers running their last command: let them end,
  // then end the workers themselves (seen: 40 of them left waiting on their dead parent).
  if (signal) {
    await new Promise((r) => setTimeout(r, 5000));
    for (const pid of workers) signalIfAlive(pid, 'SIGKILL');
  }
  const treeCpuMs = readCpu(process.pid).childrenMs - childrenBefore;
  const steps = await readStepLog(stepLog);
  const agentCpuMs = steps.reduce((sum, s) => sum + s.cpuMs, 0);
  const report = parseReport(stdout);
  if (report === undefined && signal === null) throw new Error(`ansible-playbook exited ${code} without a report:\n${stderr}${stdout}`);
  return {
    exitCode: code,
    signal,
    wallMs,
    orchestratorCpuMs: treeCpuMs - agentCpuMs,
    agentCpuMs,
    steps,
    batches,
    criticalPathMs: batchCriticalPathMs(batches, steps, rollout.minHealthySeconds * 1000),
    recap: report?.stats,
    failures: (report?.plays ?? []).flatMap((play) =>
      play.tasks.flatMap((t) =>
        Object.entries(t.hosts)
          .filter(([, r]) => r.failed === true)
          .map(([host, r]) => `${host}: ${t.task.name}: ${(r.stderr || r.msg || '').trim().split('\n').slice(-2).join(' ')}`),
      ),
    ),
  };
}

function parseReport(stdout: string): JsonReport | undefined {
  const start = stdout.indexOf('{');
  if (start < 0) return undefined;
  try {
    return JSON.parse(stdout.slice(start)) as JsonReport;
  } catch {
    return undefined;
  }
}
