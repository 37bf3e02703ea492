import { z } from 'zod';
import { agentSiteSchema } from '../agents/site-report.js';
import { serverIdOfSubject } from './subjects.js';

/**
 * The boundary: what agents send, checked before anything is decided on it. A message
 * that fails here is reported as `{ ok: false, reason }` (logged and dropped by the
 * consumers), never thrown. Unknown fields are tolerated so a newer agent does not
 * break an older controller; an unknown event type is recorded but changes nothing.
 */

const health = z.enum(['ok', 'degraded', 'unhealthy']);
const releaseRef = z.object({ release: z.string().min(1), version: z.string().min(1) });
const timestamp = z.iso.datetime({ offset: true });
const serverId = z.string().min(1);

/** The agent's `Heartbeat` (agent/src/daemon/nats/heartbeat.ts); summary fields are absent when it could not take one. */
export const heartbeatSchema = z.object({
  serverId,
  agentVersion: z.string().min(1),
  uptimeSeconds: z.number().nonnegative(),
  at: timestamp,
  current: releaseRef.nullable().optional(),
  canary: releaseRef.nullable().optional(),
  sites: z.number().int().nonnegative().optional(),
  health: health.optional(),
  diskFreeBytes: z.number().nonnegative().optional(),
  summaryError: z.string().optional(),
});
export type HeartbeatMessage = z.infer<typeof heartbeatSchema>;

/** The agent's `AgentEvent` (agent/src/events/types.ts), whatever its type. */
const envelope = z.object({
  id: z.string().min(1).max(200),
  type: z.string().min(1),
  serverId,
  at: timestamp,
  data: z.record(z.string(), z.unknown()),
});
export type AgentEventEnvelope = z.infer<typeof envelope>;

/** `site`: the site's facts as the agent's `Site` message (agents before it was added send none). */
const siteOnRelease = z.looseObject({ domain: z.string().min(1), release: z.string().min(1), site: agentSiteSchema.optional() });
const siteOnly = z.looseObject({ domain: z.string().min(1) });
const coreSwitch = z.looseObject({ to: z.string().min(1), version: z.string().min(1) });
/** `sites`: every site's level as the agent's health check saw it (agents before it was added send none). */
const healthChange = z.looseObject({ to: health, sites: z.record(z.string().min(1), health).optional() });

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

/** Each inventory event type with the data it must carry. */
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
  return parseFromSubject(subject, payload, (json) => heartbeatSchema.safeParse(json));
}

export function parseAgentEvent(subject: string, payload: Uint8Array): Parsed<AgentEventMessage> {
  return parseFromSubject(subject, payload, (json): SafeResult<AgentEventMessage> => {
    const base = envelope.safeParse(json);
    if (!base.success || !KNOWN_TYPES.has(base.data.type))
      return base.success ? { success: true, data: { ...base.data, known: false } } : base;
    const known = knownEventSchema.safeParse(json);
    return known.success ? { success: true, data: { ...known.data, known: true } } : known;
  });
}

type SafeResult<T> = { success: true; data: T } | { success: false; error: z.ZodError };

/** JSON, the schema, and the payload's serverId agreeing with its subject (the one NATS permissions pin to an agent). */
function parseFromSubject<T extends { serverId: string }>(
  subject: string,
  payload: Uint8Array,
  check: (json: unknown) => SafeResult<T>,
): Parsed<T> {
  const fromSubject = serverIdOfSubject(subject);
  if (fromSubject === undefined) return { ok: false, reason: `unexpected subject ${subject}` };
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(payload));
  } catch {
    return { ok: false, reason: 'payload is not JSON' };
  }
  const result = check(json);
  if (!result.success) return { ok: false, reason: describeIssues(result.error) };
  if (result.data.serverId !== fromSubject) {
    return { ok: false, reason: `serverId ${result.data.serverId} does not match the subject's ${fromSubject}` };
  }
  return { ok: true, value: result.data };
}

/** "at: Invalid ISO datetime; health: Invalid option ..." */
function describeIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.join('.') || '(message)'}: ${issue.message}`).join('; ');
}
