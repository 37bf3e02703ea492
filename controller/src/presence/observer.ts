/**
 * What presence reports as it works, for the controller's metrics: how late each
 * recorded heartbeat and each settled event is. Presence calls it after the commit
 * that recorded them; it must not throw.
 */
export interface PresenceObserver {
  /** A heartbeat recorded: seconds from the agent's `at` (its clock) to the commit (this controller's). */
  heartbeatRecorded(lagSeconds: number): void;
  /** An event settled (acked or terminated) with its outcome (events.ts' EventOutcome): seconds from JetStream storing it to settling it. */
  eventSettled(outcome: string, lagSeconds: number): void;
}

/** The events consumer's backlog, as JetStream counts it (shared by every controller on the durable consumer). */
export interface EventBacklog {
  /** Stored events not yet delivered to any controller. */
  pending: number;
  /** Delivered and not yet acked. */
  ackPending: number;
}

/** Seconds from `from` to `to`, never negative (skewed clocks). */
export function secondsBetween(from: number, to: number): number {
  return Math.max(0, (to - from) / 1000);
}
