import path from 'node:path';
import { loadYamlConfig, validateConfig } from '@wofleet/shared';
import { agentConfigSchema, type AgentConfig, type AgentConfigInput } from './schema.js';

export const DEFAULT_CONFIG_FILE = '/etc/wofleet/agent.yaml';

/** The config file named by `--config FILE` or $WOFLEET_AGENT_CONFIG, as an absolute path; undefined: the default. */
export function explicitConfigFile(flag: string | undefined, env = process.env): string | undefined {
  const explicit = flag ?? env.WOFLEET_AGENT_CONFIG;
  return explicit === undefined ? undefined : path.resolve(explicit);
}

/** `--config FILE`, else $WOFLEET_AGENT_CONFIG, else the default (which may be absent). */
export async function loadAgentConfig(flag: string | undefined, env = process.env): Promise<AgentConfig> {
  const explicit = explicitConfigFile(flag, env);
  return loadYamlConfig(explicit ?? DEFAULT_CONFIG_FILE, agentConfigSchema, { optional: explicit === undefined });
}

/** For tests and embedding: a config from a plain object, with defaults filled in. */
export function makeAgentConfig(input: AgentConfigInput): AgentConfig {
  return validateConfig('(inline)', input, agentConfigSchema);
}
