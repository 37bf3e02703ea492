import {
  DiscardPolicy,
  NatsError,
  nanos,
  RetentionPolicy,
  StorageType,
  type JetStreamManager,
  type StreamConfig,
  type StreamInfo,
} from 'nats';
import { WofleetError } from '@wofleet/shared';
import { EVENT_SUBJECTS, eventSubject, subjectMatches } from './subjects.js';

/**
 * The JetStream stream holding agent events until the controller has consumed them.
 * Whoever comes first creates it (any agent, or the controller / an operator with
 * more replicas); an existing stream is used as it is, never changed by an agent.
 */
export const EVENT_STREAM_LIMITS = {
  /** Long enough to outlast any controller outage worth surviving. */
  maxAgeMs: 14 * 24 * 3_600_000,
  maxBytes: 1024 ** 3,
  maxMsgSize: 1024 * 1024,
  /** Covers a daemon restart between publish and outbox ack (re-published with the same id). */
  duplicateWindowMs: 3_600_000,
} as const;

/** JetStream API error codes (nats-server `server/errors.json`). */
const JS_ERR = { streamNotFound: 10059, streamNameInUse: 10058, subjectsOverlap: 10065 } as const;

/** The stream exists but cannot hold this agent's events (or another stream already takes them). */
export class StreamConflictError extends WofleetError {}

export function eventStreamConfig(name: string): Partial<StreamConfig> {
  return {
    name,
    description: 'wofleet agent events (kept until the controller consumes them)',
    subjects: [EVENT_SUBJECTS],
    storage: StorageType.File,
    retention: RetentionPolicy.Limits,
    discard: DiscardPolicy.Old,
    max_age: nanos(EVENT_STREAM_LIMITS.maxAgeMs),
    max_bytes: EVENT_STREAM_LIMITS.maxBytes,
    max_msg_size: EVENT_STREAM_LIMITS.maxMsgSize,
    duplicate_window: nanos(EVENT_STREAM_LIMITS.duplicateWindowMs),
  };
}

export interface EnsuredStream {
  name: string;
  created: boolean;
  subjects: string[];
}

function apiErrorCode(err: unknown): number | undefined {
  return err instanceof NatsError ? err.api_error?.err_code : undefined;
}

async function findStream(jsm: JetStreamManager, name: string): Promise<StreamInfo | undefined> {
  try {
    return await jsm.streams.info(name);
  } catch (err) {
    if (apiErrorCode(err) === JS_ERR.streamNotFound) return undefined;
    throw err;
  }
}

function reuse(info: StreamInfo, serverId: string): EnsuredStream {
  const subjects = info.config.subjects ?? [];
  if (!subjects.some((filter) => subjectMatches(filter, eventSubject(serverId)))) {
    throw new StreamConflictError(
      `JetStream stream ${info.config.name} exists but does not capture ${eventSubject(serverId)} (subjects: ${subjects.join(', ') || 'none'})`,
    );
  }
  return { name: info.config.name, created: false, subjects };
}

/** Makes sure the events stream exists and takes this server's events. Idempotent; safe when many agents race. */
export async function ensureEventStream(jsm: JetStreamManager, name: string, serverId: string): Promise<EnsuredStream> {
  const existing = await findStream(jsm, name);
  if (existing) return reuse(existing, serverId);
  try {
    const info = await jsm.streams.add(eventStreamConfig(name));
    return { name, created: true, subjects: info.config.subjects ?? [] };
  } catch (err) {
    const code = apiErrorCode(err);
    // Another agent created it between our lookup and our add.
    if (code === JS_ERR.streamNameInUse) return reuse(await jsm.streams.info(name), serverId);
    if (code === JS_ERR.subjectsOverlap) {
      throw new StreamConflictError(`another JetStream stream already captures ${EVENT_SUBJECTS}; set nats.stream to its name`, {
        cause: err,
      });
    }
    throw new WofleetError(`cannot create JetStream stream ${name}`, { cause: err });
  }
}
