/**
 * Lifecycle of one idempotent operation (a mutating call keyed by its
 * client-chosen operation id):
 *
 *   PENDING ──► RUNNING ──► SUCCEEDED
 *      │           ├──────► FAILED
 *      │           └──────► INTERRUPTED
 *      └──────────────────► INTERRUPTED
 *
 * - PENDING: accepted in memory; its start is not yet journaled, the work has not begun.
 * - RUNNING: the start is journaled; the work runs in this process.
 * - SUCCEEDED / FAILED: the work returned / threw; the outcome is journaled.
 * - INTERRUPTED: found PENDING or RUNNING in the journal when the registry opened,
 *   so the process died mid-way. Terminal and never retried: the work may have
 *   half-happened, and only an operator (or a new operation id) decides what next.
 */
export const OPERATION_STATE = {
  pending: 'PENDING',
  running: 'RUNNING',
  succeeded: 'SUCCEEDED',
  failed: 'FAILED',
  interrupted: 'INTERRUPTED',
} as const;
export type OperationState = (typeof OPERATION_STATE)[keyof typeof OPERATION_STATE];

const TRANSITIONS: Readonly<Record<OperationState, readonly OperationState[]>> = {
  PENDING: [OPERATION_STATE.running, OPERATION_STATE.interrupted],
  RUNNING: [OPERATION_STATE.succeeded, OPERATION_STATE.failed, OPERATION_STATE.interrupted],
  SUCCEEDED: [],
  FAILED: [],
  INTERRUPTED: [],
};

/** What a watcher is told when a state is reached without a more specific message. */
export const OPERATION_MESSAGE = {
  PENDING: 'accepted, waiting to start',
  RUNNING: 'running',
  SUCCEEDED: 'succeeded',
  FAILED: 'failed',
  INTERRUPTED: 'interrupted: the agent stopped while this operation ran; it was not retried',
} as const satisfies Record<OperationState, string>;

export function isTerminal(state: OperationState): boolean {
  return TRANSITIONS[state].length === 0;
}

export function canTransition(from: OperationState, to: OperationState): boolean {
  return TRANSITIONS[from].includes(to);
}

/** A transition outside the table: a bug in the registry, not a caller mistake. */
export class IllegalTransitionError extends Error {
  constructor(
    readonly from: OperationState,
    readonly to: OperationState,
  ) {
    super(`illegal operation transition ${from} -> ${to}`);
    this.name = new.target.name;
  }
}

export function assertTransition(from: OperationState, to: OperationState): void {
  if (!canTransition(from, to)) throw new IllegalTransitionError(from, to);
}
