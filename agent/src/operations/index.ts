/** Idempotent operations keyed by client-chosen ids, with a crash-safe journal under stateDir. */
export {
  OperationRegistry,
  MAX_OPERATION_RECORDS,
  MAX_PROGRESS_MESSAGES,
  DEFAULT_LIST_LIMIT,
  QUARANTINED_KIND,
  type OpenOptions,
  type OperationEvent,
  type OperationListener,
  type OperationWork,
  type ProgressReporter,
} from './registry.js';
export type { OperationRecord, OperationError, ProgressEntry } from './record.js';
export {
  OPERATION_STATE,
  OPERATION_MESSAGE,
  isTerminal,
  canTransition,
  assertTransition,
  IllegalTransitionError,
  type OperationState,
} from './states.js';
export { ConflictError, ShuttingDownError } from './errors.js';
export { OPERATION_ID_PATTERN, validateOperationId } from './operation-id.js';
export { canonicalJson, type JsonValue } from './canonical-json.js';
