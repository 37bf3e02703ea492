import type { JsonValue } from './canonical-json.js';
import type { OperationState } from './states.js';

export interface ProgressEntry {
  at: string;
  message: string;
}

export interface OperationError {
  /** The error's class name (`HealthCheckError`, `TypeError`, ...), for callers to branch on. */
  kind: string;
  message: string;
}

/** One operation as journaled and as returned to callers. */
export interface OperationRecord {
  id: string;
  kind: string;
  /** Canonical JSON of the request: a repeat must carry the same text to attach. */
  request: string;
  state: OperationState;
  startedAt: string;
  finishedAt?: string;
  /** Set for FAILED only. */
  error?: OperationError;
  /** What the work returned, for SUCCEEDED only. */
  result?: JsonValue;
  /** The latest progress messages, oldest first (bounded). */
  progress: ProgressEntry[];
}

/** Callers get copies: a record they hold never changes under them. */
export function copyRecord(record: OperationRecord): OperationRecord {
  return structuredClone(record);
}

function descending(a: string, b: string): number {
  return a < b ? 1 : a > b ? -1 : 0;
}

/** Newest started first: the order of `list()`. */
export function compareNewestFirst(a: OperationRecord, b: OperationRecord): number {
  return descending(a.startedAt, b.startedAt) || descending(a.id, b.id);
}

/**
 * Latest finished first: the order of retention. By finish, not start, so a long
 * operation is not pruned the moment it ends, before its caller could repeat it.
 */
export function compareLatestFinishedFirst(a: OperationRecord, b: OperationRecord): number {
  return descending(a.finishedAt ?? a.startedAt, b.finishedAt ?? b.startedAt) || compareNewestFirst(a, b);
}
