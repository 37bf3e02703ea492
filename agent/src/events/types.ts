/** Every state change the agent reports to the fleet (DESIGN §2: NATS = events). */
export const EVENT_TYPE = {
  staged: 'staged',
  switched: 'switched',
  rolledBack: 'rolled-back',
  dbUpgraded: 'db-upgraded',
  healthChanged: 'health-changed',
  siteCreated: 'site-created',
  siteConverted: 'site-converted',
  siteReverted: 'site-reverted',
  siteRemoved: 'site-removed',
  pruned: 'pruned',
  /** A damaged journal or outbox file was moved aside (state/quarantine.ts). */
  fileQuarantined: 'file-quarantined',
} as const;
export type EventType = (typeof EVENT_TYPE)[keyof typeof EVENT_TYPE];

export interface AgentEvent {
  /** Sortable and unique: publish order = creation order; also the JetStream dedupe id. */
  id: string;
  type: EventType;
  serverId: string;
  at: string;
  data: Record<string, unknown>;
}

/** Where commands report what they changed; the daemon forwards it to NATS. */
export interface EventSink {
  emit(type: EventType, data: Record<string, unknown>): Promise<void>;
}

export const noEvents: EventSink = { emit: async () => {} };
