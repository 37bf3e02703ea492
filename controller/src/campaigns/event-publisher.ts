import { describeError, type Logger } from '@wofleet/shared';
import type { CampaignEvent } from './model.js';

/** Publishes committed events without waiting on them: a failed publish is logged, never retried nor thrown. */
export type PublishEvents = (events: readonly CampaignEvent[]) => void;

export function createEventPublisher(publish: (event: CampaignEvent) => void | Promise<void>, log: Logger): PublishEvents {
  return (events) => {
    for (const event of events) {
      Promise.resolve()
        .then(() => publish(event))
        .catch((err: unknown) => log.warn({ err: describeError(err), event }, 'campaign event not published'));
    }
  };
}
