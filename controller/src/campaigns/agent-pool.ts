import type { AgentApi, AgentTarget } from '../agents/client.js';
import type { Clock } from '../context/clock.js';

/**
 * The driver's agent channels, one per server, opened on first use (again when the
 * server's address changed). A channel stays open while its server has a step in
 * flight, and for IDLE_CHANNEL_MS after: the next step of a target (switch, then
 * verify; a retried stage) mostly follows at once and reuses the connection rather than
 * paying a new TLS handshake, while a settled target that waits long (or for ever) for
 * its next step holds no channel.
 */
export interface AgentPool {
  agentFor(target: AgentTarget): AgentApi;
  /** Opens the channels of servers whose step is about to start (policy.decide's `connect`); they count as used now. */
  connectAhead(targets: readonly AgentTarget[]): void;
  /** Closes the channels of servers not in `busy` that have been idle for IDLE_CHANNEL_MS. */
  closeIdle(busy: ReadonlySet<string> | ReadonlyMap<string, unknown>): void;
  closeAll(): void;
}

/**
 * How long a channel without a step in flight stays open: a few polls, the time the next
 * pass takes to start a follow-on step. Staged targets wait for their wave far longer, and
 * 10 s kept over a thousand idle TLS channels open while a 10,000-server campaign staged.
 */
export const IDLE_CHANNEL_MS = 3_000;

interface PooledAgent {
  agent: AgentApi;
  /** When it was last seen without a step in flight (epoch ms); undefined: in use. */
  idleSince: number | undefined;
}

export function createAgentPool(connectAgent: (target: AgentTarget) => AgentApi, clock: Clock): AgentPool {
  const agents = new Map<string, PooledAgent>();
  const agentFor = (target: AgentTarget): AgentApi => {
    let pooled = agents.get(target.server);
    if (!pooled || pooled.agent.address !== target.address) {
      pooled?.agent.close();
      pooled = { agent: connectAgent(target), idleSince: undefined };
      agents.set(target.server, pooled);
    }
    pooled.idleSince = undefined;
    return pooled.agent;
  };
  return {
    agentFor,
    connectAhead(targets) {
      for (const target of targets) agentFor(target).connect();
    },
    closeIdle(busy) {
      const now = clock.now().getTime();
      for (const [server, pooled] of agents) {
        if (busy.has(server)) pooled.idleSince = undefined;
        else if (pooled.idleSince === undefined) pooled.idleSince = now;
        else if (now - pooled.idleSince >= IDLE_CHANNEL_MS) {
          pooled.agent.close();
          agents.delete(server);
        }
      }
    },
    closeAll() {
      for (const { agent } of agents.values()) agent.close();
      agents.clear();
    },
  };
}
