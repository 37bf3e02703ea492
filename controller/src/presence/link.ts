import type { Logger } from '@wofleet/shared';

/**
 * Whether this controller hears the fleet. Heartbeats and events reach it through parts
 * that can fail on their own: the NATS connection and the events consumer. Each reports
 * down and up; the link is up while every part is. While it is down, a silent server
 * says nothing about that server, so the offline sweep reads `upSince()`. Suspending
 * is logged here, once per outage; resuming, by the sweeper once a timeout has passed.
 *
 *   up ──a part reports down──► down ──every part up again──► up (upSince = that instant)
 */
export const LINK_PART = { connection: 'nats connection', events: 'events consumer' } as const;
export type LinkPart = (typeof LINK_PART)[keyof typeof LINK_PART];

export interface FleetLink {
  /** The part stopped delivering; repeated reports change nothing. */
  down(part: LinkPart, why: string): void;
  /** The part delivers again; repeated reports change nothing. */
  up(part: LinkPart): void;
  /** When every part was last up again (or the link was created), undefined while one is down. */
  upSince(): Date | undefined;
}

export function createFleetLink(now: () => Date, log: Logger): FleetLink {
  const downParts = new Set<LinkPart>();
  let since: Date | undefined = now();
  return {
    down(part, why) {
      if (downParts.has(part)) return;
      downParts.add(part);
      if (since === undefined) return;
      since = undefined;
      log.warn({ part, why }, 'not hearing the fleet: offline sweeps suspended');
    },
    up(part) {
      if (!downParts.delete(part)) return;
      if (downParts.size > 0) return;
      since = now();
    },
    upSince: () => since,
  };
}

/** The connection events of nats.js that move the link (others, such as `reconnecting` or `update`, do not). */
export interface ConnectionStatus {
  type: string;
  data?: unknown;
}

/**
 * Feeds the NATS connection's status events into the link until they end (the
 * connection closed): `disconnect` takes the connection part down, `reconnect` brings it up.
 */
export async function followConnectionStatus(statuses: AsyncIterable<ConnectionStatus>, link: FleetLink): Promise<void> {
  for await (const status of statuses) {
    if (status.type === 'disconnect') link.down(LINK_PART.connection, `disconnected from ${String(status.data)}`);
    else if (status.type === 'reconnect') link.up(LINK_PART.connection);
  }
}
