import { readFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../support/agent.js';

const SYSTEMD_UNIT = path.join(REPO_ROOT, 'deploy/systemd/wofleet-agent.service');

/**
 * The environment the systemd unit gives the agent daemon (its `Environment=` lines, one
 * assignment each: V8's heap limits, MALLOC_ARENA_MAX, log level), minus
 * WOFLEET_AGENT_CONFIG (a bench passes its own --config) and NODE_COMPILE_CACHE (a path
 * under /var/cache: `compileCacheDir` replaces it when given). The benches run daemons as
 * they run on a server.
 */
export function agentUnitEnvironment(compileCacheDir?: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of readFileSync(SYSTEMD_UNIT, 'utf8').split('\n')) {
    if (!line.startsWith('Environment=')) continue;
    const match = /^Environment=(?:"([A-Z_]+)=([^"]*)"|([A-Z_]+)=(\S*))\s*$/.exec(line);
    if (!match) throw new Error(`${SYSTEMD_UNIT}: cannot read '${line}' (one assignment per Environment= line)`);
    env[(match[1] ?? match[3]) as string] = (match[2] ?? match[4]) as string;
  }
  delete env.WOFLEET_AGENT_CONFIG;
  if (env.NODE_COMPILE_CACHE !== undefined) {
    if (compileCacheDir === undefined) delete env.NODE_COMPILE_CACHE;
    else env.NODE_COMPILE_CACHE = compileCacheDir;
  }
  return env;
}
