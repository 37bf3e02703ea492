/**
 * What one agent may do on NATS, in one place for both ends: the agent connects with
 * its inbox under `agentInboxPrefix`, and `wofleet nats config` grants its NATS user
 * exactly these subjects. Nothing else: no JetStream API (the controller owns the
 * stream), no other agent's subjects, no other inbox.
 */
export const AGENT_SUBJECT_PREFIX = 'wofleet.agent';

/** Where the agent's request replies (JetStream publish acks) arrive: under its own name, so no agent can read another's. */
export function agentInboxPrefix(serverId: string): string {
  return `_INBOX.agent.${serverId}`;
}

export interface NatsPermissions {
  publish: string[];
  subscribe: string[];
}

/** Publish its own heartbeats and events; receive the acks of its event publishes. */
export function agentPermissions(serverId: string): NatsPermissions {
  return {
    publish: [`${AGENT_SUBJECT_PREFIX}.${serverId}.>`],
    subscribe: [`${agentInboxPrefix(serverId)}.>`],
  };
}
