import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { silentLogger, type Logger } from '@wofleet/shared';
import { writeFileAtomic } from '../state/atomic-file.js';
import { parseOrDamage, quarantineFile } from '../state/quarantine.js';
import { type AgentEvent, EVENT_TYPE, type EventSink, type EventType } from './types.js';

/**
 * Events wait on disk until NATS has acknowledged them, so nothing is lost when
 * NATS is down or the agent restarts; names sort in creation order, so they are
 * published in order. Any process may append (CLI commands too); the daemon drains.
 */
export interface Outbox extends EventSink {
  pending(): Promise<AgentEvent[]>;
  /** How many events wait (files named, not read). */
  depth(): Promise<number>;
  ack(id: string): Promise<void>;
}

const eventSchema = z.object({
  id: z.string(),
  type: z.enum(Object.values(EVENT_TYPE) as [EventType, ...EventType[]]),
  serverId: z.string(),
  at: z.string(),
  data: z.record(z.string(), z.unknown()),
});

let counter = 0;

function nextId(now: Date): string {
  counter = (counter + 1) % 1_000_000;
  return `${String(now.getTime()).padStart(15, '0')}-${String(process.pid).padStart(7, '0')}-${String(counter).padStart(6, '0')}-${randomBytes(3).toString('hex')}`;
}

/** The event in an outbox file, or why it is not one (its name must be its id: ack removes by id). */
function parseEvent(text: string, name: string): AgentEvent | { damaged: string } {
  const parsed = parseOrDamage(text, eventSchema);
  if ('damaged' in parsed) return parsed;
  if (`${parsed.value.id}.json` !== name) return { damaged: `holds event ${parsed.value.id}` };
  return parsed.value;
}

export function createOutbox(dir: string, serverId: string, now: () => Date = () => new Date(), log: Logger = silentLogger()): Outbox {
  const file = (id: string) => path.join(dir, `${id}.json`);
  // One write at a time: an id taken earlier must never become visible later.
  let queue: Promise<void> = Promise.resolve();
  const emit = (type: EventType, data: Record<string, unknown>) => {
    const write = async () => {
      await mkdir(dir, { recursive: true, mode: 0o700 });
      const at = now();
      const event: AgentEvent = { id: nextId(at), type, serverId, at: at.toISOString(), data };
      await writeFileAtomic(file(event.id), JSON.stringify(event), 0o600);
    };
    const done = queue.then(write);
    queue = done.catch(() => undefined);
    return done;
  };
  /** One damaged file must not block every event after it: it goes aside, and the fleet is told. */
  const quarantine = async (name: string, reason: string) => {
    const moved = await quarantineFile(path.join(dir, name), reason, now());
    log.warn({ file: name, movedTo: moved.movedTo, reason }, 'damaged outbox event quarantined');
    await emit(EVENT_TYPE.fileQuarantined, { area: 'outbox', file: name, movedTo: moved.movedTo, reason });
  };
  const eventFiles = async () => (await readdir(dir).catch(() => [] as string[])).filter((n) => n.endsWith('.json'));
  return {
    emit,
    depth: async () => (await eventFiles()).length,
    async pending() {
      const names = (await eventFiles()).sort();
      const events: AgentEvent[] = [];
      for (const name of names) {
        const text = await readFile(path.join(dir, name), 'utf8').catch(() => undefined);
        if (text === undefined) continue;
        const event = parseEvent(text, name);
        if ('damaged' in event) await quarantine(name, event.damaged);
        else events.push(event);
      }
      return events;
    },
    async ack(id: string) {
      await rm(file(id), { force: true });
    },
  };
}
