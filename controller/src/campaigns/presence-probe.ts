import type { Logger } from '@wofleet/shared';
import type { AgentApi, AgentTarget } from '../agents/client.js';
import type { Clock } from '../context/clock.js';

/**
 * Presence is a hint (issue 14): a server it calls offline may only have had its
 * heartbeats go unheard (a NATS outage). Before the engine waits on such a server,
 * skips it or fails it, and before a plan refuses such a canary, its agent is asked
 * directly: a GetStatus with a short deadline. Only an agent that does not answer
 * leaves the server offline.
 */

/** Long enough for a live agent across a slow link; short enough that a silent host does not hold a pass. */
export const PROBE_DEADLINE_MS = 2_000;
/** Asks in flight at once: a pass over many silent servers waits about (servers / this) deadlines at most. */
export const PROBE_CONCURRENCY = 32;

/** The agent answered GetStatus within `deadlineMs` on the engine's clock (any failure or silence: no). */
export async function agentAnswers(agent: AgentApi, clock: Clock, deadlineMs = PROBE_DEADLINE_MS): Promise<boolean> {
  const expired = new AbortController();
  const asked = agent.getStatus().then(
    () => true,
    () => false,
  );
  const silent = clock.sleep(deadlineMs, expired.signal).then(() => false);
  try {
    return await Promise.race([asked, silent]);
  } finally {
    expired.abort();
  }
}

/** Asks over a channel of its own, closed after: planning holds no channel open. */
export function askOnce(dial: (target: AgentTarget) => AgentApi, clock: Clock): (target: AgentTarget) => Promise<boolean> {
  return async (target) => {
    const agent = dial(target);
    try {
      return await agentAnswers(agent, clock);
    } finally {
      agent.close();
    }
  };
}

/** One driver's asks: each server's answer is kept for `cacheMs` (a poll), so passes in between ask again none. */
export interface PresenceProbe {
  /** Of `servers` (presence says offline), the names whose agent answers. */
  reachable(servers: readonly AgentTarget[]): Promise<ReadonlySet<string>>;
}

export interface PresenceProbeDeps {
  agentFor: (target: AgentTarget) => AgentApi;
  clock: Clock;
  cacheMs: number;
  log: Logger;
}

export function createPresenceProbe(deps: PresenceProbeDeps): PresenceProbe {
  const answers = new Map<string, { at: number; address: string; reachable: boolean }>();
  const ask = async (target: AgentTarget) => {
    const reachable = await agentAnswers(deps.agentFor(target), deps.clock);
    const before = answers.get(target.server);
    answers.set(target.server, { at: deps.clock.now().getTime(), address: target.address, reachable });
    // Logged when the answer changes, not every poll.
    if (reachable && !before?.reachable)
      deps.log.info(
        { server: target.server },
        'presence says offline but the agent answers: presence is stale, the server is treated as online',
      );
  };
  return {
    async reachable(servers) {
      const now = deps.clock.now().getTime();
      const stale = servers.filter((s) => {
        const known = answers.get(s.server);
        return !known || known.address !== s.address || now - known.at >= deps.cacheMs;
      });
      const queue = [...stale];
      const worker = async () => {
        for (let next = queue.shift(); next; next = queue.shift()) await ask(next);
      };
      await Promise.all(Array.from({ length: Math.min(PROBE_CONCURRENCY, queue.length) }, worker));
      const names = new Set(servers.map((s) => s.server));
      for (const server of answers.keys()) if (!names.has(server)) answers.delete(server);
      return new Set(servers.filter((s) => answers.get(s.server)?.reachable).map((s) => s.server));
    },
  };
}
