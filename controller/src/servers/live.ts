import type { AgentStatus } from '@wofleet/proto';
import { AgentUnreachableError, type AgentApi, type AgentTarget } from '../agents/client.js';
import type { ServerRow } from '../db/index.js';
import type { ControllerContext } from '../context/index.js';
import { getServerRow } from './registry.js';

/** Opens a client to one agent; the controller's TLS material and call deadline are bound in. */
export type AgentDialer = (target: AgentTarget) => AgentApi;

export interface ServerView {
  server: ServerRow;
  /** The agent's status, asked for now; null when not asked or not answered. */
  status: AgentStatus | null;
  /** Why the live status is missing, when it was asked for and the agent could not give it. */
  liveError?: string;
}

/**
 * `servers show NAME [--live]`: the stored row, and with live the agent's GetStatus.
 * An agent that cannot be reached (or refuses) is not a failure of the query: the
 * answer carries the stored row and says why the live part is missing.
 */
export async function showServer(ctx: ControllerContext, name: string, live: { dial: AgentDialer } | undefined): Promise<ServerView> {
  const server = await getServerRow(ctx, name);
  if (live === undefined) return { server, status: null };
  if (server.enrolledAt === null)
    return { server, status: null, liveError: `agent ${server.name} at ${server.address} is not enrolled yet` };
  const agent = live.dial({ server: server.name, address: server.address });
  try {
    return { server, status: await agent.getStatus() };
  } catch (err) {
    if (!(err instanceof Error)) throw err;
    const liveError =
      err instanceof AgentUnreachableError
        ? err.message
        : `agent ${server.name} at ${server.address} answered with an error: ${err.message}`;
    ctx.log.info({ server: server.name, err }, 'live status unavailable');
    return { server, status: null, liveError };
  } finally {
    agent.close();
  }
}
