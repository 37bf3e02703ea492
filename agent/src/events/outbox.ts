import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '../state/atomic-file.js';
import type { AgentEvent, EventSink, EventType } from './types.js';

/**
 * Events wait on disk until NATS has acknowledged them, so nothing is lost when
 * NATS is down or the agent restarts; names sort in creation order, so they are
 * published in order. Any process may append (CLI commands too); the daemon drains.
 */
export interface Outbox extends EventSink {
  pending(): Promise<AgentEvent[]>;
  ack(id: string): Promise<void>;
}

let counter = 0;

function nextId(now: Date): string {
  counter = (counter + 1) % 1_000_000;
  return `${String(now.getTime()).padStart(15, '0')}-${String(process.pid).padStart(7, '0')}-${String(counter).padStart(6, '0')}-${randomBytes(3).toString('hex')}`;
}

export function createOutbox(dir: string, serverId: string, now: () => Date = () => new Date()): Outbox {
  const file = (id: string) => path.join(dir, `${id}.json`);
  // One write at a time: an id taken earlier must never become visible later.
  let queue: Promise<void> = Promise.resolve();
  return {
    emit(type: EventType, data: Record<string, unknown>) {
      const write = async () => {
        await mkdir(dir, { recursive: true, mode: 0o700 });
        const at = now();
        const event: AgentEvent = { id: nextId(at), type, serverId, at: at.toISOString(), data };
        await writeFileAtomic(file(event.id), JSON.stringify(event), 0o600);
      };
      const done = queue.then(write);
      queue = done.catch(() => undefined);
      return done;
    },
    async pending() {
      const names = (await readdir(dir).catch(() => [] as string[])).filter((n) => n.endsWith('.json')).sort();
      const events: AgentEvent[] = [];
      for (const name of names) {
        const text = await readFile(path.join(dir, name), 'utf8').catch(() => undefined);
        if (text === undefined) continue;
        events.push(JSON.parse(text) as AgentEvent);
      }
      return events;
    },
    async ack(id: string) {
      await rm(file(id), { force: true });
    },
  };
}
