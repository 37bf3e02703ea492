import { AGENT_SUBJECT_PREFIX as SUBJECT_PREFIX } from '@wofleet/shared/nats';

/**
 * The NATS names presence listens on. They mirror the agent's side of the wire
 * (agent/src/daemon/nats/subjects.ts): heartbeats on core NATS, events in a JetStream
 * stream that the controller creates (agents may not) and reads through one durable
 * consumer shared by every controller.
 */
export const HEARTBEAT_SUBJECTS = `${SUBJECT_PREFIX}.*.heartbeat`;
export const EVENT_SUBJECTS = `${SUBJECT_PREFIX}.*.event`;

/** The agents' default stream name (their `nats.stream` setting). */
export const DEFAULT_EVENT_STREAM = 'WOFLEET_EVENTS';
/** The durable consumer: its position in the stream survives controller restarts. */
export const DEFAULT_EVENT_CONSUMER = 'wofleet-controller';
/** Controllers share heartbeats in this queue group: each beat reaches one of them. */
export const DEFAULT_HEARTBEAT_QUEUE = 'wofleet-controller';

/** The serverId of `wofleet.agent.<serverId>.heartbeat|event`, undefined for any other subject. */
export function serverIdOfSubject(subject: string): string | undefined {
  const tokens = subject.split('.');
  if (tokens.length !== 4 || `${tokens[0]}.${tokens[1]}` !== SUBJECT_PREFIX) return undefined;
  const kind = tokens[3];
  if (kind !== 'heartbeat' && kind !== 'event') return undefined;
  return tokens[2] || undefined;
}
