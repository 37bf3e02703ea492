import type { AgentApi, AgentTarget } from '../agents/client.js';

/**
 * The driver's agent channels, one per server, opened on first use (again when the
 * server's address changed). A server's channel stays open only while it has a step
 * in flight: a settled target may wait long (or for ever) for its next step.
 */
export interface AgentPool {
  agentFor(target: AgentTarget): AgentApi;
  /** Closes the channels of servers not in `busy`. */
  closeIdle(busy: ReadonlySet<string> | ReadonlyMap<string, unknown>): void;
  closeAll(): void;
}

export function createAgentPool(connectAgent: (target: AgentTarget) => AgentApi): AgentPool {
  const agents = new Map<string, AgentApi>();
  return {
    agentFor(target) {
      let agent = agents.get(target.server);
      if (!agent || agent.address !== target.address) {
        agent?.close();
        agent = connectAgent(target);
        agents.set(target.server, agent);
      }
      return agent;
    },
    closeIdle(busy) {
      for (const [server, agent] of agents) {
        if (busy.has(server)) continue;
        agent.close();
        agents.delete(server);
      }
    },
    closeAll() {
      for (const agent of agents.values()) agent.close();
      agents.clear();
    },
  };
}
