import type { Logger } from '@wofleet/shared';
import type { Outbox } from '../../events/outbox.js';
import type { AgentEvent } from '../../events/types.js';
import { backoffDelay, type BackoffPolicy, type Timers } from './timers.js';

/**
 * Moves events from the on-disk outbox to JetStream, oldest first, one at a time.
 *
 *   waiting  --wake() / poll interval-->                draining (only while connected)
 *   waiting  --retry delay over-->                      draining
 *   draining --outbox empty-->                          waiting (poll interval; an earlier wake() cuts it short)
 *   draining --publish/ack failed-->                    waiting (backoff + jitter; wake() does not cut it short)
 *   any      --stop()-->                                stopped (the in-flight publish + ack finish first)
 *
 * An event leaves the outbox only after JetStream acknowledged it, and a failure ends
 * the pass, so a later event is never sent before an earlier one and none is dropped.
 * A re-send after a crash between PubAck and ack carries the same msgID and is
 * discarded by the stream's duplicate window.
 */
export interface PublishReceipt {
  seq: number;
  duplicate: boolean;
}

export interface EventPublisherOptions {
  outbox: Pick<Outbox, 'pending' | 'ack'>;
  /** Resolves once the event is stored (JetStream PubAck). */
  publish: (event: AgentEvent) => Promise<PublishReceipt>;
  connected: () => boolean;
  /** How often the outbox is read without a wake(): other processes (the CLI) append too. */
  pollMs: number;
  retry: BackoffPolicy;
  timers: Timers;
  log: Logger;
}

export interface EventPublisher {
  /** Something was appended: drain now instead of at the next poll. */
  wake(): void;
  stop(): Promise<void>;
}

/** A wait that wake() can cut short; a wake() while nobody waits makes the next wait return at once. */
function createWakeup(timers: Timers, stopping: AbortSignal) {
  let woken = false;
  let current: AbortController | undefined;
  return {
    wake() {
      woken = true;
      current?.abort();
    },
    async wait(ms: number, wakeable: boolean): Promise<void> {
      if (wakeable && woken) {
        woken = false;
        return;
      }
      const waiting = new AbortController();
      const cancel = () => waiting.abort();
      stopping.addEventListener('abort', cancel, { once: true });
      if (wakeable) current = waiting;
      try {
        await timers.sleep(ms, waiting.signal);
      } finally {
        stopping.removeEventListener('abort', cancel);
        current = undefined;
        if (wakeable) woken = false;
      }
    },
  };
}

export function startEventPublisher(options: EventPublisherOptions): EventPublisher {
  const { outbox, log, timers } = options;
  const stopping = new AbortController();
  const wakeup = createWakeup(timers, stopping.signal);

  /** Publishes everything pending, in order; returns how many went out. */
  async function drain(): Promise<number> {
    let sent = 0;
    for (const event of await outbox.pending()) {
      if (stopping.signal.aborted || !options.connected()) break;
      const receipt = await options.publish(event);
      await outbox.ack(event.id);
      sent++;
      log.debug({ eventId: event.id, type: event.type, seq: receipt.seq, duplicate: receipt.duplicate }, 'event published');
    }
    return sent;
  }

  const loop = (async () => {
    let failures = 0;
    while (!stopping.signal.aborted) {
      if (!options.connected()) {
        await wakeup.wait(options.pollMs, true);
        continue;
      }
      try {
        const sent = await drain();
        if (failures > 0) log.info({ sent, failures }, 'event publishing recovered');
        failures = 0;
        await wakeup.wait(options.pollMs, true);
      } catch (err) {
        failures++;
        const delayMs = backoffDelay(failures, options.retry);
        log.warn({ err, failures, delayMs }, 'event publish failed; events stay in the outbox');
        await wakeup.wait(delayMs, false);
      }
    }
  })();

  return {
    wake: () => wakeup.wake(),
    async stop() {
      stopping.abort();
      await loop;
    },
  };
}
