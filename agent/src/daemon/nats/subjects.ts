import { AGENT_SUBJECT_PREFIX } from '@wofleet/shared/nats';

/**
 * NATS subjects of the agent, all under `wofleet.agent.<serverId>.`: the only subjects its
 * NATS user may publish to (@wofleet/shared/nats agentPermissions).
 */
export function heartbeatSubject(serverId: string): string {
  return `${AGENT_SUBJECT_PREFIX}.${serverId}.heartbeat`;
}

export function eventSubject(serverId: string): string {
  return `${AGENT_SUBJECT_PREFIX}.${serverId}.event`;
}
