/**
 * The .proto enums as `as const` objects of their wire names (enums: String) with
 * the union of those names as the type: what a received message holds.
 */
import { OperationState as OPERATION_STATE, type OperationState__Output as OperationState } from './generated/wofleet/v1/OperationState.js';

export { OPERATION_STATE, type OperationState };
export { OperationKind as OPERATION_KIND, type OperationKind__Output as OperationKind } from './generated/wofleet/v1/OperationKind.js';
export { HealthLevel as HEALTH_LEVEL, type HealthLevel__Output as HealthLevel } from './generated/wofleet/v1/HealthLevel.js';
export { SiteLink as SITE_LINK, type SiteLink__Output as SiteLink } from './generated/wofleet/v1/SiteLink.js';
export { ReleaseMark as RELEASE_MARK, type ReleaseMark__Output as ReleaseMark } from './generated/wofleet/v1/ReleaseMark.js';
export { ServerState as SERVER_STATE, type ServerState__Output as ServerState } from './generated/wofleet/v1/ServerState.js';
export { CanaryChange as CANARY_CHANGE, type CanaryChange__Output as CanaryChange } from './generated/wofleet/v1/CanaryChange.js';

const TERMINAL_STATES: ReadonlySet<OperationState> = new Set([
  OPERATION_STATE.OPERATION_STATE_SUCCEEDED,
  OPERATION_STATE.OPERATION_STATE_FAILED,
  OPERATION_STATE.OPERATION_STATE_INTERRUPTED,
]);

/** SUCCEEDED, FAILED and INTERRUPTED are final: WatchOperation ends, a retry with the same id changes nothing. */
export function isTerminalOperationState(state: OperationState): boolean {
  return TERMINAL_STATES.has(state);
}
