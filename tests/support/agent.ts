import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createEngine, makeAgentConfig, type AgentConfigInput, type Engine } from '@wofleet/agent';
import { silentLogger } from '@wofleet/shared';
import { runNodeProgram, type CliResult } from './cli.js';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const AGENT_CLI = path.join(REPO_ROOT, 'agent/dist/cli/main.js');
export const FIXTURES = path.resolve(REPO_ROOT, '../shared/fixtures/wordpress');
export const WP645 = path.join(FIXTURES, 'wordpress-6.4.5.tar.gz');
export const WP655 = path.join(FIXTURES, 'wordpress-6.5.5.tar.gz');

export interface AgentHost {
  root: string;
  agentConfig: AgentConfigInput;
  env: Record<string, string>;
}

export type { CliResult };

/** Writes the agent's YAML config (JSON is valid YAML) into the host's temp root. */
export async function writeAgentConfig(host: AgentHost, extra: Partial<AgentConfigInput> = {}): Promise<string> {
  const file = path.join(host.root, 'agent.yaml');
  await writeFile(file, JSON.stringify({ ...host.agentConfig, ...extra }, null, 2));
  return file;
}

/** Runs the built `wofleet-agent` CLI as an operator would, with no stdin. */
export function runAgent(host: AgentHost, args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return runNodeProgram(AGENT_CLI, ['--config', path.join(host.root, 'agent.yaml'), ...args], { ...process.env, ...host.env, ...env });
}

export async function runAgentJson<T>(host: AgentHost, args: string[]): Promise<T> {
  const r = await runAgent(host, [...args, '--json']);
  if (r.code !== 0) throw new Error(`wofleet-agent ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

/** The same engine the CLI builds, in-process, for tests that drive commands directly. */
export function engineFor(host: AgentHost): Engine {
  return createEngine(makeAgentConfig(host.agentConfig), { log: silentLogger(), env: { ...process.env, ...host.env } });
}

/** Writes the agent's config, runs `init` on WordPress 6.4.5 and creates these shared-core sites. */
export async function initSites(host: AgentHost, sites: readonly string[]): Promise<void> {
  await writeAgentConfig(host);
  for (const args of [['init', '--release', WP645], ...sites.map((domain) => ['create', domain])]) {
    const r = await runAgent(host, args);
    if (r.code !== 0) throw new Error(`wofleet-agent ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  }
}
