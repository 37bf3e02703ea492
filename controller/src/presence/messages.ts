import { z } from 'zod';
import { boundedRecord, countField, eventDataField, identifierField, instantField, printable, sizeField, textField } from '@wofleet/shared';
import { agentSiteSchema } from '../agents/site-report.js';
import { isServerName } from '../servers/input.js';
import { serverIdOfSubject } from './subjects.js';

/**
 * The boundary: what agents send, checked before anything is decided on it. A message
 * that fails here is reported as `{ ok: false, reason }`, never thrown: a heartbeat is
 * logged and dropped, an event rejected (terminated and audited, events.ts). Unknown fields are tolerated so a newer agent does not
 * break an older controller; an unknown event type is recorded but changes nothing.
 *
 * Nothing past this point reaches the database unchecked: a payload over its byte cap
 * is not even parsed, every string is bounded and free of control characters (the
 * field rules of @wofleet/shared's message-fields.ts), every number fits its column.
 */

/** A heartbeat is a few hundred bytes; room for its error text (4,096 UTF-16 units, 3 bytes each at most in UTF-8) and more. */
export const HEARTBEAT_MAX_BYTES = 32 * 1024;
/** An event with the facts of thousands of sites; JetStream's own limit is 1 MiB. */
export const EVENT_MAX_BYTES = 512 * 1024;
/** At most this much of a rejection's reason is kept (it is logged and audited). */
const REASON_MAX_CHARS = 500;

const health = z.enum(['ok', 'degraded', 'unhealthy']);
const releaseRef = z.object({ release: identifierField(), version: identifierField(64) });
/** A server's name (it must also match the subject). */
const serverId = z.string().refine(isServerName, 'not a server name');
/** The agent's ids are `<ms>-<pid>-<counter>-<hex>`; no ':' so they never look like the controller's own source ids. */
const eventId = identifierField(200).regex(/^[A-Za-z0-9._-]+$/, 'letters, digits, ".", "_" and "-" only');
const domain = identifierField(253);

/** The agent's `Heartbeat` (agent/src/daemon/nats/heartbeat.ts); summary fields are absent when it could not take one. */
export const heartbeatSchema = z.object({
  serverId,
  agentVersion: identifierField(64),
  uptimeSeconds: sizeField,
  at: instantField,
  current: releaseRef.nullable().optional(),
  canary: releaseRef.nullable().optional(),
  sites: countField.optional(),
  health: health.optional(),
  diskFreeBytes: sizeField.optional(),
  summaryError: textField().optional(),
});
export type HeartbeatMessage = z.infer<typeof heartbeatSchema>;

/** The agent's `AgentEvent` (agent/src/events/types.ts), whatever its type. */
const envelope = z.object({
  id: eventId,
  type: identifierField(64),
  serverId,
  at: instantField,
  data: eventDataField,
});
export type AgentEventEnvelope = z.infer<typeof envelope>;

/** `site`: the site's facts as the agent's `Site` message (agents before it was added send none). */
const siteOnRelease = z.looseObject({ domain, release: identifierField(), site: agentSiteSchema.optional() });
const siteOnly = z.looseObject({ domain });
const coreSwitch = z.looseObject({ to: identifierField(), version: identifierField(64) });
/** `sites`: every site's level as the agent's health check saw it (agents before it was added send none). */
const healthChange = z.looseObject({ to: health, sites: boundedRecord(domain, health).optional() });

/** The agent event types that change the inventory (agent/src/events/types.ts has them all). */
export const INVENTORY_EVENT = {
  siteCreated: 'site-created',
  siteConverted: 'site-converted',
  siteReverted: 'site-reverted',
  siteRemoved: 'site-removed',
  switched: 'switched',
  rolledBack: 'rolled-back',
  healthChanged: 'health-changed',
} as const;
const E = INVENTORY_EVENT;

/** Each inventory event type with the data it must carry (on top of the envelope's rules, which every event passes first). */
const knownEventSchema = z.discriminatedUnion('type', [
  envelope.extend({ type: z.enum([E.siteCreated, E.siteConverted]), data: siteOnRelease }),
  envelope.extend({ type: z.enum([E.siteRemoved, E.siteReverted]), data: siteOnly }),
  envelope.extend({ type: z.enum([E.switched, E.rolledBack]), data: coreSwitch }),
  envelope.extend({ type: z.literal(E.healthChanged), data: healthChange }),
]);
export type KnownAgentEvent = z.infer<typeof knownEventSchema> & { known: true };
export type OtherAgentEvent = AgentEventEnvelope & { known: false };
export type AgentEventMessage = KnownAgentEvent | OtherAgentEvent;

const KNOWN_TYPES: ReadonlySet<string> = new Set(Object.values(INVENTORY_EVENT));

export type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string };

export function parseHeartbeat(subject: string, payload: Uint8Array): Parsed<HeartbeatMessage> {
  return parseFromSubject(subject, payload, HEARTBEAT_MAX_BYTES, (json) => heartbeatSchema.safeParse(json));
}

export function parseAgentEvent(subject: string, payload: Uint8Array): Parsed<AgentEventMessage> {
  return parseFromSubject(subject, payload, EVENT_MAX_BYTES, (json): SafeResult<AgentEventMessage> => {
    const base = envelope.safeParse(json);
    if (!base.success || !KNOWN_TYPES.has(base.data.type))
      return base.success ? { success: true, data: { ...base.data, known: false } } : base;
    const known = knownEventSchema.safeParse(json);
    return known.success ? { success: true, data: { ...known.data, known: true } } : known;
  });
}

type SafeResult<T> = { success: true; data: T } | { success: false; error: z.ZodError };

/** Its size, JSON, the schema, and the payload's serverId agreeing with its subject (the one NATS permissions pin to an agent). */
function parseFromSubject<T extends { serverId: string }>(
  subject: string,
  payload: Uint8Array,
  maxBytes: number,
  check: (json: unknown) => SafeResult<T>,
): Parsed<T> {
  const fromSubject = serverIdOfSubject(subject);
  if (fromSubject === undefined) return { ok: false, reason: `unexpected subject ${printable(subject)}` };
  if (payload.byteLength > maxBytes) return { ok: false, reason: `${payload.byteLength} bytes, over the ${maxBytes} allowed` };
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(payload));
  } catch {
    return { ok: false, reason: 'payload is not JSON' };
  }
  const result = check(json);
  if (!result.success) return { ok: false, reason: printable(describeIssues(result.error), REASON_MAX_CHARS) };
  if (result.data.serverId !== fromSubject) {
    return { ok: false, reason: `serverId ${result.data.serverId} does not match the subject's ${printable(fromSubject)}` };
  }
  return { ok: true, value: result.data };
}

/** "at: Invalid ISO datetime; health: Invalid option ..." (a path may hold a rejected key: the caller makes it printable). */
function describeIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.join('.') || '(message)'}: ${issue.message}`).join('; ');
}
